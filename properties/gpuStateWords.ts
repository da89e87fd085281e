/**
 * A GPU state in full, in kernel words, for a report's state panel: the narrator's summary
 * (memory, jobs, fences, buffers), then who holds which lock, and where each thread is and whether
 * it is blocked (from the wait-for graph). Never the packed encoding (`owner.submit_lock 2`).
 */
import type { Action, Reader } from '../checker/model.js'
import type { GpuView } from '../model/gpu/compile.js'
import { describeState, stepText } from '../model/gpu/describe.js'
import { waitFor } from '../model/gpu/waitFor.js'
import type { Narrator } from '../report/narrator.js'
import { explainGpuViolation } from './gpuExplain.js'

/** The narrator members that explain violations and states (wired into the GPU narrator). */
export function gpuExplainers(v: GpuView): Pick<Narrator<Action>, 'explainViolation' | 'blocked' | 'stateLines'> {
  return {
    explainViolation: (id, trace) => explainGpuViolation(v, id, trace),
    blocked: (s) => gpuBlocked(v, s),
    stateLines: (s) => gpuStateLines(v, s),
  }
}

/** The actors that are blocked in state s (named as the narrator's lanes name them), with what they wait for. */
export function gpuBlocked(v: GpuView, s: Reader): { actor: string; why: string }[] {
  const g = waitFor(v, s)
  const out: { actor: string; why: string }[] = []
  v.design.threads.forEach((th, t) => {
    const n = g.nodes.get(`thread:${t}`)
    if (n?.blocked) out.push({ actor: th.name, why: n.why.join('; ') || 'cannot move' })
  })
  v.design.jobs.forEach((j, i) => {
    const n = g.nodes.get(`job:${i}`)
    if (n?.blocked) out.push({ actor: `${j.queue === 'user' ? 'compute' : 'kernel'} job ${j.name}`, why: n.why.join('; ') || 'cannot move' })
  })
  return out
}

/** State s in full, in kernel words. */
export function gpuStateLines(v: GpuView, s: Reader): string[] {
  const { design: d, f } = v
  const out = describeState(v, s)
  const name = (t: number): string => d.threads[t]?.name ?? '?'
  if (d.locks.length) {
    const locks = d.locks.map((l, i) => {
      const owner = s.get(f.owner[i]!)
      const readers = f.readers[i]! >= 0 ? s.get(f.readers[i]!) : 0
      const rd = d.threads.filter((_, t) => Math.floor(readers / 2 ** t) % 2 === 1).map((th) => th.name)
      const who = owner > 0 ? `held by ${name(owner - 1)}${l.kind === 'rwsem' ? ' (write)' : ''}` : rd.length ? `read-held by ${rd.join(', ')}` : 'free'
      return `${l.name} ${who}`
    })
    out.push(`locks: ${locks.join(', ')}`)
  }
  const blocked = new Map(gpuBlocked(v, s).map((b) => [b.actor, b.why]))
  d.threads.forEach((th, t) => {
    const pc = s.get(f.pc[t]!)
    const inReclaim = f.rpc[t]! >= 0 && s.get(f.rpc[t]!) > 0
    if (pc >= th.steps.length && !inReclaim) {
      out.push(`thread ${th.name}: ${s.get(f.failed[t]!) ? 'gave up (its path failed)' : 'done'}`)
      return
    }
    const at = v.stepAt(s, t)
    const next = at.step ? stepText(d, at.step) : 'its next step'
    const sig = th.signalling || s.get(f.sig[t]!) === 1 ? ', in a dma_fence signalling section' : ''
    const why = blocked.get(th.name)
    out.push(`thread ${th.name}: ${why ? `BLOCKED (${why})` : 'next'} at ${next}${at.where}${sig}`)
  })
  return out
}
