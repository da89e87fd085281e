/**
 * Checks over the whole explored state graph: progress (AG(p -> EF q) over a restricted transition
 * relation), order graphs (lockdep-style) and liveness under weak fairness.
 *
 * The graph is recorded while the search expands states (GraphRecorder): the labels each property
 * needs per state, the edges (source, target, rule) and, for order properties, the first transition
 * that established each edge. So the checks need no stored state afterwards, and run under hash
 * compaction too. The parallel search's workers each record their own states and the edges into
 * them, and the coordinator joins the parts in serial order (joinSearched). Where a search did not
 * record (the part of a resumed run before its checkpoint), `backfill` re-expands the stored
 * states through the same Expander. Under BFS the recording order is
 * discovery order, so the first offending state or edge found has a shortest trace.
 */
import { Expander, type SuccessorSink, type TransitionObserver } from './expand.js'
import { fp } from './fingerprint.js'
import { findFairLasso, type Lasso } from './liveness.js'
import { findCycle, recursionNote } from './orderCycle.js'
import type { Action, LivenessProperty, Model, OrderProperty, ProgressProperty, Reader } from './model.js'
import { type NotSelected, refOf, type PropertyPlan, type Unchecked } from './plan.js'
import type { StateStore } from './stateStore.js'
import { IndexTable, U32List, U8List } from './typedLists.js'
import type { PropertyRef } from './verdict.js'

/** One trace to report: the path to `stateIndex`, then optionally `finalRule` out of it. */
export interface TraceSite {
  readonly label: string
  readonly stateIndex: number
  readonly finalRule?: number
}

export interface GraphViolation {
  readonly property: PropertyRef
  /** the primary site (shortest trace to the offending state, or to the closing edge) */
  readonly site: TraceSite
  /** further traces that belong to the evidence (one per observed edge of an order cycle) */
  readonly sites: readonly TraceSite[]
  /** human-readable explanation lines (the obligation, the cycle) */
  readonly detail: readonly string[]
  /** for order properties: every edge (observed or primed), and the cycle's edges */
  readonly graph?: { readonly edges: readonly OrderEdge[]; readonly cycle: readonly OrderEdge[] }
  /** for liveness properties: the lasso (prefix and loop) */
  readonly lasso?: Lasso
}

export interface OrderEdge {
  readonly from: string
  readonly to: string
  readonly observed: boolean
}

export interface GraphCheckResult {
  readonly violation?: GraphViolation
  /** what was checked, one line each */
  readonly notes: readonly string[]
  /** planned properties the graph could not decide, or requested ones it found nothing to check in */
  readonly unchecked: readonly Unchecked[]
  /** default-selected properties the graph found nothing to check in */
  readonly notApplicable: readonly NotSelected[]
}

type Empty = (p: { name: string; cite?: string; requested?: boolean; kind: Unchecked['kind'] }, reason: string) => void

/** Progress labels: per obligation, which states have it pending and which done. */
interface ProgressLabels<A extends Action> {
  readonly prop: ProgressProperty<A>
  readonly pend: U8List[]
  readonly done: U8List[]
  /** per rule: does the property allow it? */
  readonly allowed: Uint8Array
}

/** Liveness labels: goal-free states, trigger states, and the fairness groups enabled per state. */
interface LivenessLabels<A extends Action> {
  readonly prop: LivenessProperty<A>
  readonly bad: U8List
  readonly trigger: U8List
  /** per state, ceil(groups / 32) words of enabled-group bits */
  readonly enabled: U32List
  readonly stride: number
  /** per rule: its fairness group, or -1 */
  readonly groupOf: Int32Array
}

/**
 * What one worker of the parallel search recorded while it searched (parallelWorker.ts): the
 * labels of the states it owns, by its local index (its states in serial order), and the edges
 * into its states, each keyed by its source's serial index and the transition's ordinal among the
 * source's transitions. Each list of edges is in key order; the coordinator merges the workers'
 * parts by key (GraphRecorder.joinSearched), which gives what the serial search records.
 */
export interface SearchedGraph {
  readonly src: Uint32Array
  readonly ordinal: Uint32Array
  /** serial index of each edge's target */
  readonly dst: Uint32Array
  readonly rule: Uint32Array
  /** per progress property, per obligation: the labels of the worker's states, by local index */
  readonly progress: readonly { readonly pend: readonly Uint8Array[]; readonly done: readonly Uint8Array[] }[]
  /** per liveness property: the labels of the worker's states, by local index */
  readonly liveness: readonly { readonly bad: Uint8Array; readonly trigger: Uint8Array }[]
  /** per order property: each edge's first site the worker saw (from, to, state, rule) */
  readonly orders: readonly (readonly (readonly [string, string, number, number | undefined])[])[]
}

/** ordinals are below 2^21 (parallel.ts checks the rule count): key = src * ORDINALS + ordinal is exact in a double */
const ORDINALS = 2 ** 21

export class GraphRecorder<A extends Action = Action> implements TransitionObserver<A> {
  /** does the search have to hand over every edge (progress or liveness planned)? */
  readonly needsEdges: boolean
  private readonly src = new U32List()
  private readonly dst = new U32List()
  private readonly rule = new U32List()
  private readonly progress: ProgressLabels<A>[]
  private readonly liveness: LivenessLabels<A>[]
  private readonly orders: readonly OrderProperty<A>[]
  private readonly edgeSeen: Map<string, { from: string; to: string; site: TraceSite }>[]
  private n = 0
  /** a transition that reads as one already shown (the same fields, the same values) establishes
   * the same edges, whose first sites are kept: the search may show only the first (expand.ts) */
  readonly repeatable = true
  /** hand this to the Expander: it reports every transition, for the order edges it establishes */
  readonly observer: TransitionObserver<A> | undefined

  constructor(
    readonly model: Model<A>,
    readonly plan: PropertyPlan<A>,
  ) {
    const rules = model.rules
    this.progress = plan.progress.map((prop) => ({
      prop,
      pend: Array.from({ length: prop.obligations }, () => new U8List()),
      done: Array.from({ length: prop.obligations }, () => new U8List()),
      allowed: Uint8Array.from(rules, (r) => (prop.allowed(r.action) ? 1 : 0)),
    }))
    this.liveness = plan.liveness.map((prop) => ({
      prop,
      bad: new U8List(),
      trigger: new U8List(),
      enabled: new U32List(),
      stride: Math.max(1, Math.ceil(prop.groups.length / 32)),
      groupOf: Int32Array.from(rules, (r) => prop.fairness(r.action)),
    }))
    this.orders = plan.order
    this.edgeSeen = plan.order.map(() => new Map<string, { from: string; to: string; site: TraceSite }>())
    this.needsEdges = this.progress.length + this.liveness.length > 0
    this.observer = plan.order.length > 0 ? this : undefined
  }

  /** Bytes held by the recording. */
  get bytes(): number {
    let b = this.src.bytes + this.dst.bytes + this.rule.bytes
    for (const p of this.progress) for (let o = 0; o < p.pend.length; o++) b += p.pend[o]!.bytes + p.done[o]!.bytes
    for (const l of this.liveness) b += l.bad.bytes + l.trigger.bytes + l.enabled.bytes
    return b
  }

  /** Label state `i` (being expanded; `s` is its decoded form, `initial` whether it is a root). */
  state(i: number, s: Reader, initial: boolean): void {
    if (i >= this.n) this.n = i + 1
    for (const p of this.progress) {
      for (let o = 0; o < p.pend.length; o++) {
        p.pend[o]!.set(i, p.prop.pending(s, o) ? 1 : 0)
        p.done[o]!.set(i, p.prop.done(s, o) ? 1 : 0)
      }
    }
    for (const l of this.liveness) {
      l.bad.set(i, l.prop.goal(s) ? 0 : 1)
      l.trigger.set(i, (l.prop.trigger ? l.prop.trigger(s) : initial) ? 1 : 0)
      for (let k = 0; k < l.stride; k++) l.enabled.set(i * l.stride + k, 0)
    }
  }

  /** An edge src -> dst by `rule` (every enabled rule of every expanded state). */
  edge(src: number, dst: number, rule: number): void {
    if (dst >= this.n) this.n = dst + 1
    this.src.push(src)
    this.dst.push(dst)
    this.rule.push(rule)
    for (const l of this.liveness) {
      const g = l.groupOf[rule]!
      if (g >= 0) {
        const k = src * l.stride + (g >>> 5)
        l.enabled.set(k, l.enabled.get(k) | (1 << (g & 31)))
      }
    }
  }

  transition(src: number, rule: number, pre: Reader, action: A, post: Reader): void {
    for (let q = 0; q < this.orders.length; q++) {
      const seen = this.edgeSeen[q]!
      for (const [from, to] of this.orders[q]!.edges(pre, action, post)) {
        const key = `${from}\u0000${to}`
        if (!seen.has(key)) seen.set(key, { from, to, site: { label: `${from} -> ${to}`, stateIndex: src, finalRule: rule } })
      }
    }
  }

  /**
   * Run the checks on the recorded graph of `n` states. `complete`: the search explored the whole
   * bounded space (otherwise "can still be done" and cycles cannot be decided); `parent` gives BFS
   * parents for lasso prefixes.
   */
  check(n: number, parent: (i: number) => number, complete: boolean, shouldStop?: () => boolean): GraphCheckResult {
    const notes: string[] = []
    const unchecked: Unchecked[] = []
    const notApplicable: NotSelected[] = []
    const empty = (p: { name: string; cite?: string; requested?: boolean; kind: Unchecked['kind'] }, reason: string): void => {
      if (p.requested) unchecked.push({ ...refOf(p, p.kind), reason })
      else notApplicable.push({ name: p.name, reason: `does not apply: ${reason}` })
    }
    if (!complete) {
      for (const p of [...this.progress, ...this.liveness]) {
        unchecked.push({
          ...refOf(p.prop, p.prop.kind),
          reason: 'the search was cut, so "can still be done" and fair cycles cannot be decided on a partial graph',
        })
      }
    } else {
      const v = this.checkProgress(n, notes, unchecked, empty, shouldStop) ?? this.checkLiveness(n, parent, notes, empty)
      if (v) return { violation: v, notes, unchecked, notApplicable }
    }
    const v = this.checkOrders(notes)
    return v ? { violation: v, notes, unchecked, notApplicable } : { notes, unchecked, notApplicable }
  }

  private checkProgress(n: number, notes: string[], unchecked: Unchecked[], empty: Empty, shouldStop?: () => boolean): GraphViolation | undefined {
    for (const p of this.progress) {
      const prop = p.prop
      // Reverse edges over allowed actions: backward reachability from the done states.
      const keep = (e: number): boolean => p.allowed[this.rule.get(e)]! === 1
      const adj = csr(n, this.dst, this.src, keep)
      let anyPending = false
      for (let o = 0; o < prop.obligations; o++) {
        if (shouldStop?.()) {
          unchecked.push({ ...refOf(prop, 'progress'), reason: 'the run was interrupted during the graph checks' })
          return undefined
        }
        const reach = new Uint8Array(n)
        const queue = new Uint32Array(n)
        let qh = 0
        let qt = 0
        const d = p.done[o]!
        for (let i = 0; i < n; i++) {
          if (!d.get(i)) continue
          reach[i] = 1
          queue[qt++] = i
        }
        while (qh < qt) {
          const j = queue[qh++]!
          for (let e = adj.start[j]!; e < adj.start[j + 1]!; e++) {
            const i = adj.to[e]!
            if (reach[i]) continue
            reach[i] = 1
            queue[qt++] = i
          }
        }
        const pe = p.pend[o]!
        for (let i = 0; i < n; i++) {
          if (!pe.get(i)) continue
          anyPending = true
          if (!reach[i]) {
            return {
              property: refOf(prop, 'progress'),
              site: { label: `${prop.label(o)} can no longer be done`, stateIndex: i },
              sites: [],
              detail: [`from the last state, no sequence of allowed actions makes ${prop.label(o)} happen`],
            }
          }
        }
      }
      if (anyPending) notes.push(`${prop.name}: every pending obligation (${prop.obligations}) can still be met from every reachable state`)
      else empty(prop, 'no reachable state has a pending obligation, so there was nothing to check')
    }
    return undefined
  }

  private checkLiveness(n: number, parent: (i: number) => number, notes: string[], empty: Empty): GraphViolation | undefined {
    if (this.liveness.length === 0) return undefined
    const all = csrRules(n, this.src, this.dst, this.rule)
    const graph = { n, start: all.start, to: all.to, rule: all.rule, parent }
    for (const l of this.liveness) {
      const prop = l.prop
      let triggered = false
      for (let i = 0; i < n && !triggered; i++) if (l.trigger.get(i) && l.bad.get(i)) triggered = true
      if (!triggered) {
        empty(prop, 'its obligation never starts in a reachable state (the trigger never holds without the goal), so there was nothing to check')
        continue
      }
      const enabled = (u: number, grp: number): boolean => (l.enabled.get(u * l.stride + (grp >>> 5)) & (1 << (grp & 31))) !== 0
      const lasso = findFairLasso(
        graph,
        prop.groups,
        l.groupOf,
        (i) => l.bad.get(i) === 1,
        (i) => l.trigger.get(i) === 1,
        enabled,
        prop.stops === true,
      )
      if (lasso) {
        const stopped = lasso.loopStart === lasso.path.length - 1
        return {
          property: refOf(prop, 'liveness'),
          site: { label: 'lasso', stateIndex: lasso.path[lasso.path.length - 1]! },
          sites: [],
          detail: [
            stopped
              ? `a run that stops with the goal of '${prop.name}' unmet: nothing can move after step ${lasso.loopStart}, so the trace is a lasso whose loop is its last state (it stutters for ever)`
              : `a weakly fair cycle in which the goal of '${prop.name}' is never met (a livelock): the trace is a lasso, looping back to the state after step ${lasso.loopStart}`,
            `fairness assumed: weak fairness per group (${prop.groups.join(', ')}): a group enabled in every state of the loop must take a step in it`,
            ...lasso.detail.map((d) => `  ${d}`),
          ],
          lasso,
        }
      }
      notes.push(`${prop.name}: no weakly fair cycle avoids the goal (fairness: weak, per ${prop.groups.length} groups: ${prop.groups.join(', ')})`)
    }
    return undefined
  }

  private checkOrders(notes: string[]): GraphViolation | undefined {
    for (let q = 0; q < this.orders.length; q++) {
      const prop = this.orders[q]!
      const seen = [...this.edgeSeen[q]!.values()]
      const cyc = findCycle(prop.primed, seen, prop.through)
      if (cyc) {
        const observed = cyc.filter((e) => e.site !== undefined)
        const last = observed.reduce((a, b) => (b.site!.stateIndex > a.site!.stateIndex ? b : a))
        return {
          property: refOf(prop, 'order'),
          site: last.site!,
          sites: observed.map((e) => e.site!),
          detail: [
            `cycle: ${cyc.map((e) => e.from).join(' -> ')} -> ${cyc[0]!.from}`,
            ...recursionNote(cyc),
            ...cyc.map((e) => `  ${e.from} -> ${e.to}: ${e.site ? 'observed (trace below)' : (e.label ?? prop.primedLabel ?? 'primed')}`),
          ],
          graph: {
            edges: [...prop.primed.map(([from, to]) => ({ from, to, observed: false })), ...seen.map((e) => ({ from: e.from, to: e.to, observed: true }))],
            cycle: cyc.map((e) => ({ from: e.from, to: e.to, observed: e.site !== undefined })),
          },
        }
      }
      notes.push(`${prop.name}: ${seen.length} observed edges, consistent with the primed order`)
    }
    return undefined
  }

  /**
   * Record the graph of states [from, upTo) of `store` by expanding them again, for searches that did
   * not record while they ran (the parallel search; the part of a resumed run before its
   * checkpoint). `index` maps fingerprints of all stored states to their index. Returns false if
   * `shouldStop` interrupted it.
   */
  backfill(store: StateStore, upTo: number, index: IndexTable, symmetric: boolean, shouldStop?: () => boolean): boolean {
    const ex = new Expander(this.model, this.plan, { symmetry: symmetric, ...(this.observer ? { observer: this.observer } : {}) })
    const words = new Uint32Array(this.model.layout.words)
    let src = 0
    const sink: SuccessorSink = {
      successor: (r) => {
        if (this.needsEdges) {
          const j = index.get(fp.hi, fp.lo)
          if (j >= 0) this.edge(src, j, r)
        }
        return true
      },
    }
    for (let i = 0; i < upTo; i++) {
      if ((i & 1023) === 0 && shouldStop?.()) return false
      store.read(i, words)
      ex.load(words, 0, i)
      src = i
      this.state(i, ex.cursor, store.isRoot(i))
      // Step violations and deadlocks of stored states were the search's to report.
      ex.expand(sink, false)
    }
    return true
  }

  /**
   * What this recorder, a worker's, holds of its `size` states, with the edges the worker
   * recorded (targets already as serial indices).
   */
  searched(size: number, edges: Pick<SearchedGraph, 'src' | 'ordinal' | 'dst' | 'rule'>): SearchedGraph {
    return {
      ...edges,
      progress: this.progress.map((p) => ({ pend: p.pend.map((l) => l.array(size)), done: p.done.map((l) => l.array(size)) })),
      liveness: this.liveness.map((l) => ({ bad: l.bad.array(size), trigger: l.trigger.array(size) })),
      orders: this.edgeSeen.map((seen) => [...seen.values()].map((e) => [e.from, e.to, e.site.stateIndex, e.site.finalRule] as const)),
    }
  }

  /**
   * Take the graph the parallel search's workers recorded, as if this recorder had recorded the
   * serial search of `n` states: state s's labels are the `owners[s]` worker's next ones (a
   * worker's local order is serial order), edges come merged by (source, ordinal), and an order
   * edge's site is the one with the least state index (one state's transitions are all seen by
   * the one worker that expanded it, which kept the first). States from `expanded` on, which the
   * workers expanded but the serial search would not have (it stopped at a state bound), are
   * left unexpanded.
   */
  joinSearched(parts: readonly SearchedGraph[], owners: Uint8Array, n: number, expanded = n): void {
    if (n > this.n) this.n = n
    // Labels: each worker's, by local index, scattered to serial indices.
    const labelled = Math.min(n, expanded)
    const localOf = new Uint32Array(labelled)
    const next = new Uint32Array(parts.length)
    for (let s = 0; s < labelled; s++) localOf[s] = next[owners[s]!]!++
    const scatter = (pick: (part: SearchedGraph) => Uint8Array): Uint8Array => {
      const out = new Uint8Array(labelled)
      const from = parts.map(pick)
      for (let s = 0; s < labelled; s++) out[s] = from[owners[s]!]![localOf[s]!]!
      return out
    }
    this.progress.forEach((q, x) => {
      for (let o = 0; o < q.pend.length; o++) {
        q.pend[o]!.setAll(scatter((p) => p.progress[x]!.pend[o]!))
        q.done[o]!.setAll(scatter((p) => p.progress[x]!.done[o]!))
      }
    })
    this.liveness.forEach((l, x) => {
      l.bad.setAll(scatter((p) => p.liveness[x]!.bad))
      l.trigger.setAll(scatter((p) => p.liveness[x]!.trigger))
      for (let k = 0; k < labelled * l.stride; k++) l.enabled.set(k, 0)
    })
    // Edges. Progress is decided on their set (which states reach a done state; the first state
    // that cannot is the least index), so without liveness properties the workers' lists are
    // taken as they are. The fair-lasso search follows edges in their order: with a liveness
    // property they are merged by (source, ordinal), the serial search's order, so the lasso and
    // its trace are the serial one.
    if (this.liveness.length === 0) {
      for (const p of parts) {
        if (expanded >= n && p.src.length > 0) {
          this.src.pushAll(p.src)
          this.dst.pushAll(p.dst)
          this.rule.pushAll(p.rule)
          continue
        }
        for (let e = 0; e < p.src.length; e++) {
          if (p.src[e]! >= expanded || p.dst[e]! >= n) continue
          this.src.push(p.src[e]!)
          this.dst.push(p.dst[e]!)
          this.rule.push(p.rule[e]!)
        }
      }
    } else this.mergeEdges(parts, n, expanded)
    // Sites in the serial search's order of first sight: by state, then (one state's being one
    // worker's) in the order that worker saw them.
    this.edgeSeen.forEach((seen, q) => {
      const first = new Map<string, { from: string; to: string; stateIndex: number; finalRule: number | undefined; rank: number }>()
      for (const part of parts) {
        part.orders[q]!.forEach(([from, to, stateIndex, finalRule], rank) => {
          const k = `${from}\u0000${to}`
          const had = first.get(k)
          if (stateIndex >= expanded) return
          if (had === undefined || stateIndex < had.stateIndex) first.set(k, { from, to, stateIndex, finalRule, rank })
        })
      }
      const sites = [...first.entries()].sort(([, a], [, b]) => a.stateIndex - b.stateIndex || a.rank - b.rank)
      for (const [k, e] of sites) {
        if (seen.has(k)) continue
        seen.set(k, {
          from: e.from,
          to: e.to,
          site: { label: `${e.from} -> ${e.to}`, stateIndex: e.stateIndex, ...(e.finalRule !== undefined ? { finalRule: e.finalRule } : {}) },
        })
      }
    })
  }

  /** The workers' edges merged by (source, ordinal), as the serial search records them (see joinSearched). */
  private mergeEdges(parts: readonly SearchedGraph[], n: number, expanded: number): void {
    const total = parts.reduce((m, p) => m + p.src.length, 0)
    const src = new Uint32Array(total)
    const dst = new Uint32Array(total)
    const rule = new Uint32Array(total)
    const pos = new Int32Array(parts.length)
    const key = (w: number): number => {
      const p = parts[w]!
      const e = pos[w]!
      return e < p.src.length ? p.src[e]! * ORDINALS + p.ordinal[e]! : Infinity
    }
    const heads = Float64Array.from(parts, (_p, w) => key(w))
    let m = 0
    for (;;) {
      let w = 0
      for (let v = 1; v < parts.length; v++) if (heads[v]! < heads[w]!) w = v
      if (heads[w] === Infinity) break
      const p = parts[w]!
      const e = pos[w]!++
      heads[w] = key(w)
      const a = p.src[e]!
      const b = p.dst[e]!
      if (a >= expanded || b >= n) continue
      src[m] = a
      dst[m] = b
      rule[m++] = p.rule[e]!
    }
    this.src.pushAll(src.subarray(0, m))
    this.dst.pushAll(dst.subarray(0, m))
    this.rule.pushAll(rule.subarray(0, m))
    for (const l of this.liveness) {
      for (let e = 0; e < m; e++) {
        const g = l.groupOf[rule[e]!]!
        if (g < 0) continue
        const k = src[e]! * l.stride + (g >>> 5)
        l.enabled.set(k, l.enabled.get(k) | (1 << (g & 31)))
      }
    }
  }
}

/** Fingerprint -> index for every state of a store. */
export function indexStore(store: StateStore, words: number): IndexTable {
  const index = new IndexTable()
  const w = new Uint32Array(words)
  for (let i = 0; i < store.size; i++) {
    store.read(i, w)
    index.addWords(w, i)
  }
  return index
}

/** CSR adjacency from edge lists a -> b, keeping the edges `keep` admits. */
function csr(n: number, a: U32List, b: U32List, keep: (e: number) => boolean): { start: Uint32Array; to: Uint32Array } {
  const start = new Uint32Array(n + 1)
  const m = a.length
  for (let e = 0; e < m; e++) if (keep(e)) start[a.get(e) + 1]!++
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!
  const fill = start.slice(0, n)
  const to = new Uint32Array(start[n]!)
  for (let e = 0; e < m; e++) if (keep(e)) to[fill[a.get(e)]!++] = b.get(e)
  return { start, to }
}

function csrRules(n: number, src: U32List, dst: U32List, rules: U32List): { start: Uint32Array; to: Uint32Array; rule: Uint32Array } {
  const start = new Uint32Array(n + 1)
  const m = src.length
  for (let e = 0; e < m; e++) start[src.get(e) + 1]!++
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!
  const fill = start.slice(0, n)
  const to = new Uint32Array(m)
  const rule = new Uint32Array(m)
  for (let e = 0; e < m; e++) {
    const k = fill[src.get(e)]!++
    to[k] = dst.get(e)
    rule[k] = rules.get(e)
  }
  return { start, to, rule }
}
