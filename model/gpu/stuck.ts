/**
 * The deadlock invariant's question, is some actor of a state blocked for ever, answered on the
 * part of the wait-for graph the blocked actors reach (waitGraph.ts). Nearly every state of a
 * design has some actor blocked, so the graph is needed nearly everywhere; but each node depends
 * on a few fields only (a job's state and its dependencies, a thread's step and what it waits
 * on), and recurs in state after state. Each node's builder is therefore memoized by the fields
 * it reads (checker/readMemo.ts): a look-up gives the node's targets and flags as indices, and the
 * liveness fixpoint runs over small arrays. The answer is the plain graph's:
 * test/model/waitForShortcut.test.ts compares it with the whole graph on every reachable state of
 * every bundled design.
 */
import type { Reader } from '../../checker/model.js'
import { MemoBudget, ReadMemo, valuesOf } from '../../checker/readMemo.js'
import { type Standing, standingMemos, standingOf } from './standing.js'
import type { GpuView, NodeId } from './view.js'
import { blockedPart, BUILDERS, graphKit, liveness } from './waitGraph.js'
import { waitStatics } from './waitStatics.js'

/** One node as its builder made it, with its targets as node indices. */
interface Built {
  readonly idx: number
  readonly any: boolean
  readonly active: boolean
  readonly blocked: boolean
  readonly live: boolean
  /** an unadded fence callback, or an idle work item: live only through its targets */
  readonly waiting: boolean
  readonly targets: Int32Array
}

/** What one builder made (the node, and any node of its own it made for its targets); null: a node id outside the index. */
type Made = readonly Built[] | null

interface StuckCache {
  /** every node id a builder can make: threads, jobs, engines, locks, fences, then each engine's reserved-CU node */
  readonly index: ReadonlyMap<NodeId, number>
  /** builder kind and index of each node (-1: made only by the builder that targets it) */
  readonly kind: Int8Array
  readonly at: Int32Array
  readonly actor: Uint8Array
  /** per builder kind, per index: the builder's memo */
  readonly made: readonly (readonly ReadMemo<Made>[])[]
  /** run builder (kind, i) on s */
  readonly build: (kind: number, i: number, s: Reader) => Made
  readonly stamp: Int32Array
  epoch: number
  readonly node: (Built | undefined)[]
  readonly live: Uint8Array
  readonly list: number[]
  readonly open: number[]
  readonly standing: Standing
  /** some builder made a node outside the index: the plain graph answers */
  off: boolean
}

const caches = new WeakMap<GpuView, StuckCache>()

function cacheOf(v: GpuView): StuckCache {
  const had = caches.get(v)
  if (had) return had
  const { design } = v
  const S = waitStatics(v)
  const counts = [design.threads.length, design.jobs.length, design.engines.length, design.locks.length, design.fences.length]
  const ids: NodeId[] = []
  const kinds: number[] = []
  const ats: number[] = []
  const idsOf = [S.ids.thread, S.ids.job, S.ids.engine, S.ids.lock, S.ids.fence]
  counts.forEach((n, kind) => {
    for (let i = 0; i < n; i++) {
      ids.push(idsOf[kind]![i]!)
      kinds.push(kind)
      ats.push(i)
    }
  })
  design.engines.forEach((_e, e) => {
    ids.push(`reserve:${e}`)
    kinds.push(-1)
    ats.push(e)
  })
  const index = new Map(ids.map((id, i) => [id, i]))
  const memos = standingMemos(v)
  const budget = new MemoBudget(1 << 22)
  const build = (kind: number, i: number, s: Reader): Made => {
    const st: Standing = { thread: new Int8Array(counts[0]!), jobActive: new Uint8Array(counts[1]!), blocked: false }
    if (kind === 0) st.thread[i] = memos.thread[i]!(s)
    if (kind === 1) st.jobActive[i] = memos.job[i]!(s) ? 1 : 0
    const k = graphKit(v, s, st)
    BUILDERS[kind]!(k, i)
    const out: Built[] = []
    for (const n of k.nodes.values()) {
      const idx = index.get(n.id)
      const targets = n.targets.map((x) => index.get(x) ?? -1)
      if (idx === undefined || targets.includes(-1)) return null
      out.push({
        idx,
        any: n.mode === 'any',
        active: n.active,
        blocked: n.blocked,
        live: n.live,
        waiting: k.unadded.has(n.id) || k.idleWork.has(n.id),
        targets: Int32Array.from(targets),
      })
    }
    return out
  }
  const c: StuckCache = {
    index,
    kind: Int8Array.from(kinds),
    at: Int32Array.from(ats),
    actor: Uint8Array.from(kinds, (k) => (k === 0 || k === 1 ? 1 : 0)),
    made: counts.map((n) => Array.from({ length: n }, () => new ReadMemo<Made>(v.slots, budget))),
    build,
    stamp: new Int32Array(ids.length),
    epoch: 0,
    node: new Array<Built | undefined>(ids.length),
    live: new Uint8Array(ids.length),
    list: [],
    open: [],
    standing: { thread: new Int8Array(counts[0]!), jobActive: new Uint8Array(counts[1]!), blocked: false },
    off: false,
  }
  caches.set(v, c)
  return c
}

/** What builder (kind, i) makes in s (decoded in vals, when it is), from its memo. */
function madeBy(c: StuckCache, kind: number, i: number, s: Reader, vals: Int32Array | undefined): Made {
  const memo = c.made[kind]![i]!
  const hit = vals !== undefined ? memo.findIn(vals) : memo.find(s)
  if (hit !== undefined) return hit
  if (memo.broken) return c.build(kind, i, s)
  memo.begin(s)
  const made = c.build(kind, i, memo.first)
  memo.add(made)
  return made
}

/** Add the nodes one builder made (those not in the graph yet). */
function addMade(c: StuckCache, made: readonly Built[]): void {
  for (const b of made) {
    if (c.stamp[b.idx] === c.epoch) continue
    c.stamp[b.idx] = c.epoch
    c.node[b.idx] = b
    c.live[b.idx] = b.live ? 1 : 0
    c.list.push(b.idx)
  }
}

/**
 * Is some actor of `s` blocked for ever (a partial or global deadlock)? The same answer as
 * `waitFor(v, s).stuck.length > 0`: only a blocked thread or job can be stuck (stuck is blocked and
 * not live), so where none is blocked the graph is not built.
 */
export function hasStuck(v: GpuView, s: Reader): boolean {
  const c = cacheOf(v)
  const r = c.off ? NONE : reached(c, v, s)
  if (r === NOT_BLOCKED) return false
  if (r === NONE) {
    c.off = true
    const st = standingOf(v, s, false, c.standing)
    if (!st.blocked) return false
    const k = graphKit(v, s, st)
    blockedPart(k)
    liveness(k)
    for (const n of k.nodes.values()) if (n.blocked && !n.live) return true
    return false
  }
  const { list, node, live, open } = c
  // Least fixpoint of liveness, as waitGraph.ts's liveness computes it.
  open.length = 0
  for (let q = 0; q < list.length; q++) {
    const x = list[q]!
    const b = node[x]!
    if (b.active) live[x] = 1
    else if (live[x] === 1 || b.targets.length === 0) continue
    else if (c.actor[x] === 1 && !b.blocked && !b.waiting) continue
    else open.push(x)
  }
  let changed = true
  while (changed) {
    changed = false
    for (let q = 0; q < open.length; q++) {
      const x = open[q]!
      if (live[x] === 1) continue
      const b = node[x]!
      const ts = b.targets
      let ok = !b.any
      for (let y = 0; y < ts.length; y++) {
        if ((live[ts[y]!] === 1) === b.any) {
          ok = b.any
          break
        }
      }
      if (ok) {
        live[x] = 1
        changed = true
      }
    }
  }
  for (let q = 0; q < list.length; q++) {
    const x = list[q]!
    if (node[x]!.blocked && live[x] === 0) return true
  }
  return false
}

/** reached(): some actor is blocked, and c.list holds what the blocked actors reach */
const REACHED = 0
/** reached(): no actor is blocked */
const NOT_BLOCKED = 1
/** reached(): a builder made a node outside the index (the plain graph answers) */
const NONE = 2

/**
 * The nodes the blocked actors reach, into c.list (blockedPart's walk). Each actor's node says
 * whether it is blocked (its builder reads its standing), so no separate standing is computed.
 */
function reached(c: StuckCache, v: GpuView, s: Reader): number {
  const { design } = v
  const vals = valuesOf(s)
  c.epoch++
  c.list.length = 0
  let blocked = false
  for (let kind = 0; kind < 2; kind++) {
    const n = kind === 0 ? design.threads.length : design.jobs.length
    for (let i = 0; i < n; i++) {
      const made = madeBy(c, kind, i, s, vals)
      if (made === null) return NONE
      if (!made[0]!.blocked) continue
      blocked = true
      addMade(c, made)
    }
  }
  if (!blocked) return NOT_BLOCKED
  for (let q = 0; q < c.list.length; q++) {
    const ts = c.node[c.list[q]!]!.targets
    for (let y = 0; y < ts.length; y++) {
      const x = ts[y]!
      if (c.stamp[x] === c.epoch) continue
      if (c.kind[x]! < 0) return NONE
      const made = madeBy(c, c.kind[x]!, c.at[x]!, s, vals)
      if (made === null) return NONE
      addMade(c, made)
    }
  }
  return REACHED
}
