/**
 * The state of work items as other modules read it (ops/work.ts owns the rules): a work item's
 * state field, the lockdep maps of workqueues and work items, and the flush a step starts.
 */
import type { Reader } from '../../../checker/model.js'
import type { GpuDesign, Step } from '../types.js'
import type { GpuFields } from '../view.js'

/** Work item states. */
export const WS = { idle: 0, pending: 1, running: 2, requeued: 3 } as const
export const running = (x: number): boolean => x === WS.running || x === WS.requeued

export const wsField = (f: GpuFields, w: number): number => f.extra[`work.${w}`]!
/** The lockdep class of a workqueue's map and of a work item's map, as lockdep names them. */
export const wqMap = (d: GpuDesign, q: number): string => `(wq_completion)${d.workqueues[q]!.name}`
export const workMap = (d: GpuDesign, w: number): string => `(work_completion)${d.works[w]!.name}`

/** The lockdep maps thread t holds in state s: its queue's and its own while its callback runs. */
export function heldMaps(d: GpuDesign, f: GpuFields, s: Reader, t: number): string[] {
  const w = d.threads[t]!.work
  if (w === undefined || s.get(f.pc[t]!) === 0) return []
  return [wqMap(d, d.works[w]!.queue), workMap(d, w)]
}

/**
 * The flush a thread at `step` starts in state s, if any: start_flush_work @ v6.12 goes on only
 * when the work is queued or running ("already_gone" otherwise: no barrier, no lockdep map
 * touched, no check_flush_dependency); __cancel_work_sync flushes only a running instance (the
 * pending one was taken off first) and skips the checks meant for flushes (from_cancel);
 * __flush_workqueue always flushes. `cancel`: the flush comes from the cancel path.
 */
export function flushStart(
  d: GpuDesign,
  f: GpuFields,
  s: Reader,
  step: Step,
): { readonly queue: number; readonly work?: number; readonly cancel: boolean } | undefined {
  if (step.op === 'flush_workqueue') return { queue: step.queue, cancel: false }
  if (step.op !== 'flush_work' && step.op !== 'cancel_work_sync') return undefined
  const x = s.get(wsField(f, step.work))
  const cancel = step.op === 'cancel_work_sync'
  if (cancel ? !running(x) : x === WS.idle) return undefined
  return { queue: d.works[step.work]!.queue, work: step.work, cancel }
}
