/**
 * lockdep_assert_held: a kernel function that asserts its caller holds a lock WARNs when the calling
 * task does not (include/linux/lockdep.h: lockdep_assert_held @ v6.12 is
 * `WARN_ON(debug_locks && !lockdep_is_held(l))`, and lockdep_is_held looks at current's held
 * locks, in any mode). hmm_range_fault begins with mmap_assert_locked(range->notifier->mm)
 * (mm/hmm.c @ v6.12; include/linux/mmap_lock.h: mmap_assert_locked -> rwsem_assert_held ->
 * lockdep_assert_held), and walk_page_range asserts it again (mm/pagewalk.c:
 * process_mm_walk_lock @ v6.12): a walk whose task holds no mmap_lock, or another process's, runs
 * without the lock that keeps the VMAs it walks alive. The ops say which steps assert which lock
 * (OpModule.assertsHeld).
 */
import { type Action, step, type StepProperty } from '../checker/model.js'
import { opOf } from '../model/gpu/ops/index.js'
import type { GpuDesign } from '../model/gpu/types.js'
import type { GpuView } from '../model/gpu/view.js'

export const LOCK_HELD = "lock held (lockdep_assert_held): hmm_range_fault runs holding the walked mm's mmap_lock"

/** Does some step of the design assert a lock held? */
export const assertsHeld = (d: GpuDesign): boolean =>
  [...d.threads.flatMap((th) => th.steps), ...d.reclaim.flatMap((r) => r.steps)].some((s) => opOf(s).assertsHeld?.(d, s) !== undefined)

/** Why the thread's step at the end of a trace broke lock-held, if it did. */
export function lockHeldBroken(v: GpuView, pre: Parameters<GpuView['heldBy']>[0], a: Action): string | undefined {
  const m = v.meta.get(a)!
  const st = m.step
  if (!st || m.actor.kind !== 'thread') return undefined
  const need = opOf(st).assertsHeld?.(v.design, st)
  if (!need) return undefined
  const held = v.heldBy(pre, m.actor.index)
  if (held.includes(need.lock)) return undefined
  const others = held.map((l) => v.design.locks[l]!.name)
  return `${need.what}, but thread ${v.design.threads[m.actor.index]!.name} does not hold ${v.design.locks[need.lock]!.name}${others.length ? ` (it holds ${others.join(', ')})` : ''}: lockdep_assert_held WARNs`
}

export function lockHeldProperty(v: GpuView): StepProperty<Action> {
  return step(LOCK_HELD, (pre, a) => lockHeldBroken(v, pre, a) === undefined, {
    cite: 'mm/hmm.c: hmm_range_fault @ v6.12 (mmap_assert_locked(mm)); include/linux/lockdep.h: lockdep_assert_held @ v6.12; mm/pagewalk.c: walk_page_range @ v6.12',
  })
}
