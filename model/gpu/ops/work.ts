/**
 * Work items and workqueues. A work item is an actor of its own: its callback's steps run on a
 * worker of its queue, as a thread whose first step (work_start) waits until the item is queued.
 * Its state is idle, pending, running, or running and queued again (queued while it runs: it runs
 * once more after this run, kernel/workqueue.c: __queue_work clears nothing of a running item and
 * process_one_work clears PENDING before calling the function). An ordered queue (max_active 1)
 * runs one item at a time; a bounded one at most max_active.
 *
 * queue_work never blocks (re-queueing a pending item is a no-op); queue_delayed_work arms a timer
 * that queues the item at a later point of the search's choosing. flush_work waits until the item
 * is neither pending nor running; cancel_work_sync first removes a pending instance, then waits
 * for the running one; flush_workqueue waits until every item of the queue is idle. While it runs
 * an item holds the lockdep maps of its queue and of itself (process_one_work); a flush touches
 * them before it waits (touch_work_lockdep_map, and touch_wq_lockdep_map for an ordered or
 * WQ_MEM_RECLAIM queue, in start_flush_work, only when the work is queued or running;
 * __flush_workqueue always; __cancel_work_sync only the work's map, of a running instance), so
 * flushing under a lock the item takes is the lockdep cycle L -> work -> L, recorded even when the
 * flush never returns. start_flush_work and __flush_workqueue also run check_flush_dependency: a
 * flush of a queue without WQ_MEM_RECLAIM from a WQ_MEM_RECLAIM worker or from a PF_MEMALLOC task
 * (in reclaim) is the kernel's warning, the property flush-dependency (properties/flushDependency.ts).
 *
 * Queueing from a fence callback (dma_fence_add_callback, enable_signaling) is the same
 * queue_work step placed in that callback's path.
 */
import { bool, enumOf } from '../../../checker/layout.js'
import type { Cursor, Reader } from '../../../checker/model.js'
import type { GpuDesign, Step, StepOf } from '../types.js'
import { type GpuFields, nodeId } from '../view.js'
import { cpuHolders, modelsCpus } from './cpu.js'
import type { OpModule } from './op.js'

declare module '../types.js' {
  interface StepVariants {
    /** the worker picks the queued item up (the first step of a work item's path) */
    work_start: { readonly op: 'work_start'; readonly work: number }
    /** mod: the second half of mod_delayed_work (__queue_delayed_work after the grab) */
    queue_work: { readonly op: 'queue_work'; readonly work: number; readonly delayed: boolean; readonly mod?: true }
    flush_work: { readonly op: 'flush_work'; readonly work: number }
    cancel_work_sync: { readonly op: 'cancel_work_sync'; readonly work: number }
    /** mod: the first half of mod_delayed_work (work_grab_pending with WORK_CANCEL_DELAYED) */
    cancel_work: { readonly op: 'cancel_work'; readonly work: number; readonly mod?: true }
    flush_workqueue: { readonly op: 'flush_workqueue'; readonly queue: number }
  }
}
type S = StepOf<'work_start' | 'queue_work' | 'flush_work' | 'cancel_work_sync' | 'cancel_work' | 'flush_workqueue'>

import { WS, flushStart, running, workMap, wqMap, wsField } from './workState.js'

export { WS, running, wsField, wqMap, workMap, heldMaps, flushStart } from './workState.js'

const timerField = (f: GpuFields, w: number): number => f.extra[`timer.${w}`] ?? -1

/** Queue work item w (queue_work: a no-op while it is pending or its timer is armed). */
const queue = (f: GpuFields, c: Cursor, w: number): void => {
  const x = c.post(wsField(f, w))
  if (x === WS.idle) c.set(wsField(f, w), WS.pending)
  else if (x === WS.running) c.set(wsField(f, w), WS.requeued)
}

const label = (d: GpuDesign, t: number): string => `${d.threads[t]!.work !== undefined ? 'work' : 'thread'} ${d.threads[t]!.name}`
const items = (d: GpuDesign, q: number): number[] => d.works.flatMap((w, i) => (w.queue === q ? [i] : []))

const ref = (key: string, doc: string, op: S['op'], role: 'work' | 'workqueue') => ({
  key,
  doc,
  arg: {
    role,
    what: role === 'work' ? 'the work item' : 'the workqueue',
    schema: { type: 'string', description: `a declared ${role === 'work' ? 'work item' : 'workqueue'}` },
  },
  parse: (px: { where: (string | number)[]; arg: () => number }): Step[] => {
    const i = px.arg()
    if (op === 'flush_workqueue') return [{ where: px.where, op, queue: i }]
    if (key === 'mod_delayed_work')
      return [
        { where: px.where, op: 'cancel_work', work: i, mod: true },
        { where: px.where, op: 'queue_work', work: i, delayed: true, mod: true },
      ]
    if (op === 'queue_work') return [{ where: px.where, op, work: i, delayed: key === 'queue_delayed_work' }]
    return [{ where: px.where, op: op as 'flush_work' | 'cancel_work_sync' | 'cancel_work', work: i }]
  },
})

export const workOp: OpModule<S> = {
  sections: [
    {
      key: 'workqueues',
      doc: 'workqueues besides the built-in `system_wq` (per-CPU, no bound on concurrent items, no rescuer)',
      fields: {
        name: 'its name',
        ordered: 'true: alloc_ordered_workqueue, one item at a time in queue order (max_active 1)',
        maxActive: 'at most this many of its items run at once (default: no bound)',
        memReclaim:
          'WQ_MEM_RECLAIM: it has a rescuer, so flush_work of its items also touches its lockdep map; flushing a queue without it from a WQ_MEM_RECLAIM worker or from reclaim breaks flush-dependency (check_flush_dependency)',
      },
    },
    {
      key: 'work',
      doc: 'work items (INIT_WORK, INIT_DELAYED_WORK). Each is an actor of its own: a worker of its queue runs its steps each time it is queued (idle -> pending -> running; queued again while it runs, it runs once more). While it runs it holds the lockdep maps `(wq_completion)QUEUE` and `(work_completion)NAME`; in traces and wait-for cycles it reads `work NAME`',
      fields: {
        name: 'its name',
        queue: 'its workqueue (default system_wq)',
        cpu: 'queue_work_on(cpu, ...), or a per-CPU queue used from that CPU: it runs on that CPU only',
        signalling: 'its callback is a dma_fence signalling path',
        steps: "its callback's steps",
      },
    },
  ],
  ops: ['work_start', 'queue_work', 'flush_work', 'cancel_work_sync', 'cancel_work', 'flush_workqueue'],
  syntax: [
    ref(
      'queue_work',
      'queue a work item on its workqueue; never blocks, a no-op while it is pending (from a thread, a work item, a fence callback)',
      'queue_work',
      'work',
    ),
    ref('queue_delayed_work', "arm the work item's timer: it is queued at some later point (the delay is the search's choice)", 'queue_work', 'work'),
    ref(
      'mod_delayed_work',
      "restart the work item's delay: take a pending instance off its queue and disarm its timer (work_grab_pending), then arm the timer again; the timer is off in between, so a work item re-armed again and again is owed no run under weak fairness",
      'queue_work',
      'work',
    ),
    ref(
      'flush_work',
      "wait until the work item is neither pending nor running (touches its lockdep map, and its queue's if ordered or WQ_MEM_RECLAIM)",
      'flush_work',
      'work',
    ),
    ref(
      'cancel_work_sync',
      "remove a pending instance (and an armed timer), then wait for a running one to finish (touches the work's lockdep map)",
      'cancel_work_sync',
      'work',
    ),
    ref(
      'cancel_work',
      'remove a pending instance (and an armed timer) without waiting for a running one (cancel_work, cancel_delayed_work); never blocks',
      'cancel_work',
      'work',
    ),
    ref('flush_workqueue', "wait until every work item of the queue is idle (touches the queue's lockdep map)", 'flush_workqueue', 'workqueue'),
  ],
  // a worker runs work items queued by any thread: not narrowed yet, so dependent on every rule (checker/por.ts)
  footprint: () => [{ all: true }],
  refs: {
    work_start: { work: 'work' },
    queue_work: { work: 'work' },
    flush_work: { work: 'work' },
    cancel_work_sync: { work: 'work' },
    cancel_work: { work: 'work' },
    flush_workqueue: { queue: 'workqueue' },
  },
  cite: [
    { path: 'kernel/workqueue.c', fn: 'process_one_work' },
    { path: 'kernel/workqueue.c', fn: 'queue_work_on' },
    { path: 'kernel/workqueue.c', fn: 'queue_delayed_work_on' },
    { path: 'kernel/workqueue.c', fn: 'mod_delayed_work_on' },
    { path: 'kernel/workqueue.c', fn: 'start_flush_work' },
    { path: 'kernel/workqueue.c', fn: '__flush_work' },
    { path: 'kernel/workqueue.c', fn: '__cancel_work_sync' },
    { path: 'kernel/workqueue.c', fn: '__cancel_work' },
    { path: 'kernel/workqueue.c', fn: '__flush_workqueue' },
    { path: 'kernel/workqueue.c', fn: 'touch_wq_lockdep_map' },
    { path: 'kernel/workqueue.c', fn: 'touch_work_lockdep_map' },
    { path: 'kernel/workqueue.c', fn: 'check_flush_dependency' },
    { path: 'include/linux/workqueue.h', fn: 'alloc_ordered_workqueue' },
  ],
  fields(b, d) {
    const out: Record<string, number> = {}
    d.works.forEach((w, i) => {
      out[`work.${i}`] = b.scalar(`work.${w.name}`, enumOf('idle', 'pending', 'running', 'requeued'))
      if (w.delayed) out[`timer.${i}`] = b.scalar(`timer.${w.name}`, bool)
    })
    return out
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const { design: d, f } = cx
    if (step.op === 'work_start') {
      const w = step.work
      const ws = wsField(f, w)
      const tm = timerField(f, w)
      const wq = d.workqueues[d.works[w]!.queue]!
      const peers = items(d, d.works[w]!.queue).filter((x) => x !== w)
      const slot = wq.maxActive > 0 ? (s: Reader) => peers.reduce((n, x) => n + (running(s.get(wsField(f, x))) ? 1 : 0), 0) < wq.maxActive : () => true
      const off = modelsCpus(d) ? cx.paths.preemptOff : undefined
      const cpu = off ? (s: Reader) => cpuHolders(d, f, off, s, t).holders.length === 0 : () => true
      // The run is over (the path wrapped round to its first step): idle, or pending again.
      add(
        { name: 'work_done', ...base },
        m('work_done'),
        (s) => p.at_(s) && running(s.get(ws)),
        (c) => c.set(ws, c.post(ws) === WS.requeued ? WS.pending : WS.idle),
      )
      add(
        { name: 'process_one_work', ...base },
        m('work_start'),
        (s) => p.at_(s) && s.get(ws) === WS.pending && slot(s) && cpu(s),
        (c) => {
          c.set(ws, WS.running)
          p.advance(c)
        },
      )
      if (tm >= 0)
        add(
          { name: 'delayed_work_timer_fn', ...base },
          m('timer'),
          (s) => p.at_(s) && s.get(tm) === 1 && !running(s.get(ws)),
          (c) => {
            c.set(tm, 0)
            queue(f, c, w)
          },
        )
      return
    }
    if (step.op === 'queue_work') {
      const w = step.work
      const tm = timerField(f, w)
      add(
        {
          name: step.mod ? 'mod_delayed_work' : step.delayed ? 'queue_delayed_work' : 'queue_work',
          ...base,
          work: d.works[w]!.name,
          ...(step.mod ? { part: 'queue' } : {}),
        },
        m('queue_work'),
        (s) => p.at_(s),
        (c) => {
          const x = c.post(wsField(f, w))
          const armed = tm >= 0 && c.post(tm) === 1
          if (step.delayed) {
            if (x !== WS.pending && x !== WS.requeued && !armed) c.set(tm, 1)
          } else if (!armed) queue(f, c, w)
          p.advance(c)
        },
      )
      return
    }
    if (step.op === 'flush_workqueue') {
      const list = items(d, step.queue)
      add(
        { name: 'flush_workqueue', ...base, queue: d.workqueues[step.queue]!.name },
        m('flush_return'),
        (s) => p.at_(s) && list.every((x) => s.get(wsField(f, x)) === WS.idle),
        (c) => p.advance(c),
      )
      return
    }
    const w = step.work
    const ws = wsField(f, w)
    const tm = timerField(f, w)
    if (step.op === 'cancel_work') {
      add(
        { name: step.mod ? 'mod_delayed_work' : 'cancel_work', ...base, work: d.works[w]!.name, ...(step.mod ? { part: 'grab' } : {}) },
        m('cancel_work'),
        (s) => p.at_(s),
        (c) => {
          const x = c.post(ws)
          if (x === WS.pending) c.set(ws, WS.idle)
          else if (x === WS.requeued) c.set(ws, WS.running)
          if (tm >= 0) c.set(tm, 0)
          p.advance(c)
        },
      )
      return
    }
    if (step.op === 'cancel_work_sync') {
      // Take the pending instance (and the timer) off the queue; a running instance is waited for.
      add(
        { name: 'cancel_work_sync', ...base, work: d.works[w]!.name },
        m('flush_return'),
        (s) => p.at_(s) && !running(s.get(ws)),
        (c) => {
          c.set(ws, WS.idle)
          if (tm >= 0) c.set(tm, 0)
          p.advance(c)
        },
      )
      add(
        { name: 'cancel_work_sync', ...base, work: d.works[w]!.name, dequeued: true },
        m('cancel_pending'),
        (s) => p.at_(s) && (s.get(ws) === WS.requeued || (tm >= 0 && s.get(tm) === 1)),
        (c) => {
          if (c.post(ws) === WS.requeued) c.set(ws, WS.running)
          if (tm >= 0) c.set(tm, 0)
        },
      )
      return
    }
    add(
      { name: 'flush_work', ...base, work: d.works[w]!.name },
      m('flush_return'),
      (s) => p.at_(s) && s.get(ws) === WS.idle,
      (c) => p.advance(c),
    )
  },
  waitsOn(w, step) {
    const { v, s, t } = w
    const d = v.design
    const f = v.f
    if (step.op === 'work_start') {
      const x = step.work
      const q = d.works[x]!.queue
      const wq = d.workqueues[q]!
      w.n.mode = 'any'
      const busy = items(d, q).filter((i) => i !== x && running(s.get(wsField(f, i))))
      if (wq.maxActive > 0 && busy.length >= wq.maxActive) {
        for (const i of busy)
          w.edge(
            nodeId.thread(d.works[i]!.thread),
            `is queued on ${wq.maxActive === 1 ? 'ordered ' : ''}workqueue ${wq.name}, whose worker${wq.maxActive > 1 ? 's are' : ' is'} busy with work ${d.works[i]!.name}`,
          )
        return
      }
      if (modelsCpus(d)) {
        const h = cpuHolders(d, f, v.preemptOff, s, t)
        for (const u of h.holders) w.edge(nodeId.thread(u), `waits for ${h.cpu}, held with preemption off by ${label(d, u)}`)
      }
      return
    }
    if (step.op === 'queue_work' || step.op === 'cancel_work') return
    if (step.op === 'flush_workqueue') {
      w.n.mode = 'all'
      for (const i of items(d, step.queue))
        if (s.get(wsField(f, i)) !== WS.idle)
          w.edge(nodeId.thread(d.works[i]!.thread), `flushes workqueue ${d.workqueues[step.queue]!.name}, which has work ${d.works[i]!.name} queued${w.where}`)
      return
    }
    const verb = step.op === 'flush_work' ? 'flushes' : 'cancels and waits for'
    w.edge(nodeId.thread(d.works[step.work]!.thread), `${verb} work ${d.works[step.work]!.name}${w.where}`)
  },
  provides: (step) => (step.op === 'queue_work' ? [{ kind: 'queue', work: step.work }] : []),
  idleAt: (f, s, step) =>
    step.op !== 'work_start' || (s.get(wsField(f, step.work)) === WS.idle && (timerField(f, step.work) < 0 || s.get(timerField(f, step.work)) === 0)),
  lockdep: {
    // flush_work and friends may sleep; queue_work does not.
    sleeps: (_step, m) => m.does === 'flush_return',
    // process_one_work: the queue's map, then the work's, held while the callback runs.
    maps: (d, step, m) => ({
      names: step.op === 'work_start' && m.does === 'work_start' ? [wqMap(d, d.works[step.work]!.queue), workMap(d, step.work)] : [],
      nested: true,
    }),
    // A flush touches its maps in start_flush_work / __flush_workqueue, before it waits: recorded
    // when the thread arrives at the step, so a flush that never returns records them too. A
    // flush of an idle work touches nothing (already_gone); flush_workqueue always touches.
    touchesAt(d, f, s, step) {
      const fl = flushStart(d, f, s, step)
      if (!fl) return []
      if (fl.work === undefined) return [wqMap(d, fl.queue)]
      const wq = d.workqueues[fl.queue]!
      // touch_wq_lockdep_map too for an ordered queue or one with a rescuer (WQ_MEM_RECLAIM), not from cancel
      return !fl.cancel && (wq.maxActive === 1 || wq.memReclaim) ? [workMap(d, fl.work), wqMap(d, fl.queue)] : [workMap(d, fl.work)]
    },
  },
  text(d, s) {
    if (s.op === 'work_start') {
      const w = d.works[s.work]!
      return `a worker of ${d.workqueues[w.queue]!.name} runs work ${w.name}${w.cpu !== undefined ? ` on CPU ${w.cpu}` : ''} (process_one_work)`
    }
    if (s.op === 'flush_workqueue') return `flush_workqueue(${d.workqueues[s.queue]!.name})`
    const w = d.works[s.work]!
    if ((s.op === 'cancel_work' || s.op === 'queue_work') && s.mod)
      return `mod_delayed_work(${d.workqueues[w.queue]!.name}, ${w.name}): ${s.op === 'cancel_work' ? 'work_grab_pending, the timer off' : '__queue_delayed_work, the timer armed again'}`
    if (s.op === 'queue_work') {
      const q = d.workqueues[w.queue]!.name
      return s.delayed
        ? `queue_delayed_work(${q}, ${w.name})`
        : w.cpu !== undefined
          ? `queue_work_on(${w.cpu}, ${q}, ${w.name})`
          : `queue_work(${q}, ${w.name})`
    }

    return `${s.op}(${w.name})`
  },
}
