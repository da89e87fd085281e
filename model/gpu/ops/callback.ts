/**
 * Fence callbacks. A scenario declares each callback under `callbacks:` (the fence it is added to,
 * its steps); a thread's `add_callback: NAME` step registers it (dma_fence_add_callback). The
 * callback's steps run in the SIGNALLER's context, inside dma_fence_signal(), with the fence's
 * lock held and interrupts off: whatever the callback takes is ordered after the fence's lock and
 * after every lock the signaller holds, and it may not sleep (atomic context).
 *
 * The model: a callback is a thread of context 'callback' whose first step waits for its fence to
 * signal after it was registered. A thread that signals a fence with callbacks takes the fence's
 * lock (spin_lock_irqsave(fence->lock)), signals, and does not go on until every registered
 * callback has run: a callback that needs what the signaller holds deadlocks the signaller, as it
 * does in the kernel. A fence signalled by the GPU (a job's hardware fence) or by a fence
 * mechanism runs its callbacks from an interrupt.
 *
 * Deferred work from a callback (queue_work, as xe's invalidation_fence_cb and
 * drm_sched_job_done_cb do) is a step of the work-item ops; a callback step list may use it where
 * it is available: nothing here depends on it.
 */
import { bool } from '../../../checker/layout.js'
import type { Reader } from '../../../checker/model.js'
import { SpecError } from '../errors.js'
import type { GpuDesign, StepOf } from '../types.js'
import { FS, type GpuFields, type GpuView, nodeId } from '../view.js'
import { names, type OpModule } from './op.js'

declare module '../types.js' {
  interface StepVariants {
    /** a thread registers callback `cb` on its fence; `lock` is the fence's lock */
    add_callback: { readonly op: 'add_callback'; readonly cb: number; readonly fence: number; readonly lock: number; readonly ifSignalled?: 'call' }
    /** the first step of a callback's thread: runs when its fence signals, once registered */
    callback_entry: { readonly op: 'callback_entry'; readonly cb: number; readonly fence: number; readonly lock: number; readonly enable?: boolean }
    /** before a thread signals a fence with callbacks: spin_lock_irqsave(fence->lock) */
    fence_lock: { readonly op: 'fence_lock'; readonly fence: number; readonly lock: number }
    /** after the signal: wait for the registered callbacks, then spin_unlock_irqrestore(fence->lock) */
    run_callbacks: { readonly op: 'run_callbacks'; readonly fence: number; readonly lock: number }
  }
}
type S = StepOf<'add_callback' | 'callback_entry' | 'fence_lock' | 'run_callbacks'>

/** the field that says callback k is registered */
const regKey = (k: number): string => `callback:${k}`
/** the registration fields of a compiled design's callbacks (layouts are a function of the design) */
const REG = new WeakMap<GpuDesign, readonly number[]>()
const regOf = (d: GpuDesign, k: number): number => REG.get(d)![k]!

/** The callbacks added to fence i. */
const callbacksOf = (d: GpuDesign, i: number): number[] => d.callbacks.flatMap((c, k) => (c.fence === i ? [k] : []))

/** Is callback k waiting to be registered (or never to be)? Its thread is then idle, not blocked. */
const unregistered = (d: GpuDesign, f: GpuFields, s: Reader, k: number): boolean => s.get(regOf(d, k)) === 0 && s.get(f.pc[d.callbacks[k]!.thread]!) === 0

/** Has callback k run to its end, or will it never run? */
const settled = (d: GpuDesign, f: GpuFields, s: Reader, k: number): boolean => {
  const th = d.callbacks[k]!.thread
  return s.get(regOf(d, k)) === 0 || s.get(f.pc[th]!) === d.threads[th]!.steps.length
}

/** Idle callback threads: not registered yet (for facts.ts idle()). */
export const callbackIdle =
  (d: GpuDesign, f: GpuFields) =>
  (s: Reader, t: number): boolean => {
    const k = d.callbacks.findIndex((c) => c.thread === t)
    return k >= 0 && REG.has(d) && unregistered(d, f, s, k)
  }

/** The threads that may still add callback thread t's callback (an add_callback step at or after their pc). */
export function callbackAdders(v: GpuView, s: Reader, t: number): number[] {
  const k = v.design.callbacks.findIndex((c) => c.thread === t)
  return v.design.threads.flatMap((th, a) => {
    const pc = s.get(v.f.pc[a]!)
    return th.steps.some((x, i) => (i >= pc || th.repeat) && x.op === 'add_callback' && x.cb === k) ? [a] : []
  })
}

/** The thread that is running fence i's callbacks in its own context (inside dma_fence_signal), if any. */
export function signallerOf(v: GpuView, s: Reader, i: number): number {
  return v.design.threads.findIndex((th, t) => {
    const st = th.steps[s.get(v.f.pc[t]!)]
    return st?.op === 'run_callbacks' && st.fence === i
  })
}

/**
 * Is a callback of fence i run from an interrupt when no thread signals it? A job's fence is a
 * hardware fence, signalled from the driver's interrupt handler; a dma_fence_array or chain signals
 * from irq_work. Preempt and proxy fences are signalled from process context (a work item).
 */
export const signalledFromIrq = (d: GpuDesign, i: number): boolean => {
  const fe = d.fences[i]!
  return fe.job !== undefined || fe.kind === 'array' || fe.kind === 'chain'
}

/** Does callback thread t run in hard-irq context in this state? (its signaller's context) */
export function callbackInIrq(v: GpuView, s: Reader, t: number): boolean {
  const i = v.design.threads[t]!.callbackOn!
  // enable_signaling runs in its enabler's context: a waiter or add_callback, in process context.
  if (v.design.callbacks.find((c) => c.thread === t)!.trigger === 'enable') return false
  const sig = signallerOf(v, s, i)
  return sig >= 0 ? v.design.threads[sig]!.context === 'irq' : signalledFromIrq(v.design, i)
}

/**
 * What lockdep sees held when callback thread t acquires a lock: its own locks, and the context it
 * runs in: the signaller's held locks (the fence's lock among them), or, signalled by the GPU or a
 * fence mechanism, the fence's lock alone.
 */
export function callbackHeld(v: GpuView, s: Reader, t: number): number[] {
  const i = v.design.threads[t]!.callbackOn!
  const sig = signallerOf(v, s, i)
  const outer = sig >= 0 ? v.heldBy(s, sig) : [v.design.fences[i]!.lock!]
  return [...new Set([...outer, ...v.heldBy(s, t)])]
}

export const callbackOp: OpModule<S> = {
  ops: ['add_callback', 'callback_entry', 'fence_lock', 'run_callbacks'],
  syntax: [
    {
      key: 'add_callback',
      doc: "register a callback declared under callbacks: on its fence (dma_fence_add_callback): enables signalling under the fence's lock; if the fence has signalled already the callback is not added (-ENOENT)",
      arg: { what: 'the callback', schema: { type: 'string', description: 'a callback declared under callbacks:' } },
      modifiers: {
        ifSignalled: {
          doc: 'call: if the fence has signalled already, run the callback anyway (drm_sched_run_job_work calls drm_sched_job_done on -ENOENT)',
          schema: { const: 'call' },
        },
      },
      parse: (px) => {
        const call = px.mods.ifSignalled
        if (call !== undefined && call !== 'call')
          throw new SpecError(
            'FC155',
            [...px.where, 'ifSignalled'],
            `must be call (run the callback at once if the fence has signalled), got ${JSON.stringify(call)}`,
          )
        const name = px.str('the callback')
        const cb = px.callbacks.findIndex((c) => c.name === name && c.trigger === 'signal')
        if (cb < 0)
          throw new SpecError(
            'FC141',
            [...px.where, 'add_callback'],
            `no callback named '${name}' (callbacks: ${px.callbacks.map((c) => c.name).join(', ') || 'none'}; declare it under callbacks: with its fence and steps)`,
          )
        const fence = px.callbacks[cb]!.fence
        return [{ where: px.where, op: 'add_callback', cb, fence, lock: px.fences[fence]!.lock!, ...(call ? { ifSignalled: 'call' as const } : {}) }]
      },
    },
  ],
  // callbacks run under the fence's lock and register by name: not narrowed yet, so dependent on every rule (checker/por.ts)
  footprint: () => [{ all: true }],
  refs: { add_callback: { fence: 'fence' }, callback_entry: { fence: 'fence' }, fence_lock: { fence: 'fence' }, run_callbacks: { fence: 'fence' } },
  cite: [
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_add_callback' },
    { path: 'drivers/dma-buf/dma-fence.c', fn: '__dma_fence_enable_signaling' },
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_signal' },
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_signal_timestamp_locked' },
  ],
  fields(b, d) {
    const out: Record<string, number> = {}
    d.callbacks.forEach((c, k) => (out[regKey(k)] = b.scalar(`registered.${c.name}`, bool)))
    return out
  },
  rules(k, step) {
    const { cx, p, t, base, m, add, F } = k
    const { fs, en } = cx.f
    const d = cx.design
    if (!REG.has(d))
      REG.set(
        d,
        d.callbacks.map((_, cb) => cx.fields.extra[regKey(cb)]!),
      )
    const { fence: fe, lock } = step
    if (step.op === 'add_callback') {
      const reg = regOf(d, step.cb)
      const cbName = d.callbacks[step.cb]!.name
      // dma_fence_add_callback(): under spin_lock_irqsave(fence->lock), enable signalling and queue it.
      add(
        { name: 'dma_fence_add_callback', ...base, fence: F(fe), callback: cbName },
        m('add_callback', { acquires: { lock, mode: 'write' } }),
        (s) => p.at_(s) && cx.lockFree(s, lock, 'write') && s.get(fs[fe]!) === FS.pending,
        (c) => {
          c.set(reg, 1)
          c.set(en[fe]!, 1)
          p.advance(c)
        },
      )
      add(
        { name: 'dma_fence_add_callback', ...base, fence: F(fe), callback: cbName, result: '-ENOENT' },
        m('add_callback', { acquires: { lock, mode: 'write' } }),
        (s) => p.at_(s) && cx.lockFree(s, lock, 'write') && s.get(fs[fe]!) !== FS.pending,
        // -ENOENT: not added; with ifSignalled: call the caller runs it itself (its steps run as the
        // callback's thread, still counted as atomic: stricter than a direct call in process context).
        step.ifSignalled ? (c) => (c.set(reg, 1), p.advance(c)) : (c) => p.advance(c),
      )
      return
    }
    if (step.op === 'callback_entry' && step.enable) {
      // __dma_fence_enable_signaling: the op runs once, when signalling is first enabled on a fence
      // that has not signalled (ops->enable_signaling, under fence->lock).
      add(
        { name: 'enable_signaling', ...base, fence: F(fe), op: d.callbacks[step.cb]!.name },
        m('callback_start'),
        (s) => p.at_(s) && s.get(en[fe]!) === 1 && s.get(fs[fe]!) === FS.pending,
        (c) => p.advance(c),
      )
      return
    }
    if (step.op === 'callback_entry') {
      const reg = regOf(d, step.cb)
      add(
        { name: 'dma_fence_callback', ...base, fence: F(fe), callback: d.callbacks[step.cb]!.name },
        m('callback_start'),
        (s) => p.at_(s) && s.get(reg) === 1 && s.get(fs[fe]!) !== FS.pending,
        (c) => p.advance(c),
      )
      return
    }
    if (step.op === 'fence_lock') {
      add(
        { name: 'spin_lock_irqsave', ...base, lock: k.L(lock), fence: F(fe) },
        m('acquire', { acquires: { lock, mode: 'write' } }),
        (s) => p.at_(s) && cx.lockFree(s, lock, 'write'),
        (c) => {
          cx.takeLock(c, t, lock, 'write')
          p.advance(c)
        },
      )
      return
    }
    const cbs = callbacksOf(d, fe)
    const done = (s: Reader): boolean => cbs.every((cb) => settled(d, cx.f, s, cb))
    add(
      { name: 'spin_unlock_irqrestore', ...base, lock: k.L(lock), fence: F(fe), after: 'callbacks' },
      m('release'),
      (s) => p.at_(s) && done(s),
      (c) => {
        cx.dropLock(c, t, lock)
        p.advance(c)
      },
    )
  },
  waitsOn(w, step) {
    const d = w.v.design
    if (step.op === 'add_callback' || step.op === 'fence_lock') {
      const l = step.lock
      w.edge(nodeId.lock(l), `spins on ${d.locks[l]!.name} (the lock of ${w.fenceName(step.fence)})${w.where}`)
    } else if (step.op === 'callback_entry' && step.enable) {
      w.edge(nodeId.fence(step.fence), `is the enable_signaling op of ${w.fenceName(step.fence)}: runs when a waiter enables signalling`)
    } else if (step.op === 'callback_entry') {
      w.edge(nodeId.fence(step.fence), `is a callback armed on ${w.fenceName(step.fence)}: runs when it signals`)
    } else {
      for (const k of callbacksOf(d, step.fence)) {
        if (!settled(d, w.v.f, w.s, k))
          w.edge(
            nodeId.thread(d.callbacks[k]!.thread),
            `runs callback ${d.callbacks[k]!.name} of ${w.fenceName(step.fence)} in its own context (dma_fence_signal)`,
          )
      }
    }
  },
  takes: (step) => (step.op === 'fence_lock' ? { lock: step.lock, mode: 'write' } : undefined),
  releases: (step) => (step.op === 'run_callbacks' ? step.lock : undefined),
  lockdep: {
    sleeps: () => false,
  },
  text(d, s) {
    const { F } = names(d)
    const L = (i: number): string => d.locks[i]!.name
    if (s.op === 'add_callback')
      return `dma_fence_add_callback(${F(s.fence)}, ${d.callbacks[s.cb]!.name})${s.ifSignalled ? '; if it has signalled (-ENOENT), call the callback directly' : ''}`
    if (s.op === 'callback_entry' && s.enable)
      return `${d.callbacks[s.cb]!.name}: runs once when signalling on ${F(s.fence)} is first enabled, under ${L(s.lock)}`
    if (s.op === 'callback_entry') return `callback ${d.callbacks[s.cb]!.name}: runs when ${F(s.fence)} signals, under ${L(s.lock)} with irqs off`
    if (s.op === 'fence_lock') return `spin_lock_irqsave(${L(s.lock)}) (dma_fence_signal)`
    return `run the callbacks of ${F(s.fence)}, then spin_unlock_irqrestore(${L(s.lock)})`
  },
}
