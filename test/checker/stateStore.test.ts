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
