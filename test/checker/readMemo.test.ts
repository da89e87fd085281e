/**
 * checker/readMemo.ts: a memoized function answers as the function does, on states it has seen and
 * on states it has not; a recording that disagrees with the trie breaks the memo (it stops
 * serving); a spent budget leaves answers right.
 */
import test from 'ava'
import { Values, type Reader } from '../../checker/model.js'
import { MemoBudget, memoOfOne, memoOfTwo, ReadMemo } from '../../checker/readMemo.js'

const SLOTS = 4

/** Every state of SLOTS fields with values 0..3, in a fixed shuffled order. */
function states(): Int32Array[] {
  const out: Int32Array[] = []
  for (let i = 0; i < 4 ** SLOTS; i++) out.push(Int32Array.from({ length: SLOTS }, (_x, k) => Math.floor(i / 4 ** k) % 4))
  let seed = 7
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    const j = seed % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** Reads depend on values: field 0 picks which field is read next. */
const branchy = (s: Reader): number => (s.get(0) === 0 ? s.get(1) * 10 : s.get(0) === 1 ? s.get(2) + s.get(2) : s.get(3) > 1 ? 100 : s.get(1))

test('a memoized function of one state answers as the function, first time and again', (t) => {
  const f = memoOfOne(SLOTS, new MemoBudget(), branchy)
  for (let round = 0; round < 2; round++) for (const v of states()) t.is(f(new Values(v)), branchy(new Values(v)))
})

test('a memoized function of two states keys the second state apart from the first', (t) => {
  const g = (a: Reader, b: Reader): number => (a.get(0) === b.get(0) ? a.get(1) : b.get(2) * 7 + a.get(3))
  const f = memoOfTwo(SLOTS, new MemoBudget(), g)
  const all = states()
  for (let round = 0; round < 2; round++)
    for (let i = 0; i < all.length; i++) {
      const a = new Values(all[i]!)
      const b = new Values(all[(i * 37 + 11) % all.length]!)
      t.is(f(a, b), g(a, b))
    }
})

test('a recorded path that disagrees with the trie breaks the memo', (t) => {
  // After the same values (none), the second recording reads another field first: not a function of its reads.
  const memo = new ReadMemo<number>(SLOTS, new MemoBudget())
  const v = new Values(Int32Array.of(1, 2, 3, 0))
  memo.begin(v)
  memo.first.get(0)
  t.true(memo.add(1))
  t.is(memo.findIn(v.values), 1)
  memo.begin(v)
  memo.first.get(1)
  t.false(memo.add(2))
  t.true(memo.broken)
  t.is(memo.findIn(v.values), undefined)
})

test('a spent budget leaves the answers right', (t) => {
  const budget = new MemoBudget(200)
  const f = memoOfOne(SLOTS, budget, branchy)
  for (let round = 0; round < 2; round++) for (const v of states()) t.is(f(new Values(v)), branchy(new Values(v)))
  t.true(budget.left < 3 + 64)
})
