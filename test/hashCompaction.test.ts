import test from 'ava'
import { join } from 'node:path'
import { explore } from '../checker/explore.js'
import { replay, violationTrace } from '../checker/trace.js'
import { r1 } from '../model/r1.js'
import { loadScenario } from '../model/scenario.js'
import { ROOT } from './root.js'

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
    t.regex(hc.verdict.scope.storage, /hash compaction.*probability that a state was omitted/)
    // States are dropped a chunk (2^18 states) at a time, so the saving shows on larger runs.
    if (full.verdict.stats.distinctStates > 300_000) t.true(hc.verdict.stats.storageBytes < full.verdict.stats.storageBytes)
    if (hc.verdict.status === 'violated' && full.verdict.status === 'violated') {
      t.is(hc.verdict.traceLength, full.verdict.traceLength)
      const trace = violationTrace(hc)!
      t.deepEqual(trace, violationTrace(full))
      t.true(replay(m, trace, hc.verdict.property.name).ok)
    }
  })
}

test('under hash compaction the graph checks are skipped, with a note', (t) => {
  const sc = loadScenario(join(ROOT, 'scenarios', 'gpu', 's02-cu-reservation.yaml'))
  const v = explore(sc.model, { hashCompaction: true }).verdict
  t.is(v.status, 'proved')
  t.true(v.notes.some((n) => /not checked under hash compaction/.test(n)))
})
