/**
 * Fence signalling by a kernel path: dma_fence_enable_sw_signaling, and dma_fence_signal (with
 * dma_fence_set_error first for `error: true`). A second signal is a no-op in the kernel (-EINVAL);
 * fence sanity flags it. Force-completing the fence of a job not on the hardware removes the job.
 */
import { SpecError } from '../errors.js'
import type { StepOf } from '../types.js'
import { FS, JS } from '../view.js'
import { names, type OpModule } from './op.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    enable_signaling: { readonly op: 'enable_signaling'; readonly fence: number }
    signal: { readonly op: 'signal'; readonly fence: number; readonly error: boolean }
    /** dma_fence_is_signaled; `inlined`: the fence's signaled op follows (fenceOps.ts) */
    is_signaled: { readonly op: 'is_signaled'; readonly fence: number; readonly inlined?: true }
    /** dma_fence_put; `inlined`: the fence's release op follows (fenceOps.ts) */
    fence_put: { readonly op: 'fence_put'; readonly fence: number; readonly inlined?: true }
  }
}
type S = StepOf<'enable_signaling' | 'signal' | 'is_signaled' | 'fence_put'>

export const signalOp: OpModule<S> = {
  ops: ['enable_signaling', 'signal', 'is_signaled', 'fence_put'],
  syntax: [
    {
      key: 'enable_signaling',
      doc: 'enable signalling on a fence (preempt and eviction fences start acting)',
      arg: { role: 'fence', what: 'the fence', schema: NAME("a fence (every job's fence is named after the job)") },
      parse: (px) => [{ where: px.where, op: 'enable_signaling', fence: px.arg() }],
    },
    {
      key: 'signal',
      doc: 'signal a fence; error: true sets an error first',
      arg: { role: 'fence', what: 'the fence', schema: NAME("a fence (every job's fence is named after the job)") },
      modifiers: { error: { doc: 'signal with an error (dma_fence_set_error)', schema: { type: 'boolean' } } },
      parse: (px) => {
        if (px.mods.error !== undefined && typeof px.mods.error !== 'boolean') throw new SpecError('FC155', [...px.where, 'error'], 'must be true or false')
        return [{ where: px.where, op: 'signal', fence: px.arg(), error: px.mods.error === true }]
      },
    },
    {
      key: 'is_signaled',
      doc: "dma_fence_is_signaled: if the fence has not signalled, call its `signaled` op (fences: ops: signaled: [steps]) here, in this path's context and under what it holds",
      arg: { role: 'fence', what: 'the fence', schema: NAME('a fence') },
      parse: (px) => [{ where: px.where, op: 'is_signaled', fence: px.arg() }],
    },
    {
      key: 'dma_fence_put',
      doc: 'drop a reference to the fence; it may be the last, so its `release` op (fences: ops: release: [steps]) runs here, in this context (a callback, an irq handler)',
      arg: { role: 'fence', what: 'the fence', schema: NAME('a fence') },
      parse: (px) => [{ where: px.where, op: 'fence_put', fence: px.arg() }],
    },
  ],
  // signalling a fence with an error ends the jobs that depend on it (any job, any fence)
  footprint: (d) => [...d.fences.map((_, i) => ({ role: 'fence', index: i }) as const), ...d.jobs.map((_, j) => ({ role: 'job', index: j }) as const)],
  refs: { enable_signaling: { fence: 'fence' }, signal: { fence: 'fence' }, is_signaled: { fence: 'fence' }, fence_put: { fence: 'fence' } },
  cite: [
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_enable_sw_signaling' },
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_signal' },
    { path: 'include/linux/dma-fence.h', fn: 'dma_fence_set_error' },
    { path: 'include/linux/dma-fence.h', fn: 'dma_fence_is_signaled' },
    { path: 'include/linux/dma-fence.h', fn: 'dma_fence_put' },
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_release' },
  ],
  provides: (s) => (s.op === 'signal' ? [{ kind: 'signal', fence: s.fence }] : []),
  signalPath: (_d, s) => (s.op === 'signal' ? { fence: s.fence, whole: false } : undefined),
  createsDma: (d, s) => s.op === 'signal' && d.fences[s.fence]!.kind !== 'hmm',
  rules(k, step) {
    const { cx, p, th, base, m, add, F } = k
    const { fences } = cx.design
    const { fs, en, js } = cx.f
    switch (step.op) {
      case 'is_signaled': {
        const fe = step.fence
        const op = step.branch !== undefined
        add(
          { name: 'dma_fence_is_signaled', ...base, fence: F(fe), ...(op ? { result: 'signalled' } : {}) },
          m('test_signaled'),
          (s) => p.at_(s) && (!op || s.get(fs[fe]!) !== FS.pending),
          (c) => p.advance(c),
        )
        if (op)
          add(
            { name: 'dma_fence_is_signaled', ...base, fence: F(fe), calls: 'ops->signaled' },
            m('test_signaled'),
            (s) => p.at_(s) && s.get(fs[fe]!) === FS.pending,
            (c) => cx.outcome(p, 'branch', c),
          )
        return
      }
      case 'fence_put': {
        add(
          { name: 'dma_fence_put', ...base, fence: F(step.fence) },
          m('fence_put'),
          (s) => p.at_(s),
          (c) => p.advance(c),
        )
        return
      }
      case 'enable_signaling': {
        const fe = step.fence
        add(
          { name: 'enable_signaling', ...base, fence: F(fe) },
          m('enable'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(fs[fe]!) === FS.pending) c.set(en[fe]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'signal': {
        const fe = step.fence
        const err = step.error
        add(
          { name: err ? 'dma_fence_set_error+signal' : 'dma_fence_signal', ...base, fence: F(fe) },
          m('signal', { signals: fe, userspace: th.context === 'userspace' }),
          (s) => p.at_(s),
          (c) => {
            // A second signal is a no-op in the kernel (-EINVAL); fence sanity flags it.
            if (c.get(fs[fe]!) === FS.pending) c.set(fs[fe]!, err ? FS.error : FS.signalled)
            // Force-completing the fence of a job that is not on the hardware removes the job (hang
            // recovery); a running job goes on and will signal again.
            const j = fences[fe]!.job
            if (j !== undefined) {
              const st = c.get(js[j]!)
              if (st === JS.queued || st === JS.ready || st === JS.preempted || st === JS.suspended) c.set(js[j]!, JS.done)
            }
            p.advance(c)
          },
        )
        return
      }
    }
  },
  text(d, s) {
    const { F } = names(d)
    switch (s.op) {
      case 'is_signaled':
        return `dma_fence_is_signaled(${F(s.fence)})${s.inlined ? ': if it has not signalled, its signaled op runs here' : ''}`
      case 'fence_put':
        return `dma_fence_put(${F(s.fence)})${s.inlined ? ': if it was the last reference, dma_fence_release runs its release op here' : ''}`
      case 'enable_signaling':
        return `dma_fence_enable_sw_signaling(${F(s.fence)})`
      case 'signal':
        return s.error ? `dma_fence_set_error + dma_fence_signal(${F(s.fence)})` : `dma_fence_signal(${F(s.fence)})`
    }
  },
}
