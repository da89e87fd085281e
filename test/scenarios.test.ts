import test from 'ava'
import { join } from 'node:path'
import { explore } from '../checker/explore.js'
import { evidenceTraces, replay, violationTrace } from '../checker/trace.js'
import { loadScenario, scenarioFiles, unmet } from '../model/scenario.js'
import { ROOT } from './root.js'

// Every bundled scenario's pinned expectation is recomputed by the model here: if the model
// changes a verdict, a property or a shortest trace length, this test fails.
for (const file of scenarioFiles(join(ROOT, 'scenarios'))) {
  test(`scenario ${file.slice(ROOT.length + 1)} meets its expectation`, (t) => {
    const sc = loadScenario(file)
    t.truthy(sc.expect, 'every bundled scenario pins an expectation')
    const x = explore(sc.model, { order: sc.order, bounds: sc.bounds, symmetry: sc.symmetry })
    const v = x.verdict
    t.deepEqual(unmet(sc.expect!, { status: v.status, ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}) }), [])
    if (v.status === 'proved') {
      t.deepEqual(v.sometimes.filter((s) => !s.reached).map((s) => s.name), [], 'no proof is vacuous')
    }
    if (v.status === 'violated') {
      const trace = violationTrace(x)!
      t.is(trace.steps.length, v.traceLength)
      // A lock-order cycle is closed by the edges of all its evidence traces, not the main one alone.
      const r = replay(sc.model, trace, v.property, { evidence: evidenceTraces(x) })
      t.true(r.ok, r.failure?.reason)
    }
  })
}

// No property is one that cannot fail: every property of the GPU model is violated by at least
// one shipped scenario (computed, not listed by hand).
test('every GPU property is violated by at least one shipped scenario', (t) => {
  const violated = new Set<string>()
  let all = new Set<string>()
  const files = [...scenarioFiles(join(ROOT, 'scenarios', 'gpu')), ...scenarioFiles(join(ROOT, 'scenarios', 'mem'))]
  for (const file of files) {
    const sc = loadScenario(file)
    if (sc.model.name !== 'gpu') continue
    const names = [...sc.model.properties.filter((p) => p.kind !== 'sometimes').map((p) => p.name), ...(sc.model.deadlock ? [sc.model.deadlock.name] : [])]
    all = new Set([...all, ...names])
    const v = explore(sc.model, { order: sc.order, bounds: sc.bounds, symmetry: sc.symmetry }).verdict
    if (v.status === 'violated') violated.add(v.property.name)
  }
  t.true(all.size >= 13)
  t.deepEqual([...all].filter((p) => !violated.has(p)).sort(), [])
})

// A design that recombines primitives needs only a scenario file: S18 uses library paths and
// custom steps only, and its proof is not vacuous.
test('S18, written after the library, is checked with no new code', (t) => {
  const sc = loadScenario(join(ROOT, 'scenarios', 'gpu', 's18-kfd-eviction-fence.yaml'))
  const v = explore(sc.model).verdict
  t.is(v.status, 'proved')
  t.true(v.sometimes.every((s) => s.reached))
})
