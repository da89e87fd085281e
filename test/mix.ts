/** A bijection on 32-bit integers (MurmurHash3's finalizer), so distinct i give distinct keys: the visited tables' tests make their fingerprints with it. */
export function mix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
