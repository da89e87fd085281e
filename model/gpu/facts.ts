/**
 * The view a compiled design is read through: static facts the properties need (locks held at a
 * fence wait, what each fence's signalling path takes), and where each thread stands in a state.
 */
import type { Reader } from '../../checker/model.js'
import type { CompileCx } from './context.js'
import { callbackIdle } from './ops/callback.js'
import { opOf } from './ops/index.js'
import { stepReclaims } from './paths.js'
import type { Step } from './types.js'
import type { GpuView, Site } from './view.js'
import { waitFor } from './waitFor.js'

const waits = (s: Step): boolean => opOf(s).waitsOnFences?.(s) ?? false
const takes = (s: Step): number | undefined => opOf(s).takes?.(s)?.lock

/** Locks a thread may hold at a fence wait (over all paths, reclaim and callbacks included). */
function heldAtFenceWait(cx: CompileCx): Set<number> {
  const { design, paths } = cx
  const { pathHeld, reclaimHeld, reclaimSteps, canReclaim, sites } = paths
  const heldAtWait = new Set<number>()
  design.threads.forEach((th, t) =>
    th.steps.forEach((s, i) => {
      if (waits(s)) for (const h of pathHeld[t]![i]!) heldAtWait.add(h.lock)
      if (canReclaim[t] && stepReclaims(s)) {
        // Locks held when entering reclaim are held across the reclaim paths' waits.
        if (reclaimSteps.some(waits)) for (const h of pathHeld[t]![i]!) heldAtWait.add(h.lock)
      }
    }),
  )
  reclaimSteps.forEach((s, i) => {
    if (waits(s)) for (const h of reclaimHeld[i]!) heldAtWait.add(h.lock)
  })
  for (const x of sites)
    x.steps.forEach((s, k) => {
      if (waits(s)) for (const h of x.held[k]!) heldAtWait.add(h.lock)
    })
  return heldAtWait
}

/** Locks taken on the signalling path of each fence (for rule 4) and whether it may reclaim. */
function signalPaths(cx: CompileCx): { locks: Set<number>[]; reclaims: boolean[] } {
  const { design, paths } = cx
  const locks = design.fences.map(() => new Set<number>())
  const reclaims = design.fences.map(() => false)
  const note = (fe: number, steps: readonly Step[], t: number): void => {
    for (const s of steps) {
      const l = takes(s)
      if (l !== undefined) locks[fe]!.add(l)
      if (stepReclaims(s) && paths.canReclaim[t]) {
        reclaims[fe] = true
        for (const r of paths.reclaimSteps) {
          const rl = takes(r)
          if (rl !== undefined) locks[fe]!.add(rl)
        }
      }
    }
  }
  design.threads.forEach((th, t) => {
    for (const s of th.steps) {
      // A scheduler thread that runs job J is on J's fence's signalling path; so is a thread that
      // signals a fence, from its start (or its begin_signalling) to the signal.
      const sp = opOf(s).signalPath?.(design, s)
      if (sp) note(sp.fence, sp.whole ? th.steps : th.steps.slice(0, th.steps.indexOf(s)), t)
    }
  })
  return { locks, reclaims }
}

export function gpuView(cx: CompileCx): GpuView {
  const { design, f, paths, fields } = cx
  const { threads, notifiers, fences, jobs } = design
  const { pc, rpc, npc } = f
  const { siteAt, reclaimSegName, reclaimSteps } = paths
  const siteOf = (s: Reader, t: number): Site | undefined => {
    if (npc[t]! < 0 || s.get(npc[t]!) === 0) return undefined
    const r = rpc[t]! >= 0 ? s.get(rpc[t]!) : 0
    return r > 0 ? siteAt.get(`${t}:reclaim:${r - 1}`) : siteAt.get(`${t}:path:${s.get(pc[t]!)}`)
  }
  const stepAt = (s: Reader, t: number): { step: Step | undefined; where: string; site?: Site } => {
    const x = siteOf(s, t)
    const r = rpc[t]! >= 0 ? s.get(rpc[t]!) : 0
    const inReclaim = r > 0 ? ` (in reclaim: ${reclaimSegName[r - 1]})` : ''
    if (x) {
      const k = s.get(npc[t]!) - 1
      if (k < x.steps.length)
        return {
          step: x.steps[k],
          where: ` (in notifier ${notifiers[x.segNotifier[k]!]!.name}'s invalidate callback${inReclaim ? `, in reclaim: ${reclaimSegName[r - 1]}` : ''})`,
          site: x,
        }
      return { step: x.caller, where: inReclaim, site: x }
    }
    return { step: r > 0 ? reclaimSteps[r - 1] : threads[t]!.steps[s.get(pc[t]!)], where: inReclaim }
  }
  // A fence callback not registered (yet, or ever) is idle too (ops/callback.ts); a work item's
  // worker is idle only while nothing is queued for it (its first step says).
  const cbIdle = callbackIdle(design, f)
  const idle = (s: Reader, t: number): boolean =>
    (threads[t]!.repeat &&
      s.get(pc[t]!) === 0 &&
      (rpc[t]! < 0 || s.get(rpc[t]!) === 0) &&
      (npc[t]! < 0 || s.get(npc[t]!) === 0) &&
      (opOf(threads[t]!.steps[0]!).idleAt?.(f, s, threads[t]!.steps[0]!) ?? true)) ||
    cbIdle(s, t)
  // A composite fence (dma_fence_array, dma_fence_chain) depends on its members.
  const staticDeps = fences.map((fe) => (fe.job !== undefined ? jobs[fe.job]!.deps : (fe.members ?? [])))
  const { proxyOf } = fields
  const sp = signalPaths(cx)
  const view: GpuView = {
    design,
    f,
    slots: cx.layout.slots,
    ranges: cx.layout,
    extra: fields.extra,
    rules: cx.rules,
    meta: cx.meta,
    reclaimSteps,
    reclaimSegEnd: paths.reclaimSegEnd,
    reclaimSegName,
    pathHeld: paths.pathHeld,
    reclaimHeld: paths.reclaimHeld,
    actorRules: cx.actorRules,
    fenceDeps: fences.map((_fe, i) => (proxyOf[i]! >= 0 ? [proxyOf[i]!] : staticDeps[i]!)),
    proxyOf,
    heldAtWait: heldAtFenceWait(cx),
    signalPathLocks: sp.locks,
    signalPathReclaims: sp.reclaims,
    criticalContext: threads.map((th) => th.context === 'notifier' || th.context === 'fault-handler' || th.context === 'shrinker'),
    sites: paths.sites,
    preemptOff: paths.preemptOff,
    stepAt,
    idle,
    heldBy: cx.heldBy,
    depsOf: cx.depsOf,
    waitFor: (s, opts) => waitFor(view, s, opts),
  }
  return view
}
