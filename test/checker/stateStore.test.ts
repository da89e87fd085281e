/**
 * The state store in its frontier-only (compact) mode against a plain array of the same states: a
 * breadth-first search releases the words of every chunk it has expanded, and the store reuses the
 * released arrays for the chunks it appends next. Whatever is reused, every state still in the
 * frontier reads back as it was appended, and its parent and rule stay recorded.
 */
import test from 'ava'
import { CHUNK, NO_PARENT, StateStore } from '../../checker/stateStore.js'

test('a compact store that reuses released chunks reads back every state of the frontier as appended', (t) => {
  const W = 2
  const store = new StateStore(W, { compact: true })
  const oracle: [number, number, number, number][] = []
  const word = (i: number, w: number): number => (Math.imul(i + 1, w === 0 ? 0x9e3779b1 : 0x85ebca6b) ^ (i >>> 3)) >>> 0
  const src = new Uint32Array(W)
  const dst = new Uint32Array(W)
  const append = (parent: number): void => {
    const i = oracle.length
    src[0] = word(i, 0)
    src[1] = word(i, 1)
    t.is(store.append(src, 0, parent, i & 0xffff), i)
    oracle.push([src[0], src[1], parent, i & 0xffff])
  }
  append(NO_PARENT)
  // Each expanded state appends two successors until the store holds about five chunks; the head
  // releases what is behind it every 65536 states, as the search does.
  let head = 0
  let mismatches = 0
  while (oracle.length < 5 * CHUNK + 1234) {
    if ((head & 0xffff) === 0) store.release(head)
    store.read(head, dst)
    const [w0, w1] = oracle[head]!
    if (dst[0] !== w0 || dst[1] !== w1) mismatches++
    append(head)
    append(head)
    head++
  }
  t.is(mismatches, 0)
  // The frontier, from the head on, reads back in full; released states are refused.
  for (let i = head; i < oracle.length; i++) {
    store.read(i, dst)
    if (dst[0] !== oracle[i]![0] || dst[1] !== oracle[i]![1]) mismatches++
  }
  t.is(mismatches, 0)
  t.throws(() => store.read(0, dst), { message: /released/ })
  for (const i of [0, 1, CHUNK, head - 1, oracle.length - 1]) {
    t.is(store.parent(i), oracle[i]![2])
    t.is(store.ruleOf(i), oracle[i]![3])
  }
  // What the store counts: the frontier's chunks and the spares, then parents and rules.
  t.true(store.bytes < (oracle.length - head + 3 * CHUNK) * W * 4 + oracle.length * 6 + 2 * CHUNK * 6)
})

test('a compact store codes parents as differences: every parent reads back, escapes and block starts included', (t) => {
  const store = new StateStore(1, { compact: true, rules: 200 })
  const src = new Uint32Array(1)
  const parents: number[] = []
  const rules: number[] = []
  // Three initial states, then breadth-first-like parents: mostly repeats and steps of one, some
  // jumps of 254, 255 (the escape) and far more, across block and chunk boundaries.
  for (let i = 0; i < 3; i++) {
    t.is(store.append(src, 0, NO_PARENT, 7 + i), i)
    parents.push(NO_PARENT)
    rules.push(7 + i)
  }
  let p = 0
  for (let i = 3; i < 2 * CHUNK + 999; i++) {
    const r = Math.imul(i, 0x9e3779b1) >>> 24
    p += r < 200 ? r % 3 : r < 230 ? 254 : r < 245 ? 255 : 70_000
    p = Math.min(p, i - 1)
    store.append(src, 0, p, r % 200)
    parents.push(p)
    rules.push(r % 200)
  }
  const wrong: string[] = []
  for (let i = 0; i < parents.length; i++) {
    if (store.parent(i) !== parents[i]) wrong.push(`parent(${i}) = ${store.parent(i)}, appended ${parents[i]}`)
    if (store.ruleOf(i) !== rules[i]) wrong.push(`ruleOf(${i}) = ${store.ruleOf(i)}, appended ${rules[i]}`)
    if (store.isRoot(i) !== i < 3) wrong.push(`isRoot(${i})`)
  }
  t.deepEqual(wrong.slice(0, 5), [])
  // The path walks back to an initial state.
  const last = parents.length - 1
  const path = store.path(last)
  t.is(path[path.length - 1], last)
  t.true(path[0]! < 3)
  for (let k = 1; k < path.length; k++) t.is(parents[path[k]!], path[k - 1])
  // About two bytes a state (a difference and a rule), not six.
  t.true(store.bytes < 3 * CHUNK * (1 * 4 + 2.1) + 4096 * 8)
})

test('a compact store refuses what it cannot code: a decreasing parent, a root after a parented state, a rule past its width', (t) => {
  const src = new Uint32Array(1)
  const s = new StateStore(1, { compact: true, rules: 10 })
  s.append(src, 0, NO_PARENT, 0)
  s.append(src, 0, NO_PARENT, 1)
  s.append(src, 0, 1, 3)
  t.throws(() => s.append(src, 0, 0, 3), { message: /parent 0 after parent 1/ })
  t.throws(() => s.append(src, 0, NO_PARENT, 0), { message: /no parent, but an earlier state has one/ })
  t.throws(() => s.append(src, 0, 2, 256), { message: /rule 256 .* up to 255/ })
  const wide = new StateStore(1, { compact: true, rules: 300 })
  wide.append(src, 0, NO_PARENT, 0)
  wide.append(src, 0, 0, 299)
  t.is(wide.ruleOf(1), 299)
})
