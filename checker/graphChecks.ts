/**
 * Checks over the whole explored state graph, run after the search: progress (AG(p -> EF q) over
 * a restricted transition relation) and order graphs (lockdep-style). The graph is enumerated
 * again from the stored states in index order; under BFS that order is discovery order, so the
 * first offending state or edge found has a shortest trace.
 */
import { fingerprint, fp } from './fingerprint.js'
import { type Action, Cursor, type LivenessProperty, type Model, type OrderProperty, type ProgressProperty, type Reader, Values } from './model.js'
import { findFairLasso, type Lasso } from './liveness.js'
import { findCycle } from './orderCycle.js'
import type { StateStore } from './stateStore.js'
import type { PropertyRef } from './verdict.js'

/** fingerprint -> state index, for turning successors back into indices. */
class IndexTable {
  private readonly slots: Uint32Array
  private readonly mask: number
  constructor(n: number) {
    let cap = 1024
    while (cap < n * 2) cap <<= 1
    this.slots = new Uint32Array(cap * 3)
    this.mask = cap - 1
  }
  private slot(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask
    for (;;) {
      const j = i * 3
      const h = this.slots[j]!
      const l = this.slots[j + 1]!
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return j
      i = (i + 1) & this.mask
    }
  }
  set(hi: number, lo: number, index: number): void {
    const j = this.slot(hi, lo)
    this.slots[j] = hi
    this.slots[j + 1] = hi === 0 && lo === 0 ? 1 : lo
    this.slots[j + 2] = index
  }
  get(hi: number, lo: number): number {
    const j = this.slot(hi, lo)
    return this.slots[j] === 0 && this.slots[j + 1] === 0 ? -1 : this.slots[j + 2]!
  }
}

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

export interface GraphCheckOptions {
  /** false when the search was cut: progress needs the complete graph and is then skipped */
  readonly complete: boolean
  /** the stored states are symmetry representatives: successors are canonicalized to find them */
  readonly symmetric?: boolean
}

export interface GraphCheckResult {
  readonly violation?: GraphViolation
  /** what was checked, and what was skipped and why */
  readonly notes: readonly string[]
}

export function checkGraph<A extends Action>(model: Model<A>, store: StateStore, opts: GraphCheckOptions): GraphCheckResult {
  const symmetric = opts.symmetric ?? false
  const progress = model.properties.filter((p): p is ProgressProperty<A> => p.kind === 'progress')
  const orders = model.properties.filter((p): p is OrderProperty<A> => p.kind === 'order')
  const liveness = model.properties.filter((p): p is LivenessProperty<A> => p.kind === 'liveness')
  const notes: string[] = []
  if (progress.length === 0 && orders.length === 0 && liveness.length === 0) return { notes }
  const runProgress = opts.complete ? progress : []
  // Symmetry permutes the actors fairness is stated over: liveness is not checked on a reduced graph.
  const runLiveness = opts.complete && !symmetric ? liveness : []
  if (symmetric && liveness.length > 0) notes.push(`not checked under symmetry reduction (fairness is per actor): ${liveness.map((p) => p.name).join(', ')}`)
  if (!opts.complete && progress.length + liveness.length > 0) {
    notes.push(`not checked (the state graph is incomplete, so "can still reach" and cycles cannot be decided): ${[...progress, ...liveness].map((p) => p.name).join(', ')}`)
  }
  const needEdges = runProgress.length > 0 || runLiveness.length > 0
  const fwdSrc: number[] = []
  const fwdDst: number[] = []
  const fwdRule: number[] = []
  const enabledGroups = runLiveness.map(() => new Uint32Array(store.size))

  const layout = model.layout
  const W = layout.words
  const n = store.size
  const index = new IndexTable(n)
  const words = new Uint32Array(W)
  for (let i = 0; i < n; i++) {
    store.read(i, words)
    fingerprint(words, 0, W)
    index.set(fp.hi, fp.lo, i)
  }

  // Per progress property: obligation bits per state, and reverse edges over allowed actions.
  const pend = runProgress.map((p) => Array.from({ length: p.obligations }, () => new Uint8Array(n)))
  const done = runProgress.map((p) => Array.from({ length: p.obligations }, () => new Uint8Array(n)))
  const revSrc: number[][] = runProgress.map(() => [])
  const revDst: number[][] = runProgress.map(() => [])
  // Per order property: the first transition that established each edge.
  const edgeSeen = orders.map(() => new Map<string, { from: string; to: string; site: TraceSite }>())

  const cursor = new Cursor(layout)
  const out = new Uint32Array(W)
  cursor.out = out
  const postValues = new Int32Array(layout.slots)
  const post: Reader = new Values(postValues)
  for (let i = 0; i < n; i++) {
    store.read(i, words)
    layout.decodeInto(words, 0, cursor.pre)
    model.derive?.(cursor.pre)
    for (let p = 0; p < runProgress.length; p++) {
      const prop = runProgress[p]!
      for (let o = 0; o < prop.obligations; o++) {
        if (prop.pending(cursor, o)) pend[p]![o]![i] = 1
        if (prop.done(cursor, o)) done[p]![o]![i] = 1
      }
    }
    for (let r = 0; r < model.rules.length; r++) {
      const rule = model.rules[r]!
      if (!rule.guard(cursor)) continue
      for (let q = 0; q < runLiveness.length; q++) {
        const grp = runLiveness[q]!.fairness(rule.action)
        if (grp >= 0) enabledGroups[q]![i] = enabledGroups[q]![i]! | (1 << grp)
      }
      out.set(words)
      rule.apply(cursor)
      if (orders.length > 0) {
        layout.decodeInto(out, 0, postValues)
        model.derive?.(postValues)
        for (let q = 0; q < orders.length; q++) {
          for (const [from, to] of orders[q]!.edges(cursor, rule.action, post)) {
            const key = `${from}\u0000${to}`
            if (!edgeSeen[q]!.has(key)) edgeSeen[q]!.set(key, { from, to, site: { label: `${from} -> ${to}`, stateIndex: i, finalRule: r } })
          }
        }
      }
      if (needEdges) {
        if (model.symmetry && store.size > 0 && symmetric) model.symmetry.canonicalize(out)
        fingerprint(out, 0, W)
        const j = index.get(fp.hi, fp.lo)
        if (j < 0) continue // a successor beyond a depth bound; cannot happen on a complete graph
        if (runLiveness.length > 0) {
          fwdSrc.push(i)
          fwdDst.push(j)
          fwdRule.push(r)
        }
        for (let p = 0; p < runProgress.length; p++) {
          if (runProgress[p]!.allowed(rule.action)) {
            revSrc[p]!.push(j)
            revDst[p]!.push(i)
          }
        }
      }
    }
  }

  // Progress: backward reachability from the done states over allowed edges.
  for (let p = 0; p < runProgress.length; p++) {
    const prop = runProgress[p]!
    const adj = csr(n, revSrc[p]!, revDst[p]!)
    for (let o = 0; o < prop.obligations; o++) {
      const reach = new Uint8Array(n)
      const queue = new Uint32Array(n)
      let qh = 0
      let qt = 0
      const d = done[p]![o]!
      for (let i = 0; i < n; i++) if (d[i]) (reach[i] = 1), (queue[qt++] = i)
      while (qh < qt) {
        const j = queue[qh++]!
        for (let e = adj.start[j]!; e < adj.start[j + 1]!; e++) {
          const i = adj.to[e]!
          if (!reach[i]) (reach[i] = 1), (queue[qt++] = i)
        }
      }
      const pe = pend[p]![o]!
      for (let i = 0; i < n; i++) {
        if (pe[i] && !reach[i]) {
          return {
            notes,
            violation: {
              property: { name: prop.name, kind: 'progress', ...(prop.cite ? { cite: prop.cite } : {}) },
              site: { label: `${prop.label(o)} can no longer be done`, stateIndex: i },
              sites: [],
              detail: [`from the last state, no sequence of allowed actions makes ${prop.label(o)} happen`],
            },
          }
        }
      }
    }
    notes.push(`${prop.name}: every pending obligation (${prop.obligations}) can still be met from every reachable state`)
  }

  // Liveness under weak fairness: a fair lasso in the goal-free part of the graph.
  if (runLiveness.length > 0) {
    const adj = csrWithRules(n, fwdSrc, fwdDst, fwdRule)
    const graph = { n, start: adj.start, to: adj.to, rule: adj.rule, parent: (i: number) => store.parent(i) }
    const evalState = (i: number, f: (s: Reader) => boolean): boolean => {
      store.read(i, words)
      layout.decodeInto(words, 0, postValues)
      model.derive?.(postValues)
      return f(post)
    }
    for (let q = 0; q < runLiveness.length; q++) {
      const prop = runLiveness[q]!
      const lasso = findFairLasso(model, graph, prop, evalState, enabledGroups[q]!)
      if (lasso) {
        return {
          notes,
          violation: {
            property: { name: prop.name, kind: 'liveness', ...(prop.cite ? { cite: prop.cite } : {}) },
            site: { label: 'lasso', stateIndex: lasso.path[lasso.path.length - 1]! },
            sites: [],
            detail: [
              `a weakly fair cycle in which the goal of '${prop.name}' is never met (a livelock): the trace is a lasso, looping back to the state after step ${lasso.loopStart}`,
              `fairness assumed: weak fairness per group (${prop.groups.join(', ')}): a group enabled in every state of the loop must take a step in it`,
              ...lasso.detail.map((d) => `  ${d}`),
            ],
            lasso,
          },
        }
      }
      notes.push(`${prop.name}: no weakly fair cycle avoids the goal (fairness: weak, per ${prop.groups.join(', ')})`)
    }
  }

  // Order graphs: a cycle through at least one observed edge.
  for (let q = 0; q < orders.length; q++) {
    const prop = orders[q]!
    const cyc = findCycle(prop.primed, [...edgeSeen[q]!.values()])
    if (cyc) {
      const observed = cyc.filter((e) => e.site !== undefined)
      const last = observed.reduce((a, b) => (b.site!.stateIndex > a.site!.stateIndex ? b : a))
      return {
        notes,
        violation: {
          property: { name: prop.name, kind: 'order', ...(prop.cite ? { cite: prop.cite } : {}) },
          site: last.site!,
          sites: observed.map((e) => e.site!),
          detail: [`cycle: ${cyc.map((e) => e.from).join(' -> ')} -> ${cyc[0]!.from}`, ...cyc.map((e) => `  ${e.from} -> ${e.to}: ${e.site ? 'observed (trace below)' : 'primed at boot (dma_resv_lockdep)'}`)],
          graph: {
            edges: [...prop.primed.map(([from, to]) => ({ from, to, observed: false })), ...[...edgeSeen[q]!.values()].map((e) => ({ from: e.from, to: e.to, observed: true }))],
            cycle: cyc.map((e) => ({ from: e.from, to: e.to, observed: e.site !== undefined })),
          },
        },
      }
    }
    notes.push(`${prop.name}: ${edgeSeen[q]!.size} observed edges, consistent with the primed order`)
  }
  return { notes }
}

function csrWithRules(n: number, src: number[], dst: number[], rules: number[]): { start: Uint32Array; to: Uint32Array; rule: Uint32Array } {
  const start = new Uint32Array(n + 1)
  for (const s of src) start[s + 1]!++
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!
  const fill = start.slice(0, n)
  const to = new Uint32Array(src.length)
  const rule = new Uint32Array(src.length)
  for (let e = 0; e < src.length; e++) {
    const k = fill[src[e]!]!++
    to[k] = dst[e]!
    rule[k] = rules[e]!
  }
  return { start, to, rule }
}

function csr(n: number, src: number[], dst: number[]): { start: Uint32Array; to: Uint32Array } {
  const start = new Uint32Array(n + 1)
  for (const s of src) start[s + 1]!++
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!
  const fill = start.slice(0, n)
  const to = new Uint32Array(src.length)
  for (let e = 0; e < src.length; e++) to[fill[src[e]!]!++] = dst[e]!
  return { start, to }
}
