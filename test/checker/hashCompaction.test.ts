import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
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

// The graph checks (progress, lock order, liveness) run on the graph recorded during the search,
// so hash compaction, which keeps no states, checks them too and agrees with the full search.
for (const file of [
  'gpu/s02-cu-reservation.yaml',
  'gpu/s07b-dma-progress.yaml',
  'gpu/s13b-textbook-lockdep.yaml',
  'mem/m8-two-devices-evict-retry.yaml',
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
