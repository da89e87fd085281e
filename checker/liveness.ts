/**
 * Liveness under weak fairness, on the explored state graph (see LivenessProperty in model.ts).
 *
 * Within the states where the goal does not hold, reachable from a state where the obligation is
 * pending, every strongly connected component is examined. A component holds a weakly fair cycle
 * exactly when, for every fairness group, some edge inside it belongs to the group or some state in
 * it has no action of the group enabled: one cycle through all its states and edges then satisfies
 * every group at once; and if a group is enabled in every state but never taken inside, no cycle
 * there can be fair. The lasso reported is a shortest prefix (BFS parents) to the component, then a
 * loop through it that takes each group's step or visits its disabled state, and returns.
 */

/** The state graph as the graph checks enumerate it. */
export interface StateGraph {
  readonly n: number
  /** forward edges in CSR form, with the rule of each edge */
  readonly start: Uint32Array
  readonly to: Uint32Array
  readonly rule: Uint32Array
  /** the BFS parent of each state (NO_PARENT for initial states) */
  parent(i: number): number
}

export interface Lasso {
  /** states of the prefix then the loop; the last state equals path[loopStart] */
  readonly path: readonly number[]
  /** rules between consecutive states of path */
  readonly rules: readonly number[]
  readonly loopStart: number
  readonly detail: readonly string[]
}

export function findFairLasso(
  g: StateGraph,
  groupNames: readonly string[],
  groupOfRule: Int32Array,
  isBad: (i: number) => boolean,
  isTrigger: (i: number) => boolean,
  enabledAt: (state: number, group: number) => boolean,
  stops = false,
): Lasso | undefined {
  const n = g.n
  const bad = new Uint8Array(n)
  for (let i = 0; i < n; i++) bad[i] = isBad(i) ? 1 : 0
  const groupOf = (r: number): number => groupOfRule[r]!
  // States reachable, through bad states only, from a bad state where the obligation is pending.
  const reach = new Uint8Array(n)
  const queue: number[] = []
  const from = new Int32Array(n).fill(-1)
  for (let i = 0; i < n; i++) {
    if (bad[i] && isTrigger(i)) {
      reach[i] = 1
      queue.push(i)
    }
  }
  for (let h = 0; h < queue.length; h++) {
    const u = queue[h]!
    for (let e = g.start[u]!; e < g.start[u + 1]!; e++) {
      const v = g.to[e]!
      if (bad[v] && !reach[v]) {
        reach[v] = 1
        from[v] = u
        queue.push(v)
      }
    }
  }
  // Tarjan's SCCs on the reachable bad subgraph (iterative).
  const index = new Int32Array(n).fill(-1)
  const low = new Int32Array(n)
  const onStack = new Uint8Array(n)
  const stack: number[] = []
  const comp = new Int32Array(n).fill(-1)
  const comps: number[][] = []
  let counter = 0
  for (let root = 0; root < n; root++) {
    if (!reach[root] || index[root] !== -1) continue
    const work: { v: number; e: number }[] = [{ v: root, e: g.start[root]! }]
    index[root] = low[root] = counter++
    stack.push(root)
    onStack[root] = 1
    while (work.length) {
      const top = work[work.length - 1]!
      const v = top.v
      if (top.e < g.start[v + 1]!) {
        const w = g.to[top.e++]!
        if (!reach[w]) continue
        if (index[w] === -1) {
          index[w] = low[w] = counter++
          stack.push(w)
          onStack[w] = 1
          work.push({ v: w, e: g.start[w]! })
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!)
      } else {
        work.pop()
        if (work.length) low[work[work.length - 1]!.v] = Math.min(low[work[work.length - 1]!.v]!, low[v]!)
        if (low[v] === index[v]) {
          const c: number[] = []
          let w: number
          do {
            w = stack.pop()!
            onStack[w] = 0
            comp[w] = comps.length
            c.push(w)
          } while (w !== v)
          comps.push(c)
        }
      }
    }
  }
  const groups = groupNames.length
  /** the BFS prefix to `entry` (through `from` back to where the obligation started) */
  const prefixTo = (entry: number): { path: number[]; rules: number[] } => {
    const path: number[] = []
    const rules: number[] = []
    let pend = entry
    while (from[pend]! >= 0) pend = from[pend]!
    for (let i = pend; i !== 0xffffffff; i = g.parent(i)) path.unshift(i)
    const chain: number[] = []
    for (let i = entry; i !== pend; i = from[i]!) chain.unshift(i)
    path.push(...chain)
    for (let i = 1; i < path.length; i++) rules.push(edgeRule(g, path[i - 1]!, path[i]!))
    return { path, rules }
  }
  // A run that stops with the goal unmet stutters for ever: a lasso whose loop is that one state.
  let stopped: Lasso | undefined
  if (stops)
    for (let i = 0; i < n && !stopped; i++)
      if (reach[i] && g.start[i] === g.start[i + 1]) {
        const { path, rules } = prefixTo(i)
        stopped = {
          path,
          rules,
          loopStart: path.length - 1,
          detail: ['the run stops here: no action is enabled, so it stays in this state for ever with the goal unmet'],
        }
      }
  const best = (l: Lasso): Lasso => (stopped && stopped.path.length <= l.path.length ? stopped : l)
  // Components in order of their earliest (BFS-first) state, for a short prefix.
  const order = comps.map((c, k) => ({ k, first: Math.min(...c) })).sort((a, b) => a.first - b.first)
  for (const { k } of order) {
    const c = comps[k]!
    const inC = (v: number): boolean => comp[v] === k
    let hasEdge = false
    const takes = new Uint8Array(groups)
    const disabledSomewhere = new Uint8Array(groups)
    for (const u of c) {
      for (let grp = 0; grp < groups; grp++) if (!enabledAt(u, grp)) disabledSomewhere[grp] = 1
      for (let e = g.start[u]!; e < g.start[u + 1]!; e++) {
        if (!inC(g.to[e]!)) continue
        hasEdge = true
        const grp = groupOf(g.rule[e]!)
        if (grp >= 0) takes[grp] = 1
      }
    }
    if (!hasEdge) continue
    let fair = true
    for (let grp = 0; grp < groups; grp++) if (!takes[grp] && !disabledSomewhere[grp]) fair = false
    if (!fair) continue

    // The lasso. Prefix: BFS parents to the pending state, then the bad path to the component.
    const entry = Math.min(...c)
    const { path, rules } = prefixTo(entry)
    const loopStart = path.length - 1
    // Loop: visit, for each group, one of its edges or one state where it is disabled; return.
    let cur = entry
    const goTo = (target: (u: number) => boolean): void => {
      const seg = bfsWithin(g, cur, inC, target)
      for (const [v, r] of seg) {
        path.push(v)
        rules.push(r)
        cur = v
      }
    }
    const detail: string[] = []
    for (let grp = 0; grp < groups; grp++) {
      if (takes[grp]) {
        // end the hop with an edge of this group
        const seg = bfsWithin(g, cur, inC, (u) => {
          for (let e = g.start[u]!; e < g.start[u + 1]!; e++) if (inC(g.to[e]!) && groupOf(g.rule[e]!) === grp) return true
          return false
        })
        for (const [v, r] of seg) {
          path.push(v)
          rules.push(r)
          cur = v
        }
        for (let e = g.start[cur]!; e < g.start[cur + 1]!; e++) {
          if (inC(g.to[e]!) && groupOf(g.rule[e]!) === grp) {
            path.push(g.to[e]!)
            rules.push(g.rule[e]!)
            cur = g.to[e]!
            break
          }
        }
        detail.push(`${groupNames[grp]}: takes a step in the loop`)
      } else {
        goTo((u) => !enabledAt(u, grp))
        detail.push(`${groupNames[grp]}: not continuously enabled (disabled somewhere in the loop)`)
      }
    }
    if (cur !== entry || path.length - 1 === loopStart) {
      // close the loop (at least one step)
      const seg = bfsWithin(g, cur, inC, (u) => u === entry, cur === entry)
      for (const [v, r] of seg) {
        path.push(v)
        rules.push(r)
        cur = v
      }
    }
    return best({ path, rules, loopStart, detail })
  }
  return stopped
}

function edgeRule(g: StateGraph, u: number, v: number): number {
  for (let e = g.start[u]!; e < g.start[u + 1]!; e++) if (g.to[e] === v) return g.rule[e]!
  throw new Error(`no edge ${u} -> ${v}`)
}

/** Shortest hop sequence [state, rule] from `src` to a state satisfying `target`, inside the component. */
function bfsWithin(g: StateGraph, src: number, inC: (v: number) => boolean, target: (u: number) => boolean, atLeastOne = false): [number, number][] {
  if (!atLeastOne && target(src)) return []
  const prev = new Map<number, [number, number]>()
  const queue = [src]
  for (let h = 0; h < queue.length; h++) {
    const u = queue[h]!
    for (let e = g.start[u]!; e < g.start[u + 1]!; e++) {
      const v = g.to[e]!
      if (!inC(v) || prev.has(v)) continue
      prev.set(v, [u, g.rule[e]!])
      if (target(v)) {
        const out: [number, number][] = []
        for (let x = v; x !== src || out.length === 0;) {
          const [p, r] = prev.get(x)!
          out.unshift([x, r])
          x = p
          if (x === src) break
        }
        return out
      }
      queue.push(v)
    }
  }
  throw new Error('no path inside the component')
}
