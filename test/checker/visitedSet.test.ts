/**
 * The fingerprint set: membership, growth, and the reserved all-zero fingerprint.
 */
import test from 'ava'
import { mix } from '../mix.js'
import { fingerprint, fp } from '../../checker/fingerprint.js'
import { SEGMENTS, VisitedSet } from '../../checker/visitedSet.js'

test('add reports new members once; has sees exactly the members', (t) => {
  const s = new VisitedSet()
  t.is(s.size, 0)
  t.false(s.has(1, 2))
  t.true(s.add(1, 2))
  t.false(s.add(1, 2))
  t.true(s.has(1, 2))
  t.false(s.has(2, 1))
  t.false(s.has(1, 3))
  t.true(s.add(2, 1))
  t.true(s.add(0xffffffff, 0xffffffff))
  t.true(s.has(0xffffffff, 0xffffffff))
  t.is(s.size, 3)
})

test('growth keeps every member: 1e6 pseudo-random pairs', (t) => {
  const N = 1_000_000
  const s = new VisitedSet()
  const startCap = s.capacity
  // hi and lo are each a bijection of i, so all N pairs are distinct; lo uses a different seed
  // so the pairs do not lie on one line.
  const hi = (i: number): number => mix(i)
  const lo = (i: number): number => mix(i ^ 0x5bd1e995) ^ 0x9e3779b9
  let fresh = 0
  for (let i = 0; i < N; i++) if (s.add(hi(i), lo(i) >>> 0)) fresh++
  t.is(fresh, N)
  t.is(s.size, N)
  t.true(s.capacity > startCap)
  t.true(s.size * 4 <= s.capacity * 3, 'load stays at most 3/4')
  t.is(s.bytes, s.capacity * 8)
  let missing = 0
  let again = 0
  let phantom = 0
  for (let i = 0; i < N; i++) {
    if (!s.has(hi(i), lo(i) >>> 0)) missing++
    if (s.add(hi(i), lo(i) >>> 0)) again++
    // Same hi, another lo: not a member.
    if (s.has(hi(i), (lo(i) ^ 1) >>> 0)) phantom++
  }
  t.is(missing, 0)
  t.is(again, 0)
  t.is(phantom, 0)
  t.is(s.size, N)
})

test('segments grow on their own, doubling at 3/4 load, and lose nothing', (t) => {
  const s = new VisitedSet(SEGMENTS * 64)
  t.is(s.capacity, SEGMENTS * 64)
  t.is(s.growthBytes, 2 * 64 * 8, 'one growth step allocates twice one segment, not the whole set')
  // Fill one segment (top bits of hi select it) up to 3/4 of its 64 slots: no growth yet.
  const hiIn0 = (i: number): number => mix(i) >>> 6
  for (let i = 0; i < 48; i++) s.add(hiIn0(i), i + 1)
  t.deepEqual(s.segmentLoad(0), { size: 48, capacity: 64 })
  s.add(hiIn0(48), 49)
  t.deepEqual(s.segmentLoad(0), { size: 49, capacity: 128 }, 'the 49th member doubles segment 0')
  t.deepEqual(s.segmentLoad(1), { size: 0, capacity: 64 }, 'other segments are untouched')
  t.is(s.capacity, SEGMENTS * 64 + 64)
  for (let i = 0; i <= 48; i++) if (!s.has(hiIn0(i), i + 1)) return t.fail(`lost ${i} in growth`)
  t.pass()
})

test('every segment stays at most 3/4 full, with a power-of-two capacity', (t) => {
  const s = new VisitedSet()
  for (let i = 0; i < 200_000; i++) s.add(mix(i), mix(i ^ 0x1234567))
  for (let k = 0; k < SEGMENTS; k++) {
    const { size, capacity } = s.segmentLoad(k)
    t.true(size * 4 <= capacity * 3, `segment ${k}: ${size} of ${capacity}`)
    t.is(capacity & (capacity - 1), 0)
  }
})

test('initial capacity is spread over the segments, rounded up to powers of two', (t) => {
  t.is(new VisitedSet(1).capacity, SEGMENTS * 64)
  t.is(new VisitedSet(SEGMENTS * 64 + 1).capacity, SEGMENTS * 128)
  t.is(new VisitedSet().capacity, 65536)
})

test('the all-zero fingerprint is a member like any other (stored as (0, 1))', (t) => {
  const s = new VisitedSet()
  t.false(s.has(0, 0))
  t.true(s.add(0, 0))
  t.true(s.has(0, 0))
  t.false(s.add(0, 0))
  t.is(s.size, 1)
  // It does not make the empty-slot marker look occupied elsewhere.
  t.false(s.has(0, 2))
  t.false(s.has(1, 0))
  t.true(s.add(1, 0))
  t.true(s.add(0, 2))
  // Documented consequence: (0, 0) and (0, 1) are one fingerprint.
  t.true(s.has(0, 1))
  t.false(s.add(0, 1))
  t.is(s.size, 3)
  // And it survives growth.
  for (let i = 1; i < 100_000; i++) s.add(mix(i), i + 7)
  t.true(s.has(0, 0))
  t.true(s.has(1, 0))
})

test('(0, 1) first, then (0, 0): still one member', (t) => {
  const s = new VisitedSet()
  t.true(s.add(0, 1))
  t.true(s.has(0, 0))
  t.false(s.add(0, 0))
  t.is(s.size, 1)
})

test('fingerprints of packed states: deterministic, and distinct states get distinct fingerprints in practice', (t) => {
  const s = new VisitedSet()
  const w = new Uint32Array(3)
  let collisions = 0
  for (let i = 0; i < 200_000; i++) {
    w[0] = i
    w[1] = i >>> 3
    w[2] = 0
    fingerprint(w, 0, 3)
    if (!s.add(fp.hi, fp.lo)) collisions++
  }
  t.is(collisions, 0)
  w[0] = 5
  w[1] = 0
  fingerprint(w, 0, 3)
  const a = [fp.hi, fp.lo]
  fingerprint(Uint32Array.of(9, 5, 0, 0), 1, 3)
  t.deepEqual([fp.hi, fp.lo], a, 'same words at another offset: same fingerprint')
  fingerprint(w, 0, 2)
  t.notDeepEqual([fp.hi, fp.lo], a, 'the word count is part of the fingerprint')
})
