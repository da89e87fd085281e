/**
 * The lean search's visited set, which keeps 63-bit states themselves: membership against a
 * plain JavaScript Set of the same states (an independent oracle), through growth, and the states
 * a fingerprint set needs a special case for (all-zero words, word 1 at its largest).
 */
import test from 'ava'
import { VisitedStates } from '../../checker/visitedStates.js'

/** A 31-bit word from i (a xorshift-multiply mix): many distinct, structured-looking states. */
function word(i: number, seed: number): number {
  let h = (i ^ seed) >>> 0
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  return h & 0x7fffffff
}

test('add reports a new state once, has sees exactly the states added', (t) => {
  const s = new VisitedStates()
  t.false(s.has(0, 0))
  t.true(s.add(0, 0))
  t.false(s.add(0, 0))
  t.true(s.has(0, 0))
  t.true(s.add(0xffffffff, 0x7fffffff))
  t.true(s.has(0xffffffff, 0x7fffffff))
  t.false(s.has(0x7fffffff, 0x7fffffff))
  t.true(s.add(1, 0))
  t.true(s.add(0, 1))
  t.false(s.has(1, 1))
  t.is(s.size, 4)
})

test('through growth, membership agrees with a Set of the same states', (t) => {
  const s = new VisitedStates()
  const oracle = new Set<string>()
  const before = s.bytes
  // Small words, so that many draws repeat a state: both answers of add are exercised.
  const wrong: string[] = []
  let repeats = 0
  for (let i = 0; i < 400_000; i++) {
    const a = word(i, 0x1234) & 0xfff
    const b = word(i, 0x9876) & 0x3ff
    const key = `${a},${b}`
    if (oracle.has(key)) repeats++
    if (s.add(a, b) !== !oracle.has(key)) wrong.push(`add(${a}, ${b})`)
    oracle.add(key)
  }
  t.true(repeats > 10_000, 'states repeat')
  t.is(s.size, oracle.size)
  t.true(s.bytes > before, 'the set grew')
  for (let a = 0; a < 0x1000; a += 7) for (let b = 0; b < 0x400; b += 5) if (s.has(a, b) !== oracle.has(`${a},${b}`)) wrong.push(`has(${a}, ${b})`)
  t.deepEqual(wrong.slice(0, 5), [])
  // No segment passes its 3/4 load.
  for (let seg = 0; seg < 64; seg++) {
    const { size, capacity } = s.segmentLoad(seg)
    t.true(size <= (capacity * 3) / 4)
  }
})

test('large words: the top bit of word 0 and the largest word 1 are states like any other', (t) => {
  const s = new VisitedStates()
  const n = 50_000
  let added = 0
  let again = 0
  for (let i = 0; i < n; i++) if (s.add((word(i, 7) | 0x80000000) >>> 0, word(i, 11))) added++
  for (let i = 0; i < n; i++) if (s.add((word(i, 7) | 0x80000000) >>> 0, word(i, 11))) again++
  t.is(added, n)
  t.is(again, 0)
  let without = 0
  for (let i = 0; i < n; i++) if (s.has(word(i, 7), word(i, 11))) without++
  t.is(without, 0, 'the same states without the top bit of word 0 are not members')
  t.is(s.size, n)
})
