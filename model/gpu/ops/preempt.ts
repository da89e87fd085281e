/**
 * Suspending and resuming a user queue (kfd evict/restore_process_queues, xe preempt): a queue
 * with a page fault pending cannot be stopped unless the engine preempts faulting work.
 */
import type { Reader } from '../../../checker/model.js'
import type { StepOf } from '../types.js'
import { JS, nodeId } from '../view.js'
import { names, type OpModule } from './op.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    preempt: { readonly op: 'preempt'; readonly job: number }
    resume: { readonly op: 'resume'; readonly job: number }
  }
}
type S = StepOf<'preempt' | 'resume'>

export const preemptOp: OpModule<S> = {
  ops: ['preempt', 'resume'],
  syntax: [
    {
      key: 'preempt',
      doc: 'take a queue off the hardware (suspend it)',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      parse: (px) => [{ where: px.where, op: 'preempt', job: px.arg() }],
    },
    {
      key: 'resume',
      doc: 'resume a suspended queue',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      parse: (px) => [{ where: px.where, op: 'resume', job: px.arg() }],
    },
  ],
  refs: { preempt: { job: 'job' }, resume: { job: 'job' } },
  cite: [
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_device_queue_manager.c', fn: 'evict_process_queues_cpsch' },
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_device_queue_manager.c', fn: 'restore_process_queues_cpsch' },
  ],
  provides: (s) => (s.op === 'resume' ? [{ kind: 'resume', job: s.job }] : []),
  rules(k, step) {
    const { cx, p, base, m, add, J } = k
    const { engines, jobs } = cx.design
    const { js, pf } = cx.f
    switch (step.op) {
      case 'preempt': {
        const j = step.job
        const eng = engines[jobs[j]!.engine]!
        const stoppable = (s: Reader): boolean => pf[j]! < 0 || s.get(pf[j]!) === 0 || eng.preempt === 'faulting'
        add(
          { name: 'preempt_queue', ...base, job: J(j) },
          m('preempt'),
          (s) => {
            if (!p.at_(s)) return false
            const st = s.get(js[j]!)
            return st === JS.ready || st === JS.preempted || (st === JS.running && stoppable(s))
          },
          (c) => {
            c.set(js[j]!, JS.suspended)
            p.advance(c)
          },
        )
        add(
          { name: 'preempt_queue_idle', ...base, job: J(j) },
          m('preempt'),
          (s) => {
            if (!p.at_(s)) return false
            const st = s.get(js[j]!)
            return st === JS.idle || st === JS.queued || st === JS.suspended || st === JS.done
          },
          (c) => p.advance(c),
        )
        return
      }
      case 'resume': {
        const j = step.job
        add(
          { name: 'resume_queue', ...base, job: J(j) },
          m('resume'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(js[j]!) === JS.suspended) c.set(js[j]!, JS.ready)
            p.advance(c)
          },
        )
        return
      }
    }
  },
  waitsOn(wc, step) {
    if (step.op !== 'preempt') return
    const { design } = wc.v
    wc.edge(nodeId.job(step.job), `waits to preempt job ${design.jobs[step.job]!.name} (it has a page fault pending)`)
  },
  text(d, s) {
    const { J } = names(d)
    switch (s.op) {
      case 'preempt':
        return `preempt (suspend) queue of job ${J(s.job)}`
      case 'resume':
        return `resume queue of job ${J(s.job)}`
    }
  },
}
