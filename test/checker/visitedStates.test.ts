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

/** fmix32's inverse: the state whose bijection image is x (with word 1 = b) is (unfmix(x) ^ b * golden ratio, b). */
function inverse(c: number): number {
  let y = c
  for (let k = 0; k < 5; k++) y = Math.imul(y, 2 - Math.imul(c, y))
  return y
}
function unfmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, inverse(0xc2b2ae35))
  h ^= (h >>> 13) ^ (h >>> 26)
  h = Math.imul(h, inverse(0x85ebca6b))
  return (h ^ (h >>> 16)) >>> 0
}
const stateOf = (x: number, b: number): number => (unfmix(x) ^ Math.imul(b, 0x9e3779b1)) >>> 0

for (const bBits of [0, 10, 14, 31]) {
  test(`word 1 of ${bBits} bits: membership agrees with a Set through growth, in both slot formats`, (t) => {
    const s = new VisitedStates(bBits)
    const oracle = new Set<number>()
    const n = bBits === 14 ? 600_000 : 200_000
    const bMask = 2 ** bBits - 1
    const key = (a: number, b: number): number => a * 2 ** Math.min(bBits, 20) + (b % 2 ** 20) + Math.floor(b / 2 ** 20) * 2 ** 52
    const formats = new Set<number>()
    const wrong: string[] = []
    for (let i = 0; i < n; i++) {
      // Few distinct words 0 in the 31-bit case keeps the oracle's keys exact below 2^53.
      const a = bBits === 31 ? word(i, 5) & 0xff : (word(i, 5) ^ (i << 3)) >>> 0
      const b = word(i, 3) & bMask
      const k = key(a, b)
      if (s.add(a, b) === oracle.has(k)) wrong.push(`add(${a}, ${b})`)
      oracle.add(k)
      if ((i & 0xffff) === 0) for (let seg = 0; seg < 64; seg++) formats.add(s.segmentLoad(seg).slotBytes)
    }
    for (let seg = 0; seg < 64; seg++) formats.add(s.segmentLoad(seg).slotBytes)
    t.is(s.size, oracle.size)
    for (let i = 0; i < n; i += 3) {
      const a = bBits === 31 ? word(i, 5) & 0xff : (word(i, 5) ^ (i << 3)) >>> 0
      const b = word(i, 3) & bMask
      if (!s.has(a, b)) wrong.push(`has(${a}, ${b})`)
      const a2 = (a ^ 0x40000) >>> 0
      if (s.has(a2, b) !== oracle.has(key(a2, b))) wrong.push(`has(${a2}, ${b}) of a state not added`)
    }
    t.deepEqual(wrong.slice(0, 5), [])
    // One-word and short word-1 states fit narrow slots from the start; 14 bits from 2^14-slot tables on (crossed here); 31 bits never.
    t.deepEqual([...formats].sort(), bBits === 14 ? [4, 8] : bBits === 31 ? [8] : [4])
    for (let seg = 0; seg < 64; seg++) t.true(s.segmentLoad(seg).size <= (s.segmentLoad(seg).capacity * 3) / 4)
  })
}

test('states that all share one home slot: displacements outgrow a narrow field, the table grows, and membership holds', (t) => {
  // word 1 of 10 bits: 2^10-slot tables store 16 bits of x and 10 of b, leaving 6 for the displacement (up to 62).
  const s = new VisitedStates(10)
  t.is(s.segmentLoad(5).slotBytes, 4)
  const before = s.segmentLoad(5).capacity
  const states: [number, number][] = []
  // x's top 26 bits fixed (table 5, the same home in every table size); its low 6 bits and b vary.
  for (let low = 0; low < 64; low++) for (const b of [0, 1, 513, 1023]) states.push([stateOf(((5 << 26) | (0xabcde << 6) | low) >>> 0, b), b])
  let added = 0
  for (const [a, b] of states) if (s.add(a, b)) added++
  t.is(added, 256)
  t.is(s.size, 256)
  t.true(s.segmentLoad(5).capacity > before, 'the table grew though far from 3/4 load')
  t.is(s.segmentLoad(5).size, 256)
  let again = 0
  for (const [a, b] of states) if (s.add(a, b)) again++
  t.is(again, 0)
  t.true(states.every(([a, b]) => s.has(a, b)))
  // Neighbours: the same x with another b, and x one home further on, are not members.
  t.false(s.has(stateOf(((5 << 26) | (0xabcde << 6) | 7) >>> 0, 2), 2))
  t.false(s.has(stateOf(((5 << 26) | (0xabcdf << 6) | 7) >>> 0, 0), 0))
  // ... until added; the crowded table still grows by doubling with them in it.
  for (let i = 0; i < 2000; i++) s.add(stateOf(((5 << 26) | ((0xabcdf + (i >>> 6)) << 6) | (i & 63)) >>> 0, 3), 3)
  t.is(s.size, 2256)
  t.true(states.every(([a, b]) => s.has(a, b)))
})

test('an entry pushed along by Robin Hood insertion past its field grows the table, and no entry is lost', (t) => {
  const s = new VisitedStates(10)
  // Home slots of a 2^10-slot table: x's bits 16..25.
  const home = 0x48
  const at = (h: number, low: number, b: number): [number, number] => [stateOf(((9 << 26) | (h << 16) | low) >>> 0, b), b]
  // 63 states at one home fill displacements 0..62 (the field holds up to 62). Of two at the home
  // before, the first takes its empty home slot, the second steals the next and pushes the 63 on.
  const states = [...Array.from({ length: 63 }, (_, i) => at(home, i, 7)), at(home - 1, 0, 1), at(home - 1, 1, 1)]
  const before = s.segmentLoad(9).capacity
  for (const [a, b] of states.slice(0, 64)) t.true(s.add(a, b))
  t.is(s.segmentLoad(9).capacity, before, 'displacement 62 still fits')
  t.true(s.add(...states[64]!))
  t.true(s.segmentLoad(9).capacity > before, 'displacement 63 did not fit: the table grew')
  t.is(s.size, 65)
  t.is(s.segmentLoad(9).size, 65)
  t.true(states.every(([a, b]) => s.has(a, b) && !s.add(a, b)))
})
