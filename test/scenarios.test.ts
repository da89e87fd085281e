import test from 'ava'
import { join } from 'node:path'
import { explore } from '../checker/explore.js'
import { replay, violationTrace } from '../checker/trace.js'
import { loadScenario, scenarioFiles, unmet } from '../model/scenario.js'
import { ROOT } from './root.js'

// Every bundled scenario's pinned expectation is recomputed by the model here: if the model
// changes a verdict, a property or a shortest trace length, this test fails.
for (const file of scenarioFiles(join(ROOT, 'scenarios'))) {
  test(`scenario ${file.slice(ROOT.length + 1)} meets its expectation`, (t) => {
    const sc = loadScenario(file)
    t.truthy(sc.expect, 'every bundled scenario pins an expectation')
    const x = explore(sc.model, { order: sc.order, bounds: sc.bounds })
    const v = x.verdict
    t.deepEqual(unmet(sc.expect!, { status: v.status, ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}) }), [])
    if (v.status === 'proved') {
      t.deepEqual(v.sometimes.filter((s) => !s.reached).map((s) => s.name), [], 'no proof is vacuous')
    }
    if (v.status === 'violated') {
      const trace = violationTrace(x)!
      t.is(trace.steps.length, v.traceLength)
      const r = replay(sc.model, trace, v.property.name)
      t.true(r.ok, r.failure?.reason)
    }
  })
}
