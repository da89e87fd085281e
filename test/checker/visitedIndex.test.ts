/**
 * The visited set that keeps each state's index (VisitedIndex): against a Map of the same pairs,
 * through growth; and a search that records the graph with it against the same search with the
 * plain set and a separate fingerprint -> index table (which a search with checkpoints keeps):
 * the same verdicts, counts and traces on every bundled scenario.
 */
import test from 'ava'
import { mix } from '../mix.js'
import { join, relative } from 'node:path'
import { explore } from '../../checker/explore.js'
import { violationTrace } from '../../checker/trace.js'
import { VisitedIndex } from '../../checker/visitedIndex.js'
import { SEGMENTS } from '../../checker/visitedSet.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { ROOT } from '../root.js'

test('addOrGet adds a new pair with its index, and gives that index back ever after, through growth', (t) => {
  const N = 300_000
  const s = new VisitedIndex()
  const startCap = s.capacity
  const want = new Map<string, number>()
  // Pairs repeat: i and i + N/3 share a pair when i is a multiple of 7.
  const pair = (i: number): [number, number] => {
    const k = i % 7 === 0 && i >= N / 3 ? i - N / 3 : i
    return [mix(k), mix(k ^ 0x5bd1e995) ^ 0x9e3779b9]
  }
  for (let i = 0; i < N; i++) {
    const [hi, lo] = pair(i)
    const key = `${hi >>> 0},${lo >>> 0}`
    const had = s.addOrGet(hi, lo >>> 0, i)
    const expected = want.get(key)
    if (expected === undefined) {
      if (had !== -1) return t.fail(`pair ${i} is new, addOrGet gave ${had}`)
      want.set(key, i)
    } else if (had !== expected) return t.fail(`pair ${i} was added as ${expected}, addOrGet gave ${had}`)
  }
  t.is(s.size, want.size)
  t.true(s.capacity > startCap)
  t.is(s.bytes, s.capacity * 12)
  for (const [key, i] of want) {
    const [hi, lo] = key.split(',').map(Number) as [number, number]
    if (s.addOrGet(hi, lo, 12345) !== i) return t.fail(`addOrGet(${key}) again is not ${i}`)
  }
  t.is(s.size, want.size, 'giving an index back adds nothing')
  t.is(s.addOrGet(1, 2, 12345), -1, 'a pair never added is new')
})

test('the all-zero fingerprint is one with (0, 1), and a segment grows on its own', (t) => {
  const s = new VisitedIndex(SEGMENTS * 64)
  t.is(s.addOrGet(0, 0, 7), -1)
  t.is(s.addOrGet(0, 1, 8), 7)
  t.is(s.addOrGet(0, 0, 9), 7)
  t.is(s.growthBytes, 2 * 64 * 12, 'one growth step allocates twice one segment, not the whole set')
  const hiIn0 = (i: number): number => mix(i) >>> 6
  for (let i = 0; i < 200; i++) s.addOrGet(hiIn0(i), i + 2, 100 + i)
  t.true(s.segmentLoad(0).capacity > 64)
  t.deepEqual(s.segmentLoad(1), { size: 0, capacity: 64 })
  for (let i = 0; i < 200; i++) if (s.addOrGet(hiIn0(i), i + 2, 0) !== 100 + i) return t.fail(`lost ${i} in growth`)
  t.is(s.addOrGet(0, 0, 9), 7)
})

/** States per run: the two runs share the bound, so a run it cuts is compared as cut. */
const MAX_STATES = 20_000

for (const file of scenarioFiles(join(ROOT, 'scenarios'))) {
  const name = relative(ROOT, file)
  test(`the graph recorded with the indexed visited set is the one with the set and the table: ${name}`, (t) => {
    const sc = loadScenario(file)
    const m = sc.model
    const bounds = { ...sc.bounds, maxStates: Math.min(sc.bounds.maxStates ?? Infinity, MAX_STATES) }
    const base = { bounds, symmetry: sc.symmetry }
    const fast = explore(m, base)
    // A checkpoint keeps the plain set and the separate table (no checkpoint is written: the
    // interval is never reached, and a bound's cut writes it to the callback only).
    const slow = explore(m, { ...base, checkpoint: { everyMs: 1e12, write: () => undefined } })
    const a = fast.verdict
    const b = slow.verdict
    t.is(a.status, b.status)
    t.is(a.stats.distinctStates, b.stats.distinctStates)
    t.is(a.stats.transitions, b.stats.transitions)
    t.is(a.stats.maxDepth, b.stats.maxDepth)
    t.deepEqual(a.checked, b.checked)
    t.deepEqual(a.unchecked, b.unchecked)
    t.deepEqual(a.notes, b.notes)
    if (a.status === 'violated' && b.status === 'violated') {
      t.is(a.property.name, b.property.name)
      t.is(a.traceLength, b.traceLength)
      t.deepEqual(violationTrace(fast), violationTrace(slow))
    }
  })
}
