/**
 * The scheduler's job timeout. drm_sched_job_timedout() is the delayed work `work_tdr`: the clock
 * starts when the job is handed to the hardware (drm_sched_job_begin), and when it fires the
 * scheduler calls the driver's timedout_job with the oldest pending job. The handler is written as
 * a thread whose first step is `timedout: JOB` and whose other steps are the driver's recovery:
 * typically `reset: JOB` (stop the scheduler, reset the hardware, complete the job's fence with an
 * error, -ETIME in amdgpu_job_timedout). The whole handler is on the job fence's signalling path
 * (dma-fence.c, DOC: fence signalling annotation: "timeout, gpu reset and gpu hang recovery code").
 *
 * The job timeout is how a hung job (`hangs: true` on the job: its work never completes on its own)
 * ends; it is the mechanism that makes a dma_fence finite, so it is ordinary progress, not an
 * escape like a bounded wait's timeout (ops/timeout.ts). If the job completes first, the handler
 * has nothing to do and leaves.
 */
import type { Reader } from '../../../checker/model.js'
import type { StepOf } from '../types.js'
import { JS, nodeId } from '../view.js'
import { names, type OpModule } from './op.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    timedout: { readonly op: 'timedout'; readonly job: number }
    reset: { readonly op: 'reset'; readonly job: number }
  }
}
type S = StepOf<'timedout' | 'reset'>

/** on the hardware: the timeout clock runs (drm_sched_job_begin .. completion) */
const onHardware = (st: number): boolean => st === JS.ready || st === JS.running || st === JS.preempted

export const tdrOp: OpModule<S> = {
  ops: ['timedout', 'reset'],
  syntax: [
    {
      key: 'timedout',
      doc: "the job's timeout fires (drm_sched_job_timedout calls the driver's timedout_job); the steps after it are the handler",
      arg: { role: 'job', what: 'the job', schema: NAME('a job run by the scheduler') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'timedout', job: px.arg() }],
    },
    {
      key: 'reset',
      doc: 'reset the hardware: the job is taken off it and its fence completes with an error (-ETIME)',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'reset', job: px.arg() }],
    },
  ],
  refs: { timedout: { job: 'job' }, reset: { job: 'job' } },
  cite: [
    { path: 'drivers/gpu/drm/scheduler/sched_main.c', fn: 'drm_sched_job_timedout' },
    { path: 'include/drm/gpu_scheduler.h', fn: 'drm_sched_backend_ops.timedout_job' },
    { path: 'drivers/gpu/drm/amd/amdgpu/amdgpu_job.c', fn: 'amdgpu_job_timedout' },
  ],
  rules(k, step) {
    const { cx, p, t, th, base, m, add, J } = k
    const j = step.job
    const js = cx.f.js[j]!
    if (step.op === 'reset') {
      add(
        { name: 'gpu_reset', ...base, job: J(j) },
        m('reset', { signals: cx.design.jobs[j]!.fence }),
        (s) => p.at_(s),
        (c) => {
          cx.killJob(c, j)
          p.advance(c)
        },
      )
      return
    }
    add(
      { name: 'drm_sched_job_timedout', ...base, job: J(j) },
      m('tdr_fire'),
      (s: Reader) => p.at_(s) && onHardware(s.get(js)),
      (c) => p.advance(c),
    )
    // The job completed before its timeout: timedout_job is never called.
    add(
      { name: 'job_done_in_time', ...base, job: J(j) },
      m('tdr_idle'),
      (s) => p.at_(s) && s.get(js) === JS.done,
      (c) => c.set(cx.f.pc[t]!, th.steps.length),
    )
  },
  waitsOn(w, step) {
    if (step.op === 'timedout') w.edge(nodeId.job(step.job), `waits for job ${w.v.design.jobs[step.job]!.name} to reach the hardware (its timeout clock)`)
  },
  // a job's fence has the job's index (spec.ts declares one fence per job first)
  provides: (s) => (s.op === 'reset' ? [{ kind: 'signal', fence: s.job }] : []),
  signalPath: (d, s) => (s.op === 'timedout' ? { fence: d.jobs[s.job]!.fence, whole: true } : { fence: d.jobs[s.job]!.fence, whole: false }),
  text(d, s) {
    const { J } = names(d)
    return s.op === 'timedout'
      ? `drm_sched_job_timedout: job ${J(s.job)} ran too long; timedout_job(${J(s.job)}) runs`
      : `reset the GPU: job ${J(s.job)} is taken off the hardware, its fence completes with an error (-ETIME)`
  },
}
