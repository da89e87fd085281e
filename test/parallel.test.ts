import test from 'ava'
import { join } from 'node:path'
import { explore } from '../checker/explore.js'
import { exploreParallel } from '../checker/parallel.js'
import { evidenceTraces, replay, violationTrace } from '../checker/trace.js'
import { FACTORY_URL, type ModelSpec } from '../model/factory.js'
import { buildModel } from '../model/registry.js'
import { loadScenario } from '../model/scenario.js'
import { ROOT } from './root.js'

const builtin = (params: Record<string, string | number>): ModelSpec => ({ kind: 'builtin', name: 'r1', params })

const cases: { name: string; spec: ModelSpec }[] = [
  { name: 'r1 preempt 2,3,3,1', spec: builtin({ C: 2, G: 3, K: 3, M: 1, POLICY: 'preempt' }) },
  { name: 'r1 reserve 3,3,3,1', spec: builtin({ C: 3, G: 3, K: 3, M: 1, POLICY: 'reserve' }) },
  { name: 'r1 naive 2,3,3,0 (deadlock)', spec: builtin({ C: 2, G: 3, K: 3, M: 0, POLICY: 'naive' }) },
  { name: 'r1 broken eviction', spec: builtin({ C: 2, G: 2, K: 2, M: 0, POLICY: 'skip', BUG: 'evict-leaks-page' }) },
  ...['s01-fault-vs-reclaim-naive', 's06-shrinker-skips', 's07b-dma-progress', 's13b-textbook-lockdep', 's17-double-signal'].map((s) => ({
    name: s,
    spec: { kind: 'scenario', file: join(ROOT, 'scenarios', 'gpu', `${s}.yaml`) } as ModelSpec,
  })),
]

const modelOf = (spec: ModelSpec) => (spec.kind === 'builtin' ? buildModel(spec.name, spec.params) : loadScenario(spec.file).model)

for (const c of cases) {
  test(`two workers reach the verdict, counts and trace length of one: ${c.name}`, async (t) => {
    const m = modelOf(c.spec)
    const one = explore(m).verdict
    const x = await exploreParallel(m, { factory: FACTORY_URL, spec: c.spec }, { workers: 2 })
    const two = x.verdict
    t.is(two.status, one.status)
    if (one.status === 'proved') t.is(two.stats.distinctStates, one.stats.distinctStates)
    if (one.status === 'proved') t.is(two.stats.transitions, one.stats.transitions)
    if (one.status === 'violated' && two.status === 'violated') {
      t.is(two.property.name, one.property.name)
      t.is(two.traceLength, one.traceLength)
      const trace = violationTrace(x)!
      const r = replay(m, trace, two.property, { evidence: evidenceTraces(x) })
      t.true(r.ok, r.failure?.reason)
    }
    t.deepEqual(two.sometimes.map((s) => s.reached), one.sometimes.map((s) => s.reached))
  })
}

test('the parallel search is deterministic: the same trace twice', async (t) => {
  const spec = builtin({ C: 2, G: 3, K: 4, M: 0, POLICY: 'naive' })
  const m = modelOf(spec)
  const a = await exploreParallel(m, { factory: FACTORY_URL, spec }, { workers: 2 })
  const b = await exploreParallel(m, { factory: FACTORY_URL, spec }, { workers: 2 })
  t.is(a.verdict.stats.distinctStates, b.verdict.stats.distinctStates)
  t.deepEqual(violationTrace(a), violationTrace(b))
})

test('symmetry reduction composes with workers', async (t) => {
  const spec = builtin({ C: 3, G: 3, K: 3, M: 1, POLICY: 'preempt' })
  const m = modelOf(spec)
  const one = explore(m, { symmetry: true }).verdict
  const two = (await exploreParallel(m, { factory: FACTORY_URL, spec }, { workers: 2, symmetry: true })).verdict
  t.is(two.status, 'proved')
  t.is(two.stats.distinctStates, one.stats.distinctStates)
})
