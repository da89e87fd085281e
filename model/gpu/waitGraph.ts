/**
 * The wait-for graph's nodes, built one at a time (waitFor.ts builds the whole graph for reports;
 * stuck.ts the part the blocked actors reach, for the deadlock invariant). Each builder reads the
 * state only through the kit's Reader and the actor's own standing, so stuck.ts can memoize it.
 */
import type { Reader } from '../../checker/model.js'
import { callbackAdders } from './ops/callback.js'
import { opOf, provides } from './ops/index.js'
import type { Provision } from './ops/op.js'
import { FS, type GpuView, JS, type NodeId, type WaitNode } from './view.js'
import { ACTIVE, anyEnabled, BLOCKED, IDLE, type Standing } from './standing.js'
import { canProvide, waitStatics } from './waitStatics.js'

/** The graph under construction and the helpers every part of it uses. */
export interface Kit {
  readonly v: GpuView
  s: Reader
  standing: Standing
  readonly design: GpuView['design']
  readonly f: GpuView['f']
  readonly S: ReturnType<typeof waitStatics>
  readonly nodes: Map<NodeId, WaitNode>
  /** thread and job nodes: only these can be blocked, idle or finished */
  readonly actors: WaitNode[]
  /** fence callbacks not added yet: neither blocked nor finished, live while a thread may add them */
  readonly unadded: Set<NodeId>
  /** idle work items: not blocked, but live only if whoever can queue them is */
  readonly idleWork: Set<NodeId>
  /** scratch for the liveness fixpoint */
  readonly open: WaitNode[]
  readonly node: (id: NodeId, label: string, mode?: 'all' | 'any') => WaitNode
  readonly edge: (from: WaitNode, to: NodeId, why: string) => void
  readonly enabled: (list: readonly number[]) => boolean
  readonly T: (t: number) => NodeId
  readonly Jn: (j: number) => NodeId
  readonly Fn: (i: number) => NodeId
  readonly Ln: (l: number) => NodeId
  readonly En: (e: number) => NodeId
  readonly fenceName: (i: number) => string
  /** how an actor with a path reads: a work item or a thread */
  readonly who: (t: number) => string
  readonly willProvide: (o: number, want: Provision) => boolean
}

export function graphKit(v: GpuView, s: Reader, standing: Standing): Kit {
  const { design, f } = v
  const S = waitStatics(v)
  const k: Kit = {
    v,
    s,
    standing,
    design,
    f,
    S,
    nodes: new Map<NodeId, WaitNode>(),
    actors: [],
    unadded: new Set<NodeId>(),
    idleWork: new Set<NodeId>(),
    open: [],
    node: (id, label, mode = 'all') => {
      let n = k.nodes.get(id)
      if (!n) {
        n = { id, label, mode, targets: [], why: [], active: false, blocked: false, live: false }
        k.nodes.set(id, n)
      }
      return n
    },
    edge: (from, to, why) => {
      if (!from.targets.includes(to)) {
        from.targets.push(to)
        from.why.push(why)
      }
    },
    enabled: (list) => anyEnabled(v, k.s, list),
    T: (t) => S.ids.thread[t]!,
    Jn: (j) => S.ids.job[j]!,
    Fn: (i) => S.ids.fence[i]!,
    Ln: (l) => S.ids.lock[l]!,
    En: (e) => S.ids.engine[e]!,
    fenceName: (i) => S.labels.fence[i]!,
    who: (t) => S.labels.who[t]!,
    willProvide: (o, want) => canProvide(v, k.s, o, want),
  }
  return k
}

/** A thread: a blocked one waits on what its step's op says (ops/). */
function threadNode(k: Kit, t: number): void {
  const { v, s, design, node, edge, T, fenceName, unadded, who, willProvide, standing } = k
  const th = design.threads[t]!
  {
    const n = node(T(t), who(t))
    k.actors.push(n)
    const st = standing.thread[t]!
    n.active = st === ACTIVE
    n.blocked = st === BLOCKED
    if (st === IDLE) {
      if (th.callbackOn !== undefined) {
        n.mode = 'any'
        for (const a of callbackAdders(v, s, t)) edge(n, T(a), `is not added yet; thread ${design.threads[a]!.name} adds it (dma_fence_add_callback)`)
        unadded.add(n.id)
      }
      if (th.work !== undefined) idleWorkNode(k, t, n)
      return
    }
    if (!n.blocked) return
    const at = v.stepAt(s, t)
    const step = at.step
    if (!step) return
    opOf(step).waitsOn?.({ v, s, t, n, where: at.where, edge: (to, why) => edge(n, to, why), fenceName, provides, willProvide }, step)
  }
}

/** A job: the scheduler, dependencies, CUs (reserved or flushed), a pending fault, resumption. */
function jobNode(k: Kit, j: number): void {
  const { v, s, design, f, S, node, edge, T, Jn, Fn, En, fenceName, willProvide } = k
  const job = design.jobs[j]!
  {
    const n = node(Jn(j), S.labels.job[j]!)
    k.actors.push(n)
    const st = s.get(f.js[j]!)
    n.active = k.standing.jobActive[j] === 1
    n.blocked = !n.active && st !== JS.done && st !== JS.idle
    if (!n.blocked) return
    const e = job.engine
    const eng = design.engines[e]!
    if (st === JS.queued) {
      const sched = S.scheduler[j]!
      if (sched >= 0) edge(n, T(sched), `waits for the scheduler thread ${design.threads[sched]!.name} to run it`)
      else for (const d of v.depsOf(s, j)) if (s.get(f.fs[d]!) === FS.pending) edge(n, Fn(d), `waits for dependency ${fenceName(d)}`)
    } else if (st === JS.ready || st === JS.preempted) {
      const dmaPending = S.kernelJobs[e]!.filter((i) => {
        const ks = s.get(f.js[i]!)
        return ks === JS.queued || ks === JS.ready || ks === JS.running || ks === JS.preempted
      })
      const used = s.get(f.usedCU[e]!)
      if (eng.flush && job.faults && dmaPending.length > 0) {
        // Engine flush: fault-capable work waits until every pending dma_fence job on the engine is done.
        for (const i of dmaPending) edge(n, Jn(i), `waits for dma_fence job ${design.jobs[i]!.name} to finish (engine flush)`)
      } else if (eng.cus - used >= job.cus && job.queue === 'user') {
        // CUs are free but reserved for dma_fence work: only running hmm work releasing CUs helps.
        const r = node(`reserve:${e}`, `the ${eng.cus - eng.reserveForDma} CU(s) of engine ${eng.name} open to hmm work`, 'any')
        design.jobs.forEach((k, i) => {
          if (k.engine === e && k.queue === 'user' && s.get(f.js[i]!) === JS.running) edge(r, Jn(i), `held by job ${k.name}`)
        })
        edge(n, r.id, `needs ${job.cus} CU${job.cus > 1 ? 's' : ''} not reserved for dma_fence work`)
      } else {
        edge(n, En(e), `needs ${job.cus} CU${job.cus > 1 ? 's' : ''} on engine ${eng.name}`)
      }
    } else if (st === JS.running && f.pf[j]! >= 0 && s.get(f.pf[j]!) === 1) {
      for (const t of S.faultServers[j]!) edge(n, T(t), `has a page fault pending, served by thread ${design.threads[t]!.name}`)
      if (n.targets.length === 0) n.why.push('has a page fault pending that no thread serves')
    } else if (st === JS.running && job.hangs) {
      // A hung job: only a reset (the timeout handler, ops/tdr.ts) or a forced signal ends it.
      design.threads.forEach((th, t) => {
        if (willProvide(t, { kind: 'signal', fence: job.fence })) edge(n, T(t), `hangs on the GPU; thread ${th.name} resets it`)
      })
      n.mode = 'any'
      if (n.targets.length === 0) n.why.push('hangs on the GPU and nothing resets it')
    } else if (st === JS.running) {
      for (const d of v.depsOf(s, j)) if (s.get(f.fs[d]!) === FS.pending) edge(n, Fn(d), `busy-waits (GPU WAIT) on ${fenceName(d)}`)
    } else if (st === JS.suspended) {
      design.threads.forEach((th, t) => {
        if (willProvide(t, { kind: 'resume', job: j })) edge(n, T(t), `is suspended until thread ${th.name} resumes it`)
        if (willProvide(t, { kind: 'signal', fence: job.fence })) edge(n, T(t), `is suspended until thread ${th.name} force-completes it`)
      })
      n.mode = 'any'
    }
  }
}

/** An engine: a job waiting for CUs needs any holder to release one. With CUs free but withheld
 * (reservation, flush), there is no holder to wait for: a dead end. */
function engineNode(k: Kit, e: number): void {
  const { s, design, f, S, node, edge, Jn } = k
  const n = node(k.En(e), S.labels.engine[e]!, 'any')
  design.jobs.forEach((job, j) => {
    if (job.engine === e && s.get(f.js[j]!) === JS.running) edge(n, Jn(j), `CUs held by job ${job.name}`)
  })
}

/** A fence: who signals it. */
function fenceNode(k: Kit, i: number): void {
  const { v, s, design, f, node, edge, enabled, T, Jn, Fn, fenceName, who, willProvide } = k
  const fe = design.fences[i]!
  {
    const n = node(Fn(i), fenceName(i), 'any')
    if (s.get(f.fs[i]!) !== FS.pending) {
      n.live = true
      return
    }
    // Preempt and proxy fences act on their own once their condition holds.
    n.active = enabled(v.actorRules.fence[i]!)
    if (fe.job !== undefined) {
      const st = s.get(f.js[fe.job]!)
      if (st === JS.idle) {
        design.threads.forEach((th, t) => {
          if (willProvide(t, { kind: 'submit', job: fe.job! }))
            edge(n, T(t), `job ${design.jobs[fe.job!]!.name} is not submitted yet; thread ${th.name} submits it`)
        })
      } else edge(n, Jn(fe.job), `signalled when job ${design.jobs[fe.job]!.name} completes`)
    }
    if (fe.kind === 'preempt' && fe.of !== undefined) edge(n, Jn(fe.of), `signalled once job ${design.jobs[fe.of]!.name} is off the hardware`)
    if (v.proxyOf[i]! >= 0) edge(n, Fn(v.proxyOf[i]!), `a proxy: signals when ${fenceName(v.proxyOf[i]!)} does`)
    // dma_fence_array / dma_fence_chain: waiting on the container is waiting on its members.
    if (fe.members) {
      n.mode = fe.any ? 'any' : 'all'
      const what = fe.kind === 'chain' ? 'a dma_fence_chain point: signals when' : `a dma_fence_array: signals when ${fe.any ? 'any of' : 'all of'}`
      for (const m of fe.members) if (s.get(f.fs[m]!) === FS.pending) edge(n, Fn(m), `${what} ${fenceName(m)}`)
    }
    design.threads.forEach((_th, t) => {
      if (willProvide(t, { kind: 'signal', fence: i })) edge(n, T(t), `signalled by ${who(t)}`)
    })
    // hmm_fences are signalled by userspace when it pleases: never a wait-for target we can follow.
    if (fe.kind === 'hmm' && fe.job === undefined && n.targets.length === 0) n.live = true
  }
}

/** A lock: a writer waits for every holder (the one place a lock's wait-for edges are made). */
function lockNode(k: Kit, l: number): void {
  const { s, design, f, S, node, edge, T, Ln, who } = k
  const n = node(Ln(l), S.labels.lock[l]!)
  const o = s.get(f.owner[l]!)
  if (o > 0) edge(n, T(o - 1), `held by ${who(o - 1)}`)
  if (f.readers[l]! >= 0) {
    const r = s.get(f.readers[l]!)
    design.threads.forEach((th, t) => {
      if (Math.floor(r / 2 ** t) % 2 === 1) edge(n, T(t), `read-held by thread ${th.name}`)
    })
  }
}

/** The builders by node kind (WaitStatics.kindOf), in the order the whole graph is built. */
export const BUILDERS: readonly ((k: Kit, i: number) => void)[] = [threadNode, jobNode, engineNode, lockNode, fenceNode]

/** Every node: threads, jobs, engines, locks, fences (the order describe() and toDot() list them). */
export function wholeGraph(k: Kit): void {
  const { design } = k
  const counts = [design.threads.length, design.jobs.length, design.engines.length, design.locks.length, design.fences.length]
  counts.forEach((n, kind) => {
    for (let i = 0; i < n; i++) BUILDERS[kind]!(k, i)
  })
}

/**
 * The nodes that the blocked actors reach, and no others: a node's liveness depends on its targets
 * alone, so on this part of the graph it is what it is on the whole graph, and every blocked actor
 * is in it. Nodes made by a builder for its own targets (a job's reserved-CU node) are already
 * there when reached.
 */
export function blockedPart(k: Kit): void {
  const { design, standing, f, s, S } = k
  for (let t = 0; t < design.threads.length; t++) if (standing.thread[t] === BLOCKED) threadNode(k, t)
  for (let j = 0; j < design.jobs.length; j++) {
    const st = s.get(f.js[j]!)
    if (standing.jobActive[j] === 0 && st !== JS.done && st !== JS.idle && !k.nodes.has(S.ids.job[j]!)) jobNode(k, j)
  }
  // Map iteration visits the nodes added while it runs.
  for (const n of k.nodes.values()) {
    for (const x of n.targets) {
      if (k.nodes.has(x)) continue
      const at = S.kindOf.get(x)!
      BUILDERS[at[0]]!(k, at[1])
    }
  }
}

/** An idle work item runs again once queued: it is as live as any actor that can still queue it
 * (every step of a work item may run again, so all of its steps count). */
function idleWorkNode(k: Kit, t: number, n: WaitNode): void {
  const { s, design, f, S, edge, T, who, idleWork } = k
  const w = design.threads[t]!.work!
  idleWork.add(n.id)
  n.mode = 'any'
  const queuers = S.providers({ kind: 'queue', work: w })
  design.threads.forEach((q, u) => {
    if (u !== t && queuers[u]!.lastPath >= (q.work !== undefined ? 0 : s.get(f.pc[u]!))) edge(n, T(u), `is idle until ${who(u)} queues it`)
  })
}

/** Least fixpoint of liveness. A finished actor (neither blocked, idle nor an unadded callback) neither waits nor acts. */
export function liveness(k: Kit): void {
  const { nodes, unadded, idleWork, S } = k
  const open = k.open
  open.length = 0
  for (const n of nodes.values()) {
    if (n.active) n.live = true
    else if (n.live || n.targets.length === 0) continue
    else if (S.actorIds.has(n.id) && !n.blocked && !unadded.has(n.id) && !idleWork.has(n.id)) continue
    else open.push(n)
  }
  let changed = true
  while (changed) {
    changed = false
    for (let i = 0; i < open.length; i++) {
      const n = open[i]!
      if (n.live) continue
      const ts = n.targets
      let live: boolean
      if (n.mode === 'all') {
        live = true
        for (let x = 0; x < ts.length; x++)
          if (!nodes.get(ts[x]!)!.live) {
            live = false
            break
          }
      } else {
        live = false
        for (let x = 0; x < ts.length; x++)
          if (nodes.get(ts[x]!)!.live) {
            live = true
            break
          }
      }
      if (live) {
        n.live = true
        changed = true
      }
    }
  }
}
