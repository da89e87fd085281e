/**
 * 64-bit fingerprints of packed states, computed as two 32-bit halves so no BigInt or allocation
 * is needed on the hot path.
 *
 * A state of one or two words is mixed by a bijection of 64-bit values (three Feistel rounds of
 * MurmurHash3's finalizer), so two distinct states never share a fingerprint: for layouts that
 * `exactFingerprints` accepts the visited set is exact, not probabilistic. Longer states are
 * mixed by MurmurHash3 x86 (two lanes with cross-mixing, as in its 128-bit variant), which passes
 * SMHasher's avalanche tests; the collision estimate in the statistics assumes those
 * fingerprints behave like uniform 64-bit values.
 */
import type { StateLayout } from './layout.js'

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

/**
 * The words mixed into a short state before the rounds. SHORT_K1's top bit is set, so the one
 * state the bijection sends to the all-zero fingerprint (which the visited set cannot hold as
 * such) has the top bit of its second word set: it is no state of a layout that leaves that bit
 * unused, and no one-word state (whose second word is 0).
 */
const SHORT_K0 = 0x3c6ef372
const SHORT_K1 = 0xa54ff53a

/** Fingerprint `count` words of `words` starting at `offset`; the result is left in `fp`. */
export function fingerprint(words: Uint32Array, offset: number, count: number): void {
  if (count <= 2) {
    // x ^= F(y) is invertible whatever F is: three rounds are a bijection of (a, b), and as
    // fmix(0) = 0 they send (a, b) to zero exactly when a = SHORT_K0 and b = SHORT_K1.
    let a = (count > 0 ? words[offset]! : 0) ^ SHORT_K0
    let b = (count > 1 ? words[offset + 1]! : 0) ^ SHORT_K1
    b ^= fmix(a)
    a ^= fmix(b)
    b ^= fmix(a)
    fp.hi = b >>> 0
    fp.lo = a >>> 0
    return
  }
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
 * Does every state of `layout` have a fingerprint of its own? True for one-word states, and for
 * two-word states whose second word leaves its top bit unused (see SHORT_K1).
 */
export function exactFingerprints(layout: Pick<StateLayout, 'words' | 'fieldCount' | 'wordOf' | 'shiftOf' | 'maskOf'>): boolean {
  if (layout.words === 1) return true
  if (layout.words !== 2) return false
  for (let f = 0; f < layout.fieldCount; f++) {
    if (layout.wordOf[f] === 1 && 32 - Math.clz32(layout.maskOf[f]!) + layout.shiftOf[f]! > 31) return false
  }
  return true
}

/** The bits word 1 of a state of `layout` uses (0 for a one-word layout): the lean visited set's key width past word 0. */
export function secondWordBits(layout: Pick<StateLayout, 'words' | 'fieldCount' | 'wordOf' | 'shiftOf' | 'maskOf'>): number {
  let bits = 0
  for (let f = 0; f < layout.fieldCount; f++) {
    if (layout.wordOf[f] === 1) bits = Math.max(bits, 32 - Math.clz32(layout.maskOf[f]!) + layout.shiftOf[f]!)
  }
  return layout.words > 1 ? bits : 0
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
