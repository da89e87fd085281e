import test, { type ExecutionContext } from 'ava'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore, type Exploration } from '../../checker/explore.js'
import type { Action, Model } from '../../checker/model.js'
import { exploreParallel } from '../../checker/parallel.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import type { Selection } from '../../checker/plan.js'
import type { Bounds, Verdict } from '../../checker/verdict.js'
import { FACTORY_URL, type ModelSpec } from '../../model/factory.js'
import { buildModel } from '../../model/registry.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { ROOT } from '../root.js'

// The contract of the parallel search: two workers give exactly the serial breadth-first
// search's result, wherever the search stops.

const builtin = (name: string, params: Record<string, string | number>): ModelSpec => ({ kind: 'builtin', name, params })
const r1 = (params: Record<string, string | number>): ModelSpec => builtin('r1', params)

interface Case {
  readonly name: string
  readonly spec: ModelSpec
  readonly model: Model<Action>
  readonly bounds?: Bounds
  readonly symmetry?: boolean
}

const fromBuiltin = (name: string, spec: ModelSpec & { kind: 'builtin' }, extra: Partial<Case> = {}): Case => ({
  name,
  spec,
  model: buildModel(spec.name, spec.params),
  ...extra,
})

const cases: Case[] = [
  fromBuiltin('r1 preempt 2,3,3,1', r1({ C: 2, G: 3, K: 3, M: 1, POLICY: 'preempt' }) as ModelSpec & { kind: 'builtin' }),
  fromBuiltin('r1 reserve 3,3,3,1', r1({ C: 3, G: 3, K: 3, M: 1, POLICY: 'reserve' }) as ModelSpec & { kind: 'builtin' }),
  fromBuiltin('r1 naive 2,3,3,0 (deadlock)', r1({ C: 2, G: 3, K: 3, M: 0, POLICY: 'naive' }) as ModelSpec & { kind: 'builtin' }),
  fromBuiltin('r1 broken eviction', r1({ C: 2, G: 2, K: 2, M: 0, POLICY: 'skip', BUG: 'evict-leaks-page' }) as ModelSpec & { kind: 'builtin' }),
  fromBuiltin('r1 preempt 2,3,3,1, depth bound 6', r1({ C: 2, G: 3, K: 3, M: 1, POLICY: 'preempt' }) as ModelSpec & { kind: 'builtin' }, {
    bounds: { maxDepth: 6 },
  }),
  fromBuiltin('r1 preempt 2,3,3,1, state bound 1000', r1({ C: 2, G: 3, K: 3, M: 1, POLICY: 'preempt' }) as ModelSpec & { kind: 'builtin' }, {
    bounds: { maxStates: 1000 },
  }),
  fromBuiltin('r1 naive 2,3,3,0, state bound 40', r1({ C: 2, G: 3, K: 3, M: 0, POLICY: 'naive' }) as ModelSpec & { kind: 'builtin' }, {
    bounds: { maxStates: 40 },
  }),
  fromBuiltin('r1 preempt 3,3,3,1, symmetry', r1({ C: 3, G: 3, K: 3, M: 1, POLICY: 'preempt' }) as ModelSpec & { kind: 'builtin' }, { symmetry: true }),
  ...[
    builtin('diehard', {}),
    builtin('peterson', {}),
    builtin('broken-mutex', {}),
    builtin('retry', { VARIANT: 'polite' }),
    builtin('retry', { VARIANT: 'fair-cycle' }),
    builtin('retry', { VARIANT: 'intermittent' }),
  ].map((spec) => {
    const b = spec as ModelSpec & { kind: 'builtin' }
    return fromBuiltin(`${b.name} ${JSON.stringify(b.params)}`, b)
  }),
  ...scenarioFiles(join(ROOT, 'scenarios')).map((file): Case => {
    const sc = loadScenario(file)
    return { name: file.slice(ROOT.length + 1), spec: { kind: 'scenario', file }, model: sc.model, bounds: sc.bounds, symmetry: sc.symmetry }
  }),
]

/** Everything a run reports that does not depend on time or memory. */
function outcome(v: Verdict): Record<string, unknown> {
  return {
    status: v.status,
    ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}),
    ...(v.status === 'inconclusive' ? { cutBy: v.cutBy } : {}),
    distinctStates: v.stats.distinctStates,
    transitions: v.stats.transitions,
    maxDepth: v.stats.maxDepth,
    completeDepth: v.scope.completeDepth,
    sometimes: v.sometimes,
    notes: v.notes,
  }
}

const actions = (x: Exploration): { actions: unknown[]; loop?: number } | undefined => {
  const tr = violationTrace(x)
  return tr && { actions: tr.steps.map((s) => s.action), ...(tr.loop !== undefined ? { loop: tr.loop } : {}) }
}

async function sameAsSerial(t: ExecutionContext, c: Case): Promise<void> {
  const opts = { ...(c.bounds ? { bounds: c.bounds } : {}), ...(c.symmetry ? { symmetry: true } : {}) }
  const one = explore(c.model, opts)
  const two = await exploreParallel(c.model, { factory: FACTORY_URL, spec: c.spec }, { ...opts, workers: 2 })
  t.deepEqual(outcome(two.verdict), outcome(one.verdict))
  t.deepEqual(two.violation?.stateIndex, one.violation?.stateIndex)
  t.deepEqual(two.violation?.finalRule, one.violation?.finalRule)
  t.deepEqual(actions(two), actions(one))
  if (two.verdict.status === 'violated') {
    const r = replay(c.model, violationTrace(two)!, two.verdict.property.name, { evidence: evidenceTraces(two) })
    t.true(r.ok, r.failure?.reason)
  }
}

// Two worker threads per run: run two at a time, so a 2-core machine is busy but not swamped.
let running = 0
const waiting: (() => void)[] = []
async function limited<T>(f: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await f()
  } finally {
    running--
    waiting.shift()?.()
  }
}

for (const c of cases) {
  test(`two workers give the serial search's verdict, counts, trace and witnesses: ${c.name}`, (t) => limited(() => sameAsSerial(t, c)))
}

test('M9c with two workers: a fair lasso that replays', (t) =>
  limited(async () => {
    const file = join(ROOT, 'scenarios', 'mem', 'm9c-nouveau-ref-before-trylock.yaml')
    const sc = loadScenario(file)
    const x = await exploreParallel(sc.model, { factory: FACTORY_URL, spec: { kind: 'scenario', file } }, { workers: 2 })
    t.is(x.verdict.status, 'violated')
    t.truthy(x.violation?.lasso)
    const trace = violationTrace(x)!
    t.not(trace.loop, undefined)
    const r = replay(sc.model, trace, x.verdict.status === 'violated' ? x.verdict.property.name : undefined)
    t.true(r.ok, r.failure?.reason)
  }))

for (const [name, spec, bounds] of [
  ['S5b, a deadlock mid-level', { kind: 'scenario', file: join(ROOT, 'scenarios', 'gpu', 's05b-no-flush.yaml') }, {}],
  ['R1 preempt 2,3,3,1, a state bound mid-level', r1({ C: 2, G: 3, K: 3, M: 1, POLICY: 'preempt' }), { maxStates: 1234 }],
] as [string, ModelSpec, Bounds][]) {
  test(`three workers stop where the serial search stops: ${name}`, (t) =>
    limited(async () => {
      const m = spec.kind === 'builtin' ? buildModel(spec.name, spec.params) : loadScenario(spec.file).model
      const one = explore(m, { bounds })
      const three = await exploreParallel(m, { factory: FACTORY_URL, spec }, { workers: 3, bounds })
      t.deepEqual(outcome(three.verdict), outcome(one.verdict))
      t.deepEqual(actions(three), actions(one))
    }))
}

test('the parallel search is deterministic: the same trace twice', (t) =>
  limited(async () => {
    const spec = r1({ C: 2, G: 3, K: 4, M: 0, POLICY: 'naive' })
    const m = buildModel('r1', (spec as ModelSpec & { kind: 'builtin' }).params)
    const a = await exploreParallel(m, { factory: FACTORY_URL, spec }, { workers: 2 })
    const b = await exploreParallel(m, { factory: FACTORY_URL, spec }, { workers: 2 })
    t.is(a.verdict.stats.distinctStates, b.verdict.stats.distinctStates)
    t.deepEqual(violationTrace(a), violationTrace(b))
  }))

// The workers record the graph while they search, and expand a whole level where the serial
// search stops at a state bound in its middle: the states after the bound's parent must add no
// lock-order edge. Bounds below and around where S43's cycle closes (90 states) and S13b's (14).
for (const [file, bound] of [
  ['s43-dma-buf-poll-adds-callback-under-poll-lock.yaml', 10],
  ['s43-dma-buf-poll-adds-callback-under-poll-lock.yaml', 40],
  ['s43-dma-buf-poll-adds-callback-under-poll-lock.yaml', 75],
  ['s43-dma-buf-poll-adds-callback-under-poll-lock.yaml', 89],
  ['s13b-textbook-lockdep.yaml', 6],
  ['s13b-textbook-lockdep.yaml', 12],
] as [string, number][]) {
  test(`two workers record the lock-order graph the serial search does, state bound ${bound}: ${file}`, (t) =>
    limited(async () => {
      const path = join(ROOT, 'scenarios', 'gpu', file)
      const m = loadScenario(path).model
      const bounds = { maxStates: bound }
      const one = explore(m, { bounds })
      const two = await exploreParallel(m, { factory: FACTORY_URL, spec: { kind: 'scenario', file: path } }, { workers: 2, bounds })
      t.deepEqual(outcome(two.verdict), outcome(one.verdict))
      t.deepEqual(actions(two), actions(one))
      t.deepEqual(two.violation?.graph, one.violation?.graph)
    }))
}

// The workers plan the coordinator's selection: a deselected invariant is not checked there
// either (it once was, and its index then named no property of the coordinator's plan).
for (const [file, select] of [
  ['s17-double-signal.yaml', { skip: ['fence-sanity'] }],
  ['s17-double-signal.yaml', { only: ['fence-sanity'] }],
  ['s13b-textbook-lockdep.yaml', { skip: ['lock-order'] }],
  ['s07b-dma-progress.yaml', { only: ['dma-fence-progress'] }],
] as [string, Selection][]) {
  test(`two workers check what the selection selects: ${file} ${JSON.stringify(select)}`, (t) =>
    limited(async () => {
      const path = join(ROOT, 'scenarios', 'gpu', file)
      const m = loadScenario(path).model
      const one = explore(m, { select })
      const two = await exploreParallel(m, { factory: FACTORY_URL, spec: { kind: 'scenario', file: path } }, { workers: 2, select })
      t.deepEqual(outcome(two.verdict), outcome(one.verdict))
      t.deepEqual(two.verdict.notSelected, one.verdict.notSelected)
      t.deepEqual(actions(two), actions(one))
    }))
}

// The workers build their models from the text the coordinator read, not from the file again: a
// file changed after it was loaded (S5b's deadlock overwritten by S5's fix) changes nothing.
test('two workers check the scenario as it was read, though the file changes after', (t) =>
  limited(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fencecheck-parallel-'))
    try {
      const file = join(dir, 'design.yaml')
      writeFileSync(file, readFileSync(join(ROOT, 'scenarios', 'gpu', 's05b-no-flush.yaml'), 'utf8'))
      const sc = loadScenario(file)
      writeFileSync(file, readFileSync(join(ROOT, 'scenarios', 'gpu', 's05-engine-flush.yaml'), 'utf8'))
      t.is(explore(loadScenario(file).model).verdict.status, 'proved', 'the file on disk now holds the fixed design')
      const one = explore(sc.model)
      const two = await exploreParallel(sc.model, { factory: FACTORY_URL, spec: { kind: 'scenario', file, text: sc.text } }, { workers: 2 })
      t.is(one.verdict.status, 'violated')
      t.deepEqual(outcome(two.verdict), outcome(one.verdict))
      t.deepEqual(actions(two), actions(one))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }))
