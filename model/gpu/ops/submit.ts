/**
 * Kernel job submission: drm_sched_job_arm makes the job's fence publishable and opens the
 * signalling section; drm_sched_entity_push_job captures implicit dependencies from the job's
 * buffers, installs its fence and closes the section. `submit: J` is arm then push. With engine
 * flush, push waits for pending page faults of fault-capable work on the engine.
 */
import type { StepOf } from '../types.js'
import { JS, nodeId } from '../view.js'
import { names, type OpModule } from './op.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    arm: { readonly op: 'arm'; readonly job: number }
    push: { readonly op: 'push'; readonly job: number }
  }
}
type S = StepOf<'arm' | 'push'>

export const submitOp: OpModule<S> = {
  ops: ['arm', 'push'],
  syntax: [
    {
      key: 'arm',
      doc: 'drm_sched_job_arm: the fence becomes visible; a signalling section begins',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'arm', job: px.arg() }],
    },
    {
      key: 'push',
      doc: 'drm_sched_entity_push_job: implicit dependencies, fence installed; the section ends',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'push', job: px.arg() }],
    },
    {
      key: 'submit',
      doc: 'arm then push',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      parse: (px) => {
        const j = px.arg()
        return [
          { where: px.where, op: 'arm', job: j },
          { where: px.where, op: 'push', job: j },
        ]
      },
    },
  ],
  // pushing a job reads the resv of its buffers and the state of the jobs it may preempt: not narrowed yet (checker/por.ts)
  footprint: () => [{ all: true }],
  refs: { arm: { job: 'job' }, push: { job: 'job' } },
  cite: [
    { path: 'drivers/gpu/drm/scheduler/sched_main.c', fn: 'drm_sched_job_arm' },
    { path: 'drivers/gpu/drm/scheduler/sched_entity.c', fn: 'drm_sched_entity_push_job' },
  ],
  notInReclaim: true,
  provides: (s) => (s.op === 'push' ? [{ kind: 'submit', job: s.job }] : []),
  createsDma: (d, s) => d.jobs[s.job]!.queue === 'kernel',
  rules(k, step) {
    const { cx, p, t, base, m, add, J } = k
    const { engines, jobs } = cx.design
    const { pub, js, pf, sig } = cx.f
    const { pushJob } = cx
    switch (step.op) {
      case 'arm': {
        const j = step.job
        // drm_sched_job_arm(): the fence becomes publishable; the signalling section starts (dma-fence.c).
        add(
          { name: 'drm_sched_job_arm', ...base, job: J(j) },
          m('arm'),
          (s) => p.at_(s),
          (c) => {
            c.set(pub[jobs[j]!.fence]!, 1)
            c.set(sig[t]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'push': {
        const j = step.job
        const job = jobs[j]!
        const e = job.engine
        const flush = engines[e]!.flush && job.queue === 'kernel'
        const faultCapableOnE = jobs.map((k, i) => (k.engine === e && k.faults ? i : -1)).filter((i) => i >= 0)
        add(
          { name: 'drm_sched_entity_push_job', ...base, job: J(j) },
          m('push'),
          // Engine flush (dma-buf.rst option (d)): before a dma_fence becomes visible, pending page
          // faults must be flushed and fault-capable work preempted.
          flush ? (s) => p.at_(s) && faultCapableOnE.every((k) => !(s.get(js[k]!) === JS.running && s.get(pf[k]!) === 1)) : (s) => p.at_(s),
          (c) => {
            if (flush) for (const k of faultCapableOnE) if (c.get(js[k]!) === JS.running) c.set(js[k]!, JS.preempted)
            pushJob(c, j)
            c.set(sig[t]!, 0)
            p.advance(c)
          },
        )
        return
      }
    }
  },
  waitsOn(wc, step) {
    if (step.op !== 'push') return
    const { v, s } = wc
    const { design, f } = v
    const e = design.jobs[step.job]!.engine
    design.jobs.forEach((k, i) => {
      if (k.engine === e && k.faults && f.pf[i]! >= 0 && s.get(f.pf[i]!) === 1) wc.edge(nodeId.job(i), `engine flush waits for job ${k.name}'s page fault`)
    })
  },
  text(d, s) {
    const { J } = names(d)
    switch (s.op) {
      case 'arm':
        return `drm_sched_job_arm(${J(s.job)}): its fence becomes visible; signalling section begins`
      case 'push':
        return `drm_sched_entity_push_job(${J(s.job)}): implicit deps from its buffers, fence installed; signalling section ends`
    }
  },
}
