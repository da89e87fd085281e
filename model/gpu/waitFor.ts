/**
 * The wait-for graph of a GPU state, over threads, jobs, fences, locks and engines (their CUs).
 *
 * An actor (thread or job) is blocked when none of its rules is enabled and it has not finished.
 * Each blocked actor waits for some nodes: all of them (a job needs every dependency) or any one
 * (a CU frees when any holder releases it). Liveness is the least fixpoint: an actor with an enabled
 * rule is live; a waiting node is live if its targets are (all or any). A blocked actor that is not
 * live can never move again: that is a deadlock even while unrelated actors still move (a partial
 * deadlock). The report follows the non-live edges to the cycle (or the dead end) and spells it out.
 */
import type { Reader } from '../../checker/model.js'
import { callbackAdders } from './ops/callback.js'
import { opOf, provides } from './ops/index.js'
import type { Provision } from './ops/op.js'
import { FS, type GpuView, JS, type NodeId, type WaitForGraph, type WaitNode } from './view.js'
import { ACTIVE, anyEnabled, BLOCKED, IDLE, type Standing, standingOf } from './standing.js'
import { canProvide, waitStatics } from './waitStatics.js'

export type { NodeId, WaitForGraph, WaitNode } from './view.js'

type Kit = ReturnType<typeof graphKit>

/** The graph under construction and the helpers every part of it uses. */
function graphKit(v: GpuView, s: Reader, standing: Standing) {
  const { design, f } = v
  const S = waitStatics(v)
  const nodes = new Map<NodeId, WaitNode>()
  /** thread and job nodes: only these can be blocked, idle or finished */
  const actors: WaitNode[] = []
  const node = (id: NodeId, label: string, mode: 'all' | 'any' = 'all'): WaitNode => {
    let n = nodes.get(id)
    if (!n) {
      n = { id, label, mode, targets: [], why: [], active: false, blocked: false, live: false }
      nodes.set(id, n)
    }
    return n
  }
  const edge = (from: WaitNode, to: NodeId, why: string): void => {
    if (!from.targets.includes(to)) {
      from.targets.push(to)
      from.why.push(why)
    }
  }
  const enabled = (list: readonly number[]): boolean => anyEnabled(v, s, list)
  const T = (t: number): NodeId => S.ids.thread[t]!
  const Jn = (j: number): NodeId => S.ids.job[j]!
  const Fn = (i: number): NodeId => S.ids.fence[i]!
  const Ln = (l: number): NodeId => S.ids.lock[l]!
  const En = (e: number): NodeId => S.ids.engine[e]!
  const fenceName = (i: number): string => S.labels.fence[i]!
  const willProvide = (o: number, want: Provision): boolean => canProvide(v, s, o, want)
  /** fence callbacks not added yet: neither blocked nor finished, live while a thread may add them */
  const unadded = new Set<NodeId>()
  /** how an actor with a path reads: a work item or a thread */
  const who = (t: number): string => S.labels.who[t]!
  /** idle work items: not blocked, but live only if whoever can queue them is */
  const idleWork = new Set<NodeId>()
  return { v, s, design, f, S, standing, nodes, actors, node, edge, enabled, T, Jn, Fn, Ln, En, fenceName, unadded, who, idleWork, willProvide }
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
const BUILDERS: readonly ((k: Kit, i: number) => void)[] = [threadNode, jobNode, engineNode, lockNode, fenceNode]

/** Every node: threads, jobs, engines, locks, fences (the order describe() and toDot() list them). */
function wholeGraph(k: Kit): void {
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
function blockedPart(k: Kit): void {
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
function liveness(k: Kit): void {
  const { nodes, unadded, idleWork } = k
  const actors = new Set(k.actors)
  const open: WaitNode[] = []
  for (const n of nodes.values()) {
    if (n.active) n.live = true
    else if (n.live || n.targets.length === 0) continue
    else if (actors.has(n) && !n.blocked && !unadded.has(n.id) && !idleWork.has(n.id)) continue
    else open.push(n)
  }
  const liveAt = (x: NodeId): boolean => nodes.get(x)!.live
  let changed = true
  while (changed) {
    changed = false
    for (const n of open) {
      if (n.live) continue
      if (n.mode === 'all' ? n.targets.every(liveAt) : n.targets.some(liveAt)) {
        n.live = true
        changed = true
      }
    }
  }
}

/**
 * `timeouts: 'ignore'` asks which actors only a timeout would free: a thread whose only enabled rule
 * is its bounded wait's timeout (ops/timeout.ts) counts as blocked, as a busy retry does. By
 * default a timeout is a way out, so such a thread is not stuck.
 */
export function waitFor(v: GpuView, s: Reader, opts: { readonly timeouts?: 'escape' | 'ignore' } = {}): WaitForGraph {
  return build(v, s, standingOf(v, s, opts.timeouts === 'ignore'))
}

/** scratch standing per view, for hasStuck (one search runs in one thread) */
const scratch = new WeakMap<GpuView, Standing>()

/**
 * Is some actor of `s` blocked for ever (a partial or global deadlock)? The same answer as
 * `waitFor(v, s).stuck.length > 0`: only a blocked thread or job can be stuck (stuck is blocked and
 * not live), so where none is blocked the graph is not built.
 */
export function hasStuck(v: GpuView, s: Reader): boolean {
  let st = scratch.get(v)
  if (!st) scratch.set(v, (st = standingOf(v, s, false)))
  else standingOf(v, s, false, st)
  if (!st.blocked) return false
  const k = graphKit(v, s, st)
  blockedPart(k)
  liveness(k)
  for (const n of k.nodes.values()) if (n.blocked && !n.live) return true
  return false
}

function build(v: GpuView, s: Reader, standing: Standing): WaitForGraph {
  const k = graphKit(v, s, standing)
  wholeGraph(k)
  const { nodes } = k
  liveness(k)
  const stuck = [...nodes.values()].filter((n) => n.blocked && !n.live).map((n) => n.id)

  // Follow non-live edges from the first stuck actor.
  const cycle: NodeId[] = []
  let cycleIsLoop = false
  if (stuck.length > 0) {
    const seen = new Map<NodeId, number>()
    let cur: NodeId | undefined = stuck[0]
    while (cur !== undefined && !seen.has(cur)) {
      seen.set(cur, cycle.length)
      cycle.push(cur)
      const n: WaitNode = nodes.get(cur)!
      cur = n.targets.find((x) => !nodes.get(x)!.live)
    }
    if (cur !== undefined) {
      cycleIsLoop = true
      cycle.splice(0, seen.get(cur))
    }
  }
  return { nodes, stuck, cycle, cycleIsLoop, describe: () => describeGraph(nodes, stuck, cycle, cycleIsLoop), toDot: () => dotOf(nodes, stuck, cycle) }
}

function describeGraph(nodes: ReadonlyMap<NodeId, WaitNode>, stuck: readonly NodeId[], cycle: readonly NodeId[], cycleIsLoop: boolean): string[] {
  if (stuck.length === 0) return []
  const lines: string[] = []
  const parts: string[] = []
  for (let k = 0; k < cycle.length; k++) {
    const n = nodes.get(cycle[k]!)!
    const next = cycle[k + 1] ?? (cycleIsLoop ? cycle[0] : undefined)
    const idx = next ? n.targets.indexOf(next) : -1
    parts.push(`${n.label} ${idx >= 0 ? n.why[idx] : (n.why[0] ?? 'waits for something that never happens')}`)
  }
  lines.push(cycleIsLoop ? 'wait-for cycle:' : 'blocked for ever (chain to a dead end):')
  parts.forEach((p, k) => lines.push(`  ${k === 0 ? '' : '-> '}${p}`))
  if (cycleIsLoop) lines.push(`  -> back to ${nodes.get(cycle[0]!)!.label}`)
  const others = stuck.filter((x) => !cycle.includes(x)).map((x) => nodes.get(x)!.label)
  if (others.length) lines.push(`also stuck: ${others.join(', ')}`)
  const moving = [...nodes.values()].filter((n) => n.active).map((n) => n.label)
  lines.push(moving.length ? `still able to move: ${moving.join(', ')} (a partial deadlock)` : 'nothing else can move (a global deadlock)')
  return lines
}

function dotOf(nodes: ReadonlyMap<NodeId, WaitNode>, stuck: readonly NodeId[], cycle: readonly NodeId[]): string {
  const esc = (x: string): string => x.replace(/"/g, '\\"')
  const out = ['digraph waitfor {', '  rankdir=LR; node [fontname="Helvetica", shape=box, style=rounded]; edge [fontname="Helvetica", fontsize=10];']
  const inCycle = new Set(cycle)
  const targeted = new Set([...nodes.values()].flatMap((n) => n.targets))
  for (const n of nodes.values()) {
    const interesting = n.blocked || n.targets.length > 0 || inCycle.has(n.id) || targeted.has(n.id)
    if (!interesting) continue
    const color = inCycle.has(n.id) ? 'red' : stuck.includes(n.id) ? 'orange' : n.active ? 'darkgreen' : 'gray40'
    out.push(`  "${esc(n.id)}" [label="${esc(n.label)}", color=${color}];`)
  }
  for (const n of nodes.values()) {
    n.targets.forEach((x, k) => {
      const hot = inCycle.has(n.id) && inCycle.has(x)
      out.push(`  "${esc(n.id)}" -> "${esc(x)}" [label="${esc(n.why[k]!)}"${hot ? ', color=red, penwidth=2' : ''}];`)
    })
  }
  out.push('}')
  return out.join('\n')
}
