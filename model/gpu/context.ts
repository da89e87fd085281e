/**
 * What every rule of a compiled design is built from: the design, its static path facts, its
 * state fields, the rule list being filled, and the helpers effects share (locks taken and
 * dropped, jobs pushed, finished and killed, where a step sits and how a path moves on from it).
 * Op modules (ops/) and the GPU mechanisms (mech/) receive one of these and add their rules.
 */
import type { StateLayout } from '../../checker/layout.js'
import type { Action, Cursor, Reader, Rule } from '../../checker/model.js'
import { type GpuDesign, isErrorCode, type LockMode, type Outcome, type Step, type Thread, USAGES, type Usage, usageKey } from './types.js'
import { FS, type GpuFields, type Held, JS, type RuleMeta, type Site } from './view.js'

// Masks are state values: non-negative and exact in a double. Below bit 31 of a mask under 2^31 the
// integer test is exact; anything else takes the arithmetic form.
export const bit = (i: number): number => (i < 31 ? 1 << i : 2 ** i)
export const has = (mask: number, i: number): boolean =>
  i < 31 && mask >= 0 && mask <= 0x7fffffff ? ((mask >>> i) & 1) === 1 : Math.floor(mask / 2 ** i) % 2 === 1
export const addBit = (mask: number, i: number): number => (has(mask, i) ? mask : mask + bit(i))
export const usageRank = (u: Usage): number => USAGES.indexOf(u)

/** Static facts about a design's paths (paths.ts computes them). */
export interface Paths {
  readonly reclaimSteps: readonly Step[]
  /** for each flattened reclaim step, one past the end of its segment, the segment's name and start */
  readonly reclaimSegEnd: readonly number[]
  readonly reclaimSegName: readonly string[]
  readonly reclaimSegStart: readonly number[]
  /** thread t has a step that may enter direct reclaim, and there are reclaim paths */
  readonly canReclaim: readonly boolean[]
  readonly pathHeld: readonly (readonly Held[])[][]
  readonly reclaimHeld: readonly (readonly Held[])[]
  readonly sites: readonly Site[]
  readonly siteAt: ReadonlyMap<string, Site>
  /** the longest callback list among thread t's sites, or -1 */
  readonly siteLen: readonly number[]
  /** the steps of thread t's path, then the reclaim steps if it may reclaim */
  memSteps: (t: number) => Step[]
  /** preemptOff[t][i]: thread t runs step i with preemption off (preempt_disable, a spinlock held) */
  readonly preemptOff: readonly (readonly boolean[])[]
}

/** The packed state's fields (fields.ts lays them out). */
export interface Fields {
  readonly layout: StateLayout
  readonly f: GpuFields
  /** the source of each proxy fence made by syncobj_proxy, or -1 */
  readonly proxyOf: readonly number[]
  /** jobs whose faults come from their PTEs (XNACK on): they fault whenever one is invalid */
  readonly pteFaults: readonly boolean[]
  /** fields op modules declared for themselves, by name */
  readonly extra: Readonly<Record<string, number>>
}

/** Where a step sits and how to move on from it. */
export interface Pos {
  readonly t: number
  readonly frame: 'path' | 'reclaim' | 'notifier'
  readonly at: number
  readonly site?: Site
  at_: (s: Reader) => boolean
  advance: (c: Cursor) => void
  /** leave the path (skip/fail), the reclaim segment (skip) or the callback (return early),
   * releasing what it took */
  abandon: (c: Cursor, fail: boolean) => void
  /** go back to step `to` of the same path or segment (collision retry), releasing the locks
   * taken since */
  jump: (c: Cursor, to: number) => void
}

export interface CompileCx {
  readonly design: GpuDesign
  readonly paths: Paths
  readonly layout: StateLayout
  readonly f: GpuFields
  readonly fields: Fields
  readonly T: number
  readonly rules: Rule<Action>[]
  readonly meta: Map<Action, RuleMeta>
  readonly actorRules: { readonly thread: number[][]; readonly job: number[][]; readonly fence: number[][] }
  add: (action: Action, m: RuleMeta, guard: (s: Reader) => boolean, apply: (s: Cursor) => void) => void
  usageOf: (bo: number, fence: number) => Usage
  depsOf: (s: Reader, j: number) => number[]
  depsSettled: (s: Reader, j: number) => boolean
  depErrored: (s: Reader, j: number) => boolean
  heldBy: (s: Reader, t: number) => number[]
  lockFree: (s: Reader, l: number, mode: LockMode) => boolean
  takeLock: (c: Cursor, t: number, l: number, mode: LockMode) => void
  dropLock: (c: Cursor, t: number, l: number) => void
  /** Kill job j (its fault could not be served): its fence errors, its CUs are released. */
  killJob: (c: Cursor, j: number) => void
  /** The scheduler takes the job: implicit dependencies from its buffers, its fence installed. */
  pushJob: (c: Cursor, j: number) => void
  /** The job's fence signals: with an error if a dependency failed and errors propagate. */
  finishJob: (c: Cursor, j: number, error: boolean) => void
  /** what a failing step does: skip, fail, again (a callback returns false) or retry (stay) */
  outcome: (p: Pos, o: Outcome, c: Cursor) => void
  /** the guard that thread t is at an invalidate site (ignoring the callback frame inside it) */
  siteGuard: (x: Site) => (s: Reader) => boolean
  notifierPos: (x: Site, k: number) => Pos
  /** the rules of one step at one position (op modules call it for the callbacks they run) */
  stepRules: (p: Pos, step: Step) => void
}

/** One step instance being compiled: its position, its thread, and the parts every action shares. */
export interface StepCx {
  readonly cx: CompileCx
  readonly p: Pos
  readonly t: number
  readonly th: Thread
  /** thread name and position, spread into every action of the step */
  readonly base: { readonly thread: string; readonly at: string | number }
  /** the rule's metadata: this thread, this step, this frame */
  m: (does: string, extra?: Partial<RuleMeta>) => RuleMeta
  add: (action: Action, m: RuleMeta, guard: (s: Reader) => boolean, apply: (s: Cursor) => void) => void
  L: (i: number) => string
  F: (i: number) => string
  J: (i: number) => string
}

export function createContext(design: GpuDesign, paths: Paths, fields: Fields): Omit<CompileCx, 'stepRules'> {
  const { jobs, fences, threads } = design
  const { layout, f } = fields
  const { rpc, pc, npc } = f
  const { pathHeld, reclaimHeld } = paths
  const rules: Rule<Action>[] = []
  const meta = new Map<Action, RuleMeta>()
  const actorRules = { thread: threads.map(() => [] as number[]), job: jobs.map(() => [] as number[]), fence: fences.map(() => [] as number[]) }
  const add = (action: Action, m: RuleMeta, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => {
    meta.set(action, m)
    actorRules[m.actor.kind][m.actor.index]!.push(rules.length)
    const at = positionOf(m)
    rules.push(at ? { action, guard, apply, requires: at } : { action, guard, apply })
  }
  /** A thread's rule runs the step at its position: its guard requires the frame's counter there
   * (positions.ts, notifierPos below: a path step at pc, a reclaim step at rpc - 1, a callback
   * step at npc - 1). test/model/rulePositions.test.ts checks it in every reachable state. */
  const positionOf = (m: RuleMeta): { field: number; value: number } | undefined => {
    if (m.actor.kind !== 'thread' || m.at === undefined) return undefined
    const t = m.actor.index
    if (m.frame === 'path') return { field: pc[t]!, value: m.at }
    if (m.frame === 'reclaim' && rpc[t]! >= 0) return { field: rpc[t]!, value: m.at + 1 }
    if (m.frame === 'notifier' && npc[t]! >= 0) return { field: npc[t]!, value: m.at + 1 }
    return undefined
  }
  const usageOf = (bo: number, fence: number): Usage => design.usageOf.get(usageKey(bo, fence)) ?? 'bookkeep'
  const { depsOf, depsSettled, depErrored, killJob, pushJob, finishJob } = jobHelpers(design, fields, usageOf)
  const { heldBy, lockFree, takeLock, dropLock } = lockHelpers(design, fields)
  const enterBranch = (p: Pos, c: Cursor): void => {
    if (p.frame === 'path') c.set(pc[p.t]!, p.at + 1)
    else if (p.frame === 'reclaim') c.set(rpc[p.t]!, p.at + 2)
    else c.set(npc[p.t]!, p.at + 2)
  }
  const outerHeld = (x: Site) => (x.frame === 'path' ? pathHeld[x.thread]![x.at]! : reclaimHeld[x.at]!)
  const outcome = (p: Pos, o: Outcome, c: Cursor): void => {
    if (o === 'skip') p.abandon(c, false)
    // An error code is a failure the path returns (-EBUSY, -EDEADLK, ...): it leaves the path failed.
    else if (o === 'fail' || isErrorCode(o)) p.abandon(c, p.frame === 'path')
    // The step's else: list runs: it starts right after the step (ops/branch.ts).
    else if (o === 'branch') enterBranch(p, c)
    else if (o === 'again') {
      // The callback returns false (rule 38). A non-blockable invalidation is then abandoned
      // (mn_itree_invalidate -> -EAGAIN): the pages stay. A blockable one WARNs and goes on.
      const x = p.site!
      if (x.step.nonblock) {
        for (const h of x.held[p.at]!) if (!outerHeld(x).some((o) => o.lock === h.lock)) dropLock(c, p.t, h.lock)
        c.set(npc[p.t]!, x.steps.length + 2)
      } else p.abandon(c, false)
    }
    // retry: stay on the step (a busy retry; the wait-for graph treats it as blocked)
  }
  const siteGuard = (x: Site): ((s: Reader) => boolean) => {
    const t = x.thread
    const r = rpc[t]!
    if (x.frame === 'reclaim') return (s) => s.get(r) === x.at + 1
    return r >= 0 ? (s) => s.get(pc[t]!) === x.at && s.get(r) === 0 : (s) => s.get(pc[t]!) === x.at
  }
  const notifierPos = (x: Site, k: number): Pos => {
    const t = x.thread
    const g = siteGuard(x)
    const own = x.held[k]!.filter((h) => !outerHeld(x).some((o) => o.lock === h.lock))
    return {
      t,
      frame: 'notifier',
      at: k,
      site: x,
      at_: (s) => s.get(npc[t]!) === k + 1 && g(s),
      advance: (c) => c.set(npc[t]!, k + 2 + (x.steps[k]!.branch ?? 0)),
      abandon: (c) => {
        // The callback returns early (e.g. the process is exiting): the next callback runs.
        for (const h of own) dropLock(c, t, h.lock)
        c.set(npc[t]!, x.segEnd[k]! + 1)
      },
      jump: (c, to) => c.set(npc[t]!, to + 1),
    }
  }
  return {
    design,
    paths,
    layout,
    f,
    fields,
    T: threads.length,
    rules,
    meta,
    actorRules,
    add,
    usageOf,
    depsOf,
    depsSettled,
    depErrored,
    heldBy,
    lockFree,
    takeLock,
    dropLock,
    killJob,
    pushJob,
    finishJob,
    outcome,
    siteGuard,
    notifierPos,
  }
}

/** Who holds which lock, and taking and dropping one (a mutex's owner, an rwsem's reader bits). */
function lockHelpers(design: GpuDesign, fields: Fields) {
  const { locks } = design
  const { owner, readers } = fields.f
  const heldBy = (s: Reader, t: number): number[] => {
    const out: number[] = []
    for (let l = 0; l < locks.length; l++) {
      if (s.get(owner[l]!) === t + 1 || (readers[l]! >= 0 && has(s.get(readers[l]!), t))) out.push(l)
    }
    return out
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
  return { heldBy, lockFree, takeLock, dropLock }
}

/** A job's dependencies (explicit, and implicit from the dma_resv of its buffers), and pushing,
 * finishing and killing it. */
function jobHelpers(design: GpuDesign, fields: Fields, usageOf: (bo: number, fence: number) => Usage) {
  const { jobs, fences } = design
  const { fs, js, pf, jd, resv, pub } = fields.f
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
  const killJob = (c: Cursor, j: number): void => {
    if (c.post(js[j]!) === JS.done) return
    c.set(js[j]!, JS.done)
    if (pf[j]! >= 0) c.set(pf[j]!, 0)
    if (c.post(fs[jobs[j]!.fence]!) === FS.pending) c.set(fs[jobs[j]!.fence]!, FS.error)
  }
  /** Implicit dependencies are captured from the resv of used buffers (usages up to READ;
   * BOOKKEEP never syncs, dma-resv.h), then the job's fence is installed. */
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
  const finishJob = (c: Cursor, j: number, error: boolean): void => {
    c.set(js[j]!, JS.done)
    const fe = jobs[j]!.fence
    if (c.get(fs[fe]!) === FS.pending) c.set(fs[fe]!, error ? FS.error : FS.signalled)
  }
  return { depsOf, depsSettled, depErrored, killJob, pushJob, finishJob }
}
