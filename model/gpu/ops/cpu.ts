/**
 * CPUs as a resource (design level: `cpus: N`, default unbounded). A thread that sleeps (a mutex,
 * a fence wait, a flush) gives its CPU up; one that runs with preemption off (preempt_disable(),
 * or a spinlock held: include/linux/preempt.h, include/linux/spinlock_api_smp.h __raw_spin_lock
 * calls preempt_disable()) keeps it, spinning or not, until it enables preemption again. A work
 * item bound to a CPU (queue_work_on) runs on that CPU's worker pool only, so it cannot start while
 * another actor holds that CPU with preemption off; an unbound one cannot start while every CPU is
 * held so. Threads themselves are assumed to have their CPU (they are what holds them).
 *
 * preempt_disable / preempt_enable are steps here; other steps (a spinlock) declare `preempt` in
 * their op module and are counted the same way.
 */
import type { Reader } from '../../../checker/model.js'
import type { GpuDesign, StepOf } from '../types.js'
import { FS, type GpuFields, nodeId } from '../view.js'
import type { OpModule } from './op.js'

declare module '../types.js' {
  interface StepVariants {
    preempt_disable: { readonly op: 'preempt_disable' }
    preempt_enable: { readonly op: 'preempt_enable' }
    busywait: { readonly op: 'busywait'; readonly fence: number }
  }
}
type S = StepOf<'preempt_disable' | 'preempt_enable' | 'busywait'>

export const cpuOp: OpModule<S> = {
  sections: [
    {
      key: 'cpus',
      doc: 'how many CPUs (default unbounded: every actor finds one, as without this section). A thread may be pinned with `cpu: N`; a thread holds its CPU while it runs with preemption off (spinning or not), and a work item bound to that CPU, or with every CPU so held an unbound one, cannot start',
    },
  ],
  ops: ['preempt_disable', 'preempt_enable', 'busywait'],
  syntax: [
    {
      key: 'preempt_disable',
      doc: 'disable preemption: the thread keeps its CPU until preempt_enable, even while it spins',
      bare: true,
      parse: (px) => [{ where: px.where, op: 'preempt_disable' }],
    },
    {
      key: 'preempt_enable',
      doc: 'enable preemption again',
      bare: true,
      parse: (px) => [{ where: px.where, op: 'preempt_enable' }],
    },
    {
      key: 'busywait',
      doc: 'poll the fence until it signals (dma_fence_is_signaled(), cpu_relax()), never sleeping: the thread keeps its CPU',
      arg: { role: 'fence', what: 'the fence', schema: { type: 'string', description: 'a fence' } },
      parse: (px) => [{ where: px.where, op: 'busywait', fence: px.arg() }],
    },
  ],
  refs: { busywait: { fence: 'fence' } },
  cite: [
    { path: 'include/linux/preempt.h', fn: 'preempt_disable' },
    { path: 'include/linux/preempt.h', fn: 'preempt_enable' },
    { path: 'include/linux/spinlock_api_smp.h', fn: '__raw_spin_lock' },
    { path: 'include/linux/dma-fence.h', fn: 'dma_fence_is_signaled' },
  ],
  rules(k, step) {
    const { cx, p, base, m, add, F } = k
    if (step.op === 'busywait') {
      const fs = cx.f.fs[step.fence]!
      add(
        { name: 'dma_fence_is_signaled', ...base, fence: F(step.fence), signaled: true },
        m('test_fence'),
        (s) => p.at_(s) && s.get(fs) !== FS.pending,
        (c) => p.advance(c),
      )
      add(
        { name: 'dma_fence_is_signaled', ...base, fence: F(step.fence), signaled: false },
        m('spin'),
        (s) => p.at_(s) && s.get(fs) === FS.pending,
        () => {},
      )
      return
    }
    add(
      { name: step.op, ...base },
      m(step.op),
      (s) => p.at_(s),
      (c) => p.advance(c),
    )
  },
  waitsOn(w, step) {
    if (step.op === 'busywait') w.edge(nodeId.fence(step.fence), `busy-waits on ${w.fenceName(step.fence)}${w.where}`)
  },
  preempt: (step) => (step.op === 'preempt_disable' ? 'off' : step.op === 'preempt_enable' ? 'on' : undefined),
  text: (d, s) => (s.op === 'busywait' ? `while (!dma_fence_is_signaled(${d.fences[s.fence]!.name})) cpu_relax()` : `${s.op}()`),
}

/** The CPU an actor is bound to: a pinned thread's, a bound work item's; undefined: any CPU. */
export const cpuOf = (d: GpuDesign, t: number): number | undefined => {
  const th = d.threads[t]!
  return th.work !== undefined ? d.works[th.work]!.cpu : th.cpu
}

/** Does the design model CPUs at all (a CPU count, a pinned thread, a bound work item)? */
export const modelsCpus = (d: GpuDesign): boolean => d.cpus > 0 || d.threads.some((th) => th.cpu !== undefined) || d.works.some((w) => w.cpu !== undefined)

/**
 * The threads that keep a CPU from thread t in state s: they run with preemption off on t's CPU
 * (or, when every CPU is held so, on any). Empty: t finds a CPU.
 */
export function cpuHolders(d: GpuDesign, f: GpuFields, off: readonly (readonly boolean[])[], s: Reader, t: number): { holders: number[]; cpu: string } {
  const mine = cpuOf(d, t)
  const holding: number[] = []
  d.threads.forEach((th, u) => {
    if (u === t) return
    const pc = s.get(f.pc[u]!)
    if (pc < th.steps.length && off[u]![pc]) holding.push(u)
  })
  if (mine !== undefined) {
    const on = holding.filter((u) => cpuOf(d, u) === mine)
    if (on.length > 0) return { holders: on, cpu: `CPU ${mine}` }
  }
  if (d.cpus > 0) {
    const cpus = new Set(holding.map((u) => cpuOf(d, u) ?? `any:${u}`))
    if (cpus.size >= d.cpus) return { holders: holding, cpu: `every CPU (${d.cpus})` }
  }
  return { holders: [], cpu: '' }
}
