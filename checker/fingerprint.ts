/**
 * 64-bit fingerprints of packed states, computed as two 32-bit halves so no BigInt or allocation
 * is needed on the hot path. The mixing is MurmurHash3 x86 (two lanes with cross-mixing, as in
 * its 128-bit variant), which passes SMHasher's avalanche tests; the collision estimate in the
 * statistics assumes fingerprints behave like uniform 64-bit values.
 */

/** Result registers of the last `fingerprint` call (read immediately, before the next call). */
export const fp = { hi: 0, lo: 0 }

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

/** Fingerprint `count` words of `words` starting at `offset`; the result is left in `fp`. */
export function fingerprint(words: Uint32Array, offset: number, count: number): void {
  let h1 = 0x9747b28c
  let h2 = 0x5bd1e995
  for (let i = 0; i < count; i++) {
    let k = words[offset + i]!
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h1 ^= k
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
    let j = words[offset + i]!
    j = Math.imul(j, C2)
    j = (j << 16) | (j >>> 16)
    j = Math.imul(j, C1)
    h2 ^= j
    h2 = (h2 << 17) | (h2 >>> 15)
    h2 = (Math.imul(h2, 5) + 0x38495ab5) | 0
  }
  h1 ^= count
  h2 ^= count
  h1 = (h1 + h2) | 0
  h2 = (h2 + h1) | 0
  h1 = fmix(h1)
  h2 = fmix(h2)
  h1 = (h1 + h2) | 0
  h2 = (h2 + h1) | 0
  fp.hi = h1 >>> 0
  fp.lo = h2 >>> 0
}

/**
 * Probability that at least two of `n` distinct states share a fingerprint, for uniform 64-bit
 * fingerprints: 1 - exp(-n(n-1)/2^65). This bounds the chance that the run silently merged two
 * states (and so may have missed part of the space).
 */
export function collisionProbability(n: number): number {
  return -Math.expm1(-(n * (n - 1)) / 2 ** 65)
}

/**
 * TLC's "optimistic" estimate: each of the `transitions - n` lookups that hit an existing
 * fingerprint could have been a false hit against one of `n` stored fingerprints.
 */
export function collisionProbabilityOptimistic(n: number, transitions: number): number {
  return Math.min(1, (n * Math.max(0, transitions - n)) / 2 ** 64)
}
