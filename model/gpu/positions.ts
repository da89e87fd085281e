/**
 * Where a step of a thread's own path or of a reclaim path sits, and how the thread moves on from
 * it (notifier-callback positions are in context.ts, next to the invalidation that runs them).
 */
import { opOf } from './ops/index.js'
import type { CompileCx, Pos } from './context.js'
import { siteLabel } from './view.js'

export function positions(cx: Omit<CompileCx, 'stepRules'>): { pathPos: (t: number, i: number) => Pos; reclaimPos: (t: number, i: number) => Pos } {
  const { design, f, paths, dropLock, killJob } = cx
  const { pc, rpc, npc, sig, failed } = f
  const { pathHeld, reclaimHeld, reclaimSegEnd, reclaimSegStart } = paths
  const servedBy = design.threads.map((th) => th.steps.flatMap((s) => (opOf(s).provides?.(s) ?? []).flatMap((x) => (x.kind === 'serve_fault' ? [x.job] : []))))
  const noInner = (t: number): ((s: { get(f: number): number }) => boolean) => (npc[t]! >= 0 ? (s) => s.get(npc[t]!) === 0 : () => true)
  const pathPos = (t: number, i: number): Pos => {
    const th = design.threads[t]!
    const held = pathHeld[t]![i]!
    const r = rpc[t]!
    const n = noInner(t)
    // Success skips the steps of the step's own failure branch (ops/branch.ts).
    const after = i + 1 + (th.steps[i]!.branch ?? 0)
    const next = th.repeat && after === th.steps.length ? 0 : after
    return {
      t,
      frame: 'path',
      at: i,
      at_: r >= 0 ? (s) => s.get(pc[t]!) === i && s.get(r) === 0 && n(s) : (s) => s.get(pc[t]!) === i && n(s),
      advance: (c) => c.set(pc[t]!, next),
      abandon: (c, fail) => {
        for (const h of held) dropLock(c, t, h.lock)
        // A repeating worker that skips goes back to waiting for work; one that fails exits.
        c.set(pc[t]!, th.repeat && !fail ? 0 : th.steps.length)
        c.set(sig[t]!, 0)
        if (fail) {
          c.set(failed[t]!, 1)
          for (const j of servedBy[t]!) killJob(c, j)
        }
      },
      jump: (c, to) => {
        const keep = pathHeld[t]![to]!
        for (const h of held) if (!keep.some((k) => k.lock === h.lock)) dropLock(c, t, h.lock)
        c.set(pc[t]!, to)
      },
    }
  }
  const reclaimPos = (t: number, i: number): Pos => {
    const held = reclaimHeld[i]!
    const n = noInner(t)
    return {
      t,
      frame: 'reclaim',
      at: i,
      at_: (s) => s.get(rpc[t]!) === i + 1 && n(s),
      advance: (c) => c.set(rpc[t]!, i + 2 + (paths.reclaimSteps[i]!.branch ?? 0)),
      abandon: (c) => {
        for (const h of held) dropLock(c, t, h.lock)
        c.set(rpc[t]!, reclaimSegEnd[i]! + 1)
      },
      jump: (c, to) => {
        const target = reclaimSegStart[i]! + to
        const keep = reclaimHeld[target]!
        for (const h of held) if (!keep.some((k) => k.lock === h.lock)) dropLock(c, t, h.lock)
        c.set(rpc[t]!, target + 1)
      },
    }
  }
  return { pathPos, reclaimPos }
}

/** The StepCx of one step instance, and the dispatch of its rules to its op module. */
export function stepRulesOf(cx: Omit<CompileCx, 'stepRules'>): CompileCx {
  const { design } = cx
  const full: CompileCx = {
    ...cx,
    stepRules: (p, step) => {
      const t = p.t
      const th = design.threads[t]!
      const base = {
        thread: th.name,
        at:
          p.frame === 'path'
            ? p.at + 1
            : p.frame === 'reclaim'
              ? `reclaim:${p.at + 1}`
              : `${siteLabel(p.site!)}:${design.notifiers[p.site!.segNotifier[p.at]!]!.name}:${p.at + 1}`,
      }
      opOf(step).rules(
        {
          cx: full,
          p,
          t,
          th,
          base,
          m: (does, extra = {}) => ({
            actor: { kind: 'thread', index: t },
            step,
            frame: p.frame,
            at: p.at,
            does,
            ...(p.site ? { site: p.site } : {}),
            ...extra,
          }),
          add: cx.add,
          L: (i) => design.locks[i]!.name,
          F: (i) => design.fences[i]!.name,
          J: (i) => design.jobs[i]!.name,
        },
        step,
      )
    },
  }
  return full
}
