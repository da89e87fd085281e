/**
 * The modeled GPU as pure transition rules over a packed state: engines with compute units, kernel
 * and user queues, dma_fences and hmm_fences, dma_resv, memory pools, and kernel paths (threads)
 * whose steps are kernel primitives. Each mechanism cites where its semantics come from.
 *
 * Actors: every thread (a kernel path), every job (the GPU executing it), and a few fence-side
 * mechanisms (preempt fences, proxy fences). Each rule belongs to one actor; the wait-for graph
 * (waitFor.ts) asks which actors are blocked and on what.
 */
import { type Field, LayoutBuilder, bool, enumOf, int } from '../../checker/layout.js'
import type { Action, Cursor, DeadlockCheck, Model, Property, Reader, Rule } from '../../checker/model.js'
import { gpuOmitted, gpuProperties } from '../../properties/gpu.js'
import { type Fence, type GpuDesign, type Job, type LockMode, type Outcome, type Step, type Thread, USAGES, type Usage, reclaims, usageKey } from './types.js'
import { waitFor, type WaitForGraph } from './waitFor.js'
import { gpuCanonicalizer, symmetryPerms } from './symmetry.js'

// Value encodings.
export const FS = { pending: 0, signalled: 1, error: 2 } as const
export const JS = { idle: 0, queued: 1, ready: 2, running: 3, preempted: 4, suspended: 5, done: 6 } as const
export const PLACE = { vram: 0, system: 1 } as const
export const PAGE = { none: 0, system: 1, vram: 2 } as const
export const PTE = { invalid: 0, valid: 1, stale: 2 } as const
const siteLabel = (x: Site): string => (x.frame === 'path' ? `${x.at + 1}` : `reclaim:${x.at + 1}`)

/** Which actor a rule belongs to, and what it does: metadata the properties and reports read. */
export interface RuleMeta {
  readonly actor: { readonly kind: 'thread' | 'job' | 'fence'; readonly index: number }
  /** the step being executed (thread rules) */
  readonly step?: Step
  /** 'path' step index, 'reclaim' step index in the flattened reclaim list, or 'notifier' step
   * index in the callback list of the invalidation the thread is running */
  readonly frame?: 'path' | 'reclaim' | 'notifier'
  readonly at?: number
  /** what the rule does, e.g. 'acquire', 'wait_return', 'signal', 'job_complete' */
  readonly does: string
  /** fences this rule signals or errors */
  readonly signals?: number
  /** lock acquired by this rule (with mode) */
  readonly acquires?: { readonly lock: number; readonly mode: LockMode }
  /** true for userspace's own choices (completing user-queue work); excluded from dma_fence progress */
  readonly userspace?: boolean
  /** notifier-frame rules: the invalidation they run in */
  readonly site?: Site
}

/** An invalidate step (in a path or in reclaim) and the notifier callbacks it calls, in order. */
export interface Site {
  readonly thread: number
  readonly frame: 'path' | 'reclaim'
  readonly at: number
  readonly step: Extract<Step, { op: 'invalidate' }>
  /** the callbacks' steps, concatenated */
  readonly steps: readonly Step[]
  /** for each step, one past the end of its callback, and the notifier it belongs to */
  readonly segEnd: readonly number[]
  readonly segNotifier: readonly number[]
  /** locks held by the callback at each step (the outer frame's plus its own) */
  readonly held: readonly (readonly Held[])[]
}

/**
 * A field this design may lack: -1 when it is absent (test `>= 0` before reading it). It is a plain
 * number, as Field is, so the compiler does not tell the two apart: the name says which is meant.
 */
export type OptionalField = Field

export interface GpuFields {
  readonly pc: readonly Field[]
  readonly rpc: readonly OptionalField[]
  readonly rf: readonly OptionalField[]
  readonly sig: readonly Field[]
  readonly failed: readonly Field[]
  readonly owner: readonly Field[]
  readonly readers: readonly OptionalField[]
  readonly fs: readonly Field[]
  readonly en: readonly Field[]
  readonly pub: readonly Field[]
  readonly px: readonly OptionalField[]
  readonly js: readonly Field[]
  readonly pf: readonly OptionalField[]
  readonly fdone: readonly OptionalField[]
  readonly jd: readonly OptionalField[]
  readonly place: readonly Field[]
  readonly resv: readonly Field[]
  readonly vram: Field
  readonly system: Field
  // memory side
  readonly pageAt: readonly Field[]
  /** pte[range][k]: the PTE of the range's k-th page */
  readonly pte: readonly (readonly Field[])[]
  /** pfn[thread][page]: the pfn hmm_range_fault returned still names the page's generation */
  readonly pfn: readonly (readonly OptionalField[])[]
  /** snap[thread][notifier]: the seq read_begin returned is still the notifier's */
  readonly snap: readonly (readonly OptionalField[])[]
  /** set_seq was called during the current odd period of the mm's seq */
  readonly inval: readonly Field[]
  /** invalidations in flight (the mm's seq is odd while it is above zero) */
  readonly active: OptionalField
  readonly npc: readonly OptionalField[]
  readonly exiting: OptionalField
  // derived
  readonly usedCU: readonly Field[]
  readonly hmmCU: readonly Field[]
  readonly anyFault: Field
}

/** Everything properties, the wait-for graph and reports need to interpret a state. */
export interface GpuView {
  readonly design: GpuDesign
  readonly f: GpuFields
  readonly rules: readonly Rule<Action>[]
  readonly meta: ReadonlyMap<Action, RuleMeta>
  /** flattened reclaim steps; segment boundaries in reclaimSegEnd */
  readonly reclaimSteps: readonly Step[]
  /** for each flattened reclaim step, the index one past the end of its segment */
  readonly reclaimSegEnd: readonly number[]
  readonly reclaimSegName: readonly string[]
  /** locks held by thread t's path at each step (static), with modes */
  readonly pathHeld: readonly (readonly Held[])[][]
  readonly reclaimHeld: readonly (readonly Held[])[]
  /** rule indices per actor, for "is this actor blocked?" */
  readonly actorRules: { readonly thread: readonly number[][]; readonly job: readonly number[][]; readonly fence: readonly number[][] }
  /** dependencies (static) of each fence's signaller */
  readonly fenceDeps: readonly (readonly number[])[]
  /** the proxy source of a fence made by syncobj_proxy, or -1 */
  readonly proxyOf: readonly number[]
  /** locks a thread may hold at a fence wait (over all paths), for the signalling rules */
  readonly heldAtWait: ReadonlySet<number>
  /** locks taken on the signalling path of each fence (for rule 4) and whether it may reclaim */
  readonly signalPathLocks: readonly ReadonlySet<number>[]
  readonly signalPathReclaims: readonly boolean[]
  /** 0/1 per thread: does it wait on fences inside a wait-allowed context by its declaration */
  readonly criticalContext: readonly boolean[]
  /** invalidation sites per thread, by frame and step index */
  readonly sites: readonly Site[]
  /** the step thread t is at (innermost frame), and a label for the frame */
  stepAt(s: Reader, t: number): { step: Step | undefined; where: string; site?: Site }
  /** a repeating worker waiting at its first step for work: idle, neither blocked nor running */
  idle(s: Reader, t: number): boolean
  heldBy(s: Reader, t: number): number[]
  depsOf(s: Reader, j: number): number[]
  waitFor(s: Reader): WaitForGraph
}

export interface Held {
  readonly lock: number
  readonly mode: LockMode
}

/** Compile a design into a model. Throws Error with a precise message on an inconsistent design. */
export function compileGpu(design: GpuDesign, name: string, params: Record<string, string | number> = {}): Model<Action> & { view: GpuView } {
  const { engines, locks, fences, jobs, buffers, threads, reclaim, pages, notifiers, ranges } = design
  const T = threads.length
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
  const canReclaim = threads.map((th) => RL > 0 && th.steps.some((s) => s.op === 'alloc' && reclaims(s.gfp)))

  // Static held-lock sets along each path (paths are straight-line; skip/fail leave the path).
  const heldAlong = (steps: readonly Step[], initial: readonly Held[] = []): Held[][] => {
    const out: Held[][] = []
    let held: Held[] = [...initial]
    for (const s of steps) {
      out.push(held)
      if (s.op === 'lock' || s.op === 'trylock') held = [...held, { lock: s.lock, mode: s.mode }]
      else if (s.op === 'unlock') held = held.filter((h) => h.lock !== s.lock)
    }
    out.push(held)
    return out
  }
  const pathHeld = threads.map((th) => heldAlong(th.steps))
  const reclaimHeld: Held[][] = []
  for (const r of reclaim) reclaimHeld.push(...heldAlong(r.steps).slice(0, r.steps.length))

  // Invalidation sites: each invalidate step calls the callbacks of the notifiers whose interval
  // covers one of its pages, in order, in the invalidating thread's context (mm/mmu_notifier.c
  // mn_itree_invalidate). Invalidate steps in reclaim paths run in every thread that may reclaim.
  const sites: Site[] = []
  const siteAt = new Map<string, Site>()
  const makeSite = (t: number, frame: 'path' | 'reclaim', at: number, step: Extract<Step, { op: 'invalidate' }>, outer: readonly Held[]): void => {
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
    const site: Site = { thread: t, frame, at, step, steps, segEnd, segNotifier, held }
    sites.push(site)
    siteAt.set(`${t}:${frame}:${at}`, site)
  }
  threads.forEach((th, t) => {
    th.steps.forEach((st, i) => {
      if (st.op === 'invalidate') makeSite(t, 'path', i, st, pathHeld[t]![i]!)
    })
    if (canReclaim[t])
      reclaimSteps.forEach((st, i) => {
        if (st.op === 'invalidate') makeSite(t, 'reclaim', i, st, reclaimHeld[i]!)
      })
  })
  const siteLen = threads.map((_, t) => Math.max(-1, ...sites.filter((x) => x.thread === t).map((x) => x.steps.length)))

  // ---- state layout ----
  const b = new LayoutBuilder()
  const pc = threads.map((th) => b.scalar(`pc.${th.name}`, int(0, th.steps.length)))
  const rpc = threads.map((th, t) => (canReclaim[t] ? b.scalar(`reclaim.${th.name}`, int(0, RL + 1)) : -1))
  const rf = threads.map((th, t) => (canReclaim[t] ? b.scalar(`reclaimed.${th.name}`, bool) : -1))
  const sig = threads.map((th) => b.scalar(`signalling.${th.name}`, bool))
  const failed = threads.map((th) => b.scalar(`failed.${th.name}`, bool))
  const owner = locks.map((l) => b.scalar(`owner.${l.name}`, int(0, T)))
  const readers = locks.map((l) => (l.kind === 'rwsem' ? b.scalar(`readers.${l.name}`, int(0, 2 ** T - 1)) : -1))
  const fs = fences.map((f) => b.scalar(`fence.${f.name}`, enumOf('pending', 'signalled', 'error')))
  const en = fences.map((f) => b.scalar(`enabled.${f.name}`, bool))
  const pub = fences.map((f) => b.scalar(`published.${f.name}`, bool))
  const proxyOf = fences.map(() => -1)
  for (const th of threads) for (const s of th.steps) if (s.op === 'syncobj_proxy') proxyOf[s.to] = s.from
  const px = fences.map((f, i) => (proxyOf[i]! >= 0 ? b.scalar(`proxy.${f.name}`, bool) : -1))
  const js = jobs.map((j) => b.scalar(`job.${j.name}`, enumOf('idle', 'queued', 'ready', 'running', 'preempted', 'suspended', 'done')))
  const pf = jobs.map((j) => (j.faults ? b.scalar(`fault.${j.name}`, bool) : -1))
  // Jobs whose faults come from their PTEs (XNACK on) fault whenever one is invalid, not once.
  const pteFaults = jobs.map((j) => j.accesses.length > 0 && engines[j.engine]!.xnack)
  const fdone = jobs.map((j, i) => (j.faults && !pteFaults[i] ? b.scalar(`faulted.${j.name}`, bool) : -1))
  const jd = jobs.map((j) => (j.uses.length > 0 ? b.scalar(`implicitDeps.${j.name}`, int(0, 2 ** fences.length - 1)) : -1))
  const place = buffers.map((bo) => b.scalar(`placement.${bo.name}`, enumOf('vram', 'system')))
  const resv = buffers.map((bo) => b.scalar(`resv.${bo.name}`, int(0, 2 ** fences.length - 1)))
  const allocs = threads.reduce((n, th) => n + th.steps.filter((s) => s.op === 'free').length, 0) + reclaimSteps.filter((s) => s.op === 'free').length
  const vram = b.scalar('free.vram', int(0, design.memory.vram + buffers.length + allocs))
  const system = b.scalar('free.system', int(0, design.memory.system + buffers.length + allocs))
  // Memory side. Generations and seqs are kept exactly as far as the kernel compares them: a
  // reference (PTE, pfn) either names the page's current generation or not (generations only grow,
  // so a stale reference stays stale); a seq returned by read_begin either still equals the
  // notifier's or not (set_seq always stores a newer odd value, rule 36); the mm's seq is odd
  // exactly while an invalidation is in flight (rule 37: it turns even when the last one ends).
  const pageAt = pages.map((pg) => b.scalar(`page.${pg.name}`, enumOf('none', 'system', 'vram')))
  const pte = ranges.map((r) => r.pages.map((p) => b.scalar(`pte.${r.name}.${pages[p]!.name}`, enumOf('invalid', 'valid', 'stale'))))
  const memSteps = (t: number): Step[] => [...threads[t]!.steps, ...(canReclaim[t] ? reclaimSteps : [])]
  const pfn = threads.map((th, t) => {
    const got = new Set(memSteps(t).flatMap((st) => (st.op === 'get_pages' ? ranges[st.range]!.pages : [])))
    return pages.map((pg, p) => (got.has(p) ? b.scalar(`pfn.${th.name}.${pg.name}`, bool) : -1))
  })
  const snap = threads.map((th, t) => {
    const used = new Set(memSteps(t).flatMap((st) => (st.op === 'read_begin' ? ranges[st.range]!.notifiers : [])))
    return notifiers.map((n, k) => (used.has(k) ? b.scalar(`seq.${th.name}.${n.name}`, bool) : -1))
  })
  const inval = notifiers.map((n) => b.scalar(`invalidating.${n.name}`, bool))
  const active = sites.length ? b.scalar('invalidations', int(0, T)) : -1
  const npc = threads.map((th, t) => (siteLen[t]! >= 0 ? b.scalar(`notifier.${th.name}`, int(0, siteLen[t]! + 2)) : -1))
  const allSteps = [...threads.flatMap((th) => th.steps), ...reclaimSteps, ...notifiers.flatMap((n) => n.callback)]
  const exiting = allSteps.some((st) => st.op === 'exit_mm' || st.op === 'skip_if_exiting') ? b.scalar('exiting', bool) : -1
  const usedCU = engines.map((e) => b.derived(`usedCU.${e.name}`))
  const hmmCU = engines.map((e) => b.derived(`hmmCU.${e.name}`))
  const anyFault = b.derived('anyFault')
  const layout = b.build()
  const f: GpuFields = {
    pc,
    rpc,
    rf,
    sig,
    failed,
    owner,
    readers,
    fs,
    en,
    pub,
    px,
    js,
    pf,
    fdone,
    jd,
    place,
    resv,
    vram,
    system,
    pageAt,
    pte,
    pfn,
    snap,
    inval,
    active,
    npc,
    exiting,
    usedCU,
    hmmCU,
    anyFault,
  }

  const bit = (i: number): number => 2 ** i
  const has = (mask: number, i: number): boolean => Math.floor(mask / bit(i)) % 2 === 1
  const usageRank = (u: Usage): number => USAGES.indexOf(u)
  const usageOf = (bo: number, fence: number): Usage => design.usageOf.get(usageKey(bo, fence)) ?? 'bookkeep'
  const staticDeps = fences.map((fe) => (fe.job !== undefined ? jobs[fe.job]!.deps : []))

  const depsOf = (s: Reader, j: number): number[] => {
    const out = [...jobs[j]!.deps]
    if (jd[j]! >= 0) {
      const m = s.get(jd[j]!)
      for (let i = 0; i < fences.length; i++) if (has(m, i) && !out.includes(i)) out.push(i)
    }
    return out
  }
  const depsSettled = (s: Reader, j: number): boolean => {
    for (const d of jobs[j]!.deps) if (s.get(fs[d]!) === FS.pending) return false
    if (jd[j]! >= 0) {
      const m = s.get(jd[j]!)
      if (m !== 0) for (let i = 0; i < fences.length; i++) if (has(m, i) && s.get(fs[i]!) === FS.pending) return false
    }
    return true
  }
  const depErrored = (s: Reader, j: number): boolean => depsOf(s, j).some((d) => s.get(fs[d]!) === FS.error)
  const heldBy = (s: Reader, t: number): number[] => {
    const out: number[] = []
    for (let l = 0; l < locks.length; l++) {
      if (s.get(owner[l]!) === t + 1 || (readers[l]! >= 0 && has(s.get(readers[l]!), t))) out.push(l)
    }
    return out
  }

  // ---- rules ----
  const rules: Rule<Action>[] = []
  const meta = new Map<Action, RuleMeta>()
  const actorRules = { thread: threads.map(() => [] as number[]), job: jobs.map(() => [] as number[]), fence: fences.map(() => [] as number[]) }
  const add = (action: Action, m: RuleMeta, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => {
    meta.set(action, m)
    actorRules[m.actor.kind][m.actor.index]!.push(rules.length)
    rules.push({ action, guard, apply })
  }

  const lockFree = (s: Reader, l: number, mode: LockMode): boolean => s.get(owner[l]!) === 0 && (mode === 'read' || readers[l]! < 0 || s.get(readers[l]!) === 0)
  const takeLock = (c: Cursor, t: number, l: number, mode: LockMode): void => {
    if (mode === 'read' && readers[l]! >= 0) c.set(readers[l]!, c.post(readers[l]!) + bit(t))
    else c.set(owner[l]!, t + 1)
  }
  const dropLock = (c: Cursor, t: number, l: number): void => {
    if (c.post(owner[l]!) === t + 1) c.set(owner[l]!, 0)
    else if (readers[l]! >= 0 && has(c.post(readers[l]!), t)) c.set(readers[l]!, c.post(readers[l]!) - bit(t))
  }
  /** Kill job j (its fault could not be served): its fence errors, its CUs are released. */
  const killJob = (c: Cursor, j: number): void => {
    if (c.post(js[j]!) === JS.done) return
    c.set(js[j]!, JS.done)
    if (pf[j]! >= 0) c.set(pf[j]!, 0)
    if (c.post(fs[jobs[j]!.fence]!) === FS.pending) c.set(fs[jobs[j]!.fence]!, FS.error)
  }
  const servedBy = threads.map((th) => th.steps.filter((s) => s.op === 'resolve_fault').map((s) => (s as { job: number }).job))

  /** Where a step sits and how to move on from it. */
  interface Pos {
    readonly t: number
    readonly frame: 'path' | 'reclaim' | 'notifier'
    readonly at: number
    readonly site?: Site
    at_(s: Reader): boolean
    advance(c: Cursor): void
    /** leave the path (skip/fail), the reclaim segment (skip) or the callback (return early),
     * releasing what it took */
    abandon(c: Cursor, fail: boolean): void
    /** go back to step `to` of the same path or segment (collision retry), releasing the locks
     * taken since */
    jump(c: Cursor, to: number): void
  }
  const noInner = (t: number): ((s: Reader) => boolean) => (npc[t]! >= 0 ? (s) => s.get(npc[t]!) === 0 : () => true)

  const pathPos = (t: number, i: number): Pos => {
    const th = threads[t]!
    const held = pathHeld[t]![i]!
    const r = rpc[t]!
    const n = noInner(t)
    const next = th.repeat && i + 1 === th.steps.length ? 0 : i + 1
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
      advance: (c) => c.set(rpc[t]!, i + 2),
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
  /** the guard that thread t is at an invalidate site (ignoring the callback frame inside it) */
  const siteGuard = (x: Site): ((s: Reader) => boolean) => {
    const t = x.thread
    const r = rpc[t]!
    if (x.frame === 'reclaim') return (s) => s.get(r) === x.at + 1
    return r >= 0 ? (s) => s.get(pc[t]!) === x.at && s.get(r) === 0 : (s) => s.get(pc[t]!) === x.at
  }
  const notifierPos = (x: Site, k: number): Pos => {
    const t = x.thread
    const g = siteGuard(x)
    const held = x.held[k]!
    const outer = x.frame === 'path' ? pathHeld[t]![x.at]! : reclaimHeld[x.at]!
    const own = held.filter((h) => !outer.some((o) => o.lock === h.lock))
    return {
      t,
      frame: 'notifier',
      at: k,
      site: x,
      at_: (s) => s.get(npc[t]!) === k + 1 && g(s),
      advance: (c) => c.set(npc[t]!, k + 2),
      abandon: (c) => {
        // The callback returns early (e.g. the process is exiting): the next callback runs.
        for (const h of own) dropLock(c, t, h.lock)
        c.set(npc[t]!, x.segEnd[k]! + 1)
      },
      jump: (c, to) => c.set(npc[t]!, to + 1),
    }
  }

  const outcome = (p: Pos, o: Outcome, c: Cursor): void => {
    if (o === 'skip') p.abandon(c, false)
    else if (o === 'fail') p.abandon(c, p.frame === 'path')
    else if (o === 'again') {
      // The callback returns false (rule 38). A non-blockable invalidation is then abandoned
      // (mn_itree_invalidate -> -EAGAIN): the pages stay. A blockable one WARNs and goes on.
      const x = p.site!
      if (x.step.nonblock) {
        for (const h of x.held[p.at]!)
          if (!(x.frame === 'path' ? pathHeld[p.t]![x.at]! : reclaimHeld[x.at]!).some((o) => o.lock === h.lock)) dropLock(c, p.t, h.lock)
        c.set(npc[p.t]!, x.steps.length + 2)
      } else p.abandon(c, false)
    }
    // retry: stay on the step (a busy retry; the wait-for graph treats it as blocked)
  }

  const stepRules = (p: Pos, step: Step): void => {
    const t = p.t
    const th = threads[t]!
    const base = {
      thread: th.name,
      at:
        p.frame === 'path'
          ? p.at + 1
          : p.frame === 'reclaim'
            ? `reclaim:${p.at + 1}`
            : `${siteLabel(p.site!)}:${notifiers[p.site!.segNotifier[p.at]!]!.name}:${p.at + 1}`,
    }
    const m = (does: string, extra: Partial<RuleMeta> = {}): RuleMeta => ({
      actor: { kind: 'thread', index: t },
      step,
      frame: p.frame,
      at: p.at,
      does,
      ...(p.site ? { site: p.site } : {}),
      ...extra,
    })
    const L = (i: number): string => locks[i]!.name
    const F = (i: number): string => fences[i]!.name
    const J = (i: number): string => jobs[i]!.name
    switch (step.op) {
      case 'lock':
      case 'trylock': {
        const { lock, mode } = step
        if (step.op === 'lock' && step.nonblock && p.site?.step.nonblock) {
          // Non-blockable invalidation: mutex_trylock, and return false if it is taken (rule 38).
          add(
            { name: 'trylock_nonblock', ...base, lock: L(lock) },
            m('acquire', { acquires: { lock, mode } }),
            (s) => p.at_(s) && lockFree(s, lock, mode),
            (c) => {
              takeLock(c, t, lock, mode)
              p.advance(c)
            },
          )
          add(
            { name: 'trylock_nonblock_failed', ...base, lock: L(lock), then: 'again' },
            m('return_false'),
            (s) => p.at_(s) && !lockFree(s, lock, mode),
            (c) => outcome(p, 'again', c),
          )
          return
        }
        const name = step.op === 'lock' ? (mode === 'read' ? 'lock_read' : 'lock') : mode === 'read' ? 'trylock_read' : 'trylock'
        add(
          { name, ...base, lock: L(lock) },
          m('acquire', { acquires: { lock, mode } }),
          (s) => p.at_(s) && lockFree(s, lock, mode),
          (c) => {
            takeLock(c, t, lock, mode)
            p.advance(c)
          },
        )
        if (step.op === 'trylock') {
          const o = step.else
          add(
            { name: `${name}_failed`, ...base, lock: L(lock), then: o },
            m(o === 'retry' ? 'spin' : 'trylock_failed'),
            (s) => p.at_(s) && !lockFree(s, lock, mode),
            (c) => outcome(p, o, c),
          )
        }
        return
      }
      case 'unlock': {
        const lock = step.lock
        add(
          { name: 'unlock', ...base, lock: L(lock) },
          m('release'),
          (s) => p.at_(s),
          (c) => {
            dropLock(c, t, lock)
            p.advance(c)
          },
        )
        return
      }
      case 'wait': {
        const fe = step.fence
        if (step.nonblock && p.site?.step.nonblock) {
          // Non-blockable invalidation: test the fence; return false if it has not signalled.
          add(
            { name: 'dma_fence_is_signaled', ...base, fence: F(fe), signaled: true },
            m('test_fence'),
            (s) => p.at_(s) && s.get(fs[fe]!) !== FS.pending,
            (c) => p.advance(c),
          )
          add(
            { name: 'dma_fence_is_signaled', ...base, fence: F(fe), signaled: false, then: 'again' },
            m('return_false'),
            (s) => p.at_(s) && s.get(fs[fe]!) === FS.pending,
            (c) => outcome(p, 'again', c),
          )
          return
        }
        // dma_fence_wait() first enables signalling (include/linux/dma-fence.h, enable_signaling):
        // preempt and eviction fences only start acting here.
        add(
          { name: 'enable_signaling', ...base, fence: F(fe) },
          m('enable'),
          (s) => p.at_(s) && s.get(fs[fe]!) === FS.pending && s.get(en[fe]!) === 0,
          (c) => c.set(en[fe]!, 1),
        )
        add(
          { name: 'dma_fence_wait', ...base, fence: F(fe) },
          m('wait_return'),
          (s) => p.at_(s) && s.get(fs[fe]!) !== FS.pending,
          (c) => p.advance(c),
        )
        if (step.ifFaultPending === 'skip') {
          // Glisse's "can this fence deadlock?" (seed 000): back off while a GPU page fault is pending.
          add(
            { name: 'skip_fence', ...base, fence: F(fe) },
            m('skip'),
            (s) => p.at_(s) && s.get(fs[fe]!) === FS.pending && s.get(anyFault) === 1,
            (c) => p.abandon(c, false),
          )
        }
        return
      }
      case 'wait_resv': {
        const { bo, usage } = step
        if (step.nonblock && p.site?.step.nonblock) {
          const cands = fences.map((_, i) => i).filter((i) => usageRank(usageOf(bo, i)) <= usageRank(usage))
          const pendingIn = (s: Reader): boolean => cands.some((i) => has(s.get(resv[bo]!), i) && s.get(fs[i]!) === FS.pending)
          add(
            { name: 'dma_resv_test_signaled', ...base, bo: buffers[bo]!.name, signaled: true },
            m('test_fence'),
            (s) => p.at_(s) && !pendingIn(s),
            (c) => p.advance(c),
          )
          add(
            { name: 'dma_resv_test_signaled', ...base, bo: buffers[bo]!.name, signaled: false, then: 'again' },
            m('return_false'),
            (s) => p.at_(s) && pendingIn(s),
            (c) => outcome(p, 'again', c),
          )
          return
        }
        // dma_resv_wait_timeout(usage): waits every fence of that usage or a lower one (dma-resv.h).
        const cands = fences.map((_, i) => i).filter((i) => usageRank(usageOf(bo, i)) <= usageRank(usage))
        const pendingIn = (s: Reader): boolean => {
          const mask = s.get(resv[bo]!)
          return cands.some((i) => has(mask, i) && s.get(fs[i]!) === FS.pending)
        }
        for (const fe of cands) {
          add(
            { name: 'enable_signaling', ...base, fence: F(fe), bo: buffers[bo]!.name },
            m('enable'),
            (s) => p.at_(s) && has(s.get(resv[bo]!), fe) && s.get(fs[fe]!) === FS.pending && s.get(en[fe]!) === 0,
            (c) => c.set(en[fe]!, 1),
          )
        }
        add(
          { name: 'dma_resv_wait', ...base, bo: buffers[bo]!.name, usage },
          m('wait_return'),
          (s) => p.at_(s) && !pendingIn(s),
          (c) => p.advance(c),
        )
        if (step.ifFaultPending === 'skip') {
          add(
            { name: 'skip_resv', ...base, bo: buffers[bo]!.name },
            m('skip'),
            (s) => p.at_(s) && pendingIn(s) && s.get(anyFault) === 1,
            (c) => p.abandon(c, false),
          )
        }
        return
      }
      case 'enable_signaling': {
        const fe = step.fence
        add(
          { name: 'enable_signaling', ...base, fence: F(fe) },
          m('enable'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(fs[fe]!) === FS.pending) c.set(en[fe]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'signal': {
        const fe = step.fence
        const err = step.error
        add(
          { name: err ? 'dma_fence_set_error+signal' : 'dma_fence_signal', ...base, fence: F(fe) },
          m('signal', { signals: fe, userspace: th.context === 'userspace' }),
          (s) => p.at_(s),
          (c) => {
            // A second signal is a no-op in the kernel (-EINVAL); fence sanity flags it.
            if (c.get(fs[fe]!) === FS.pending) c.set(fs[fe]!, err ? FS.error : FS.signalled)
            // Force-completing the fence of a job that is not on the hardware removes the job (hang
            // recovery); a running job goes on and will signal again.
            const j = fences[fe]!.job
            if (j !== undefined) {
              const st = c.get(js[j]!)
              if (st === JS.queued || st === JS.ready || st === JS.preempted || st === JS.suspended) c.set(js[j]!, JS.done)
            }
            p.advance(c)
          },
        )
        return
      }
      case 'alloc': {
        const { gfp, pool } = step
        const mem = pool === 'vram' ? vram : system
        const canEnter = p.frame === 'path' && canReclaim[t]! && reclaims(gfp)
        add(
          { name: 'alloc', ...base, gfp: `GFP_${gfp}`, pool },
          m('alloc'),
          (s) => p.at_(s) && s.get(mem) > 0,
          (c) => {
            c.set(mem, c.get(mem) - 1)
            if (rf[t]! >= 0) c.set(rf[t]!, 0)
            p.advance(c)
          },
        )
        if (canEnter) {
          // Direct reclaim runs the shrinkers and MMU notifiers in the allocating thread's context,
          // holding fs_reclaim (mm/page_alloc.c fs_reclaim_acquire; dma-fence.c cross-driver contract).
          add(
            { name: 'enter_reclaim', ...base, gfp: `GFP_${gfp}`, pool },
            m('enter_reclaim'),
            (s) => p.at_(s) && s.get(mem) === 0 && s.get(rf[t]!) === 0,
            (c) => c.set(rpc[t]!, 1),
          )
        }
        const o = step.else
        add(
          { name: 'alloc_failed', ...base, gfp: `GFP_${gfp}`, pool, then: o },
          m(o === 'retry' ? 'spin' : 'alloc_failed'),
          canEnter ? (s) => p.at_(s) && s.get(mem) === 0 && s.get(rf[t]!) === 1 : (s) => p.at_(s) && s.get(mem) === 0,
          (c) => {
            if (rf[t]! >= 0) c.set(rf[t]!, 0)
            outcome(p, o, c)
          },
        )
        return
      }
      case 'free': {
        const mem = step.pool === 'vram' ? vram : system
        add(
          { name: 'free_page', ...base, pool: step.pool },
          m('free'),
          (s) => p.at_(s),
          (c) => {
            c.set(mem, Math.min(c.get(mem) + 1, layout.maxOf[mem]!))
            p.advance(c)
          },
        )
        return
      }
      case 'evict': {
        const bo = step.bo
        // TTM eviction (ttm_bo.c): under the BO's resv, after its fences; the copy runs on an
        // engine the faulting work cannot block (dma-buf.rst rule: independent hardware).
        add(
          { name: 'evict', ...base, bo: buffers[bo]!.name },
          m('evict'),
          (s) => p.at_(s) && s.get(place[bo]!) === PLACE.vram && s.get(system) > 0,
          (c) => {
            c.set(place[bo]!, PLACE.system)
            c.set(vram, c.get(vram) + 1)
            c.set(system, c.get(system) - 1)
            p.advance(c)
          },
        )
        add(
          { name: 'evict_nothing', ...base, bo: buffers[bo]!.name },
          m('evict'),
          (s) => p.at_(s) && s.get(place[bo]!) === PLACE.system,
          (c) => p.advance(c),
        )
        const o = step.else
        add(
          { name: 'evict_failed', ...base, bo: buffers[bo]!.name, then: o },
          m('evict_failed'),
          (s) => p.at_(s) && s.get(place[bo]!) === PLACE.vram && s.get(system) === 0,
          (c) => outcome(p, o, c),
        )
        return
      }
      case 'preempt': {
        const j = step.job
        const eng = engines[jobs[j]!.engine]!
        const stoppable = (s: Reader): boolean => pf[j]! < 0 || s.get(pf[j]!) === 0 || eng.preempt === 'faulting'
        add(
          { name: 'preempt_queue', ...base, job: J(j) },
          m('preempt'),
          (s) => {
            if (!p.at_(s)) return false
            const st = s.get(js[j]!)
            return st === JS.ready || st === JS.preempted || (st === JS.running && stoppable(s))
          },
          (c) => {
            c.set(js[j]!, JS.suspended)
            p.advance(c)
          },
        )
        add(
          { name: 'preempt_queue_idle', ...base, job: J(j) },
          m('preempt'),
          (s) => {
            if (!p.at_(s)) return false
            const st = s.get(js[j]!)
            return st === JS.idle || st === JS.queued || st === JS.suspended || st === JS.done
          },
          (c) => p.advance(c),
        )
        return
      }
      case 'resume': {
        const j = step.job
        add(
          { name: 'resume_queue', ...base, job: J(j) },
          m('resume'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(js[j]!) === JS.suspended) c.set(js[j]!, JS.ready)
            p.advance(c)
          },
        )
        return
      }
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
      case 'add_fence': {
        const { bo, fence: fe } = step
        // dma_resv_add_fence(): readers see it at once (RCU), so the fence is published here (dma-fence.c).
        add(
          { name: 'dma_resv_add_fence', ...base, bo: buffers[bo]!.name, fence: F(fe), usage: step.usage },
          m('publish'),
          (s) => p.at_(s),
          (c) => {
            c.set(resv[bo]!, addBit(c.post(resv[bo]!), fe))
            c.set(pub[fe]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'begin_signalling':
      case 'end_signalling': {
        const on = step.op === 'begin_signalling' ? 1 : 0
        add(
          { name: `dma_fence_${step.op}`, ...base },
          m(step.op),
          (s) => p.at_(s),
          (c) => {
            c.set(sig[t]!, on)
            p.advance(c)
          },
        )
        return
      }
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
      case 'syncobj_proxy': {
        const { from, to } = step
        add(
          { name: 'syncobj_proxy_fence', ...base, from: F(from), to: F(to) },
          m('proxy'),
          (s) => p.at_(s),
          (c) => {
            c.set(px[to]!, 1)
            c.set(pub[to]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'invalidate': {
        const x = siteAt.get(`${t}:${p.frame}:${p.at}`)!
        const L_ = x.steps.length
        const pg = step.pages.map((q) => pages[q]!.name).join(',')
        // mmu_notifier_invalidate_range_start(): the mm's seq becomes odd (rule 36) and stays odd
        // while any invalidation is in flight (rule 37); then the covering callbacks run.
        add(
          { name: step.nonblock ? 'invalidate_range_start_nonblock' : 'invalidate_range_start', ...base, pages: pg, event: step.event },
          m('invalidate_start'),
          (s) => p.at_(s),
          (c) => {
            c.set(active, c.get(active) + 1)
            c.set(npc[t]!, L_ > 0 ? 1 : L_ + 1)
          },
        )
        for (let k = 0; k < L_; k++) stepRules(notifierPos(x, k), x.steps[k]!)
        // Every callback returned: the CPU side goes on and the pages change (a new generation):
        // unmap/exit/pressure free or swap them out, migrate moves them to a new frame.
        add(
          { name: 'cpu_pages_change', ...base, pages: pg, event: step.event },
          m('invalidate_pages', { site: x }),
          (s) => s.get(npc[t]!) === L_ + 1 && siteGuard(x)(s),
          (c) => {
            for (const q of step.pages) {
              ranges.forEach((r, ri) => {
                const k = r.pages.indexOf(q)
                if (k >= 0 && c.get(pte[ri]![k]!) === PTE.valid) c.set(pte[ri]![k]!, PTE.stale)
              })
              for (let u = 0; u < T; u++) if (pfn[u]![q]! >= 0) c.set(pfn[u]![q]!, 0)
              if (step.event !== 'migrate') c.set(pageAt[q]!, PAGE.none)
            }
            c.set(npc[t]!, L_ + 2)
          },
        )
        // mmu_notifier_invalidate_range_end(): when the last one ends the seq turns even again.
        add(
          { name: 'invalidate_range_end', ...base, pages: pg },
          m('invalidate_end', { site: x }),
          (s) => s.get(npc[t]!) === L_ + 2 && siteGuard(x)(s),
          (c) => {
            const left = c.get(active) - 1
            c.set(active, left)
            if (left === 0) for (const fld of inval) c.set(fld, 0)
            c.set(npc[t]!, 0)
            p.advance(c)
          },
        )
        return
      }
      case 'set_seq': {
        const n = step.notifier
        // mmu_interval_set_seq(): the subscription takes the mm's odd seq, so every read_retry on a
        // seq read before now reports a collision, and read_begin waits until the seq is even.
        add(
          { name: 'mmu_interval_set_seq', ...base, notifier: notifiers[n]!.name },
          m('set_seq'),
          (s) => p.at_(s),
          (c) => {
            c.set(inval[n]!, 1)
            for (let u = 0; u < T; u++) if (snap[u]![n]! >= 0) c.set(snap[u]![n]!, 0)
            p.advance(c)
          },
        )
        return
      }
      case 'read_begin': {
        const ns = ranges[step.range]!.notifiers
        add(
          { name: 'mmu_interval_read_begin', ...base, range: ranges[step.range]!.name },
          m('read_begin'),
          (s) => p.at_(s) && ns.every((n) => s.get(inval[n]!) === 0),
          (c) => {
            for (const n of ns) c.set(snap[t]![n]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'get_pages': {
        const r = ranges[step.range]!
        // hmm_range_fault(): faults missing pages in and returns their pfns (current generations).
        add(
          { name: 'hmm_range_fault', ...base, range: r.name },
          m('get_pages'),
          (s) => p.at_(s),
          (c) => {
            for (const q of r.pages) {
              if (c.get(pageAt[q]!) === PAGE.none) c.set(pageAt[q]!, PAGE.system)
              c.set(pfn[t]![q]!, 1)
            }
            p.advance(c)
          },
        )
        return
      }
      case 'read_retry': {
        const r = ranges[step.range]!
        const fresh = (s: Reader): boolean => r.notifiers.every((n) => s.get(snap[t]![n]!) === 1)
        add(
          { name: 'mmu_interval_read_retry', ...base, range: r.name, collision: false },
          m('read_retry'),
          (s) => p.at_(s) && fresh(s),
          (c) => p.advance(c),
        )
        const o = step.else
        add(
          { name: 'mmu_interval_read_retry', ...base, range: r.name, collision: true, then: o },
          m('collision'),
          (s) => p.at_(s) && !fresh(s),
          (c) => {
            if (o === 'retry') p.jump(c, step.back)
            else outcome(p, o, c)
          },
        )
        return
      }
      case 'map': {
        const ri = step.range
        const r = ranges[ri]!
        // Program the GPU PTEs with the pfns get_pages returned: stale if the page changed since.
        add(
          { name: 'program_gpu_ptes', ...base, range: r.name },
          m('map'),
          (s) => p.at_(s),
          (c) => {
            r.pages.forEach((q, k) => c.set(pte[ri]![k]!, c.get(pfn[t]![q]!) === 1 ? PTE.valid : PTE.stale))
            p.advance(c)
          },
        )
        return
      }
      case 'zap': {
        const ri = step.range
        add(
          { name: 'zap_gpu_ptes', ...base, range: ranges[ri]!.name },
          m('zap'),
          (s) => p.at_(s),
          (c) => {
            for (const fld of pte[ri]!) c.set(fld, PTE.invalid)
            p.advance(c)
          },
        )
        return
      }
      case 'exit_mm':
        add(
          { name: 'exit_mm', ...base },
          m('exit_mm'),
          (s) => p.at_(s),
          (c) => {
            c.set(exiting, 1)
            p.advance(c)
          },
        )
        return
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
      case 'skip_if_exiting':
        add(
          { name: 'process_exiting', ...base, exiting: true },
          m('exit_shortcut'),
          (s) => p.at_(s) && s.get(exiting) === 1,
          (c) => p.abandon(c, false),
        )
        add(
          { name: 'process_exiting', ...base, exiting: false },
          m('not_exiting'),
          (s) => p.at_(s) && s.get(exiting) === 0,
          (c) => p.advance(c),
        )
        return
    }
  }
  const addBit = (mask: number, i: number): number => (has(mask, i) ? mask : mask + bit(i))

  /** The scheduler takes the job: implicit dependencies are captured from the resv of used buffers
   * (usages up to READ; BOOKKEEP never syncs, dma-resv.h), then its fence is installed. */
  const pushJob = (c: Cursor, j: number): void => {
    const job = jobs[j]!
    if (c.get(js[j]!) !== JS.idle) return
    c.set(js[j]!, JS.queued)
    const own = job.fence
    if (jd[j]! >= 0) {
      let deps = 0
      for (const u of job.uses) {
        const mask = c.get(resv[u.bo]!)
        for (let i = 0; i < fences.length; i++) {
          if (i !== own && has(mask, i) && usageRank(usageOf(u.bo, i)) <= usageRank('read')) deps = addBit(deps, i)
        }
      }
      c.set(jd[j]!, deps)
      for (const u of job.uses) c.set(resv[u.bo]!, addBit(c.post(resv[u.bo]!), own))
    }
    c.set(pub[own]!, 1)
  }

  /** The job's fence signals: with an error if a dependency failed and errors propagate. */
  const finishJob = (c: Cursor, j: number, error: boolean): void => {
    c.set(js[j]!, JS.done)
    const fe = jobs[j]!.fence
    if (c.get(fs[fe]!) === FS.pending) c.set(fs[fe]!, error ? FS.error : FS.signalled)
  }

  threads.forEach((th, t) => th.steps.forEach((step, i) => stepRules(pathPos(t, i), step)))
  threads.forEach((th, t) => {
    if (!canReclaim[t]) return
    reclaimSteps.forEach((step, i) => stepRules(reclaimPos(t, i), step))
    add(
      { name: 'exit_reclaim', thread: th.name },
      { actor: { kind: 'thread', index: t }, frame: 'reclaim', at: RL, does: 'exit_reclaim' },
      (s) => s.get(rpc[t]!) === RL + 1,
      (c) => {
        c.set(rpc[t]!, 0)
        c.set(rf[t]!, 1)
      },
    )
  })

  // ---- the GPU: jobs on engines ----
  const scheduled = jobs.map((_, j) => threads.some((th) => th.steps.some((s) => s.op === 'run' && s.job === j)))
  const freeCUs = (s: Reader, e: number): number => engines[e]!.cus - s.get(usedCU[e]!)
  /** CU reservation (dma-buf.rst option (b); seed 000 rule 3): hmm work never takes reserved CUs. */
  const mayTake = (s: Reader, j: number): boolean => {
    const job = jobs[j]!
    const e = job.engine
    if (freeCUs(s, e) < job.cus) return false
    if (job.queue === 'user' && s.get(hmmCU[e]!) + job.cus > engines[e]!.cus - engines[e]!.reserveForDma) return false
    return flushAllows(s, j)
  }
  /** Engine flush: fault-capable work runs only when no dma_fence work is pending on the engine. */
  const flushAllows = (s: Reader, j: number): boolean => {
    const job = jobs[j]!
    if (!engines[job.engine]!.flush || !job.faults) return true
    return jobs.every(
      (k, i) =>
        k.engine !== job.engine ||
        k.queue !== 'kernel' ||
        (s.get(js[i]!) !== JS.queued && s.get(js[i]!) !== JS.ready && s.get(js[i]!) !== JS.running && s.get(js[i]!) !== JS.preempted),
    )
  }

  jobs.forEach((job, j) => {
    const e = job.engine
    const eng = engines[e]!
    const jm = (does: string, extra: Partial<RuleMeta> = {}): RuleMeta => ({ actor: { kind: 'job', index: j }, does, ...extra })
    if (!scheduled[j]) {
      // The scheduler runs a kernel job once its dependencies signal (drm_sched); user-queue work
      // goes straight to the hardware and waits for dma_fences there (seed 000, rule 7).
      add(
        { name: 'job_ready', job: job.name },
        jm('ready'),
        job.queue === 'kernel' ? (s) => s.get(js[j]!) === JS.queued && depsSettled(s, j) : (s) => s.get(js[j]!) === JS.queued,
        (c) => {
          if (job.queue === 'kernel' && job.propagateErrors && depErrored(c, j)) finishJob(c, j, true)
          else c.set(js[j]!, JS.ready)
        },
      )
    }
    add(
      { name: 'job_start', job: job.name, engine: eng.name },
      jm('start'),
      (s) => s.get(js[j]!) === JS.ready && mayTake(s, j),
      (c) => c.set(js[j]!, JS.running),
    )
    add(
      { name: 'job_resume', job: job.name, engine: eng.name },
      jm('resume'),
      (s) => s.get(js[j]!) === JS.preempted && mayTake(s, j),
      (c) => c.set(js[j]!, JS.running),
    )
    if (pteFaults[j]) {
      // XNACK on: an access through an invalid PTE is a recoverable fault; the job stalls.
      const slots = job.accesses.flatMap((ri) => pte[ri]!)
      add(
        { name: 'gpu_page_fault_raised', job: job.name },
        jm('fault'),
        (s) => s.get(js[j]!) === JS.running && s.get(pf[j]!) === 0 && slots.some((x) => s.get(x) === PTE.invalid),
        (c) => c.set(pf[j]!, 1),
      )
    }
    // A GPU access the mirror must never allow: through a stale PTE (the page was freed, migrated
    // or reused after its notifier returned), or, on no-fault hardware, through an invalid one.
    // Accesses through a valid PTE change nothing and are not separate steps.
    if (design.properties.includes('gpu-access'))
      for (const ri of job.accesses) {
        const r = ranges[ri]!
        r.pages.forEach((q, k) => {
          const x = pte[ri]![k]!
          const bad = eng.xnack ? (v: number) => v === PTE.stale : (v: number) => v !== PTE.valid
          add(
            { name: 'gpu_access', job: job.name, range: r.name, page: pages[q]!.name },
            jm('access', {}),
            pf[j]! >= 0 ? (s) => s.get(js[j]!) === JS.running && s.get(pf[j]!) === 0 && bad(s.get(x)) : (s) => s.get(js[j]!) === JS.running && bad(s.get(x)),
            () => {},
          )
        })
      }
    if (job.faults && !pteFaults[j]) {
      // A recoverable GPU page fault: the job stalls, keeping its CUs (dma-buf.rst).
      add(
        { name: 'gpu_page_fault_raised', job: job.name },
        jm('fault'),
        (s) => s.get(js[j]!) === JS.running && s.get(pf[j]!) === 0 && s.get(fdone[j]!) === 0,
        (c) => {
          c.set(pf[j]!, 1)
          c.set(fdone[j]!, 1)
        },
      )
    }
    const complete =
      job.queue === 'user' && job.waitsDeps
        ? (s: Reader) => s.get(js[j]!) === JS.running && (pf[j]! < 0 || s.get(pf[j]!) === 0) && depsSettled(s, j)
        : (s: Reader) => s.get(js[j]!) === JS.running && (pf[j]! < 0 || s.get(pf[j]!) === 0)
    add(
      { name: job.queue === 'user' ? 'user_job_complete' : 'job_complete', job: job.name, fence: fences[job.fence]!.name },
      jm('complete', { signals: job.fence, userspace: job.queue === 'user' }),
      complete,
      (c) => finishJob(c, j, job.propagateErrors && depErrored(c, j)),
    )
    // Preemption of hmm work by dma_fence work (seed 000 rule 3; dma-buf.rst option (a)).
    if (job.queue === 'kernel' && eng.preempt !== 'none') {
      jobs.forEach((victim, v) => {
        if (victim.engine !== e || victim.queue !== 'user') return
        add(
          { name: 'preempt_hmm_work', job: job.name, victim: victim.name },
          jm('preempt'),
          (s) =>
            s.get(js[j]!) === JS.ready &&
            freeCUs(s, e) < job.cus &&
            s.get(js[v]!) === JS.running &&
            freeCUs(s, e) + victim.cus >= job.cus &&
            (pf[v]! < 0 || s.get(pf[v]!) === 0 || eng.preempt === 'faulting'),
          (c) => {
            c.set(js[v]!, JS.preempted)
            c.set(js[j]!, JS.running)
          },
        )
      })
    }
    // The design bug rule 2 forbids: hmm work preempting dma_fence work.
    if (job.queue === 'user' && eng.hmmPreemptsDma) {
      jobs.forEach((victim, v) => {
        if (victim.engine !== e || victim.queue !== 'kernel') return
        add(
          { name: 'hmm_preempts_dma_work', job: job.name, victim: victim.name },
          jm('preempt_dma'),
          (s) => s.get(js[j]!) === JS.ready && freeCUs(s, e) < job.cus && s.get(js[v]!) === JS.running && freeCUs(s, e) + victim.cus >= job.cus,
          (c) => {
            c.set(js[v]!, JS.preempted)
            c.set(js[j]!, JS.running)
          },
        )
      })
    }
  })

  // Preempt / eviction fences: once signalling is enabled, the queue is taken off the hardware
  // and the fence signals (xe_preempt_fence.c; amdgpu_amdkfd_fence.c enable_signaling).
  fences.forEach((fe, i) => {
    if (fe.kind === 'preempt') {
      const j = fe.of!
      const eng = engines[jobs[j]!.engine]!
      add(
        { name: 'preempt_fence_signal', fence: fe.name, job: jobs[j]!.name },
        { actor: { kind: 'fence', index: i }, does: 'preempt_fence', signals: i },
        (s) =>
          s.get(en[i]!) === 1 &&
          s.get(fs[i]!) === FS.pending &&
          (s.get(js[j]!) !== JS.running || pf[j]! < 0 || s.get(pf[j]!) === 0 || eng.preempt === 'faulting'),
        (c) => {
          // Eviction takes every queue of the process off the hardware, submitted or running.
          const st = c.get(js[j]!)
          if (st === JS.running || st === JS.ready || st === JS.preempted || (st === JS.queued && jobs[j]!.queue === 'user')) c.set(js[j]!, JS.suspended)
          c.set(fs[i]!, FS.signalled)
        },
      )
    }
    if (proxyOf[i]! >= 0) {
      const src = proxyOf[i]!
      add(
        { name: 'proxy_fence_signal', fence: fe.name, from: fences[src]!.name },
        { actor: { kind: 'fence', index: i }, does: 'proxy_signal', signals: i },
        (s) => s.get(px[i]!) === 1 && s.get(fs[i]!) === FS.pending && s.get(fs[src]!) !== FS.pending,
        (c) => c.set(fs[i]!, c.get(fs[src]!)),
      )
    }
  })

  // ---- initial state ----
  const initial = new Int32Array(layout.fieldCount)
  initial[vram] = design.memory.vram
  initial[system] = design.memory.system
  buffers.forEach((bo, i) => {
    initial[place[i]!] = PLACE[bo.placement]
    let mask = 0
    for (const fe of bo.fences) {
      mask = addBit(mask, fe)
      initial[pub[fe]!] = 1
    }
    initial[resv[i]!] = mask
  })
  pages.forEach((pg, q) => (initial[pageAt[q]!] = PAGE[pg.at]))
  ranges.forEach((r, ri) => r.pages.forEach((_, k) => (initial[pte[ri]![k]!] = r.mapped ? PTE.valid : PTE.invalid)))
  jobs.forEach((job, j) => {
    if (!job.submitted) return
    initial[js[j]!] = JS.queued
    initial[pub[job.fence]!] = 1
    if (jd[j]! >= 0) {
      let deps = 0
      for (const u of job.uses) {
        for (let i = 0; i < fences.length; i++) {
          if (i !== job.fence && has(initial[resv[u.bo]!]!, i) && usageRank(usageOf(u.bo, i)) <= usageRank('read')) deps = addBit(deps, i)
        }
      }
      initial[jd[j]!] = deps
      for (const u of job.uses) initial[resv[u.bo]!] = addBit(initial[resv[u.bo]!]!, job.fence)
    }
  })

  // ---- static facts for the properties ----
  const heldAtWait = new Set<number>()
  threads.forEach((th, t) =>
    th.steps.forEach((s, i) => {
      if (s.op === 'wait' || s.op === 'wait_resv') for (const h of pathHeld[t]![i]!) heldAtWait.add(h.lock)
      if (s.op === 'alloc' && canReclaim[t] && reclaims(s.gfp)) {
        // Locks held when entering reclaim are held across the reclaim paths' waits.
        if (reclaimSteps.some((r) => r.op === 'wait' || r.op === 'wait_resv')) for (const h of pathHeld[t]![i]!) heldAtWait.add(h.lock)
      }
    }),
  )
  reclaimSteps.forEach((s, i) => {
    if (s.op === 'wait' || s.op === 'wait_resv') for (const h of reclaimHeld[i]!) heldAtWait.add(h.lock)
  })
  for (const x of sites)
    x.steps.forEach((s, k) => {
      if (s.op === 'wait' || s.op === 'wait_resv') for (const h of x.held[k]!) heldAtWait.add(h.lock)
    })
  const signalPathLocks = fences.map(() => new Set<number>())
  const signalPathReclaims = fences.map(() => false)
  const noteSignalPath = (fe: number, steps: readonly Step[], t: number): void => {
    for (const s of steps) {
      if (s.op === 'lock' || s.op === 'trylock') signalPathLocks[fe]!.add(s.lock)
      if (s.op === 'alloc' && reclaims(s.gfp) && canReclaim[t]) {
        signalPathReclaims[fe] = true
        for (const r of reclaimSteps) if (r.op === 'lock' || r.op === 'trylock') signalPathLocks[fe]!.add(r.lock)
      }
    }
  }
  threads.forEach((th, t) => {
    for (const s of th.steps) {
      // A scheduler thread that runs job J is on J's fence's signalling path; so is a thread that
      // signals a fence, from its start (or its begin_signalling) to the signal.
      if (s.op === 'run' || s.op === 'await_deps') noteSignalPath(jobs[s.job]!.fence, th.steps, t)
      if (s.op === 'signal') noteSignalPath(s.fence, th.steps.slice(0, th.steps.indexOf(s)), t)
    }
  })
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
      return { step: x.step, where: inReclaim, site: x }
    }
    return { step: r > 0 ? reclaimSteps[r - 1] : threads[t]!.steps[s.get(pc[t]!)], where: inReclaim }
  }
  const idle = (s: Reader, t: number): boolean =>
    threads[t]!.repeat && s.get(pc[t]!) === 0 && (rpc[t]! < 0 || s.get(rpc[t]!) === 0) && (npc[t]! < 0 || s.get(npc[t]!) === 0)
  const criticalContext = threads.map((th) => th.context === 'notifier' || th.context === 'fault-handler' || th.context === 'shrinker')
  const fenceDeps = fences.map((_fe, i) => (proxyOf[i]! >= 0 ? [proxyOf[i]!] : staticDeps[i]!))

  const perms = design.symmetry.length ? symmetryPerms(design, design.symmetry) : []
  const view: GpuView = {
    design,
    f,
    rules,
    meta,
    reclaimSteps,
    reclaimSegEnd,
    reclaimSegName,
    pathHeld,
    reclaimHeld,
    actorRules,
    fenceDeps,
    proxyOf,
    heldAtWait,
    signalPathLocks,
    signalPathReclaims,
    criticalContext,
    sites,
    stepAt,
    idle,
    heldBy,
    depsOf,
    waitFor: (s) => waitFor(view, s),
  }

  const deadlock: DeadlockCheck = {
    // The same property as the wait-for invariant, in its global form: nothing can move at all.
    name: 'deadlock',
    cite: 'dma-fence.c, DOC: fence cross-driver contract; seed 000',
    terminal: (s) => {
      for (let t = 0; t < T; t++) if (!idle(s, t) && (s.get(pc[t]!) !== threads[t]!.steps.length || (rpc[t]! >= 0 && s.get(rpc[t]!) !== 0))) return false
      for (let j = 0; j < jobs.length; j++) {
        const st = s.get(js[j]!)
        if (st !== JS.idle && st !== JS.done) return false
      }
      return true
    },
  }

  const properties: Property<Action>[] = gpuProperties(view, perms)
  const symmetry =
    perms.length > 1
      ? {
          describe: design.symmetry.map((g) => `jobs ${g.map((j) => jobs[j]!.name).join(', ')} interchangeable`).join('; '),
          canonicalize: gpuCanonicalizer(layout, f, perms),
          // progress obligations are dma_fences; a permutation that moves a job owning one moves them
          fixesObligations: perms.every((p) => jobs.every((job, j) => p.job[j] === j || fences[job.fence]!.kind === 'hmm')),
        }
      : undefined
  return {
    name: 'gpu',
    params,
    about: name,
    layout,
    init: () => [initial],
    rules,
    properties,
    omitted: gpuOmitted(design),
    ...(design.properties.includes('deadlock') ? { deadlock } : {}),
    ...(symmetry ? { symmetry } : {}),
    derive(v) {
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
    },
    view,
  }
}

export type { Fence, Job, Thread }
