import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { exactFingerprints } from '../../checker/fingerprint.js'
import { int, LayoutBuilder } from '../../checker/layout.js'
import type { Action, Model, Rule } from '../../checker/model.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import { r1 } from '../../model/r1.js'
import { loadScenario } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const configs: Record<string, string | number>[] = [
  { C: 3, G: 3, K: 3, M: 1, POLICY: 'preempt' },
  { C: 2, G: 3, K: 4, M: 1, POLICY: 'preempt' },
  { C: 2, G: 3, K: 3, M: 0, POLICY: 'naive' },
  { C: 2, G: 2, K: 2, M: 0, POLICY: 'skip', BUG: 'evict-leaks-page' },
]

for (const p of configs) {
  test(`hash compaction reaches the same verdict and counts, and its traces replay: ${JSON.stringify(p)}`, (t) => {
    const m = r1(p)
    const full = explore(m)
    const hc = explore(m, { hashCompaction: true })
    t.is(hc.verdict.status, full.verdict.status)
    t.is(hc.verdict.stats.distinctStates, full.verdict.stats.distinctStates)
    t.is(hc.verdict.stats.transitions, full.verdict.stats.transitions)
    // R1's states fit in two words: their fingerprints are exact, so nothing can be omitted, and
    // the plain search already keeps the frontier's words only.
    t.true(exactFingerprints(m.layout))
    t.regex(hc.verdict.scope.storage, /exact 64-bit fingerprints, hash compaction/)
    t.notRegex(hc.verdict.scope.storage, /omitted/)
    t.regex(full.verdict.scope.storage, /exact 64-bit fingerprints, states kept for the frontier only/)
    t.is(hc.verdict.stats.collisionProbability, 0)
    // (The plain search keeps the states themselves in a quotient table, at most the 8 bytes a slot hash compaction's fingerprints take.)
    t.true(full.verdict.stats.storageBytes <= hc.verdict.stats.storageBytes)
    if (hc.verdict.status === 'violated' && full.verdict.status === 'violated') {
      t.is(hc.verdict.traceLength, full.verdict.traceLength)
      const trace = violationTrace(hc)!
      t.deepEqual(trace, violationTrace(full))
      t.true(replay(m, trace, hc.verdict.property.name).ok)
    }
  })
}

// The graph checks (progress, lock order, liveness) run on the graph recorded during the search,
// so hash compaction, which keeps no states, checks them too and agrees with the full search.
for (const file of [
  'gpu/s02-cu-reservation.yaml',
  'gpu/s07b-dma-progress.yaml',
  'gpu/s13b-textbook-lockdep.yaml',
  'mem/m9c-nouveau-ref-before-trylock.yaml',
  'mem/m13-reclaim-in-retry-loop.yaml',
]) {
  test(`hash compaction checks the graph properties too: ${file}`, (t) => {
    const sc = loadScenario(join(ROOT, 'scenarios', file))
    const full = explore(sc.model)
    const hc = explore(sc.model, { hashCompaction: true })
    t.is(hc.verdict.status, full.verdict.status)
    t.deepEqual(hc.verdict.unchecked, full.verdict.unchecked)
    t.deepEqual(hc.verdict.notes, full.verdict.notes)
    if (hc.verdict.status === 'violated' && full.verdict.status === 'violated') {
      t.is(hc.verdict.property.name, full.verdict.property.name)
      t.is(hc.verdict.traceLength, full.verdict.traceLength)
      const trace = violationTrace(hc)!
      t.deepEqual(trace, violationTrace(full))
      t.true(replay(sc.model, trace, hc.verdict.property.name, { evidence: evidenceTraces(hc) }).ok)
    }
  })
}

test('with states longer than two words, hash compaction states the probability that a state was omitted', (t) => {
  // Three 30-bit fields: three words, so fingerprints are hashes that may collide.
  const b = new LayoutBuilder()
  const [x, y, z] = ['x', 'y', 'z'].map((n) => b.scalar(n, int(0, 2 ** 30 - 1))) as [number, number, number]
  const layout = b.build()
  const rule = (f: number, name: string): Rule<Action> => ({ action: { name }, guard: (s) => s.get(f) < 20, apply: (s) => s.set(f, s.get(f) + 1) })
  const m: Model<Action> = {
    name: 'three-words',
    params: {},
    layout,
    init: () => [[0, 0, 0]],
    rules: [rule(x, 'x'), rule(y, 'y'), rule(z, 'z')],
    properties: [],
  }
  t.false(exactFingerprints(layout))
  const full = explore(m)
  const hc = explore(m, { hashCompaction: true })
  t.is(hc.verdict.stats.distinctStates, 21 ** 3)
  t.is(full.verdict.stats.distinctStates, 21 ** 3)
  t.regex(hc.verdict.scope.storage, /^packed 12-byte states, 64-bit fingerprints, hash compaction.*probability that a state was omitted/)
  t.notRegex(full.verdict.scope.storage, /frontier/)
  t.true(hc.verdict.stats.collisionProbability > 0)
})
