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
import type { Action, Reader } from '../../checker/model.js'
import type { PorInfo } from '../../checker/por.js'
import type { CompileCx } from './context.js'
import { opOf } from './ops/index.js'
import type { Place, Role } from './ops/op.js'
import type { Step } from './types.js'
import type { GpuView, RuleMeta } from './view.js'

const EXTRA_OF: Partial<Record<Role, (i: number, key: string) => boolean>> = {
  work: (i, key) => key === `work.${i}` || key === `timer.${i}`,
  pool: (i, key) => key === `pool.${i}`,
  page: (i, key) => (key === `pageLock.${i}` || key.startsWith('pageRef.') ? key.endsWith(`.${i}`) : key.startsWith('migrating.') && key.endsWith(`.${i}`)),
}

/** The rules' footprints and actors of a compiled design. */
export function gpuPorInfo(cx: Omit<CompileCx, 'stepRules'>, view: GpuView): PorInfo {
  const { design, f, rules, meta, paths } = cx
  const { threads, jobs, fences, locks, buffers, ranges, engines } = design
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
    ].filter(ok)
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
  const servedBy = threads.map((th) => th.steps.flatMap((s) => (opOf(s).provides?.(s) ?? []).flatMap((x) => (x.kind === 'serve_fault' ? [x.job] : []))))
  const heldAt = (m: RuleMeta): number[] => {
    const t = m.actor.index
    const held =
      m.frame === 'path'
        ? (paths.pathHeld[t]![m.at!] ?? [])
        : m.frame === 'reclaim'
          ? [...(paths.reclaimHeld[m.at!] ?? []), ...threads[t]!.steps.flatMap((_, i) => paths.pathHeld[t]![i]!)]
          : m.frame === 'notifier' && m.site
            ? [...(m.site.held[m.at!] ?? []), ...m.site.held.flat()]
            : []
    return held.flatMap((h) => lockFields(h.lock))
  }
  /** a rule of thread t: its fields, its step's objects, what it holds, the jobs it serves, the op's own places */
  const threadRule = (m: RuleMeta, a: Action): number[] | 'all' => {
    const t = m.actor.index
    const out = threadFields(t)
    // a step with an outcome may leave its path (releasing what it holds, a failed handler killing
    // the jobs it serves) or jump back (releasing the locks taken since)
    if ((a as { then?: unknown }).then !== undefined) out.push(...heldAt(m), ...servedBy[t]!.flatMap(jobFields))
    const step = m.step
    if (step) {
      out.push(...refsOf(step))
      for (const p of opOf(step).footprint?.(design, step) ?? []) {
        const x = place(p)
        if (x === 'all') return 'all'
        out.push(...x)
      }
      // an invalidation runs its notifiers' callbacks: their steps are rules of this thread
      if (m.site) for (const st of m.site.steps) out.push(...refsOf(st))
    }
    return out
  }
  const jobRule = (j: number): number[] => {
    const job = jobs[j]!
    return [
      ...jobFields(j),
      ...engineFields(job.engine),
      ...fences.flatMap((_, i) => [f.fs[i]!]),
      ...job.accesses.flatMap((ri) => f.pte[ri]!),
      ...jobs.flatMap((k, i) => (k.engine === job.engine ? jobFields(i) : [])),
    ]
  }
  const fenceRule = (i: number): number[] => {
    const fe = fences[i]!
    const out = fenceFields(i)
    if (fe.of !== undefined) out.push(...jobFields(fe.of), ...engineFields(jobs[fe.of]!.engine))
    const src = view.proxyOf[i]!
    if (src >= 0) out.push(...fenceFields(src))
    for (const m of fe.members ?? []) out.push(...fenceFields(m))
    return out
  }
  const J = jobs.length
  const actorOf = new Int32Array(rules.length)
  const fields: (readonly number[] | 'all')[] = rules.map((r, k) => {
    const m = meta.get(r.action)!
    actorOf[k] = m.actor.kind === 'thread' ? m.actor.index : m.actor.kind === 'job' ? T + m.actor.index : T + J + m.actor.index
    const fp = m.actor.kind === 'thread' ? threadRule(m, r.action) : m.actor.kind === 'job' ? jobRule(m.actor.index) : fenceRule(m.actor.index)
    return fp === 'all' ? 'all' : [...new Set(fp.filter((x) => x >= 0 && x < F))]
  })
  // derived slots read the fields they are computed from (compile.ts derive)
  const derivedInputs = new Map<number, number[]>()
  engines.forEach((_, e) => {
    derivedInputs.set(f.usedCU[e]!, engineFields(e))
    derivedInputs.set(f.hmmCU[e]!, engineFields(e))
  })
  derivedInputs.set(f.anyFault, f.pf.filter(ok))
  /** a thread's rules: the path step rules, by position, for the future of an actor */
  const position = rules.map((r) => {
    const m = meta.get(r.action)!
    return m.actor.kind === 'thread' && m.frame === 'path' && m.at !== undefined ? m.at : -1
  })
  // Reclaim and notifier rules run inside a path step (an allocation, an invalidation): only while
  // their frame's field is set, which only the thread's own steps at or before the last entering one set.
  const frameField = rules.map((r) => {
    const m = meta.get(r.action)!
    if (m.actor.kind !== 'thread') return -1
    if (m.frame === 'reclaim' || m.does === 'exit_reclaim') return f.rpc[m.actor.index]!
    if (m.frame === 'notifier') return f.npc[m.actor.index]!
    return -1
  })
  const lastEntry = threads.map((th) => th.steps.length)
  // A thread whose path only moves forward never runs a rule of an earlier step again.
  const forward = threads.map((th) => !th.repeat && !th.steps.some((s) => JUMPS_BACK.has(s.op)))
  const isOrderVisible = (_pre: Reader, a: Action, post: Reader): boolean => {
    const m = meta.get(a)!
    if (m.actor.kind !== 'thread') return false
    const st = m.step
    const facts = st ? opOf(st).lockdep : undefined
    if (m.acquires || m.does === 'invalidate_start') return true
    if (st && facts && (facts.mightReclaim?.(st, m) || facts.maps?.(design, st, m) || facts.fenceWait?.(st, m))) return true
    const next = view.stepAt(post, m.actor.index).step
    if (next && opOf(next).lockdep?.blocksOn?.(next)) return true
    return false
  }
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
    fields,
    derivedInputs,
    locksHeldFields: locks.flatMap((_, l) => lockFields(l)),
    position: Int32Array.from(position),
    frameField: Int32Array.from(frameField),
    lastEntry: Int32Array.from([...lastEntry, ...jobs.map(() => 0), ...fences.map(() => 0)]),
    pcField,
    forward: fwd,
    stable: design.properties.includes('deadlock') ? ['deadlock'] : [],
    orderVisible: isOrderVisible,
  }
}

/** ops whose rules may move a thread's position back (Pos.jump: a collision retry, a ww backoff) */
const JUMPS_BACK = new Set<string>(['read_retry', 'else_end'])
