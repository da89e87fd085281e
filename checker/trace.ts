/**
 * Counterexample traces: rebuilt from parent links by re-executing the model (TLC's approach), so
 * no action is stored per state. Each step names its action and what changed; the whole trace can
 * be checked again, step by step, by `replay`.
 */
import { createRequire } from 'node:module'
import type * as Immutable from 'immutable'
import type { ErrorCode } from '../errors/codes.js'
import {
  Cursor,
  type Action,
  type DeadlockCheck,
  type LivenessProperty,
  type Model,
  type OrderProperty,
  type Property,
  type Reader,
  decode,
  formatAction,
  fromValues,
  nextState,
  sameAction,
  Values,
} from './model.js'
import { findCycle, recursionNote } from './orderCycle.js'
import { explore, type Exploration } from './explore.js'
import { Expander } from './expand.js'
import { ModelError } from './layout.js'
import { EXHAUSTIVE_BFS, planProperties } from './plan.js'

export interface TraceStep {
  readonly action: Action
  /** the state after the action */
  readonly state: Record<string, unknown>
  /** fields whose value differs from the previous state: name -> [before, after] */
  readonly changes: Record<string, [unknown, unknown]>
}

export interface Trace {
  readonly initialState: Record<string, unknown>
  readonly steps: readonly TraceStep[]
  /** a lasso: the state after this many steps is where the loop starts; the last state equals it */
  readonly loop?: number
}

/**
 * Decoded values of every state on a path of stored indices, plus the rules between them. Under
 * symmetry reduction the stored states are orbit representatives; the trace is rebuilt on the
 * unreduced model, from the concrete initial state, by taking at each step a rule whose concrete
 * successor has the stored representative as its canonical form. It replays without symmetry.
 */
function reconstruct<A extends Action>(x: Exploration<A>, indices: number[]): { values: Int32Array[]; rules: number[] } {
  const { model, store } = x
  const layout = model.layout
  if (store.compact) {
    // Hash compaction kept no states: re-execute the recorded rules from the initial state.
    const values = [fromValues(model, model.init()[store.ruleOf(indices[0]!)]!)]
    const rules = indices.slice(1).map((i) => store.ruleOf(i))
    for (const r of rules) values.push(nextState(model, values[values.length - 1]!, model.rules[r]!))
    return { values, rules }
  }
  const stored = indices.map((i) => {
    const w = new Uint32Array(layout.words)
    store.read(i, w)
    return w
  })
  const canon = x.symmetric ? (w: Uint32Array): Uint32Array => (model.symmetry!.canonicalize(w), w) : (w: Uint32Array) => w
  let concrete: Int32Array | undefined
  if (x.symmetric) {
    concrete = model
      .init()
      .map((v) => fromValues(model, v))
      .find((v) => sameWords(canon(layout.encode(v.subarray(0, layout.fieldCount))), stored[0]!))
    if (!concrete) throw new ModelError('FC303', 'trace reconstruction failed: no initial state has the stored canonical form')
  } else concrete = decode(model, stored[0]!)
  const values = [concrete]
  const rules: number[] = []
  for (let k = 1; k < stored.length; k++) {
    const from = values[k - 1]!
    const r = findRule(model, from, layout.encode(from.subarray(0, layout.fieldCount)), stored[k]!, canon)
    if (r < 0) throw new ModelError('FC303', `trace reconstruction failed at step ${k}: no rule leads from the stored parent to the stored state`)
    rules.push(r)
    values.push(nextState(model, from, model.rules[r]!))
  }
  return { values, rules }
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  return a.every((w, i) => w === b[i])
}

/** The first enabled rule (in rule order) that takes `from` to `to` (after `canon`), or -1. */
function findRule<A extends Action>(
  model: Model<A>,
  fromValues: Int32Array,
  fromWords: Uint32Array,
  to: Uint32Array,
  canon: (w: Uint32Array) => Uint32Array = (w) => w,
): number {
  const c = new Cursor(model.layout)
  c.pre.set(fromValues)
  for (let r = 0; r < model.rules.length; r++) {
    const rule = model.rules[r]!
    if (!rule.guard(c)) continue
    c.out = Uint32Array.from(fromWords)
    rule.apply(c)
    if (sameWords(canon(c.out), to)) return r
  }
  return -1
}

/**
 * The rule that, from the concrete state, does what `rule` did from the stored state. Without
 * symmetry they are the same rule; with it, the one whose successor has the same canonical form.
 */
function finalRuleFor<A extends Action>(x: Exploration<A>, concrete: Int32Array, storedIndex: number, rule: number): number {
  if (!x.symmetric) return rule
  const model = x.model
  const layout = model.layout
  const w = new Uint32Array(layout.words)
  x.store.read(storedIndex, w)
  const target = layout.encode(successor(model, decode(model, w), rule).subarray(0, layout.fieldCount))
  model.symmetry!.canonicalize(target)
  const canon = (v: Uint32Array): Uint32Array => (model.symmetry!.canonicalize(v), v)
  const r = findRule(model, concrete, layout.encode(concrete.subarray(0, layout.fieldCount)), target, canon)
  return r < 0 ? rule : r
}

function successor<A extends Action>(model: Model<A>, values: Int32Array, rule: number): Int32Array {
  return nextState(model, values, model.rules[rule]!)
}

function toTrace<A extends Action>(model: Model<A>, values: Int32Array[], rules: number[]): Trace {
  const layout = model.layout
  const objects = values.map((v) => layout.toObject(v))
  const steps: TraceStep[] = rules.map((r, k) => ({
    action: model.rules[r]!.action,
    state: objects[k + 1]!,
    changes: diff(objects[k]!, objects[k + 1]!),
  }))
  return { initialState: objects[0]!, steps }
}

/** A trace from decoded states and the rules taken between them (e.g. a simulation walk). */
export function traceFromPath<A extends Action>(model: Model<A>, values: Int32Array[], rules: number[]): Trace {
  return toTrace(model, values, rules)
}

/** The trace to the violation of an exploration, or undefined if there was none. */
export function violationTrace<A extends Action>(x: Exploration<A>): Trace | undefined {
  if (!x.violation) return undefined
  const lasso = x.violation.lasso
  if (lasso) {
    const model = x.model
    // The lasso starts at a stored state (an initial one); hash compaction rebuilds it from rules.
    const values = [reconstruct(x, x.store.path(lasso.path[0]!)).values.at(-1)!]
    for (const r of lasso.rules) values.push(nextState(model, values[values.length - 1]!, model.rules[r]!))
    return { ...toTrace(model, values, [...lasso.rules]), loop: lasso.loopStart }
  }
  const { values, rules } = reconstruct(x, x.store.path(x.violation.stateIndex))
  if (x.violation.finalRule !== undefined) {
    const r = finalRuleFor(x, values[values.length - 1]!, x.violation.stateIndex, x.violation.finalRule)
    values.push(successor(x.model, values[values.length - 1]!, r))
    rules.push(r)
  }
  return toTrace(x.model, values, rules)
}

/** Every evidence trace of a violation beyond the primary one (e.g. each edge of a lock-order cycle). */
export function evidenceTraces<A extends Action>(x: Exploration<A>): { label: string; trace: Trace }[] {
  return (x.violation?.sites ?? []).map((site) => {
    const { values, rules } = reconstruct(x, x.store.path(site.stateIndex))
    if (site.finalRule !== undefined) {
      const r = finalRuleFor(x, values[values.length - 1]!, site.stateIndex, site.finalRule)
      values.push(successor(x.model, values[values.length - 1]!, r))
      rules.push(r)
    }
    return { label: site.label, trace: toTrace(x.model, values, rules) }
  })
}

/** A shortest (under BFS) trace to the state stored at `index`, e.g. a `sometimes` witness. */
export function traceTo<A extends Action>(x: Exploration<A>, index: number): Trace {
  const { values, rules } = reconstruct(x, x.store.path(index))
  return toTrace(x.model, values, rules)
}

/**
 * Immutable, loaded when a trace is first built: a search that builds none (a proof, say) does
 * without it, and loading it takes a noticeable part of a short run's time.
 */
let immutable: typeof Immutable | undefined
const immutableLib = (): typeof Immutable => (immutable ??= createRequire(import.meta.url)('immutable') as typeof Immutable)

/**
 * Field-level differences, compared with Immutable's value equality. Arrays are compared element
 * by element so `kst[1]` is reported rather than the whole `kst` list.
 */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, [unknown, unknown]> {
  const { fromJS, is } = immutableLib()
  const out: Record<string, [unknown, unknown]> = {}
  for (const key of Object.keys(after)) {
    const a = before[key]
    const b = after[key]
    if (Array.isArray(a) && Array.isArray(b)) {
      b.forEach((bv, i) => {
        if (!is(fromJS(a[i]), fromJS(bv))) out[`${key}[${i}]`] = [a[i], bv]
      })
    } else if (!is(fromJS(a), fromJS(b))) {
      out[key] = [a, b]
    }
  }
  return out
}

export interface ReplayResult {
  readonly ok: boolean
  /** what the replay established, one line per step, then the final check */
  readonly log: string[]
  /**
   * true when every step of the trace and of its evidence traces replayed; when `ok` is false
   * nonetheless, the end does not violate what is claimed
   */
  readonly replayed: boolean
  /**
   * set when the trace does not replay, or does not violate what is claimed: the kind (its code,
   * see errors/codes.ts), the step (1-based, 0 for the initial state) and why; `evidence` names
   * the evidence trace that does not replay
   */
  readonly failure?: { code: ErrorCode; step: number; reason: string; evidence?: string }
  /** set when the trace replays: the property the final state (or step, or lasso) violates */
  readonly violates?: string
  /**
   * set when the confirmed violation is one of the end state itself (an invariant or a deadlock):
   * that state, for the caller to say in the model's words why it is bad (the checker has no words)
   */
  readonly badState?: Reader
}

/** The property a result claims: its name, and its kind when the result records one. */
export type ClaimedProperty = string | { readonly name: string; readonly kind?: string }

export interface ReplayOptions {
  /**
   * Further traces of the evidence, each replayed step by step from an initial state: for an
   * order property, the edges they establish count towards the cycle (a lock-order result carries
   * one trace per observed edge, and the main trace need not establish them all).
   */
  readonly evidence?: readonly { readonly label: string; readonly trace: Trace }[]
}

/** A trace re-executed against the model: every state (the initial one first) and the rules taken. */
interface Walk {
  readonly states: Int32Array[]
  readonly rules: number[]
}

function sameFields(model: Pick<Model, 'layout'>, a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let f = 0; f < model.layout.fieldCount; f++) if (a[f] !== b[f]) return false
  return true
}

/**
 * Re-execute a trace: its initial state must be an initial state of the model, and every action
 * enabled where it is taken and lead to the recorded state. `note` receives one line per step.
 */
function walk<A extends Action>(model: Model<A>, trace: Trace, note: (line: string) => void): Walk | { step: number; reason: string } {
  const layout = model.layout
  const parsed = layout.fromObject(trace.initialState)
  if (typeof parsed === 'string') return { step: 0, reason: `initial state: ${parsed}` }
  const init = fromValues(model, parsed)
  if (!model.init().some((v) => sameFields(model, v, init))) return { step: 0, reason: 'the initial state is not an initial state of this model' }
  note('step 0: initial state matches')
  const states = [init]
  const rules: number[] = []
  // Each step is taken through the search's own expansion step.
  const ex = new Expander(model, planProperties(model, EXHAUSTIVE_BFS))
  for (let k = 0; k < trace.steps.length; k++) {
    const st = trace.steps[k]!
    const values = states[k]!
    const r = model.rules.findIndex((rule) => sameAction(rule.action, st.action))
    if (r < 0) return { step: k + 1, reason: `the model has no action ${formatAction(st.action)}` }
    ex.load(layout.encode(values.subarray(0, layout.fieldCount)), 0, k)
    if (!ex.isEnabled(r)) return { step: k + 1, reason: `${formatAction(st.action)} is not enabled here` }
    ex.applyRule(r)
    const next = decode(model, ex.out)
    const recorded = layout.fromObject(st.state)
    if (typeof recorded === 'string') return { step: k + 1, reason: `recorded state: ${recorded}` }
    if (!sameFields(model, next, recorded)) {
      const d = diff(layout.toObject(recorded), layout.toObject(next))
      const fields = Object.keys(d).map((f) => `${f}: recorded ${JSON.stringify(d[f]![0])}, model gives ${JSON.stringify(d[f]![1])}`)
      return { step: k + 1, reason: `${formatAction(st.action)} does not lead to the recorded state (${fields.join('; ')})` }
    }
    note(`step ${k + 1}: ${formatAction(st.action)} enabled, state matches`)
    states.push(next)
    rules.push(r)
  }
  return { states, rules }
}

/**
 * Does this lasso violate the liveness property? Undefined if it does; otherwise why not. The
 * loop must close on its start state; the obligation must be pending at or before the loop start
 * (the trigger holds there, or, without a trigger, from the initial state) with the goal holding
 * in no state from there to the end; and the loop must be weakly fair: a group enabled in every
 * loop state takes a step in it.
 */
function lassoViolates<A extends Action>(model: Model<A>, p: LivenessProperty<A>, w: Walk, loop: number): string | undefined {
  const { states } = w
  const end = states.length - 1
  // A run that stops stutters for ever in its last state: a loop of no steps, allowed where the
  // property says so and nothing at all is enabled there.
  const stops = p.stops === true && loop === end && !model.rules.some((r) => r.guard(new Values(states[end]!)))
  if (!Number.isInteger(loop) || loop < 0 || (loop >= end && !stops)) return `loop index ${loop} is out of range (the trace has ${end} steps)`
  if (!sameFields(model, states[loop]!, states[end]!))
    return `the loop does not close: the state after step ${end} is not the loop start state (after step ${loop})`
  const goal = (k: number): boolean => p.goal(new Values(states[k]!))
  for (let k = loop; k <= end; k++) if (goal(k)) return `the goal holds in the loop (in the state after step ${k})`
  // The goal-free suffix: states first..end; the obligation must start inside it, before the loop.
  let first = loop
  while (first > 0 && !goal(first - 1)) first--
  if (p.trigger) {
    let trig = -1
    for (let k = first; k <= loop && trig < 0; k++) if (p.trigger(new Values(states[k]!))) trig = k
    if (trig < 0) {
      return first > 0
        ? `the trigger holds in no state from step ${first} (after the goal last held, at step ${first - 1}) to the loop start (step ${loop})`
        : `the trigger holds in no state up to the loop start (step ${loop})`
    }
  } else if (first > 0) {
    return `the goal holds before the loop (in the state after step ${first - 1}), so the obligation from the initial state is met`
  }
  const actions = w.rules.slice(loop).map((r) => model.rules[r]!.action)
  for (let grp = 0; grp < p.groups.length; grp++) {
    const taken = actions.some((a) => p.fairness(a) === grp)
    const alwaysEnabled = states.slice(loop).every((s) => model.rules.some((r) => p.fairness(r.action) === grp && r.guard(new Values(s))))
    if (alwaysEnabled && !taken) return `the loop is unfair to ${p.groups[grp]}: enabled throughout, never taken`
  }
  return undefined
}

/** Explore from `start` using only allowed rules: is a state satisfying `goal` reachable? */
function canStillReach<A extends Action>(model: Model<A>, start: Int32Array, allowed: (a: A) => boolean, goal: (s: Values) => boolean): boolean {
  const sub: Model<A> = {
    ...model,
    init: () => [start.slice(0, model.layout.fieldCount)],
    rules: model.rules.filter((r) => allowed(r.action)),
    properties: [{ kind: 'invariant', name: 'goal not reached', holds: (s) => !goal(s as Values) }],
  }
  delete (sub as { deadlock?: unknown }).deadlock
  // A generated successor function computes the successors of every rule, not of the allowed ones.
  delete (sub as { successors?: unknown }).successors
  return explore(sub).verdict.status === 'violated'
}

/** Something a trace can violate: a property of the model, or its deadlock check. */
type Checkable<A extends Action> =
  Exclude<Property<A>, { kind: 'sometimes' }> | { readonly kind: 'deadlock'; readonly name: string; readonly check: DeadlockCheck }

/** Where an observed order edge was established: which trace, which step. */
interface EdgeSite {
  readonly trace: string
  readonly step: number
}

/** The outcome of checking one property against a replayed trace. */
type Judgement =
  | { readonly violated: true; readonly lines: readonly string[]; readonly note?: string; readonly ofEndState?: true }
  | { readonly violated: false; readonly why: string }

/**
 * Re-run a trace against a model: the initial state must be an initial state of the model, every
 * action must be enabled where it is taken and lead to the recorded state, and the end must
 * violate the claimed property, judged by its kind (when `property` is omitted, any property of
 * the model):
 * - invariant: it fails in the end state; step: it fails on the last step;
 * - deadlock (the model's DeadlockCheck): no rule is enabled at the end and the end is not terminal;
 * - progress: an obligation pending at the end can no longer be met with allowed actions;
 * - order: the edges established over every step of the trace and of the evidence traces (each
 *   replayed too), with the primed edges, close a cycle through at least one observed edge;
 * - liveness: the trace is a lasso that violates it (see lassoViolates).
 * A claimed property the end does not violate is refused, naming what the end does violate.
 */
export function replay<A extends Action>(model: Model<A>, trace: Trace, property?: ClaimedProperty, opts: ReplayOptions = {}): ReplayResult {
  const log: string[] = []
  const fail = (stage: 'replay' | 'claim', code: ErrorCode, step: number, reason: string, evidence?: string): ReplayResult => ({
    ok: false,
    log,
    replayed: stage === 'claim',
    failure: { code, step, reason, ...(evidence !== undefined ? { evidence } : {}) },
  })

  const main = walk(model, trace, (line) => log.push(line))
  if (!('states' in main)) return fail('replay', 'FC410', main.step, main.reason)
  const evidence: { label: string; walk: Walk }[] = []
  for (const e of opts.evidence ?? []) {
    const w = walk(model, e.trace, () => {})
    if (!('states' in w)) return fail('replay', 'FC411', w.step, `evidence trace '${e.label}' does not replay at step ${w.step}: ${w.reason}`, e.label)
    log.push(`evidence '${e.label}': ${e.trace.steps.length} step${e.trace.steps.length === 1 ? '' : 's'} replay from an initial state`)
    evidence.push({ label: e.label, walk: w })
  }

  const states = main.states
  const endValues = states[states.length - 1]!
  const end = new Values(endValues)
  const lastStep =
    main.rules.length > 0 ? { pre: new Values(states[states.length - 2]!), action: model.rules[main.rules[main.rules.length - 1]!]!.action } : undefined

  const check = (c: Checkable<A>): Judgement => {
    switch (c.kind) {
      case 'invariant':
        if (c.holds(end)) return { violated: false, why: 'it holds in the end state' }
        return { violated: true, lines: [], ofEndState: true }
      case 'step':
        if (!lastStep) return { violated: false, why: 'the trace has no step' }
        if (c.holds(lastStep.pre, lastStep.action, end)) return { violated: false, why: `the last step, ${formatAction(lastStep.action)}, satisfies it` }
        return { violated: true, lines: [], note: `on its last step, ${formatAction(lastStep.action)}` }
      case 'deadlock': {
        const enabled = model.rules.find((r) => r.guard(end))
        if (enabled) return { violated: false, why: `${formatAction(enabled.action)} is enabled in the end state` }
        if (c.check.terminal(end)) return { violated: false, why: 'no rule is enabled, but the end state is terminal' }
        return { violated: true, lines: [], note: 'no rule is enabled and the end state is not terminal', ofEndState: true }
      }
      case 'progress':
        for (let o = 0; o < c.obligations; o++) {
          if (c.pending(end, o) && !canStillReach(model, endValues, c.allowed.bind(c), (s) => c.done(s, o))) {
            return { violated: true, lines: [`end: ${c.label(o)} is pending and no allowed sequence of actions completes it (re-explored from the end state)`] }
          }
        }
        return { violated: false, why: 'every obligation pending at the end can still be met with allowed actions' }
      case 'order':
        return orderCycle(model, c, main, evidence)
      case 'liveness': {
        if (trace.loop === undefined) return { violated: false, why: 'the trace is not a lasso (it records no loop)' }
        const why = lassoViolates(model, c, main, trace.loop)
        if (why !== undefined) return { violated: false, why }
        return {
          violated: true,
          lines: [
            `end: the state after step ${trace.steps.length} equals the loop start (step ${trace.loop}); '${c.name}' is pending from at or before the loop, its goal never holds from there on, and the loop is weakly fair`,
          ],
        }
      }
    }
  }

  const checkable: Checkable<A>[] = [
    ...model.properties.filter((p): p is Exclude<Property<A>, { kind: 'sometimes' }> => p.kind !== 'sometimes'),
    ...(model.deadlock ? [{ kind: 'deadlock' as const, name: model.deadlock.name, check: model.deadlock }] : []),
  ]
  // Cheap kinds first, so an unnamed claim is matched as the search would report it.
  const rank = { invariant: 0, step: 0, deadlock: 1, order: 2, liveness: 2, progress: 3 } as const
  checkable.sort((a, b) => rank[a.kind] - rank[b.kind])

  const confirmed = (c: Checkable<A>, v: Judgement & { violated: true }): ReplayResult => {
    log.push(...v.lines, `end: violates '${c.name}'${v.note ? ` (${v.note})` : ''}`)
    return { ok: true, log, replayed: true, violates: c.name, ...(v.ofEndState ? { badState: end } : {}) }
  }

  if (property === undefined) {
    for (const c of checkable) {
      const v = check(c)
      if (v.violated) return confirmed(c, v)
    }
    return fail('claim', 'FC412', trace.steps.length, 'the trace replays, but its end does not violate a property')
  }

  const name = typeof property === 'string' ? property : property.name
  const kind = typeof property === 'string' ? undefined : property.kind
  const named = checkable.filter((c) => c.name === name && (kind === undefined || c.kind === kind))
  if (named.length === 0) {
    const sometimesNamed = model.properties.some((p) => p.kind === 'sometimes' && p.name === name)
    const known = [...new Set(checkable.map((c) => `${c.name} (${c.kind})`))].join('; ')
    return fail(
      'claim',
      'FC413',
      trace.steps.length,
      sometimesNamed
        ? `${name} is a sometimes witness, which no trace violates`
        : `the model has no ${kind ? `${kind} ` : ''}property ${name} (it checks: ${known || 'nothing'})`,
    )
  }
  const whys: string[] = []
  for (const c of named) {
    const v = check(c)
    if (v.violated) return confirmed(c, v)
    whys.push(named.length > 1 ? `as ${c.kind}, ${v.why}` : v.why)
  }
  for (const w of whys) log.push(`end: not a violation of '${name}': ${w}`)
  // What the end does violate instead: every other kind but progress, whose check re-explores.
  const instead = [...new Set(checkable.filter((c) => c.kind !== 'progress' && !named.includes(c) && check(c).violated).map((c) => c.name))]
  return fail(
    'claim',
    'FC414',
    trace.steps.length,
    `the trace replays, but its end does not violate ${name}${instead.length ? ` (it violates: ${instead.join(', ')})` : ''}: ${whys.join('; ')}`,
  )
}

/**
 * The order check of a replay: every edge the main trace and the evidence traces establish, over
 * all their steps, with the primed edges; violated when they close a cycle through an observed edge.
 */
function orderCycle<A extends Action>(model: Model<A>, p: OrderProperty<A>, main: Walk, evidence: readonly { label: string; walk: Walk }[]): Judgement {
  const observed: { from: string; to: string; site: EdgeSite }[] = []
  const seen = new Set<string>()
  const collect = (w: Walk, label: string): void => {
    w.rules.forEach((r, k) => {
      for (const [from, to] of p.edges(new Values(w.states[k]!), model.rules[r]!.action, new Values(w.states[k + 1]!))) {
        const key = `${from}\u0000${to}`
        if (seen.has(key)) continue
        seen.add(key)
        observed.push({ from, to, site: { trace: label, step: k + 1 } })
      }
    })
  }
  collect(main, 'the trace')
  for (const e of evidence) collect(e.walk, `evidence '${e.label}'`)
  const traces = evidence.length ? `the trace and ${evidence.length} evidence trace${evidence.length === 1 ? '' : 's'}` : 'the trace'
  const cyc = findCycle(p.primed, observed, p.through)
  if (!cyc) {
    return { violated: false, why: `the edges established by ${traces} (${observed.length} observed) and the ${p.primed.length} primed edges close no cycle` }
  }
  return {
    violated: true,
    lines: [
      `end: the edges established by ${traces} close the cycle ${cyc.map((e) => e.from).join(' -> ')} -> ${cyc[0]!.from}`,
      ...recursionNote(cyc),
      ...cyc.map((e) => `  ${e.from} -> ${e.to}: ${e.site ? `observed in ${e.site.trace}, step ${e.site.step}` : (e.label ?? p.primedLabel ?? 'primed')}`),
    ],
  }
}
