/**
 * User-stated progress goals (`progress:`): each a liveness property under weak fairness, named in
 * the plan so --property selects it; a run that stops with the goal unmet violates it too, and its
 * lasso (a loop of no steps) replays.
 */
import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { EXHAUSTIVE_BFS, planProperties } from '../../checker/plan.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { buildDesign, type DesignInput, SpecError } from '../../model/gpu/spec.js'
import { loadScenario } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const compile = (d: DesignInput) => compileGpu(buildDesign(d), 'test')

test('each goal is a named property of the plan, selected by its id', (t) => {
  const m = loadScenario(join(ROOT, 'scenarios', 'gpu', 's31-ww-backoff-same-order.yaml')).model
  const all = planProperties(m, EXHAUSTIVE_BFS)
  t.deepEqual(
    all.liveness.map((p) => p.id),
    ['progress:exec_old', 'progress:exec_young'],
  )
  const one = planProperties(m, EXHAUSTIVE_BFS, { only: ['progress:exec_young'] })
  t.deepEqual(
    one.checked.map((c) => c.name),
    ['progress: thread exec_young completes its path'],
  )
  t.true(one.notSelected.some((n) => n.name === 'progress: thread exec_old completes its path' && n.reason === 'not named by --property'))
  // Selected alone, the younger transaction's goal is violated too: the loop starves both.
  const x = explore(m, { select: { only: ['progress:exec_young'] } })
  t.is(x.verdict.status, 'violated')
  if (x.verdict.status === 'violated') t.is(x.verdict.property.name, 'progress: thread exec_young completes its path')
})

test('a livelock of CPU threads is a lasso that replays', (t) => {
  const m = loadScenario(join(ROOT, 'scenarios', 'gpu', 's31-ww-backoff-same-order.yaml')).model
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  if (x.verdict.status !== 'violated') return
  t.is(x.verdict.property.kind, 'liveness')
  const trace = violationTrace(x)!
  t.not(trace.loop, undefined)
  // exec_old never acts inside the loop; exec_young does.
  const loop = trace.steps.slice(trace.loop)
  t.true(loop.length > 0 && loop.every((s) => s.action.thread === 'exec_young'))
  t.true(replay(m, trace, x.verdict.property.name).ok)
})

/** one thread that allocates without reclaim from `pages` free pages, and fails without one */
const allocOnce = (pages: number): DesignInput => ({
  engines: [{ name: 'gfx', cus: 1 }],
  memory: { vram: 0, system: pages },
  threads: [{ name: 't', steps: [{ alloc: 'GFP_NOWAIT', else: '-EAGAIN' }] }],
  properties: ['deadlock'],
  progress: [{ thread: 't' }],
})

test('a run that stops with the goal unmet violates it: a thread that fails never completes', (t) => {
  // By hand: with no page the only run is alloc_failed, then nothing is enabled; with one page it
  // is alloc, then the end. The first never completes the path, the second always does.
  const m = compile(allocOnce(0))
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  const trace = violationTrace(x)!
  t.is(trace.steps.length, 1)
  t.is(trace.steps[0]!.action.name, 'alloc_failed')
  t.is(trace.loop, 1, 'the loop is the last state itself (the run stutters for ever)')
  t.true(replay(m, trace, 'progress: thread t completes its path').ok)
  t.is(explore(compile(allocOnce(1))).verdict.status, 'proved')
})

test('a fence goal: signalled by a thread, or by nobody', (t) => {
  const design = (signaller: boolean): DesignInput => ({
    engines: [{ name: 'gfx', cus: 1 }],
    fences: [{ name: 'f', kind: 'dma' }],
    threads: signaller ? [{ name: 's', steps: [{ signal: 'f' }] }] : [{ name: 'w', steps: [{ enable_signaling: 'f' }] }],
    properties: ['deadlock'],
    progress: [{ fence: 'f' }],
  })
  t.is(explore(compile(design(true))).verdict.status, 'proved')
  const v = explore(compile(design(false))).verdict
  t.is(v.status === 'violated' ? v.property.name : v.status, 'progress: fence f signals')
})

test('a goal names one declared actor once (FC199)', (t) => {
  const bad = (progress: NonNullable<DesignInput['progress']>) => t.throws(() => buildDesign({ ...allocOnce(1), progress }), { instanceOf: SpecError })
  t.regex(bad([{ thread: 'nosuch' }]).message, /no thread named 'nosuch' \(threads: t\)/)
  t.regex(bad([{ thread: 't' }, { thread: 't' }]).message, /stated twice/)
  t.regex(bad([{ work: 'w' }]).message, /work items are not part of this design language yet/)
  t.is(bad([{ job: 'j' }]).code, 'FC199')
})
