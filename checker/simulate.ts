/**
 * Simulation: seeded random walks for state spaces beyond exhaustive reach. A walk picks one
 * enabled rule uniformly at random at each step and checks invariants, step properties and
 * deadlock as it goes. Simulation never proves anything: without a violation the verdict is
 * inconclusive, with coverage (distinct states seen, actions fired) as its scope. The same seed
 * gives the same walks.
 */
import { fingerprint, fp } from './fingerprint.js'
import { Cursor, type Action, type Invariant, type Model, type StepProperty, decode, fromValues, Values } from './model.js'
import { traceFromPath, type Trace } from './trace.js'
import type { PropertyRef } from './verdict.js'
import { VisitedSet } from './visitedSet.js'

export interface SimulateOptions {
  readonly seed: number
  readonly walks: number
  /** steps per walk at most */
  readonly depth: number
  readonly maxTimeMs?: number
  readonly shouldStop?: () => boolean
}

export interface Coverage {
  readonly walks: number
  readonly steps: number
  readonly distinctStates: number
  readonly maxDepth: number
  /** how often each action name fired */
  readonly actions: Readonly<Record<string, number>>
  /** action names the model has that never fired */
  readonly neverFired: readonly string[]
  readonly timeMs: number
}

export interface SimulationResult {
  readonly status: 'violated' | 'inconclusive'
  readonly property?: PropertyRef
  readonly trace?: Trace
  /** the walk (0-based) that found the violation */
  readonly walk?: number
  readonly coverage: Coverage
  readonly stoppedBy: 'walks' | 'time' | 'interrupted' | 'violation'
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function simulate<A extends Action>(model: Model<A>, opts: SimulateOptions): SimulationResult {
  const random = rng(opts.seed)
  const start = Date.now()
  const layout = model.layout
  const invariants = model.properties.filter((p): p is Invariant => p.kind === 'invariant')
  const steps = model.properties.filter((p): p is StepProperty<A> => p.kind === 'step')
  const seen = new VisitedSet()
  const fired = new Map<string, number>()
  for (const r of model.rules) fired.set(r.action.name, 0)
  const inits = model.init().map((v) => fromValues(model, v))
  const cursor = new Cursor(layout)
  let totalSteps = 0
  let maxDepth = 0
  let stoppedBy: SimulationResult['stoppedBy'] = 'walks'
  let w = 0

  const coverage = (): Coverage => ({
    walks: w,
    steps: totalSteps,
    distinctStates: seen.size,
    maxDepth,
    actions: Object.fromEntries(fired),
    neverFired: [...fired].filter(([, n]) => n === 0).map(([k]) => k),
    timeMs: Date.now() - start,
  })
  const note = (values: Int32Array): void => {
    const words = layout.encode(values.subarray(0, layout.fieldCount))
    fingerprint(words, 0, layout.words)
    seen.add(fp.hi, fp.lo)
  }
  const violated = (property: PropertyRef, path: Int32Array[], rules: number[]): SimulationResult => ({
    status: 'violated',
    property,
    trace: traceFromPath(model, path, rules),
    walk: w,
    coverage: { ...coverage(), walks: w + 1 },
    stoppedBy: 'violation',
  })

  for (; w < opts.walks; w++) {
    if ((opts.maxTimeMs !== undefined && Date.now() - start > opts.maxTimeMs) || opts.shouldStop?.()) {
      stoppedBy = opts.shouldStop?.() ? 'interrupted' : 'time'
      break
    }
    let cur = inits[Math.floor(random() * inits.length)]!
    const path: Int32Array[] = [cur]
    const taken: number[] = []
    note(cur)
    for (const inv of invariants) if (!inv.holds(new Values(cur))) return violated({ name: inv.name, kind: 'invariant', ...(inv.cite ? { cite: inv.cite } : {}) }, path, taken)
    for (let d = 0; d < opts.depth; d++) {
      cursor.pre.set(cur)
      const enabled: number[] = []
      for (let r = 0; r < model.rules.length; r++) if (model.rules[r]!.guard(cursor)) enabled.push(r)
      if (enabled.length === 0) {
        if (model.deadlock && !model.deadlock.terminal(cursor)) {
          return violated({ name: model.deadlock.name, kind: 'deadlock', ...(model.deadlock.cite ? { cite: model.deadlock.cite } : {}) }, path, taken)
        }
        break
      }
      const r = enabled[Math.floor(random() * enabled.length)]!
      const rule = model.rules[r]!
      cursor.out = layout.encode(cur.subarray(0, layout.fieldCount))
      rule.apply(cursor)
      const next = decode(model, cursor.out)
      fired.set(rule.action.name, fired.get(rule.action.name)! + 1)
      totalSteps++
      path.push(next)
      taken.push(r)
      if (d + 1 > maxDepth) maxDepth = d + 1
      const post = new Values(next)
      for (const sp of steps) {
        if (!sp.holds(new Values(cur), rule.action, post)) return violated({ name: sp.name, kind: 'step', ...(sp.cite ? { cite: sp.cite } : {}) }, path, taken)
      }
      for (const inv of invariants) if (!inv.holds(post)) return violated({ name: inv.name, kind: 'invariant', ...(inv.cite ? { cite: inv.cite } : {}) }, path, taken)
      note(next)
      cur = next
    }
  }
  return { status: 'inconclusive', coverage: coverage(), stoppedBy }
}
