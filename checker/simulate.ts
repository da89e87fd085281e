/**
 * Simulation: seeded random walks for state spaces beyond exhaustive reach. A walk picks one
 * enabled rule uniformly at random at each step and checks, through the one expansion step,
 * invariants and witnesses of every state it visits, step properties of every transition out of
 * it, and deadlock. Graph properties are not checked, and the result names them. Simulation never proves anything: without a violation the verdict is
 * inconclusive, with coverage (distinct states seen, actions fired) as its scope. The same seed
 * gives the same walks.
 */
import { fingerprint, fp } from './fingerprint.js'
import { DEADLOCK, Expander, StateChecks, STEP_VIOLATED, type SuccessorSink } from './expand.js'
import { type Action, type Model, decode, Values } from './model.js'
import { planProperties, refOf } from './plan.js'
import { traceFromPath, type Trace } from './trace.js'
import type { PropertyRef, UncheckedProperty } from './verdict.js'
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
  /** properties random walks cannot check (those over the whole state graph), and why */
  readonly unchecked: readonly UncheckedProperty[]
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
  const W = layout.words
  const plan = planProperties(model, { order: 'bfs', workers: 1, symmetry: false, hashCompaction: false, resumed: false, simulation: true })
  const ex = new Expander(model, plan)
  const checks = new StateChecks(plan)
  const seen = new VisitedSet()
  const fired = new Map<string, number>()
  for (const r of model.rules) fired.set(r.action.name, 0)
  const inits = model.init().map((v) => layout.encode(v))
  let totalSteps = 0
  let maxDepth = 0
  let stoppedBy: SimulationResult['stoppedBy'] = 'walks'
  let w = 0
  // Each walk state's successors, as the one expansion step hands them over: rule numbers only.
  const successors: number[] = []
  const sink: SuccessorSink = {
    successor: (r) => {
      successors.push(r)
      return true
    },
  }

  const coverage = (): Coverage => ({
    walks: w,
    steps: totalSteps,
    distinctStates: seen.size,
    maxDepth,
    actions: Object.fromEntries(fired),
    neverFired: [...fired].filter(([, n]) => n === 0).map(([k]) => k),
    timeMs: Date.now() - start,
  })
  const violated = (property: PropertyRef, path: Uint32Array[], rules: number[]): SimulationResult => ({
    status: 'violated',
    property,
    trace: traceFromPath(
      model,
      path.map((p) => decode(model, p)),
      rules,
    ),
    walk: w,
    coverage: { ...coverage(), walks: w + 1 },
    stoppedBy: 'violation',
    unchecked: plan.unchecked,
  })
  /** Check the state in `words` (decoded into ex.post), first seen or not: its invariants. */
  const checkState = (words: Uint32Array): number => {
    fingerprint(words, 0, W)
    seen.add(fp.hi, fp.lo)
    const v = decode(model, words)
    return checks.check(new Values(v), 0, 0)
  }

  for (; w < opts.walks; w++) {
    if ((opts.maxTimeMs !== undefined && Date.now() - start > opts.maxTimeMs) || opts.shouldStop?.()) {
      stoppedBy = opts.shouldStop?.() ? 'interrupted' : 'time'
      break
    }
    let cur = inits[Math.floor(random() * inits.length)]!
    const path: Uint32Array[] = [cur]
    const taken: number[] = []
    const broken = checkState(cur)
    if (broken >= 0) return violated(refOf(plan.invariants[broken]!, 'invariant'), path, taken)
    for (let d = 0; d < opts.depth; d++) {
      ex.load(cur, 0, 0)
      successors.length = 0
      const res = ex.expand(sink, false)
      if (res === STEP_VIOLATED) {
        // A successor of this walk state breaks a step property: the walk takes that step.
        path.push(successorWords(ex, ex.brokenRule))
        taken.push(ex.brokenRule)
        return violated(refOf(plan.steps[ex.brokenStep]!, 'step'), path, taken)
      }
      if (res === DEADLOCK) return violated(refOf(plan.deadlock!, 'deadlock'), path, taken)
      if (successors.length === 0) break
      const r = successors[Math.floor(random() * successors.length)]!
      const next = successorWords(ex, r)
      fired.set(model.rules[r]!.action.name, fired.get(model.rules[r]!.action.name)! + 1)
      totalSteps++
      path.push(next)
      taken.push(r)
      if (d + 1 > maxDepth) maxDepth = d + 1
      const inv = checkState(next)
      if (inv >= 0) return violated(refOf(plan.invariants[inv]!, 'invariant'), path, taken)
      cur = next
    }
  }
  return { status: 'inconclusive', coverage: coverage(), stoppedBy, unchecked: plan.unchecked }
}

/** The successor of the loaded state by rule r, as fresh packed words. */
function successorWords<A extends Action>(ex: Expander<A>, r: number): Uint32Array {
  ex.applyRule(r)
  return Uint32Array.from(ex.out)
}
