/**
 * KFD-style eviction and restore: the restore worker waits until the queue is evicted, a queue is
 * torn down on process exit (its fence completes with an error), and a fresh eviction/preempt fence
 * replaces a signalled one.
 */
import { SpecError } from '../errors.js'
import type { StepOf } from '../types.js'
import { FS, JS, nodeId } from '../view.js'
import { names, type OpModule } from './op.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    await_evicted: { readonly op: 'await_evicted'; readonly job: number }
    destroy_queue: { readonly op: 'destroy_queue'; readonly job: number }
    new_fence: { readonly op: 'new_fence'; readonly fence: number }
  }
}
type S = StepOf<'await_evicted' | 'destroy_queue' | 'new_fence'>

export const evictionOp: OpModule<S> = {
  ops: ['await_evicted', 'destroy_queue', 'new_fence'],
  syntax: [
    {
      key: 'await_evicted',
      doc: "wait until the job's queue is evicted (restore work scheduled)",
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'await_evicted', job: px.arg() }],
    },
    {
      key: 'destroy_queue',
      doc: "tear down the job's queue (its fence completes with an error)",
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      parse: (px) => [{ where: px.where, op: 'destroy_queue', job: px.arg() }],
    },
    {
      key: 'new_fence',
      doc: 'install a new eviction/preempt fence in place of a signalled one',
      arg: { role: 'fence', what: 'the fence', schema: NAME('a preempt fence') },
      parse: (px) => {
        const fe = px.arg()
        if (px.fences[fe]!.kind !== 'preempt')
          throw new SpecError(
            'FC165',
            [...px.where, px.key],
            `'${px.fences[fe]!.name}' is a ${px.fences[fe]!.kind} fence; new_fence re-arms a preempt/eviction fence`,
          )
        return [{ where: px.where, op: 'new_fence', fence: fe }]
      },
    },
  ],
  refs: { await_evicted: { job: 'job' }, destroy_queue: { job: 'job' }, new_fence: { fence: 'fence' } },
  cite: [
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_svm.c', fn: 'svm_range_evict' },
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_process.c', fn: 'kfd_process_notifier_release' },
    { path: 'drivers/gpu/drm/xe/xe_exec_queue.c', fn: 'xe_exec_queue_kill' },
    { path: 'drivers/gpu/drm/amd/amdgpu/amdgpu_amdkfd_fence.c', fn: 'amdgpu_amdkfd_fence_create' },
  ],
  rules(k, step) {
    const { cx, p, t, th, base, m, add, F, J } = k
    const { fs, en, js, pc } = cx.f
    const { killJob } = cx
    switch (step.op) {
      case 'await_evicted': {
        const j = step.job
        // The restore work the eviction scheduled (kfd_svm.c svm_range_evict -> restore work).
        add(
          { name: 'restore_work_scheduled', ...base, job: J(j) },
          m('evicted'),
          (s) => p.at_(s) && s.get(js[j]!) === JS.suspended,
          (c) => p.advance(c),
        )
        add(
          { name: 'no_eviction', ...base, job: J(j) },
          m('no_fault'),
          (s) => p.at_(s) && s.get(js[j]!) === JS.done,
          (c) => c.set(pc[t]!, th.steps.length),
        )
        return
      }
      case 'destroy_queue': {
        const j = step.job
        // The queue is torn down (process exit: kfd_process_notifier_release, xe_exec_queue_kill):
        // its work is gone and its fence completes with an error if it had not signalled.
        add(
          { name: 'destroy_queue', ...base, job: J(j) },
          m('destroy'),
          (s) => p.at_(s),
          (c) => {
            killJob(c, j)
            p.advance(c)
          },
        )
        return
      }
      case 'new_fence': {
        const fe = step.fence
        // A fresh eviction/preempt fence replaces the signalled one (amdgpu_amdkfd_fence_create in
        // restore_process_bos; xe_preempt_fence re-arm on rebind).
        add(
          { name: 'install_new_fence', ...base, fence: F(fe) },
          m('new_fence'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(fs[fe]!) !== FS.pending) {
              c.set(fs[fe]!, FS.pending)
              c.set(en[fe]!, 0)
            }
            p.advance(c)
          },
        )
        return
      }
    }
  },
  waitsOn(wc, step) {
    if (step.op !== 'await_evicted') return
    const { design } = wc.v
    wc.edge(nodeId.job(step.job), `waits for job ${design.jobs[step.job]!.name}'s queue to be evicted`)
  },
  text(d, s) {
    const { J } = names(d)
    switch (s.op) {
      case 'await_evicted':
        return `wait until the queue of job ${J(s.job)} is evicted (restore work scheduled)`
      case 'destroy_queue':
        return `destroy the queue of job ${J(s.job)} (its fence completes with an error)`
      case 'new_fence':
        return `install a new eviction fence ${d.fences[s.fence]!.name}`
    }
  },
}
