/**
 * The modeled GPU as pure transition rules over a packed state: engines with compute units, kernel
 * and user queues, dma_fences and hmm_fences, dma_resv, memory pools, and kernel paths (threads)
 * whose steps are kernel primitives. Each primitive is an op module (ops/); the GPU's own
 * mechanisms (jobs on engines, fences that act on their own) are under mech/.
 *
 * Actors: every thread (a kernel path), every job (the GPU executing it), and a few fence-side
 * mechanisms (preempt fences, proxy fences). Each rule belongs to one actor; the wait-for graph
 * (waitFor.ts) asks which actors are blocked and on what.
 */
import type { Action, DeadlockCheck, Model } from '../../checker/model.js'
import { gpuOmitted, gpuProperties } from '../../properties/gpu.js'
import { createContext } from './context.js'
import { gpuView } from './facts.js'
import { buildFields } from './fields.js'
import { initialState } from './initial.js'
import { compositeRules } from './mech/composite.js'
import { gpuPorInfo } from './footprint.js'
import { memoInvariants, memoSuccessors } from './memoRules.js'
import { fenceRules } from './mech/fences.js'
import { jobRules } from './mech/jobs.js'
import { analysePaths } from './paths.js'
import { positions, stepRulesOf } from './positions.js'
import { gpuCanonicalizer, symmetryPerms } from './symmetry.js'
import type { Fence, GpuDesign, Job, Thread } from './types.js'
import { type GpuView, JS } from './view.js'

// The value encodings and the view moved to view.ts; they stay importable from here.
export { FS, JS, PAGE, PLACE, PTE } from './view.js'
export type { GpuFields, GpuView, Held, OptionalField, RuleMeta, Site } from './view.js'

/** Compile a design into a model. Throws Error with a precise message on an inconsistent design. */
export function compileGpu(design: GpuDesign, name: string, params: Record<string, string | number> = {}): Model<Action> & { view: GpuView } {
  const paths = analysePaths(design)
  const fields = buildFields(design, paths)
  const cx = stepRulesOf(createContext(design, paths, fields))
  const { pathPos, reclaimPos } = positions(cx)
  const { threads, jobs, fences, engines } = design
  const { layout, f } = fields
  const { pc, rpc, rf, js, pf, usedCU, hmmCU, anyFault } = f
  const RL = paths.reclaimSteps.length

  threads.forEach((th, t) => th.steps.forEach((step, i) => cx.stepRules(pathPos(t, i), step)))
  threads.forEach((th, t) => {
    if (!paths.canReclaim[t]) return
    paths.reclaimSteps.forEach((step, i) => cx.stepRules(reclaimPos(t, i), step))
    cx.add(
      { name: 'exit_reclaim', thread: th.name },
      { actor: { kind: 'thread', index: t }, frame: 'reclaim', at: RL, does: 'exit_reclaim' },
      (s) => s.get(rpc[t]!) === RL + 1,
      (c) => {
        c.set(rpc[t]!, 0)
        c.set(rf[t]!, 1)
      },
    )
  })
  jobRules(cx)
  fenceRules(cx)
  compositeRules(cx)
  const initial = initialState(cx)
  const view = gpuView(cx)

  const perms = design.symmetry.length ? symmetryPerms(design, design.symmetry) : []
  const deadlock: DeadlockCheck = {
    // The same property as the wait-for invariant, in its global form: nothing can move at all.
    name: 'deadlock',
    cite: 'dma-fence.c, DOC: fence cross-driver contract; seed 000',
    terminal: (s) => {
      for (let t = 0; t < threads.length; t++)
        if (!view.idle(s, t) && (s.get(pc[t]!) !== threads[t]!.steps.length || (rpc[t]! >= 0 && s.get(rpc[t]!) !== 0))) return false
      for (let j = 0; j < jobs.length; j++) {
        const st = s.get(js[j]!)
        if (st !== JS.idle && st !== JS.done) return false
      }
      return true
    },
  }
  const symmetry =
    perms.length > 1
      ? {
          describe: design.symmetry.map((g) => `jobs ${g.map((j) => jobs[j]!.name).join(', ')} interchangeable`).join('; '),
          canonicalize: gpuCanonicalizer(layout, f, perms),
          // progress obligations are dma_fences; a permutation that moves a job owning one moves them
          fixesObligations: perms.every((p) => jobs.every((job, j) => p.job[j] === j || fences[job.fence]!.kind === 'hmm')),
        }
      : undefined
  const derive = (v: Int32Array): void => {
    for (let e = 0; e < engines.length; e++) {
      v[usedCU[e]!] = 0
      v[hmmCU[e]!] = 0
    }
    let fault = 0
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j]!
      if (v[js[j]!] === JS.running) {
        v[usedCU[job.engine]!]! += job.cus
        if (job.queue === 'user') v[hmmCU[job.engine]!]! += job.cus
      }
      if (pf[j]! >= 0 && v[pf[j]!] === 1) fault = 1
    }
    v[anyFault] = fault
  }
  return {
    name: 'gpu',
    params,
    about: name,
    layout,
    init: () => [initial],
    rules: cx.rules,
    properties: memoInvariants(gpuProperties(view, perms), layout, (p) => p.id === 'deadlock'),
    readsOnlyThroughReaders: true,
    omitted: gpuOmitted(design),
    ...(design.properties.includes('deadlock') ? { deadlock } : {}),
    ...(symmetry ? { symmetry } : {}),
    derive,
    successors: () => memoSuccessors(layout, cx.rules, derive, [...cx.actorRules.thread, ...cx.actorRules.job, ...cx.actorRules.fence]),
    por: () => gpuPorInfo(cx, view),
    view,
  }
}

export type { Fence, Job, Thread }
