/**
 * The `hmm` reference (test/reference/hmm/, an independent hand-written model the memory language
 * is compared against): every scenario of it meets its pinned expectation, every violation trace
 * (lassos included) replays against the model, and every property of the model is violated by at
 * least one of its scenarios.
 */
import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { InputError } from '../../checker/params.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { scenarioFiles, unmet } from '../../model/scenario.js'
import { DATA_SURVIVES, FAULT_ATTRIBUTION, PAGE_CONSERVATION, PROGRESS, STALE_ACCESS } from '../../properties/hmm.js'
import { loadReference, reference, referenceFiles } from '../reference/hmm/load.js'
import { ROOT } from '../root.js'

// The reference's scenarios, and the mirror-mechanism fixtures the scenario-language versions are
// cross-checked against (test/model/memory.test.ts).
const files = [...referenceFiles(), ...scenarioFiles(join(ROOT, 'test', 'fixtures', 'mirror'))]

for (const file of files) {
  test(`hmm scenario ${file.slice(ROOT.length + 1)} meets its expectation and its trace replays`, (t) => {
    const sc = loadReference(file)
    t.is(sc.model.name, 'hmm')
    t.truthy(sc.expect)
    const x = explore(sc.model, { order: sc.order })
    const v = x.verdict
    t.deepEqual(
      unmet(sc.expect!, { status: v.status, sometimes: v.sometimes, ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}) }),
      [],
    )
    t.true(v.stats.distinctStates < 5000, 'a small state space (well under a second to explore)')
    if (v.status === 'violated') {
      const trace = violationTrace(x)!
      t.is(trace.steps.length, v.traceLength)
      if (v.property.name === PROGRESS) t.not(trace.loop, undefined, 'a liveness violation is a lasso')
      const r = replay(sc.model, trace, v.property.name)
      t.true(r.ok, r.failure?.reason)
      t.is(r.violates, v.property.name)
    }
  })
}

test('every property of the hmm model is violated by some shipped scenario', (t) => {
  const violated = new Set<string>()
  for (const file of files) {
    const sc = loadReference(file)
    const v = explore(sc.model, { order: sc.order }).verdict
    if (v.status === 'violated') violated.add(v.property.name)
  }
  t.deepEqual([...violated].sort(), [DATA_SURVIVES, FAULT_ATTRIBUTION, PAGE_CONSERVATION, PROGRESS, STALE_ACCESS].sort())
})

test('a tampered lasso does not replay as a liveness violation', (t) => {
  const sc = loadReference(join(ROOT, 'test', 'reference', 'hmm', 'scenarios', 'm8-two-devices-evict-retry.yaml'))
  const trace = violationTrace(explore(sc.model))!
  t.false(replay(sc.model, { ...trace, steps: trace.steps.slice(0, -1) }, PROGRESS).ok)
})

test('the mirror liveness property is live: without the safety check, M3b starves the GPU', (t) => {
  const m = reference({ XNACK: 'off', NOTIFIER: 'clear' }).model
  const x = explore({ ...m, properties: m.properties.filter((p) => p.name !== STALE_ACCESS) })
  t.is(x.verdict.status, 'violated')
  const trace = violationTrace(x)!
  t.true(replay(m, trace, PROGRESS).ok)
})

test('inconsistent parameter combinations are input errors', (t) => {
  t.throws(() => reference({ NOTIFIER: 'preempt' }), { instanceOf: InputError, code: 'FC138' })
  t.throws(() => reference({ NOTIFIERS: 'partial' }), { instanceOf: InputError, code: 'FC138' })
  t.throws(() => reference({ XNACK: 'off', NOTIFIER: 'preempt', PAGES: 2 }), { instanceOf: InputError, code: 'FC138' })
})
