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
  t.regex(bad([{ work: 'w' }]).message, /no work item named 'w' \(work items: none\)/)
  t.is(bad([{ job: 'j' }]).code, 'FC199')
})

test('a work goal: the item runs once queued; cancelled first, or re-armed for ever, it is owed nothing', (t) => {
  // By hand. queue: the item is pending and its worker free, so on every fair run it runs.
  // queue then cancel_work: the thread may cancel before the worker picks it up; then nothing is
  // enabled and the run stops with the goal unmet (a one-state loop). mod_delayed_work in a loop:
  // each re-arm turns the timer off for a step, so the timer is never continuously enabled and
  // weak fairness owes it nothing (a lasso through the re-arming worker).
  const design = (steps: NonNullable<DesignInput['threads']>[number]['steps'], extra: Partial<DesignInput> = {}): DesignInput => ({
    engines: [{ name: 'gfx', cus: 1 }],
    work: [{ name: 'w', steps: [{ lock: 'l' }, { unlock: 'l' }] }],
    locks: [{ name: 'l', kind: 'mutex' }],
    threads: [{ name: 't', steps }],
    properties: ['deadlock'],
    progress: [{ work: 'w' }],
    ...extra,
  })
  const queued = explore(compile(design([{ queue_work: 'w' }])))
  t.is(queued.verdict.status, 'proved')
  const cancelled = explore(compile(design([{ queue_work: 'w' }, { cancel_work: 'w' }])))
  t.is(cancelled.verdict.status, 'violated')
  if (cancelled.verdict.status === 'violated') t.is(cancelled.verdict.property.name, 'progress: work w runs')
  const trace = violationTrace(cancelled)!
  t.deepEqual(
    trace.steps.map((s) => s.action.name),
    ['queue_work', 'cancel_work'],
  )
  t.is(trace.loop, 2)
  // queue_delayed_work once: the armed timer stays enabled, so it fires and the item runs.
  t.is(explore(compile(design([{ queue_delayed_work: 'w' }]))).verdict.status, 'proved')
  const rearm = design([{ queue_work: 'r' }], {
    work: [
      { name: 'w', steps: [{ lock: 'l' }, { unlock: 'l' }] },
      { name: 'r', steps: [{ mod_delayed_work: 'w' }, { queue_work: 'r' }] },
    ],
  })
  const m = compile(rearm)
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  const lasso = violationTrace(x)!
  t.not(lasso.loop, undefined)
  t.true(lasso.steps.slice(lasso.loop).some((s) => s.action.name === 'mod_delayed_work'))
  t.true(replay(m, lasso, 'progress: work w runs').ok)
})
