/**
 * The deadlock invariant's question, is some actor of a state blocked for ever, answered on the
 * part of the wait-for graph the blocked actors reach (waitGraph.ts). Nearly every state of a
 * design has some actor blocked, so the graph is needed nearly everywhere; but each node depends
 * on a few fields only (a job's state and its dependencies, a thread's step and what it waits
 * on), and recurs in state after state. Each node's builder is therefore memoized by the fields
 * it reads (checker/readMemo.ts): a look-up gives the number of one of the builder's distinct
 * results, whose nodes, flags and targets are kept as indices in flat arrays (MadeTable), and the
 * liveness fixpoint runs over small typed arrays: no object is read or made per state. The tries'
 * nodes are sized by each field's range (GpuView.ranges), so they stay small and near each other
 * in memory: this runs on every new state, beside the visited set. The answer is the plain graph's:
 * test/model/waitForShortcut.test.ts compares it with the whole graph on every reachable state of
 * every bundled design.
 */
import type { Reader } from '../../checker/model.js'
import { MemoBudget, ReadMemo, valuesOf } from '../../checker/readMemo.js'
import { type Standing, standingMemos, standingOf } from './standing.js'
import type { GpuView, NodeId } from './view.js'
import { blockedPart, BUILDERS, graphKit, liveness } from './waitGraph.js'
import { waitStatics } from './waitStatics.js'

/** Flags of a made node (MadeTable.flags). */
const ANY = 1
const ACTIVE_NODE = 2
const BLOCKED_NODE = 4
const LIVE_NODE = 8
/** an unadded fence callback, or an idle work item: live only through its targets */
const WAITING = 16

/**
 * Every distinct result of a builder, in flat arrays: result m made the nodes first[m] ..
 * first[m + 1] - 1, node p has the index idx[p], the flags flags[p] and the targets
 * tgt[from[p]] .. tgt[from[p + 1] - 1]. A memo's leaf is a result's number (NULL_MADE: a node id
 * outside the index). Plain arrays of small integers: the walk reads them without allocation.
 */
interface MadeTable {
  readonly first: number[]
  readonly idx: number[]
  readonly flags: number[]
  readonly from: number[]
  readonly tgt: number[]
}

/** a builder made a node outside the index */
const NULL_MADE = -1

interface StuckCache {
  /** every node id a builder can make: threads, jobs, engines, locks, fences, then each engine's reserved-CU node */
  readonly index: ReadonlyMap<NodeId, number>
  /** builder kind and index of each node (-1: made only by the builder that targets it) */
  readonly kind: Int8Array
  readonly at: Int32Array
  readonly actor: Uint8Array
  /** threads and jobs: nodes 0 .. actors - 1 */
  readonly actors: number
  /** per actor, the number of what its builder made in the state being answered (blocked or not) */
  readonly madeOf: Int32Array
  /** per node made by a builder of its own (kind >= 0): the builder's memo of result numbers */
  readonly made: readonly ReadMemo<number>[]
  readonly table: MadeTable
  /** run builder (kind, i) on s, adding its result to the table: its number */
  readonly build: (kind: number, i: number, s: Reader) => number
  readonly stamp: Int32Array
  epoch: number
  /** per node in the graph: its place p in the table */
  readonly at2: Int32Array
  readonly live: Uint8Array
  /** the nodes in the graph, in the order added: list[0 .. size - 1] */
  readonly list: Int32Array
  size: number
  readonly open: Int32Array
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
  const table: MadeTable = { first: [0], idx: [], flags: [], from: [0], tgt: [] }
  const known = new Map<string, number>()
  const build = (kind: number, i: number, s: Reader): number => {
    const st: Standing = { thread: new Int8Array(counts[0]!), jobActive: new Uint8Array(counts[1]!), blocked: false }
    if (kind === 0) st.thread[i] = memos.thread[i]!(s)
    if (kind === 1) st.jobActive[i] = memos.job[i]!(s) ? 1 : 0
    const k = graphKit(v, s, st)
    BUILDERS[kind]!(k, i)
    const made: { idx: number; flags: number; targets: number[] }[] = []
    for (const n of k.nodes.values()) {
      const idx = index.get(n.id)
      const targets = n.targets.map((x) => index.get(x) ?? -1)
      if (idx === undefined || targets.includes(-1)) return NULL_MADE
      const waiting = k.unadded.has(n.id) || k.idleWork.has(n.id)
      const flags =
        (n.mode === 'any' ? ANY : 0) | (n.active ? ACTIVE_NODE : 0) | (n.blocked ? BLOCKED_NODE : 0) | (n.live ? LIVE_NODE : 0) | (waiting ? WAITING : 0)
      made.push({ idx, flags, targets })
    }
    // the same result again (a memo that serves nothing more builds on every call): its number
    const key = JSON.stringify(made)
    const had = known.get(key)
    if (had !== undefined) return had
    known.set(key, table.first.length - 1)
    for (const m of made) {
      table.idx.push(m.idx)
      table.flags.push(m.flags)
      table.tgt.push(...m.targets)
      table.from.push(table.tgt.length)
    }
    table.first.push(table.idx.length)
    return table.first.length - 2
  }
  const n = ids.length
  const c: StuckCache = {
    index,
    kind: Int8Array.from(kinds),
    at: Int32Array.from(ats),
    actor: Uint8Array.from(kinds, (k) => (k === 0 || k === 1 ? 1 : 0)),
    actors: counts[0]! + counts[1]!,
    madeOf: new Int32Array(counts[0]! + counts[1]!),
    made: kinds.map((k) => new ReadMemo<number>(k >= 0 ? v.slots : 0, budget, v.ranges)),
    table,
    build,
    stamp: new Int32Array(n),
    epoch: 0,
    at2: new Int32Array(n),
    live: new Uint8Array(n),
    list: new Int32Array(n),
    size: 0,
    open: new Int32Array(n),
    standing: { thread: new Int8Array(counts[0]!), jobActive: new Uint8Array(counts[1]!), blocked: false },
    off: false,
  }
  caches.set(v, c)
  return c
}

/** The number of what node x's builder makes in s (decoded in vals, when it is), from its memo. */
function madeBy(c: StuckCache, x: number, s: Reader, vals: Int32Array | undefined): number {
  const memo = c.made[x]!
  const hit = vals !== undefined ? memo.findIn(vals) : memo.find(s)
  if (hit !== undefined) return hit
  if (memo.broken) return c.build(c.kind[x]!, c.at[x]!, s)
  memo.begin(s)
  const made = c.build(c.kind[x]!, c.at[x]!, memo.first)
  memo.add(made)
  return made
}

/** Add the nodes of result m (those not in the graph yet). */
function addMade(c: StuckCache, m: number): void {
  const { idx, flags } = c.table
  const end = c.table.first[m + 1]!
  for (let p = c.table.first[m]!; p < end; p++) {
    const x = idx[p]!
    if (c.stamp[x] === c.epoch) continue
    c.stamp[x] = c.epoch
    c.at2[x] = p
    c.live[x] = (flags[p]! & LIVE_NODE) !== 0 ? 1 : 0
    c.list[c.size++] = x
  }
}

/**
 * Is some actor of `s` blocked for ever (a partial or global deadlock)? The same answer as
 * `waitFor(v, s).stuck.length > 0`: only a blocked thread or job can be stuck (stuck is blocked and
 * not live), so where none is blocked the graph is not built.
 */
export function hasStuck(v: GpuView, s: Reader): boolean {
  const c = cacheOf(v)
  const r = c.off ? NONE : reached(c, s)
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
  const { list, at2, live, open, actor } = c
  const { flags, from, tgt } = c.table
  const size = c.size
  // Least fixpoint of liveness, as waitGraph.ts's liveness computes it.
  let opened = 0
  for (let q = 0; q < size; q++) {
    const x = list[q]!
    const p = at2[x]!
    const fl = flags[p]!
    if ((fl & ACTIVE_NODE) !== 0) live[x] = 1
    else if (live[x] === 1 || from[p] === from[p + 1]) continue
    else if (actor[x] === 1 && (fl & (BLOCKED_NODE | WAITING)) === 0) continue
    else open[opened++] = x
  }
  let changed = true
  while (changed) {
    changed = false
    for (let q = 0; q < opened; q++) {
      const x = open[q]!
      if (live[x] === 1) continue
      const p = at2[x]!
      const any = (flags[p]! & ANY) !== 0
      let ok = !any
      const end = from[p + 1]!
      for (let y = from[p]!; y < end; y++) {
        if ((live[tgt[y]!] === 1) === any) {
          ok = any
          break
        }
      }
      if (ok) {
        live[x] = 1
        changed = true
      }
    }
  }
  for (let q = 0; q < size; q++) {
    const x = list[q]!
    if ((flags[at2[x]!]! & BLOCKED_NODE) !== 0 && live[x] === 0) return true
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
function reached(c: StuckCache, s: Reader): number {
  const vals = valuesOf(s)
  const { first, flags, from, tgt } = c.table
  c.epoch++
  c.size = 0
  let blocked = false
  for (let x = 0; x < c.actors; x++) {
    const m = madeBy(c, x, s, vals)
    if (m === NULL_MADE) return NONE
    c.madeOf[x] = m
    // an actor's builder makes the actor's node first
    if ((flags[first[m]!]! & BLOCKED_NODE) === 0) continue
    blocked = true
    addMade(c, m)
  }
  if (!blocked) return NOT_BLOCKED
  const { list, at2, stamp, kind } = c
  for (let q = 0; q < c.size; q++) {
    const p = at2[list[q]!]!
    const end = from[p + 1]!
    for (let y = from[p]!; y < end; y++) {
      const x = tgt[y]!
      if (stamp[x] === c.epoch) continue
      if (kind[x]! < 0) return NONE
      // an actor that is not blocked was looked up above
      const m = x < c.actors ? c.madeOf[x]! : madeBy(c, x, s, vals)
      if (m === NULL_MADE) return NONE
      addMade(c, m)
    }
  }
  return REACHED
}
