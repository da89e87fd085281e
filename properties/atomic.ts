/**
 * Atomic context and interrupt safety, as the kernel's own checks state them:
 * - might-sleep: a step that may sleep (mutex_lock, a fence wait, a reclaiming allocation) taken
 *   with a spinlock held, in an irq handler or in a fence callback (which runs under the fence's
 *   lock with interrupts off): include/linux/kernel.h: might_sleep @ v6.12, "this macro will print
 *   a stack trace if it is executed in an atomic context (spinlock, irq-handler, ...)".
 * - irq-safety: a spinlock taken in hard-irq context (an irq handler; a fence callback or signal
 *   run from one) and elsewhere with interrupts enabled: lockdep's "inconsistent {IN-HARDIRQ-W} ->
 *   {HARDIRQ-ON-W} usage" (kernel/locking/lockdep.c print_usage_bug). The usages are edges through
 *   a pseudo-class `hardirq`: taking L in hard-irq context orders hardirq before L; holding L with
 *   interrupts on lets an interrupt arrive under L, ordering L before hardirq. The two usages of one
 *   lock are a cycle L -> hardirq -> L.
 */
import { type Action, type OrderProperty, type Property, type Reader, step } from '../checker/model.js'
import { callbackInIrq, signalledFromIrq } from '../model/gpu/ops/callback.js'
import { opOf } from '../model/gpu/ops/index.js'
import { irqsOffAlong } from '../model/gpu/ops/spin.js'
import type { GpuDesign } from '../model/gpu/types.js'
import type { GpuView, RuleMeta } from '../model/gpu/view.js'

export const ATOMIC_NAMES = {
  mightSleep: 'might_sleep: nothing sleeps under a spinlock, in an irq handler or in a fence callback',
  irqSafety: 'irq safety (lockdep: inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage)',
} as const

/** Does the design have anything atomic (a spinlock, an irq handler, a fence callback)? */
export const hasAtomic = (d: GpuDesign): boolean =>
  d.locks.some((l) => l.kind === 'spinlock') || d.threads.some((th) => th.context === 'irq' || th.callbackOn !== undefined)

export function atomicProperties(v: GpuView, want: ReadonlySet<string>): Property<Action>[] {
  const { design, f } = v
  if (!hasAtomic(design)) return []
  const meta = (a: Action): RuleMeta => v.meta.get(a)!
  const cls = (l: number): string => design.locks[l]!.cls
  const spin = (l: number): boolean => design.locks[l]!.kind === 'spinlock'
  const offAlong = design.threads.map((th) => irqsOffAlong(th.steps, th.context === 'irq' || th.callbackOn !== undefined))
  const inIrq = (s: Reader, t: number): boolean => {
    const th = design.threads[t]!
    return th.context === 'irq' || (th.callbackOn !== undefined && callbackInIrq(v, s, t))
  }
  const atomic = (s: Reader, t: number): boolean => {
    const th = design.threads[t]!
    return th.context === 'irq' || th.callbackOn !== undefined || v.heldBy(s, t).some(spin)
  }
  const out: Property<Action>[] = []
  if (want.has('might-sleep')) {
    out.push(
      step(
        ATOMIC_NAMES.mightSleep,
        (pre, a) => {
          const m = meta(a)
          if (m.actor.kind !== 'thread' || !m.step || !atomic(pre, m.actor.index)) return true
          return !(opOf(m.step).lockdep?.sleeps?.(m.step, m) ?? false)
        },
        {
          cite: 'include/linux/kernel.h: might_sleep @ v6.12 ("will print a stack trace if it is executed in an atomic context (spinlock, irq-handler, ...)"); drivers/dma-buf/dma-fence.c: dma_fence_add_callback @ v6.12 ("the callback can be called from an atomic context or irq context"); include/linux/dma-fence.h: dma_fence_ops.enable_signaling ("can be called from atomic context")',
        },
      ),
    )
  }
  if (want.has('irq-safety')) {
    const order: OrderProperty<Action> = {
      kind: 'order',
      name: ATOMIC_NAMES.irqSafety,
      cite: 'kernel/locking/lockdep.c: mark_lock_irq, print_usage_bug @ v6.12 ("inconsistent {%s} -> {%s} usage"); Documentation/locking/locktypes.rst',
      primed: [],
      edges: (pre, a) => {
        const m = meta(a)
        const edges: [string, string][] = []
        if (m.actor.kind !== 'thread') {
          // A hardware fence signals from the driver's interrupt handler, an array or chain from
          // irq_work: dma_fence_signal takes the fence's lock there.
          const fe = m.signals
          const l = fe !== undefined ? design.fences[fe]!.lock : undefined
          if (l !== undefined && signalledFromIrq(design, fe!)) edges.push(['hardirq', cls(l)])
          return edges
        }
        const t = m.actor.index
        const st = m.step
        if (m.does === 'callback_start' && st?.op === 'callback_entry' && inIrq(pre, t)) edges.push(['hardirq', cls(st.lock)])
        if (!m.acquires || !spin(m.acquires.lock) || !st || !(opOf(st).lockdep?.ordersAcquire?.(st) ?? true)) return edges
        const l = cls(m.acquires.lock)
        if (inIrq(pre, t)) edges.push(['hardirq', l])
        else {
          // spin_lock_irq/_irqsave and the fence-lock steps (spin_lock_irqsave inside dma_fence_signal
          // and dma_fence_add_callback) disable interrupts before they take the lock.
          const disables = (st.op === 'spin_lock' && st.irq !== 'none') || st.op === 'fence_lock' || st.op === 'add_callback'
          const off = offAlong[t]![Math.min(pre.get(f.pc[t]!), offAlong[t]!.length - 1)]!
          if (!disables && !off) edges.push([l, 'hardirq'])
        }
        return edges
      },
    }
    out.push(order)
  }
  return out
}
