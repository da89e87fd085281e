import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import { loadScenario, scenarioFiles, unmet } from '../../model/scenario.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { ROOT } from '../root.js'

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
      t.deepEqual(
        v.sometimes.filter((s) => !s.reached).map((s) => s.name),
        [],
        'no proof is vacuous',
      )
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
// one shipped scenario (computed, not listed by hand). For rule 2 this holds by construction:
// only S15 violates it, through the engine flag `hmmPreemptsDma`, which adds exactly the rule that
// rule 2 forbids. The language has no other way for hmm work to take dma_fence work off its CUs
// (a `preempt` step or a preempt fence on a kernel job is a kernel mechanism, not hmm work, and
// the rule-2 property does not see it), so the test cannot catch a wrong rule-2 semantics.
test('every GPU property is violated by at least one shipped scenario', (t) => {
  const violated = new Set<string>()
  let all = new Set<string>()
  const files = [...scenarioFiles(join(ROOT, 'scenarios', 'gpu')), ...scenarioFiles(join(ROOT, 'scenarios', 'mem'))]
  for (const file of files) {
    const sc = loadScenario(file)
    if (sc.model.name !== 'gpu') continue
    // The scenario's own progress: goals are named after its actors: some scenario must violate one.
    const names = [
      ...sc.model.properties.filter((p) => p.kind !== 'sometimes' && !p.id?.startsWith('progress:')).map((p) => p.name),
      ...(sc.model.deadlock ? [sc.model.deadlock.name] : []),
    ]
    all = new Set([...all, ...names])
    const v = explore(sc.model, { order: sc.order, bounds: sc.bounds, symmetry: sc.symmetry }).verdict
    if (v.status === 'violated') violated.add(v.property.name)
  }
  // Every property the GPU model defines is checked by some scenario, so none escapes the check below.
  t.deepEqual(
    Object.values(PROPERTY_NAMES).filter((p) => !all.has(p)),
    [],
  )
  t.deepEqual([...all].filter((p) => !violated.has(p)).sort(), [])
  t.true(
    [...violated].some((p) => p.startsWith('progress: ')),
    'some scenario violates a progress: goal',
  )
})
