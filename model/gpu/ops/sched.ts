/**
 * The scheduler thread of a kernel job: wait for its dependencies (scheduler callbacks), then
 * run_job hands it to the hardware (cancelled with the error if a dependency failed and errors
 * propagate). The thread is on the job's fence's signalling path.
 */
import type { StepOf } from '../types.js'
import { FS, JS, nodeId } from '../view.js'
import { names, type OpModule } from './op.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    await_deps: { readonly op: 'await_deps'; readonly job: number }
    run: { readonly op: 'run'; readonly job: number }
  }
}
type S = StepOf<'await_deps' | 'run'>

export const schedOp: OpModule<S> = {
  ops: ['await_deps', 'run'],
  syntax: [
    {
      key: 'await_deps',
      doc: "wait for the job's dependencies (scheduler callbacks)",
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'await_deps', job: px.arg() }],
    },
    {
      key: 'run',
      doc: 'run_job: hand the job to the hardware',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'run', job: px.arg() }],
    },
  ],
  refs: { await_deps: { job: 'job' }, run: { job: 'job' } },
  cite: [
    { path: 'drivers/gpu/drm/scheduler/sched_main.c', fn: 'drm_sched_run_job_work' },
    { path: 'drivers/gpu/drm/scheduler/sched_entity.c', fn: 'drm_sched_job_dependency' },
  ],
  notInReclaim: true,
  provides: (s) => (s.op === 'run' ? [{ kind: 'run', job: s.job }] : []),
  signalPath: (d, s) => ({ fence: d.jobs[s.job]!.fence, whole: true }),
  rules(k, step) {
    const { cx, p, base, m, add, J } = k
    const { jobs } = cx.design
    const { js } = cx.f
    const { finishJob, depsSettled, depErrored } = cx
    switch (step.op) {
      case 'await_deps': {
        const j = step.job
        add(
          { name: 'drm_sched_dependencies', ...base, job: J(j) },
          m('deps_ready'),
          (s) => p.at_(s) && s.get(js[j]!) === JS.queued && depsSettled(s, j),
          (c) => p.advance(c),
        )
        return
      }
      case 'run': {
        const j = step.job
        add(
          { name: 'run_job', ...base, job: J(j) },
          m('run'),
          (s) => p.at_(s) && s.get(js[j]!) === JS.queued,
          (c) => {
            if (jobs[j]!.propagateErrors && depErrored(c, j)) finishJob(c, j, true)
            else c.set(js[j]!, JS.ready)
            p.advance(c)
          },
        )
        return
      }
    }
  },
  waitsOn(wc, step) {
    const { v, s, n } = wc
    const { design, f } = v
    if (s.get(f.js[step.job]!) === JS.idle) {
      design.threads.forEach((other, o) => {
        if (wc.willProvide(o, { kind: 'submit', job: step.job }))
          wc.edge(nodeId.thread(o), `waits for thread ${other.name} to submit job ${design.jobs[step.job]!.name}`)
      })
      n.mode = 'any'
    } else
      for (const d of v.depsOf(s, step.job))
        if (s.get(f.fs[d]!) === FS.pending) wc.edge(nodeId.fence(d), `waits for dependency ${wc.fenceName(d)} of job ${design.jobs[step.job]!.name}`)
  },
  text(d, s) {
    const { J } = names(d)
    switch (s.op) {
      case 'await_deps':
        return `wait (scheduler callbacks) for the dependencies of job ${J(s.job)}`
      case 'run':
        return `run_job(${J(s.job)}): hand it to the hardware`
    }
  },
}
