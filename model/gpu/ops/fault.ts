/**
 * The GPU page-fault handler's side: wait for a fault from a job (or learn it will not fault, and
 * exit), and resolve it (map the page; the job continues).
 */
import { SpecError } from '../errors.js'
import type { StepOf } from '../types.js'
import { JS, nodeId } from '../view.js'
import { names, type OpModule } from './op.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    await_fault: { readonly op: 'await_fault'; readonly job: number }
    resolve_fault: { readonly op: 'resolve_fault'; readonly job: number }
  }
}
type S = StepOf<'await_fault' | 'resolve_fault'>

export const faultOp: OpModule<S> = {
  ops: ['await_fault', 'resolve_fault'],
  syntax: [
    {
      key: 'await_fault',
      doc: 'wait for a GPU page fault from the job (the handler exits if it will not fault)',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      notInCallback: true,
      parse: (px) => {
        const j = px.arg()
        if (!px.jobs[j]!.faults) throw new SpecError('FC164', [...px.where, px.key], `job '${px.jobs[j]!.name}' cannot fault (set faults: true on it)`)
        return [{ where: px.where, op: 'await_fault', job: j }]
      },
    },
    {
      key: 'resolve_fault',
      doc: 'map the page; the job continues',
      arg: { role: 'job', what: 'the job', schema: NAME('a job') },
      notInCallback: true,
      parse: (px) => {
        const j = px.arg()
        if (!px.jobs[j]!.faults) throw new SpecError('FC164', [...px.where, px.key], `job '${px.jobs[j]!.name}' cannot fault (set faults: true on it)`)
        return [{ where: px.where, op: 'resolve_fault', job: j }]
      },
    },
  ],
  refs: { await_fault: { job: 'job' }, resolve_fault: { job: 'job' } },
  cite: [{ path: 'mm/hmm.c', fn: 'hmm_range_fault' }],
  notInReclaim: true,
  // waiting for a fault only looks at the job's state and its fault flags (not its fence, which
  // the job's completion and waiters on it touch); resolving one only clears the pending fault
  refAccess: () => 'none',
  footprint: (_d, s) =>
    s.op === 'await_fault'
      ? [
          { field: 'js', index: s.job, read: true },
          { field: 'pf', index: s.job, read: true },
          { field: 'fdone', index: s.job, read: true },
        ]
      : [{ field: 'pf', index: s.job }],
  provides: (s) => (s.op === 'resolve_fault' ? [{ kind: 'serve_fault', job: s.job }] : []),
  rules(k, step) {
    const { cx, p, t, th, base, m, add, J } = k
    const { js, pf, fdone, pc } = cx.f
    switch (step.op) {
      case 'await_fault': {
        const j = step.job
        add(
          { name: 'gpu_page_fault', ...base, job: J(j) },
          m('fault_received'),
          (s) => p.at_(s) && s.get(pf[j]!) === 1,
          (c) => p.advance(c),
        )
        add(
          { name: 'no_fault', ...base, job: J(j) },
          m('no_fault'),
          fdone[j]! >= 0
            ? (s) => p.at_(s) && (s.get(js[j]!) === JS.done || (s.get(fdone[j]!) === 1 && s.get(pf[j]!) === 0))
            : (s) => p.at_(s) && s.get(js[j]!) === JS.done,
          (c) => c.set(pc[t]!, th.steps.length),
        )
        return
      }
      case 'resolve_fault': {
        const j = step.job
        add(
          { name: 'resolve_fault', ...base, job: J(j) },
          m('resolve_fault'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(pf[j]!) === 1) c.set(pf[j]!, 0)
            p.advance(c)
          },
        )
        return
      }
    }
  },
  waitsOn(wc, step) {
    if (step.op !== 'await_fault') return
    const { design } = wc.v
    wc.edge(nodeId.job(step.job), `waits for job ${design.jobs[step.job]!.name} to fault`)
  },
  text(d, s) {
    const { J } = names(d)
    switch (s.op) {
      case 'await_fault':
        return `wait for a GPU page fault from job ${J(s.job)}`
      case 'resolve_fault':
        return `map the page; job ${J(s.job)} continues`
    }
  },
}
