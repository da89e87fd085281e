/**
 * The static footprint of every rule of a compiled design, for partial-order reduction
 * (checker/por.ts): the state fields its guard and effect may read and write, and which actor it
 * belongs to. A thread's rule touches its own thread's fields, the objects its step's refs name
 * (ops/op.ts refs, by role: a new op cannot forget them), the locks its position holds (a failing
 * step releases them) and the jobs its path serves (a failed handler kills them), and whatever the
 * op module declares beyond those (OpModule.footprint). The GPU mechanisms' rules (mech/) are
 * declared here. test/checker/por.test.ts checks every footprint against what the rules touch
 * over the whole state space of every bundled scenario.
 */
import type { Action } from '../../checker/model.js'
import type { LockClaim, PorInfo } from '../../checker/por.js'
import type { CompileCx } from './context.js'
import { opOf } from './ops/index.js'
import { busyKey } from './ops/swap.js'
import { pools as poolPlaces } from './pools.js'
import { orderEffects } from './orderEffects.js'
import type { Place, Role } from './ops/op.js'
import type { Step } from './types.js'
import { FS, JS, type GpuView, type RuleMeta } from './view.js'

const EXTRA_OF: Partial<Record<Role, (i: number, key: string) => boolean>> = {
  work: (i, key) => key === `work.${i}` || key === `timer.${i}`,
  pool: (i, key) => key === `pool.${i}`,
  page: (i, key) =>
    key === `pageLock.${i}` || key.startsWith('pageRef.')
      ? key.endsWith(`.${i}`)
      : (key.startsWith('migrating.') || key.startsWith('migrateDst.')) && key.endsWith(`.${i}`),
}

/** The state fields (and an rwsem's per-thread reader bits) each object of a design occupies. */
function placesOf(cx: Omit<CompileCx, 'stepRules'>) {
  const { design, f } = cx
  const { threads, jobs, locks, buffers, ranges } = design
  const F = cx.layout.fieldCount
  const T = threads.length
  const extraKeys = Object.keys(f.extra)
  const ok = (x: number): boolean => x >= 0
  const threadFields = (t: number): number[] =>
    [
      f.pc[t]!,
      f.rpc[t]!,
      f.rf[t]!,
      f.sig[t]!,
      f.failed[t]!,
      f.npc[t]!,
      ...f.pfn[t]!,
      ...f.snap[t]!,
      ...extraKeys.filter((k) => /^(pageRef|migrating)\.(\d+)\./.exec(k)?.[2] === `${t}`).map((k) => f.extra[k]!),
      // its own queued-writer mark (ops/lock.ts) and acquire-context stamp (ops/ww.ts)
      ...[f.extra[`rwq.${t}`], f.extra[`stamp.${t}`]].filter((x): x is number => x !== undefined),
    ].filter(ok)
  // a thread's mirror snapshot (its pfns and notifier seqs) is read and written by the mirror's steps alone (ops/mirror.ts)
  const snapshot = new Set(threads.flatMap((_, t) => [...f.pfn[t]!, ...f.snap[t]!]))
  const coreThreadFields = (t: number): number[] => threadFields(t).filter((x) => !snapshot.has(x))
  const lockFields = (l: number): number[] => [f.owner[l]!, f.readers[l]!].filter(ok)
  const fenceFields = (i: number): number[] => [f.fs[i]!, f.en[i]!, f.pub[i]!, f.px[i]!].filter(ok)
  const jobFields = (j: number): number[] => {
    const job = jobs[j]!
    return [f.js[j]!, f.pf[j]!, f.fdone[j]!, f.jd[j]!, ...fenceFields(job.fence), ...job.uses.map((u) => f.resv[u.bo]!)].filter(ok)
  }
  const engineFields = (e: number): number[] => jobs.flatMap((j, i) => (j.engine === e ? [f.js[i]!, f.pf[i]!].filter(ok) : []))
  const pageFields = (p: number): number[] => [
    f.pageAt[p]!,
    ...ranges.flatMap((r, ri) => r.pages.flatMap((q, k) => (q === p ? [f.pte[ri]![k]!] : []))),
    ...f.pfn.map((row) => row[p]!),
    ...extraKeys.filter((k) => EXTRA_OF.page!(p, k)).map((k) => f.extra[k]!),
  ]
  const byRole = (role: Role, i: number): number[] => {
    switch (role) {
      case 'lock':
        return lockFields(i)
      case 'fence':
        return fenceFields(i)
      case 'job':
        return jobFields(i)
      case 'buffer':
        return [f.place[i]!, f.resv[i]!, ...lockFields(buffers[i]!.lock)]
      case 'page':
        return pageFields(i)
      case 'range':
        return [...ranges[i]!.pages.flatMap(pageFields), ...ranges[i]!.notifiers.flatMap((n) => byRole('notifier', n))]
      case 'notifier':
        return [f.inval[i]!, ...f.snap.map((row) => row[i]!), f.active]
      case 'thread':
        return threadFields(i)
      default: {
        const m = EXTRA_OF[role]
        // work items, workqueues, pools, libraries: their own fields, or every op-declared field
        return extraKeys.filter((k) => (m ? m(i, k) : true)).map((k) => f.extra[k]!)
      }
    }
  }
  const place = (p: Place): number[] | 'all' => {
    if ('all' in p) return 'all'
    if ('role' in p) return byRole(p.role, p.index)
    if ('pool' in p) return [p.pool === 'vram' ? f.vram : f.system]
    if ('engine' in p) return engineFields(p.engine)
    if ('field' in p) return [p.field === 'active' ? f.active : f[p.field][p.index]!].filter(ok)
    return f.extra[p.extra] !== undefined ? [f.extra[p.extra]!] : []
  }
  const refsOf = (step: Step): number[] => {
    const refs = opOf(step).refs[step.op] ?? {}
    const out: number[] = []
    for (const [key, role] of Object.entries(refs)) {
      const v = (step as unknown as Record<string, unknown>)[key]
      const idx = Array.isArray(v) ? v : typeof v === 'number' ? [v] : []
      for (const i of idx) if (typeof i === 'number' && i >= 0) out.push(...byRole(role, i))
    }
    return out
  }
  // An rwsem's reader mask is one field, but each thread's bit is its own place: readers that
  // take and drop it commute; a writer reads every bit.
  const rwIndex = locks.map(() => -1)
  let rws = 0
  locks.forEach((_, l) => {
    if (f.readers[l]! >= 0) rwIndex[l] = rws++
  })
  const bitOf = (l: number, t: number): number => F + rwIndex[l]! * T + t
  const allBits = (l: number): number[] => (rwIndex[l]! < 0 ? [] : threads.map((_, t) => bitOf(l, t)))
  const subLocations = new Map<number, number[]>()
  locks.forEach((_, l) => {
    if (rwIndex[l]! >= 0) subLocations.set(f.readers[l]!, allBits(l))
  })
  /** a field as places: an rwsem's reader mask is all its bits */
  const asPlaces = (xs: readonly number[]): number[] => xs.flatMap((x) => subLocations.get(x) ?? [x])
  return {
    F,
    T,
    extraKeys,
    ok,
    threadFields,
    coreThreadFields,
    lockFields,
    fenceFields,
    jobFields,
    engineFields,
    byRole,
    place,
    refsOf,
    bitOf,
    allBits,
    rwIndex,
    subLocations,
    asPlaces,
    places: F + rws * T,
  }
}

type Fp = { r: number[]; w: number[] } | 'all'

/** The footprint of one rule: a thread's step, a job's GPU rule or a fence mechanism. */
function ruleFootprints(cx: Omit<CompileCx, 'stepRules'>, view: GpuView, P: ReturnType<typeof placesOf>) {
  const { design, f, paths } = cx
  const { threads, jobs, fences, locks } = design
  const { extraKeys, threadFields, coreThreadFields, lockFields, fenceFields, jobFields, engineFields, place, refsOf, bitOf, allBits, rwIndex, asPlaces } = P
  const servedBy = threads.map((th) => th.steps.flatMap((s) => (opOf(s).provides?.(s) ?? []).flatMap((x) => (x.kind === 'serve_fault' ? [x.job] : []))))
  /** thread t takes (or, drop, releases) lock l in mode */
  const lockUse = (fp: { r: number[]; w: number[] }, l: number, t: number, mode: 'read' | 'write', drop: boolean): void => {
    fp.r.push(f.owner[l]!)
    if (mode === 'read' && rwIndex[l]! >= 0) {
      fp.r.push(bitOf(l, t))
      fp.w.push(bitOf(l, t))
    } else {
      if (!drop) fp.r.push(...allBits(l))
      fp.w.push(f.owner[l]!)
    }
  }
  const heldAt = (m: RuleMeta): readonly { lock: number; mode: 'read' | 'write' }[] => {
    const t = m.actor.index
    return m.frame === 'path'
      ? (paths.pathHeld[t]![m.at!] ?? [])
      : m.frame === 'reclaim'
        ? (paths.reclaimHeld[m.at!] ?? [])
        : m.frame === 'notifier' && m.site
          ? [...(m.site.held[m.at!] ?? []), ...m.site.held.flat()]
          : []
  }
  const LOCK_OPS = new Set(['lock', 'trylock', 'unlock'])
  const extrasOf = (prefix: string): number[] => extraKeys.filter((k) => k.startsWith(prefix)).map((k) => f.extra[k]!)
  /** every thread's queued-writer mark: a reader queues behind any of them (ops/lock.ts) */
  const queuedWriters = extrasOf('rwq.')
  /** Wait-Die reads every context's stamp, every lock's owner and where every thread stands (ops/ww.ts) */
  const wwReads = [...extrasOf('stamp.'), ...locks.flatMap((_, l) => lockFields(l)), ...threads.map((_, u) => f.pc[u]!)]
  /** a rule of thread t: its fields, its step's objects, what it holds, the jobs it serves, the op's own places */
  const kills = new Set<Action>()
  const threadRule = (m: RuleMeta, a: Action): Fp => {
    const t = m.actor.index
    const both = m.step && !SNAPSHOT_OPS.has(m.step.op) ? coreThreadFields(t) : threadFields(t)
    const fp = { r: [] as number[], w: [] as number[] }
    // a step with an outcome may leave its path (releasing what it holds, a failed handler killing
    // the jobs it serves) or jump back (releasing the locks taken since)
    // (a served fault, m.does 'fault_served', also ends the path and drops what it holds); a
    // reclaim or notifier step that fails or skips leaves only its own frame, dropping what that
    // frame took: the path goes on and kills nothing (positions.ts reclaimPos, context.ts notifierPos)
    if ((a as { then?: unknown }).then !== undefined || m.does === 'fault_served') {
      for (const h of heldAt(m)) lockUse(fp, h.lock, t, h.mode, true)
      if (m.frame !== 'reclaim' && m.frame !== 'notifier') {
        // a rule that writes job states only by killing the jobs it serves releases their CUs (pools.ts)
        if (servedBy[t]!.length > 0 && !f.js.some((x) => both.includes(x) || fp.w.includes(x))) kills.add(a)
        both.push(...servedBy[t]!.flatMap(jobFields))
      }
    }
    const step = m.step
    if (step) {
      // a failed trylock only looks at the lock
      if (step.op === 'trylock' && (m.does === 'trylock_failed' || m.does === 'spin')) fp.r.push(f.owner[step.lock]!, ...allBits(step.lock), ...queuedWriters)
      else if (step.op === 'lock' || step.op === 'trylock') {
        lockUse(fp, step.lock, t, step.mode, false)
        if (rwIndex[step.lock]! >= 0) fp.r.push(...queuedWriters)
        if (step.op === 'lock' && step.ctx !== undefined) fp.r.push(...asPlaces(wwReads))
      } else if (step.op === 'unlock') lockUse(fp, step.lock, t, heldAt(m).find((h) => h.lock === step.lock)?.mode ?? 'write', true)
      // stamps are dense ranks: ww_acquire_fini renumbers the younger contexts
      const stamps = step.op === 'ww_acquire' ? extrasOf('stamp.') : []
      fp.r.push(...stamps)
      fp.w.push(...stamps)
      const access = opOf(step).refAccess?.(step, m)
      if (!LOCK_OPS.has(step.op) && access !== 'none') (access === 'read' ? fp.r : both).push(...refsOf(step))
      for (const p of opOf(step).footprint?.(design, step, m) ?? []) {
        const x = place(p)
        if (x === 'all') return 'all'
        if (p.read) fp.r.push(...asPlaces(x))
        else both.push(...x)
      }
      // an invalidation runs its notifiers' callbacks: their steps are rules of this thread
      if (m.site) for (const st of m.site.steps) both.push(...refsOf(st))
    }
    const b = asPlaces(both)
    return { r: [...fp.r, ...b], w: [...fp.w, ...b] }
  }
  /** a GPU rule of job j: it reads its own state and what its guard looks at (its dependencies'
   * fences, its engine's running jobs, its PTEs); it writes its own state (mech/jobs.ts) */
  const jobRule = (j: number, a: Action): Fp => {
    const job = jobs[j]!
    const mine = jobFields(j)
    const engine = [...engineFields(job.engine), ...jobs.flatMap((k, i) => (k.engine === job.engine ? [f.js[i]!, f.pf[i]!] : []))]
    // a start reads how many CUs are taken (the engine's pools, pools.ts) and, on a flushing
    // engine, whether dma_fence work is pending on it
    const flush =
      design.engines[job.engine]!.flush && job.faults ? jobs.flatMap((k, i) => (k.engine === job.engine && k.queue === 'kernel' ? [f.js[i]!] : [])) : []
    // its dependencies: the declared ones, or any fence while it may capture them from a dma_resv
    const depFences = f.jd[j]! >= 0 ? fences.map((_, i) => f.fs[i]!) : job.deps.map((d) => f.fs[d]!)
    const ptes = job.accesses.flatMap((ri) => f.pte[ri]!)
    const name = (a as { name?: string }).name
    const victim = (a as { victim?: string }).victim
    const own = [f.js[j]!, f.fs[job.fence]!]
    const r =
      name === 'job_ready' || name === 'job_complete' || name === 'user_job_complete'
        ? [f.js[j]!, f.pf[j]!, f.jd[j]!, ...depFences].filter((x) => x >= 0)
        : name === 'job_start' || name === 'job_resume'
          ? [...mine, ...flush]
          : name === 'gpu_page_fault_raised' || name === 'gpu_access'
            ? [...mine, ...ptes]
            : [
                ...mine,
                ...engine,
                ...fences.map((_, i) => f.fs[i]!),
                ...ptes,
                ...job.uses.map((u) => f.place[u.bo]!),
                ...job.uses.map((u) => f.extra[busyKey(u.bo)]).filter((x): x is number => x !== undefined),
              ]
    const w =
      name === 'job_start' || name === 'job_resume'
        ? [f.js[j]!]
        : name === 'gpu_page_fault_raised'
          ? [f.pf[j]!, f.fdone[j]!]
          : name === 'gpu_access'
            ? []
            : name === 'job_ready' && !(job.queue === 'kernel' && job.propagateErrors && (job.deps.length > 0 || f.jd[j]! >= 0))
              ? [f.js[j]!]
              : name === 'job_ready' || name === 'job_complete' || name === 'user_job_complete'
                ? own
                : victim !== undefined
                  ? [f.js[j]!, ...jobs.flatMap((k, i) => (k.name === victim ? [f.js[i]!] : []))]
                  : jobFields(j)
    return { r: [...r, ...w], w }
  }
  const fenceRule = (i: number): Fp => {
    const fe = fences[i]!
    const out = fenceFields(i)
    if (fe.of !== undefined) out.push(...jobFields(fe.of), ...engineFields(jobs[fe.of]!.engine))
    const src = view.proxyOf[i]!
    if (src >= 0) out.push(...fenceFields(src))
    for (const m of fe.members ?? []) out.push(...fenceFields(m))
    return { r: out, w: out }
  }
  return { threadRule, jobRule, fenceRule, kills }
}

/** The rules' footprints and actors of a compiled design. */
export function gpuPorInfo(cx: Omit<CompileCx, 'stepRules'>, view: GpuView): PorInfo {
  const { design, f, rules, meta } = cx
  const { threads, jobs, fences, locks } = design
  const P = placesOf(cx)
  const { T, ok, lockFields, subLocations, asPlaces, places: L } = P
  const { threadRule, jobRule, fenceRule, kills } = ruleFootprints(cx, view, P)
  const J = jobs.length
  const actorOf = new Int32Array(rules.length)
  const clean = (xs: readonly number[]): number[] => [...new Set(xs.filter((x) => x >= 0 && x < L))]
  const reads: (readonly number[] | 'all')[] = []
  const writes: (readonly number[] | 'all')[] = []
  rules.forEach((r, k) => {
    const m = meta.get(r.action)!
    actorOf[k] = m.actor.kind === 'thread' ? m.actor.index : m.actor.kind === 'job' ? T + m.actor.index : T + J + m.actor.index
    const fp = m.actor.kind === 'thread' ? threadRule(m, r.action) : m.actor.kind === 'job' ? jobRule(m.actor.index, r.action) : fenceRule(m.actor.index)
    reads.push(fp === 'all' ? 'all' : clean(asPlaces(fp.r)))
    writes.push(fp === 'all' ? 'all' : clean(asPlaces(fp.w)))
  })
  // derived slots read the fields they are computed from (compile.ts derive); the CU pools are places of their own
  const pools = poolPlaces(cx, meta, L, reads, writes, kills)
  const derivedInputs = pools.derivedInputs
  derivedInputs.set(f.anyFault, f.pf.filter(ok))
  /** a thread's rules: the path step rules, by position, for the future of an actor */
  const position = rules.map((r) => {
    const m = meta.get(r.action)!
    return m.actor.kind === 'thread' && m.frame === 'path' && m.at !== undefined ? m.at : -1
  })
  // What each rule needs of locks whenever it is enabled: a path step runs holding what its
  // position holds (paths.ts heldAlong); a lock or trylock that succeeds needs the lock free.
  const lockClaims = rules.map((r): LockClaim[] => {
    const m = meta.get(r.action)!
    if (m.actor.kind !== 'thread') return []
    const t = m.actor.index
    const out: LockClaim[] = []
    const rw = (l: number, mode: 'read' | 'write'): boolean => mode === 'read' && f.readers[l]! >= 0
    // (a reclaim step likewise runs holding what the shrinker took before it: paths.ts reclaimHeld)
    const held = m.frame === 'path' ? cx.paths.pathHeld[t]! : m.frame === 'reclaim' ? cx.paths.reclaimHeld : undefined
    if (held && m.at !== undefined) for (const h of held[m.at] ?? []) out.push({ lock: h.lock, kind: rw(h.lock, h.mode) ? 'R' : 'W' })
    const step = m.step
    if (m.does === 'acquire' && m.acquires && step && (step.op === 'trylock' || (step.op === 'lock' && step.ctx === undefined)))
      out.push({ lock: m.acquires.lock, kind: rw(m.acquires.lock, m.acquires.mode) ? 'FR' : 'FW' })
    // a failed write trylock needs the lock taken (ops/lock.ts: !lockFree)
    if ((m.does === 'trylock_failed' || m.does === 'spin') && step?.op === 'trylock' && step.mode === 'write') out.push({ lock: step.lock, kind: 'B' })
    return out
  })
  // A fence signals once (pending to signalled or error) unless a step installs a new one in its place (ops/eviction.ts).
  const rearmed = new Set(
    rules.flatMap((r) => {
      const st = meta.get(r.action)!.step
      return st?.op === 'new_fence' ? [st.fence] : []
    }),
  )
  // A done job never runs again (no rule moves a job off done).
  const finalValues = new Map<number, number[]>(jobs.map((_, j) => [f.js[j]!, [JS.done]]))
  fences.forEach((_, i) => {
    if (rearmed.has(i)) return
    finalValues.set(f.fs[i]!, [FS.signalled, FS.error])
    if (f.en[i]! >= 0) finalValues.set(f.en[i]!, [1])
  })
  // A thread whose path only moves forward never runs a rule of an earlier step again.
  const forward = threads.map((th) => !th.repeat && !th.steps.some((s) => JUMPS_BACK.has(s.op)))
  const A = T + J + fences.length
  const pcField = new Int32Array(A).fill(-1)
  const fwd = new Uint8Array(A)
  threads.forEach((_, t) => {
    pcField[t] = f.pc[t]!
    fwd[t] = forward[t] ? 1 : 0
  })
  return {
    actors: A,
    threadActors: T,
    actorOf,
    places: L + pools.added,
    counters: pools.counters,
    dead: pools.dead,
    reads,
    writes,
    subLocations,
    derivedInputs,
    locksHeldFields: asPlaces(locks.flatMap((_, l) => lockFields(l))),
    position: Int32Array.from(position),
    lockClaims,
    finalValues,
    pcField,
    forward: fwd,
    stable: design.properties.includes('deadlock') ? ['deadlock'] : [],
    orderEffect: orderEffects(cx, view),
  }
}

/** ops whose rules read or write their thread's mirror snapshot (ops/mirror.ts) */
const SNAPSHOT_OPS = new Set<string>(['read_begin', 'get_pages', 'read_retry', 'map', 'zap'])

/** ops whose rules may move a thread's position back (Pos.jump: a collision retry, a ww backoff) */
const JUMPS_BACK = new Set<string>(['read_retry', 'else_end'])
