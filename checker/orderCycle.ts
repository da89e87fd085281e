/**
 * Cycles in a lockdep-style order graph (see OrderProperty in model.ts). Pure: the search's graph
 * check and `replay` both decide an order violation here, so a replayed result is judged by the
 * same rule that produced it.
 */

/** An edge of the order graph; `site` says where an observed edge was established (absent: primed). */
export interface CycleEdge<S> {
  readonly from: string
  readonly to: string
  readonly site?: S
  /** where a primed edge comes from, when it says */
  readonly label?: string
}

/**
 * A shortest cycle that uses at least one observed edge, or undefined. A cycle of primed edges
 * alone is not reported (no trace establishes it): the boot order is acyclic, but a design's own
 * primed edges (a reclaim path's fs_reclaim -> lock) may close one with it, as a reclaim path that
 * blocks on a dma_resv does; that cycle is found once the search runs the path and observes the
 * edge itself. An observed self-edge (a class taken while a lock
 * of the same class is held, with no nest lock: lockdep's "possible recursive locking detected")
 * is a cycle of one edge, the shortest there is. Between the same pair an observed edge is
 * preferred over a primed one, and the first observed edge over later ones. With `through`, only
 * cycles through a node it accepts are found.
 */
export function findCycle<S>(
  primed: readonly (readonly [from: string, to: string, label?: string])[],
  observed: readonly { readonly from: string; readonly to: string; readonly site: S }[],
  through?: (node: string) => boolean,
): CycleEdge<S>[] | undefined {
  const self = observed.find((e) => e.from === e.to && (!through || through(e.from)))
  if (self) return [self]
  const edges: CycleEdge<S>[] = [...primed.map(([from, to, label]) => ({ from, to, ...(label !== undefined ? { label } : {}) })), ...observed]
  const out = new Map<string, CycleEdge<S>[]>()
  for (const e of edges) {
    if (e.from === e.to) continue
    if (!out.has(e.from)) out.set(e.from, [])
    const list = out.get(e.from)!
    const same = list.findIndex((x) => x.to === e.to)
    if (same < 0) list.push(e)
    else if (list[same]!.site === undefined && e.site !== undefined) list[same] = e
  }
  let best: CycleEdge<S>[] | undefined
  // For each observed edge a -> b, a shortest path b ~> a closes a cycle (with `through`, only
  // edges out of an accepted node start one: every cycle through that node has one).
  for (const e of observed) {
    if (e.from === e.to || (through && !through(e.from))) continue
    const prev = new Map<string, CycleEdge<S>>()
    const queue = [e.to]
    const seen = new Set([e.to])
    while (queue.length) {
      const x = queue.shift()!
      if (x === e.from) break
      for (const f of out.get(x) ?? []) {
        if (!seen.has(f.to)) {
          seen.add(f.to)
          prev.set(f.to, f)
          queue.push(f.to)
        }
      }
    }
    if (!seen.has(e.from)) continue
    const path: CycleEdge<S>[] = []
    for (let x = e.from; x !== e.to; x = prev.get(x)!.from) path.unshift(prev.get(x)!)
    const cycle = [e, ...path]
    if (!best || cycle.length < best.length) best = cycle
  }
  return best
}

/** The words lockdep prints for a cycle of one edge (check_deadlock, kernel/locking/lockdep.c @ v6.12). */
export const recursionNote = (cycle: readonly { readonly from: string; readonly to: string }[]): string[] =>
  cycle.length === 1 && cycle[0]!.from === cycle[0]!.to
    ? [
        `possible recursive locking detected: a lock of class ${cycle[0]!.from} taken while a lock of that class is held, with no acquire context or nest lock (kernel/locking/lockdep.c: check_deadlock @ v6.12)`,
      ]
    : []
