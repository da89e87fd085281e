/**
 * Results are values. A verdict always carries its scope: what was explored, under which bounds,
 * with which storage, so "proved" never means more than "proved within these bounds".
 */

export type SearchOrder = 'bfs' | 'dfs'

export interface Bounds {
  /** states at this depth are not expanded */
  readonly maxDepth?: number
  /** stop once this many distinct states are stored */
  readonly maxStates?: number
  /** wall-clock limit in milliseconds */
  readonly maxTimeMs?: number
  /** limit on the checker's own storage plus the process's resident memory, in bytes */
  readonly maxMemoryBytes?: number
}

/** why a run is inconclusive: a bound cut it, it was interrupted, or some property was not checked */
export type CutBy = 'depth' | 'states' | 'time' | 'memory' | 'interrupted' | 'unchecked'

export interface Stats {
  distinctStates: number
  /** transitions fired, counting those that led to already-seen states */
  transitions: number
  /** deepest level reached (initial states are depth 0) */
  maxDepth: number
  timeMs: number
  statesPerSec: number
  /** peak resident set size sampled during the run, in bytes */
  peakMemoryBytes: number
  /** bytes held by the visited set and the state store at the end */
  storageBytes: number
  /** packed state size in bytes */
  stateBytes: number
  /** probability that two distinct states shared a 64-bit fingerprint: 1 - exp(-n(n-1)/2^65) */
  collisionProbability: number
  /** TLC's optimistic estimate n(t-n)/2^64 from the transitions that hit a stored fingerprint */
  collisionProbabilityOptimistic: number
}

export interface Scope {
  readonly order: SearchOrder
  readonly bounds: Bounds
  readonly storage: string
  /** every state within this many steps of an initial state was found and checked (BFS); -1 when not known */
  readonly completeDepth: number
}

export interface SometimesReport {
  readonly name: string
  readonly cite?: string
  readonly reached: boolean
  /** depth of the first state found that satisfies it */
  readonly depth?: number
}

export interface PropertyRef {
  readonly name: string
  readonly kind: 'invariant' | 'step' | 'deadlock' | 'progress' | 'order' | 'liveness'
  readonly cite?: string
}

/** A property that was asked for and not checked in this run, and why. */
export interface UncheckedProperty extends PropertyRef {
  readonly reason: string
}

interface Common {
  readonly scope: Scope
  readonly stats: Stats
  /** what else was checked (graph checks), one line each */
  readonly notes: readonly string[]
  /** every property this run checked */
  readonly checked: readonly PropertyRef[]
  /** properties asked for but not checked, with the reason: a run with any is never proved */
  readonly unchecked: readonly UncheckedProperty[]
  /** properties left out on purpose (deselected, or not applicable to this design), with the reason */
  readonly notSelected: readonly { readonly name: string; readonly reason: string }[]
  readonly sometimes: readonly SometimesReport[]
}

export type Verdict =
  | (Common & { readonly status: 'proved' })
  | (Common & { readonly status: 'violated'; readonly property: PropertyRef; readonly traceLength: number })
  | (Common & { readonly status: 'inconclusive'; readonly cutBy: CutBy; readonly detail: string })

export type Status = Verdict['status']

/** Exit codes, documented in the README. */
export const EXIT = {
  proved: 0,
  violated: 1,
  badInput: 2,
  inconclusive: 3,
  internal: 4,
} as const

/** The bounds of a search as one phrase ("depth <= 20, memory <= 512 MiB", or "none"). */
export function boundsText(b: Bounds): string {
  const parts: string[] = []
  if (b.maxDepth !== undefined) parts.push(`depth <= ${b.maxDepth}`)
  if (b.maxStates !== undefined) parts.push(`states <= ${b.maxStates}`)
  if (b.maxTimeMs !== undefined) parts.push(`time <= ${b.maxTimeMs / 1000}s`)
  if (b.maxMemoryBytes !== undefined) parts.push(`memory <= ${fmtBytes(b.maxMemoryBytes)}`)
  return parts.length ? parts.join(', ') : 'none'
}

/** The verdict in a few words, as every report heads it. */
export function headline(v: Verdict): string {
  switch (v.status) {
    case 'violated':
      return `VIOLATED: ${v.property.name}`
    case 'proved':
      return v.notSelected.length
        ? `PROVED within bounds, for the ${checkedNames(v) === 1 ? 'one property' : `${checkedNames(v)} properties`} checked`
        : 'PROVED within bounds'
    case 'inconclusive':
      if (v.cutBy === 'unchecked' && v.unchecked.length === 0) return 'INCONCLUSIVE: no property was checked'
      if (v.cutBy === 'unchecked') return `INCONCLUSIVE: ${v.unchecked.length} propert${v.unchecked.length === 1 ? 'y was' : 'ies were'} not checked`
      if (v.cutBy === 'interrupted') return 'INCONCLUSIVE: interrupted'
      return `INCONCLUSIVE: cut by the ${v.cutBy} bound`
  }
}

/** How many properties were checked, by name (a rule checked both per step and through the lock order is one). */
const checkedNames = (v: Verdict): number => new Set(v.checked.map((p) => p.name)).size

/** What a verdict covers, property by property: what was checked, what was not and why. */
export function coverageLines(v: Verdict): string[] {
  const out: string[] = []
  if (v.status === 'proved' && v.notSelected.length) out.push(`proved for: ${[...new Set(v.checked.map((p) => p.name))].join('; ')}`)
  for (const u of v.unchecked) out.push(`not checked: ${u.name} (${u.reason})`)
  // Grouped by reason: a scenario that lists two properties leaves a dozen out for one reason.
  const byReason = new Map<string, string[]>()
  for (const u of v.notSelected) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u.name])
  for (const [reason, names] of byReason) out.push(`not selected (${reason}): ${names.join('; ')}`)
  return out
}

export function scopeLine(v: Verdict): string {
  const bounds = boundsText(v.scope.bounds)
  const n = v.stats.distinctStates.toLocaleString('en-US')
  switch (v.status) {
    case 'proved':
      return `all ${n} reachable states explored (${v.scope.order.toUpperCase()}, bounds: ${bounds}, ${v.scope.storage})`
    case 'violated':
      return `violation found after ${n} states (${v.scope.order.toUpperCase()}, bounds: ${bounds})`
    case 'inconclusive':
      if (v.cutBy === 'unchecked') return `all ${n} reachable states explored, but ${v.detail} (${v.scope.order.toUpperCase()}, bounds: ${bounds})`
      if (v.cutBy === 'interrupted') return `interrupted after ${n} states (${v.scope.order.toUpperCase()}, bounds: ${bounds})`
      return `cut by the ${v.cutBy} bound after ${n} states: ${v.detail} (${v.scope.order.toUpperCase()}, bounds: ${bounds})`
  }
}

/** A size in bytes, in one unit everywhere (binary prefixes; whole numbers without decimals): "512 MiB", "1.5 GiB". */
export function fmtBytes(b: number): string {
  const unit = (x: number, digits: number, u: string): string => `${Number.isInteger(x) ? x : x.toFixed(digits)} ${u}`
  if (b >= 2 ** 30) return unit(b / 2 ** 30, 2, 'GiB')
  if (b >= 2 ** 20) return unit(b / 2 ** 20, 1, 'MiB')
  if (b >= 2 ** 10) return unit(b / 2 ** 10, 1, 'KiB')
  return `${b} B`
}
