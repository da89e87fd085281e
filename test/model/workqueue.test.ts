/**
 * Work items and workqueues, counting pools and CPUs (model/gpu/ops/work.ts, pool.ts, cpu.ts).
 * Each design below is small enough to derive its answer by hand; the comment above each test
 * gives the derivation, and every counterexample is replayed before it is read.
 */
import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import type { Action, Invariant, Model, Reader } from '../../checker/model.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import { compileGpu, type GpuView } from '../../model/gpu/compile.js'
import { buildDesign, type DesignInput, SpecError } from '../../model/gpu/spec.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { explainScenario } from '../../model/explain.js'
import { loadScenario } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const model = (d: DesignInput): Model<Action> & { view: GpuView } => compileGpu(buildDesign({ engines: [{ name: 'gfx', cus: 1 }], ...d }), 'test')

/** The verdict, and for a violation the wait-for description of its replayed end state. */
function check(d: DesignInput): { status: string; property?: string; lines: string[]; cycleIsLoop: boolean } {
  const m = model(d)
  const x = explore(m)
  const v = x.verdict
  if (v.status !== 'violated') return { status: v.status, lines: [], cycleIsLoop: false }
  const r = replay(m, violationTrace(x)!, v.property.name)
  if (!r.ok) throw new Error(`the counterexample does not replay: ${r.log.join('\n')}`)
  const g = r.badState ? m.view.waitFor(r.badState) : undefined
  return { status: v.status, property: v.property.name, lines: g?.describe() ?? [], cycleIsLoop: g?.cycleIsLoop ?? false }
}

// W1 flushes W2 and W2 flushes W1. Both are queued, and system_wq runs them at once; once both
// run, each waits for the other to go idle: the flushes close a cycle of two work items.
test('a flush cycle through two work items is a deadlock, printed as flushes', (t) => {
  const r = check({
    work: [
      { name: 'W1', steps: [{ flush_work: 'W2' }] },
      { name: 'W2', steps: [{ flush_work: 'W1' }] },
    ],
    threads: [{ name: 'ioctl', steps: [{ queue_work: 'W1' }, { queue_work: 'W2' }] }],
    properties: ['deadlock'],
  })
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.deadlock)
  t.true(r.cycleIsLoop)
  const text = r.lines.join('\n')
  t.regex(text, /work W1 flushes work W2/)
  t.regex(text, /work W2 flushes work W1/)
})

// The brief's example: cs_ioctl holds L and flushes W, which takes L. W may already run when
// cs_ioctl takes L: cs_ioctl waits for W, W for L, L for cs_ioctl.
test('flush_work under a lock the work item takes: the cycle reads as a flush', (t) => {
  const r = check({
    locks: [{ name: 'L' }],
    work: [{ name: 'W', steps: [{ lock: 'L' }, { unlock: 'L' }] }],
    threads: [{ name: 'cs_ioctl', steps: [{ queue_work: 'W' }, { lock: 'L' }, { flush_work: 'W' }, { unlock: 'L' }] }],
    properties: ['deadlock'],
  })
  t.is(r.status, 'violated')
  t.deepEqual(r.lines.slice(0, 5), [
    'wait-for cycle:',
    '  thread cs_ioctl flushes work W',
    '  -> work W waits for lock L',
    '  -> lock L held by thread cs_ioctl',
    '  -> back to thread cs_ioctl',
  ])
})

// A work item that flushes itself through a chain: on an ordered queue, W1 runs and flushes W2,
// which is queued behind W1 and cannot start before W1 ends. On a queue that runs two items at
// once, W2 starts beside W1 and the flush returns.
const chain = (queue: Record<string, unknown>): DesignInput => ({
  workqueues: [{ name: 'q', ...queue }],
  work: [
    { name: 'W1', queue: 'q', steps: [{ flush_work: 'W2' }] },
    { name: 'W2', queue: 'q', steps: [{ queue_work: 'W2' }, { cancel_work: 'W2' }] },
  ],
  threads: [{ name: 'ioctl', steps: [{ queue_work: 'W1' }, { queue_work: 'W2' }] }],
  properties: ['deadlock'],
})
test('an ordered queue: an item that flushes an item queued behind it waits for itself', (t) => {
  const r = check(chain({ ordered: true }))
  t.is(r.status, 'violated')
  t.true(r.cycleIsLoop)
  const text = r.lines.join('\n')
  t.regex(text, /work W1 flushes work W2/)
  t.regex(text, /work W2 is queued on ordered workqueue q, whose worker is busy with work W1/)
})
test('a queue of two concurrent items: the same flush returns', (t) => {
  t.is(check(chain({ maxActive: 2 })).status, 'proved')
})

/** Every state reachable, with a probe invariant beside nothing else: does `holds` hold in all? */
const always = (d: DesignInput, holds: (v: GpuView, s: Reader) => boolean): string => {
  const m = model({ ...d, properties: [] })
  const probe: Invariant = { kind: 'invariant', name: 'probe', holds: (s) => holds(m.view, s) }
  const { deadlock: _none, ...rest } = m
  return explore({ ...rest, properties: [probe] }).verdict.status
}
const free = (v: GpuView, s: Reader, p: number): number => s.get(v.f.extra[`pool.${p}`]!)

// Each run of W gives a slot back. ioctl queues W twice: the second queue_work is a no-op while W
// is pending, and queues it again while it runs. So W runs once or twice: 1 or 2 slots, never 0
// once ioctl is done and W idle, and both 1 and 2 are reachable.
const twice: DesignInput = {
  pools: [{ name: 'P', slots: 2, free: 0 }],
  work: [{ name: 'W', steps: [{ up: 'P' }] }],
  threads: [{ name: 'ioctl', steps: [{ queue_work: 'W' }, { queue_work: 'W' }] }],
}
test('queue_work while pending is a no-op, while running it runs again', (t) => {
  const settled = (v: GpuView, s: Reader): boolean => s.get(v.f.pc[0]!) === 2 && v.idle(s, 1)
  t.is(
    always(twice, (v, s) => !settled(v, s) || free(v, s, 0) >= 1),
    'proved',
    'W ran at least once',
  )
  t.is(
    always(twice, (v, s) => !(settled(v, s) && free(v, s, 0) === 1)),
    'violated',
    'W may run once (the second queue_work found it pending)',
  )
  t.is(
    always(twice, (v, s) => !(settled(v, s) && free(v, s, 0) === 2)),
    'violated',
    'W may run twice (queued again while running)',
  )
})

// flush_work returns only once the item is idle; an armed timer is not a queued item (flush_work
// of a delayed item whose timer has not fired returns at once); cancel_work_sync disarms it.
test('flush_work and cancel_work_sync of a delayed item', (t) => {
  const d: DesignInput = {
    pools: [{ name: 'P', slots: 1, free: 0 }],
    work: [{ name: 'W', steps: [{ up: 'P' }] }],
    threads: [{ name: 'a', steps: [{ queue_delayed_work: 'W' }, { flush_work: 'W' }] }],
  }
  // After the flush returned, W either never ran (timer still armed: no slot) or ran (a slot).
  t.is(
    always(d, (v, s) => !(s.get(v.f.pc[0]!) === 2 && free(v, s, 0) === 0)),
    'violated',
    'the flush does not wait for the timer',
  )
  const c: DesignInput = { ...d, threads: [{ name: 'a', steps: [{ queue_delayed_work: 'W' }, { cancel_work_sync: 'W' }] }] }
  // After cancel_work_sync returned W never runs again: the slot count it left stays.
  const m = model({ ...c, properties: ['deadlock'] })
  t.is(explore(m).verdict.status, 'proved')
  t.is(
    always(c, (v, s) => s.get(v.f.pc[0]!) < 2 || s.get(v.f.extra['timer.0']!) === 0),
    'proved',
    'cancel_work_sync disarms the timer',
  )
})

// lockdep: running W takes (wq_completion)q then (work_completion)W around its steps, and W takes
// L. A thread that holds L and flushes V, another item of the ordered queue q, touches V's map
// and q's map (start_flush_work: saved_max_active == 1): L -> (wq_completion)q -> L, and the wait
// is a real deadlock (V is queued behind W, W waits for L). The same wait through
// cancel_work_sync touches only V's map (from_cancel), and rightly: a pending V is taken off the
// queue, not waited for, and V cannot be running while W holds the ordered queue.
const ordered = (wait: 'flush_work' | 'cancel_work_sync', props: string[]): DesignInput => ({
  locks: [{ name: 'L' }],
  workqueues: [{ name: 'q', ordered: true }],
  work: [
    { name: 'W', queue: 'q', steps: [{ lock: 'L' }, { unlock: 'L' }] },
    { name: 'V', queue: 'q', steps: [{ queue_work: 'V' }, { cancel_work: 'V' }] },
  ],
  threads: [{ name: 'ioctl', steps: [{ queue_work: 'W' }, { queue_work: 'V' }, { lock: 'L' }, { [wait]: 'V' }, { unlock: 'L' }] }],
  properties: props,
})
test('lockdep: flush_work on an ordered queue touches the queue map, cancel_work_sync does not', (t) => {
  const flush = model(ordered('flush_work', ['lock-order']))
  const x = explore(flush)
  t.is(x.verdict.status, 'violated')
  t.regex((x.violation?.detail ?? []).join('\n'), /\(wq_completion\)q/)
  t.is(check(ordered('flush_work', ['deadlock'])).status, 'violated')
  t.is(explore(model(ordered('cancel_work_sync', ['lock-order']))).verdict.status, 'proved')
  t.is(check(ordered('cancel_work_sync', ['deadlock'])).status, 'proved')
})

// Pools. Two slots, three threads that each take one and give it back: a waiter always has a
// holder that will release, so nothing is ever stuck. One slot kept for ever by a finished thread:
// the waiter has nobody left to release one.
test('a pool of slots that will be released is proved; one nobody can release is a dead end', (t) => {
  const th = (name: string) => ({ name, steps: [{ down: 'ring' }, { up: 'ring' }] })
  t.is(check({ pools: [{ name: 'ring', slots: 2 }], threads: [th('a'), th('b'), th('c')], properties: ['deadlock'] }).status, 'proved')
  const r = check({
    pools: [{ name: 'ring', slots: 1 }],
    threads: [
      { name: 'leak', steps: [{ down: 'ring' }] },
      { name: 'b', steps: [{ down: 'ring' }, { up: 'ring' }] },
    ],
    properties: ['deadlock'],
  })
  t.is(r.status, 'violated')
  t.false(r.cycleIsLoop)
  t.regex(r.lines.join('\n'), /waits for a slot of pool ring \(none of its 1 free\), and no actor can still release one/)
})

// A slot released by a work item nobody has queued yet, but a thread will: the waiter is not stuck.
test('a slot released by a work item that will be queued is not a deadlock', (t) => {
  t.is(
    check({
      pools: [{ name: 'ids', slots: 1, free: 0 }],
      work: [{ name: 'W', steps: [{ up: 'ids' }] }],
      threads: [
        { name: 'waiter', steps: [{ down: 'ids' }] },
        { name: 'later', steps: [{ lock: 'mmap_lock' }, { unlock: 'mmap_lock' }, { queue_work: 'W' }] },
      ],
      properties: ['deadlock'],
    }).status,
    'proved',
  )
})

// CPUs. Without a CPU count or a binding (today's behaviour) preemption off starves nobody; bound
// to the spinner's CPU the work item cannot start; bound to another CPU it can.
const spin = (extra: { cpu?: number; cpus?: number }): DesignInput => ({
  fences: [{ name: 'f', kind: 'dma' }],
  ...(extra.cpus ? { cpus: extra.cpus } : {}),
  work: [{ name: 'W', ...(extra.cpu !== undefined ? { cpu: extra.cpu } : {}), steps: [{ signal: 'f' }] }],
  threads: [
    { name: 'q', steps: [{ queue_work: 'W' }] },
    { name: 's', cpu: 0, steps: ['preempt_disable', { busywait: 'f' }, 'preempt_enable'] },
  ],
  properties: ['deadlock'],
})
test('CPUs: a spinner with preemption off starves the work bound to its CPU, not others', (t) => {
  t.is(check(spin({})).status, 'proved', 'CPUs unbounded by default')
  const r = check(spin({ cpu: 0, cpus: 2 }))
  t.is(r.status, 'violated')
  t.regex(r.lines.join('\n'), /work W waits for CPU 0, held with preemption off by thread s/)
  t.is(check(spin({ cpu: 1, cpus: 2 })).status, 'proved')
  // One CPU and an unbound item: the spinner holds every CPU there is.
  t.is(check(spin({ cpus: 1 })).status, 'violated')
})

test('work item, workqueue and pool names are checked', (t) => {
  const e = t.throws(() => buildDesign({ engines: [{ name: 'g', cus: 1 }], threads: [{ name: 'a', steps: [{ flush_work: 'nope' }] }] }), {
    instanceOf: SpecError,
  })
  t.is(e.code, 'FC141')
  t.regex(e.message, /no work item named 'nope'/)
  const o = t.throws(() => buildDesign({ engines: [{ name: 'g', cus: 1 }], workqueues: [{ name: 'q', ordered: true, maxActive: 2 }] }), {
    instanceOf: SpecError,
  })
  t.is(o.code, 'FC155')
  t.deepEqual(o.path, ['workqueues', 0, 'maxActive'])
})

// flush_workqueue waits for every item of the queue: holding L while flushing a queue one of
// whose items takes L is the same cycle, through the queue.
test('flush_workqueue under a lock an item of the queue takes is a deadlock through the queue', (t) => {
  const r = check({
    locks: [{ name: 'L' }],
    workqueues: [{ name: 'q', maxActive: 2 }],
    work: [
      { name: 'A', queue: 'q', steps: [{ lock: 'L' }, { unlock: 'L' }] },
      { name: 'B', queue: 'q', steps: [{ cancel_work: 'B' }] },
    ],
    threads: [{ name: 'fini', steps: [{ queue_work: 'A' }, { queue_work: 'B' }, { lock: 'L' }, { flush_workqueue: 'q' }, { unlock: 'L' }] }],
    properties: ['deadlock'],
  })
  t.is(r.status, 'violated')
  t.regex(r.lines.join('\n'), /thread fini flushes workqueue q, which has work A queued/)
})

test('explain shows workqueues, work items, pools and CPUs', (t) => {
  const text = (f: string): string => explainScenario(loadScenario(join(ROOT, 'scenarios', 'gpu', f)))
  const wq = text('wq1-guc-busyness-cancel-sync.yaml')
  t.regex(wq, /busyness_work \(work item on system_highpri_wq, queued with a delay/)
  t.regex(wq, /workqueues:\n {2}system_highpri_wq: no bound on concurrent items; items: busyness_work/)
  t.regex(wq, /holds lockdep maps \(wq_completion\)system_highpri_wq, \(work_completion\)busyness_work while it runs/)
  t.regex(text('wq2-kfd-runtime-enable-sema-under-mutex.yaml'), /pools: runtime_enable_sema \(1 slot\(s\), 0 free at start\)/)
  t.regex(text('wq3-busywait-preempt-off-starves-worker.yaml'), /cpus: 2; pinned: irq on CPU 0, waiter on CPU 0/)
})

// A work item that flushes itself waits for its own run to end: lockdep would call it recursion
// (its own map touched while held); the wait-for graph shows the one-node cycle.
test('a work item that flushes itself is a deadlock', (t) => {
  const r = check({ work: [{ name: 'W', steps: [{ flush_work: 'W' }] }], threads: [{ name: 'q', steps: [{ queue_work: 'W' }] }], properties: ['deadlock'] })
  t.is(r.status, 'violated')
  t.true(r.cycleIsLoop)
  t.deepEqual(r.lines.slice(0, 3), ['wait-for cycle:', '  work W flushes work W', '  -> back to work W'])
})

// The same self-flush as lockdep sees it: process_one_work holds W's map (lock_map_acquire) while
// W runs, and start_flush_work's touch_work_lockdep_map acquires it again (W is running, so the
// flush starts): the same class twice, "possible recursive locking detected", a self-edge.
// Through a chain of two flushes each item holds its own map and touches the other's: the
// circular W1 -> W2 -> W1, no recursion. A flush of another item of its own ordered queue touches
// the queue's map, which the flushing item holds: recursion on (wq_completion)q.
test('lockdep: a work item flushing itself, or its own ordered queue, is recursive locking on the map it holds', (t) => {
  const detail = (d: DesignInput): string => {
    const m = model({ ...d, properties: ['lock-order'] })
    const x = explore(m)
    t.is(x.verdict.status, 'violated')
    t.true(replay(m, violationTrace(x)!, PROPERTY_NAMES.lockOrder, { evidence: evidenceTraces(x) }).ok)
    return (x.violation?.detail ?? []).join('\n')
  }
  const self = detail({ work: [{ name: 'W', steps: [{ flush_work: 'W' }] }], threads: [{ name: 'q', steps: [{ queue_work: 'W' }] }] })
  t.regex(self, /possible recursive locking detected: a lock of class \(work_completion\)W taken while a lock of that class is held/)
  const two = detail({
    work: [
      { name: 'W1', steps: [{ flush_work: 'W2' }] },
      { name: 'W2', steps: [{ flush_work: 'W1' }] },
    ],
    threads: [{ name: 'ioctl', steps: [{ queue_work: 'W1' }, { queue_work: 'W2' }] }],
  })
  t.notRegex(two, /recursive/)
  t.regex(
    two,
    /\(work_completion\)W1 -> \(work_completion\)W2 -> \(work_completion\)W1|\(work_completion\)W2 -> \(work_completion\)W1 -> \(work_completion\)W2/,
  )
  const queue = detail({
    workqueues: [{ name: 'q', maxActive: 1 }],
    work: [
      { name: 'A', queue: 'q', steps: [{ flush_work: 'B' }] },
      { name: 'B', queue: 'q', steps: [{ queue_work: 'A' }] },
    ],
    threads: [{ name: 'ioctl', steps: [{ queue_work: 'A' }, { queue_work: 'B' }] }],
  })
  t.regex(queue, /possible recursive locking detected: a lock of class \(wq_completion\)q/)
  // A flush of an item of another queue from a work item touches only maps it does not hold.
  const other = model({
    workqueues: [
      { name: 'q', maxActive: 1 },
      { name: 'r', maxActive: 1 },
    ],
    work: [
      { name: 'A', queue: 'q', steps: [{ flush_work: 'B' }] },
      { name: 'B', queue: 'r', steps: [{ queue_work: 'A' }] },
    ],
    threads: [{ name: 'ioctl', steps: [{ queue_work: 'B' }, { queue_work: 'A' }] }],
    properties: ['lock-order'],
  })
  t.is(explore(other).verdict.status, 'proved')
})

// Three work items, each flushing the next: W1 -> W2 -> W3 -> W1. All three are queued and
// system_wq runs them at once; each then waits for the next to go idle: one cycle of three flushes.
test('a work item that flushes itself through a chain of three flushes is a deadlock, printed as flushes', (t) => {
  const r = check({
    work: [
      { name: 'W1', steps: [{ flush_work: 'W2' }] },
      { name: 'W2', steps: [{ flush_work: 'W3' }] },
      { name: 'W3', steps: [{ flush_work: 'W1' }] },
    ],
    threads: [{ name: 'ioctl', steps: [{ queue_work: 'W1' }, { queue_work: 'W2' }, { queue_work: 'W3' }] }],
    properties: ['deadlock'],
  })
  t.is(r.status, 'violated')
  t.true(r.cycleIsLoop)
  t.deepEqual(r.lines.slice(0, 5), [
    'wait-for cycle:',
    '  work W1 flushes work W2',
    '  -> work W2 flushes work W3',
    '  -> work W3 flushes work W1',
    '  -> back to work W1',
  ])
})

// start_flush_work (kernel/workqueue.c @ v6.12) touches the work's lockdep map before the flush
// waits, and only when the work is queued or running. (a) W takes L and then waits for a fence
// nobody signals, so it never ends; ioctl holds L and flushes W. Whenever ioctl reaches the flush
// W is queued or running, and the flush never returns: lockdep has recorded L -> W at the flush
// and W -> L inside W, a cycle. (b) ioctl flushes W before anything queues it (already_gone:
// nothing touched), and W, queued afterwards, takes L: only W -> L, no cycle.
test('lockdep: a flush touches the work map when it starts, even if it never returns; a flush of an idle work touches nothing', (t) => {
  const stuck: DesignInput = {
    locks: [{ name: 'L' }],
    fences: [{ name: 'never', kind: 'dma' }],
    work: [{ name: 'W', steps: [{ lock: 'L' }, { unlock: 'L' }, { wait: 'never' }] }],
    threads: [{ name: 'ioctl', steps: [{ queue_work: 'W' }, { lock: 'L' }, { flush_work: 'W' }, { unlock: 'L' }] }],
    properties: ['lock-order'],
  }
  const x = explore(model(stuck))
  t.is(x.verdict.status, 'violated')
  const detail = (x.violation?.detail ?? []).join('\n')
  t.regex(detail, /\(work_completion\)W/)
  const idle: DesignInput = {
    locks: [{ name: 'L' }],
    work: [{ name: 'W', steps: [{ lock: 'L' }, { unlock: 'L' }] }],
    threads: [{ name: 'ioctl', steps: [{ lock: 'L' }, { flush_work: 'W' }, { unlock: 'L' }, { queue_work: 'W' }] }],
    properties: ['lock-order'],
  }
  t.is(explore(model(idle)).verdict.status, 'proved')
})

// check_flush_dependency (kernel/workqueue.c @ v6.12). A worker of a WQ_MEM_RECLAIM queue flushes
// a queued item of a queue without it: the warning. The same flush from a plain thread, or of an
// item of a WQ_MEM_RECLAIM queue: none; from direct reclaim (PF_MEMALLOC): the other warning; cancel_work_sync (from_cancel) skips the check.
test('flush-dependency: a WQ_MEM_RECLAIM worker flushing a !WQ_MEM_RECLAIM item is the kernel warning', (t) => {
  const d = (flusher: 'work' | 'thread', memReclaimTarget: boolean, op: 'flush_work' | 'cancel_work_sync' = 'flush_work'): DesignInput => ({
    workqueues: [
      { name: 'reclaim_wq', memReclaim: true },
      { name: 'plain_wq', memReclaim: memReclaimTarget },
    ],
    work: [
      { name: 'T', queue: 'plain_wq', steps: [{ queue_work: 'T' }, { cancel_work: 'T' }] },
      ...(flusher === 'work' ? [{ name: 'R', queue: 'reclaim_wq', steps: [{ queue_work: 'T' }, { [op]: 'T' }] }] : []),
    ],
    threads: [{ name: 'ioctl', steps: flusher === 'work' ? [{ queue_work: 'R' }] : [{ queue_work: 'T' }, { [op]: 'T' }] }],
    properties: ['flush-dependency'],
  })
  const broken = check(d('work', false))
  t.is(broken.status, 'violated')
  t.is(broken.property, PROPERTY_NAMES.flushDependency)
  t.is(check(d('thread', false)).status, 'proved')
  t.is(check(d('work', true)).status, 'proved')
  // In direct reclaim (PF_MEMALLOC): a shrinker that flushes the queued item.
  const pf = check({
    memory: { vram: 0, system: 0 },
    workqueues: [{ name: 'plain_wq' }],
    work: [{ name: 'T', queue: 'plain_wq', steps: [{ queue_work: 'T' }, { cancel_work: 'T' }] }],
    reclaim: [{ name: 'shrink', steps: [{ flush_work: 'T' }] }],
    threads: [{ name: 'ioctl', steps: [{ queue_work: 'T' }, { alloc: 'GFP_KERNEL' }] }],
    properties: ['flush-dependency'],
  })
  t.is(pf.property, PROPERTY_NAMES.flushDependency)
  // cancel_work_sync never runs the check: with no flush left the property has nothing to check.
  t.is(check(d('work', false, 'cancel_work_sync')).status, 'inconclusive')
})
