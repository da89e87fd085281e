/**
 * Short states' fingerprints are a bijection, shown by inverting them: the test undoes the three
 * Feistel rounds with its own copy of MurmurHash3's finalizer (a Feistel round is undone by the
 * same round function, run backwards), and gets every state back. Hence two states never share a
 * fingerprint, and the all-zero fingerprint belongs to no state a layout can encode.
 */
import test from 'ava'
import { exactFingerprints, fingerprint, fp } from '../../checker/fingerprint.js'
import { bool, int, LayoutBuilder } from '../../checker/layout.js'

/** MurmurHash3's fmix32, as published. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

/** Undo b ^= F(a); a ^= F(b); b ^= F(a), without the input constants. */
function unmix(hi: number, lo: number): [number, number] {
  let b = hi
  let a = lo
  b ^= fmix32(a)
  a ^= fmix32(b)
  b ^= fmix32(a)
  return [a >>> 0, b >>> 0]
}

const fpOf = (...w: number[]): [number, number] => {
  fingerprint(Uint32Array.from(w), 0, w.length)
  return [fp.hi, fp.lo]
}

test('two-word fingerprints invert: no two states share one', (t) => {
  // The input constants are what the rounds undo to when the state is all zero.
  const [k0, k1] = unmix(...fpOf(0, 0))
  let s = 12345
  const next = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
  for (let i = 0; i < 20000; i++) {
    const w0 = next()
    const w1 = i % 4 === 0 ? 0 : next()
    const [a, b] = unmix(...fpOf(w0, w1))
    if ((a ^ k0) >>> 0 !== w0 || (b ^ k1) >>> 0 !== w1) return t.fail(`state ${w0},${w1} does not come back`)
  }
  // The state whose fingerprint is zero (the visited set's empty slot) has its second word's top bit set.
  t.true((k1 & 0x80000000) !== 0)
  // One-word states are two-word states with a zero second word.
  t.deepEqual(fpOf(7), fpOf(7, 0))
})

test('exactFingerprints: one word, or two with the top bit of the second unused', (t) => {
  const layout = (bits: readonly number[]) => {
    const b = new LayoutBuilder()
    bits.forEach((n, i) => b.scalar(`f${i}`, n === 1 ? bool : int(0, 2 ** n - 1)))
    return b.build()
  }
  t.true(exactFingerprints(layout([30])))
  t.true(exactFingerprints(layout([30, 30, 1])), 'word 1 holds bits 0..30')
  t.false(exactFingerprints(layout([30, 30, 2])), 'word 1 holds bits 0..31')
  t.false(exactFingerprints(layout([30, 30, 30])), 'three words')
})
