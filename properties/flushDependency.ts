/**
 * flush-dependency: the workqueue's own check, kernel/workqueue.c: check_flush_dependency @ v6.12,
 * run by start_flush_work (flush_work of a queued or running item; not from cancel_work_sync) and
 * by __flush_workqueue. A workqueue with WQ_MEM_RECLAIM has a rescuer, so its items make progress
 * under memory pressure; flushing a queue without one from memory reclaim, or from an item of a
 * WQ_MEM_RECLAIM queue, makes that guaranteed progress wait on a queue that may need memory to get
 * a worker: "that can break forward-progress guarantee leading to a deadlock". The kernel warns:
 * "workqueue: PF_MEMALLOC task %d(%s) is flushing !WQ_MEM_RECLAIM %s:%ps" (a task in reclaim:
 * direct reclaim runs with PF_MEMALLOC, mm/page_alloc.c: __perform_reclaim @ v6.12) and
 * "workqueue: WQ_MEM_RECLAIM %s:%ps is flushing !WQ_MEM_RECLAIM %s:%ps". The check runs when the
 * flush starts, so it is stated on the step that brings a thread to the flush.
 */
import { type Action, type Property, type Reader, step } from '../checker/model.js'
import { flushStart } from '../model/gpu/ops/work.js'
import type { GpuDesign } from '../model/gpu/types.js'
import type { GpuView } from '../model/gpu/view.js'

export const FLUSH_DEPENDENCY = 'flush-dependency: no flush of a !WQ_MEM_RECLAIM workqueue from a WQ_MEM_RECLAIM worker or in reclaim'

const FLUSHES = new Set(['flush_work', 'flush_workqueue'])

/** Does the design flush anything that check_flush_dependency looks at? */
export const hasFlush = (d: GpuDesign): boolean =>
  [...d.threads.flatMap((th) => th.steps), ...d.reclaim.flatMap((r) => r.steps), ...d.notifiers.flatMap((n) => n.callback)].some((s) => FLUSHES.has(s.op))

/** Why thread t may not flush queue q in state s, or undefined (check_flush_dependency's two WARN_ONCEs). */
export function flushDependencyBroken(v: GpuView, s: Reader, t: number): string | undefined {
  const { design: d, f } = v
  const next = v.stepAt(s, t).step
  const fl = next ? flushStart(d, f, s, next) : undefined
  if (!fl || fl.cancel || d.workqueues[fl.queue]!.memReclaim) return undefined
  const target = `${d.workqueues[fl.queue]!.name}${fl.work !== undefined ? `:${d.works[fl.work]!.name}` : ''}`
  const th = d.threads[t]!
  if (f.rpc[t]! >= 0 && s.get(f.rpc[t]!) > 0) return `PF_MEMALLOC task ${th.name} is flushing !WQ_MEM_RECLAIM ${target}`
  const w = th.work
  if (w !== undefined && d.workqueues[d.works[w]!.queue]!.memReclaim)
    return `WQ_MEM_RECLAIM ${d.workqueues[d.works[w]!.queue]!.name}:${d.works[w]!.name} is flushing !WQ_MEM_RECLAIM ${target}`
  return undefined
}

export function flushDependencyProperty(v: GpuView): Property<Action> {
  return step(
    FLUSH_DEPENDENCY,
    (_pre, a, post) => {
      const m = v.meta.get(a)!
      return m.actor.kind !== 'thread' || flushDependencyBroken(v, post, m.actor.index) === undefined
    },
    {
      cite: 'kernel/workqueue.c: check_flush_dependency @ v6.12 ("workqueue: WQ_MEM_RECLAIM %s:%ps is flushing !WQ_MEM_RECLAIM %s:%ps"; "PF_MEMALLOC task ... is flushing")',
    },
  )
}
