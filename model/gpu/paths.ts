/**
 * Static facts about a design's paths, before any state exists: the reclaim paths flattened into
 * one list of segments, which threads may enter reclaim, the locks held at each step (paths are
 * straight-line; skip and fail leave the path), and the invalidation sites with the notifier
 * callbacks each one calls.
 */
import { opOf } from './ops/index.js'
import { migrateInvalidation } from './ops/invalidate.js'
import type { GpuDesign, Step, StepOf } from './types.js'
import type { Paths } from './context.js'
import type { Held, Site } from './view.js'

export type { Paths } from './context.js'

/** Does the step enter direct reclaim when memory is short (its op says so)? */
export const stepReclaims = (s: Step): boolean => opOf(s).reclaims?.(s) ?? false

/** The locks held before each step of a straight-line path, and after its last. */
export function heldAlong(steps: readonly Step[], initial: readonly Held[] = []): Held[][] {
  const out: Held[][] = []
  let held: Held[] = [...initial]
  // A step's failure branch (its else: list) starts with what was held before the step; the steps
  // after the branch continue from the step's success (a branch that goes on holds the same).
  const resume: { at: number; held: Held[] }[] = []
  steps.forEach((s, i) => {
    while (resume.length && resume[resume.length - 1]!.at === i) held = resume.pop()!.held
    out.push(held)
    const op = opOf(s)
    const took = op.takes?.(s)
    const gave = op.releases?.(s)
    const before = held
    if (took) held = [...held, took]
    else if (gave !== undefined) {
      // the latest hold of the lock (a conditional branch may take a lock the path holds: ops/cond.ts)
      const k = held.map((h) => h.lock).lastIndexOf(gave)
      held = k < 0 ? held : [...held.slice(0, k), ...held.slice(k + 1)]
    }
    if (s.branch) {
      resume.push({ at: i + 1 + s.branch, held })
      held = before
    }
  })
  while (resume.length && resume[resume.length - 1]!.at === steps.length) held = resume.pop()!.held
  out.push(held)
  return out
}

/** Where each thread runs with preemption off, along its straight-line path (the ops say which
 * steps disable and enable it). */
export function preemptOffAlong(design: GpuDesign): boolean[][] {
  return design.threads.map((th) => {
    let depth = 0
    return th.steps.map((s) => {
      const here = depth > 0
      const x = opOf(s).preempt?.(s)
      if (x === 'off') depth++
      else if (x === 'on' && depth > 0) depth--
      return here
    })
  })
}

export function analysePaths(design: GpuDesign): Paths {
  const { threads, reclaim, notifiers } = design
  const reclaimSteps: Step[] = []
  const reclaimSegEnd: number[] = []
  const reclaimSegName: string[] = []
  const reclaimSegStart: number[] = []
  for (const r of reclaim) {
    const start = reclaimSteps.length
    reclaimSteps.push(...r.steps)
    for (let i = start; i < reclaimSteps.length; i++) {
      reclaimSegEnd.push(reclaimSteps.length)
      reclaimSegName.push(r.name)
      reclaimSegStart.push(start)
    }
  }
  const RL = reclaimSteps.length
  const canReclaim = threads.map((th) => RL > 0 && th.steps.some(stepReclaims))
  const pathHeld = threads.map((th) => heldAlong(th.steps))
  const reclaimHeld: Held[][] = []
  for (const r of reclaim) reclaimHeld.push(...heldAlong(r.steps).slice(0, r.steps.length))

  // Invalidation sites: each invalidate step calls the callbacks of the notifiers whose interval
  // covers one of its pages, in order, in the invalidating thread's context (mm/mmu_notifier.c
  // mn_itree_invalidate). Invalidate steps in reclaim paths run in every thread that may reclaim.
  const sites: Site[] = []
  const siteAt = new Map<string, Site>()
  const makeSite = (t: number, frame: 'path' | 'reclaim', at: number, step: StepOf<'invalidate'>, outer: readonly Held[], caller: Step = step): void => {
    const steps: Step[] = []
    const segEnd: number[] = []
    const segNotifier: number[] = []
    const held: Held[][] = []
    notifiers.forEach((n, k) => {
      if (!n.pages.some((p) => step.pages.includes(p))) return
      const start = steps.length
      steps.push(...n.callback)
      held.push(...heldAlong(n.callback, outer).slice(0, n.callback.length))
      for (let i = start; i < steps.length; i++) {
        segEnd.push(steps.length)
        segNotifier.push(k)
      }
    })
    const site: Site = { thread: t, frame, at, step, caller, steps, segEnd, segNotifier, held }
    sites.push(site)
    siteAt.set(`${t}:${frame}:${at}`, site)
  }
  threads.forEach((th, t) => {
    th.steps.forEach((st, i) => {
      if (st.op === 'invalidate') makeSite(t, 'path', i, st, pathHeld[t]![i]!)
      // migrate_vma_collect runs an MMU_NOTIFY_MIGRATE invalidation of the range, with the
      // migration's pgmap owner (mm/migrate_device.c: migrate_vma_collect @ v6.12); a page no
      // notifier covers has no callbacks to run, and its setup stays one step (ops/migrate.ts)
      const inv = migrateInvalidation(st)
      if (inv && notifiers.some((n) => n.pages.includes(inv.pages[0]!))) makeSite(t, 'path', i, inv, pathHeld[t]![i]!, st)
    })
    if (canReclaim[t])
      reclaimSteps.forEach((st, i) => {
        if (st.op === 'invalidate') makeSite(t, 'reclaim', i, st, reclaimHeld[i]!)
      })
  })
  const siteLen = threads.map((_, t) => Math.max(-1, ...sites.filter((x) => x.thread === t).map((x) => x.steps.length)))
  const memSteps = (t: number): Step[] => [...threads[t]!.steps, ...(canReclaim[t] ? reclaimSteps : [])]
  return {
    reclaimSteps,
    reclaimSegEnd,
    reclaimSegName,
    reclaimSegStart,
    canReclaim,
    pathHeld,
    reclaimHeld,
    sites,
    siteAt,
    siteLen,
    memSteps,
    preemptOff: preemptOffAlong(design),
  }
}
