/**
 * Counterexample traces: rebuilt from parent links by re-executing the model (TLC's approach), so
 * no action is stored per state. Each step names its action and what changed; the whole trace can
 * be checked again, step by step, by `replay`.
 */
import { fromJS, is } from 'immutable'
import { Cursor, type Action, type LivenessProperty, type Model, decode, formatAction, fromValues, nextState, sameAction, Values } from './model.js'
import { explore, type Exploration } from './explore.js'
import { ModelError } from './layout.js'

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
    concrete = model.init().map((v) => fromValues(model, v)).find((v) => sameWords(canon(layout.encode(v.subarray(0, layout.fieldCount))), stored[0]!))
    if (!concrete) throw new ModelError('trace reconstruction failed: no initial state has the stored canonical form')
  } else concrete = decode(model, stored[0]!)
  const values = [concrete]
  const rules: number[] = []
  for (let k = 1; k < stored.length; k++) {
    const from = values[k - 1]!
    const r = findRule(model, from, layout.encode(from.subarray(0, layout.fieldCount)), stored[k]!, canon)
    if (r < 0) throw new ModelError(`trace reconstruction failed at step ${k}: no rule leads from the stored parent to the stored state`)
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
 * Field-level differences, compared with Immutable's value equality. Arrays are compared element
 * by element so `kst[1]` is reported rather than the whole `kst` list.
 */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, [unknown, unknown]> {
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
  /** set when the trace does not replay: the step (1-based, 0 for the initial state) and why */
  readonly failure?: { step: number; reason: string }
  /** set when the trace replays: the property the final state (or step) violates, if any */
  readonly violates?: string
}

/**
 * Does this lasso violate the liveness property? Undefined if it does; otherwise why not. Checks
 * that the loop closes on its start state, that the goal never holds in the loop (nor between the
 * pending trigger and the loop), and weak fairness: a group enabled in every loop state takes a step.
 */
function lassoViolates<A extends Action>(model: Model<A>, p: LivenessProperty<A>, init: Int32Array, trace: Trace, loop: number): string | undefined {
  const states: Int32Array[] = [init]
  const layout = model.layout
  for (const st of trace.steps) {
    const v = layout.fromObject(st.state)
    if (typeof v === 'string') return v
    states.push(fromValues(model, v))
  }
  const same = (a: Int32Array, b: Int32Array): boolean => {
    for (let f = 0; f < layout.fieldCount; f++) if (a[f] !== b[f]) return false
    return true
  }
  if (loop < 0 || loop >= states.length - 1) return `loop index ${loop} is out of range`
  if (!same(states[loop]!, states[states.length - 1]!)) return 'the last state is not the loop start state'
  for (let k = loop; k < states.length; k++) if (p.goal(new Values(states[k]!))) return `the goal holds in the loop (after step ${k})`
  const actions = trace.steps.slice(loop).map((s) => s.action)
  for (let grp = 0; grp < p.groups.length; grp++) {
    const taken = actions.some((a) => {
      const rule = model.rules.find((r) => sameAction(r.action, a))
      return rule !== undefined && p.fairness(rule.action) === grp
    })
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
  return explore(sub).verdict.status === 'violated'
}

/**
 * Re-run a trace against a model: the initial state must be an initial state of the model, every
 * action must be enabled where it is taken and lead to the recorded state, and the end must
 * violate `property` (or, when `property` is omitted, any property of the model).
 */
export function replay<A extends Action>(model: Model<A>, trace: Trace, property?: string): ReplayResult {
  const layout = model.layout
  const log: string[] = []
  const fail = (step: number, reason: string): ReplayResult => ({ ok: false, log, failure: { step, reason } })

  const parsed = layout.fromObject(trace.initialState)
  if (typeof parsed === 'string') return fail(0, `initial state: ${parsed}`)
  const init = fromValues(model, parsed)
  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
    for (let f = 0; f < layout.fieldCount; f++) if (a[f] !== b[f]) return false
    return true
  }
  if (!model.init().some((v) => same(v, init))) return fail(0, 'the initial state is not an initial state of this model')
  log.push('step 0: initial state matches')

  let values = init
  let lastRule = -1
  let lastPre: Int32Array | undefined
  for (let k = 0; k < trace.steps.length; k++) {
    const st = trace.steps[k]!
    const reader = new Values(values)
    const r = model.rules.findIndex((rule) => sameAction(rule.action, st.action))
    if (r < 0) return fail(k + 1, `the model has no action ${formatAction(st.action)}`)
    if (!model.rules[r]!.guard(reader)) return fail(k + 1, `${formatAction(st.action)} is not enabled here`)
    const next = successor(model, values, r)
    const recorded = layout.fromObject(st.state)
    if (typeof recorded === 'string') return fail(k + 1, `recorded state: ${recorded}`)
    if (!same(next, recorded)) {
      const d = diff(layout.toObject(recorded), layout.toObject(next))
      const fields = Object.keys(d).map((f) => `${f}: recorded ${JSON.stringify(d[f]![0])}, model gives ${JSON.stringify(d[f]![1])}`)
      return fail(k + 1, `${formatAction(st.action)} does not lead to the recorded state (${fields.join('; ')})`)
    }
    log.push(`step ${k + 1}: ${formatAction(st.action)} enabled, state matches`)
    lastPre = values
    lastRule = r
    values = next
  }

  const end = new Values(values)
  const broken: string[] = []
  for (const p of model.properties) {
    if (p.kind === 'invariant' && !p.holds(end)) broken.push(p.name)
    if (p.kind === 'step' && lastPre && !p.holds(new Values(lastPre), model.rules[lastRule]!.action, end)) broken.push(p.name)
  }
  if (model.deadlock && !model.rules.some((r) => r.guard(end)) && !model.deadlock.terminal(end)) broken.push(model.deadlock.name)
  for (const p of model.properties) {
    if (p.kind === 'order' && lastPre && p.edges(new Values(lastPre), model.rules[lastRule]!.action, end).length > 0) {
      if (property === p.name) broken.push(p.name)
    }
    if (p.kind === 'liveness' && (property === undefined || property === p.name) && trace.loop !== undefined) {
      const why = lassoViolates(model, p, init, trace, trace.loop)
      if (why === undefined) {
        broken.push(p.name)
        log.push(`end: the state after step ${trace.steps.length} equals the loop start (step ${trace.loop}); '${p.name}' never holds in the loop, and the loop is weakly fair`)
      } else log.push(`end: not a violation of '${p.name}': ${why}`)
    }
    if (p.kind === 'progress' && (property === undefined || property === p.name)) {
      for (let o = 0; o < p.obligations; o++) {
        if (p.pending(end, o) && !canStillReach(model, values, p.allowed.bind(p), (s) => p.done(s, o))) {
          broken.push(p.name)
          log.push(`end: ${p.label(o)} is pending and no allowed sequence of actions completes it (re-explored from the end state)`)
          break
        }
      }
    }
  }
  const hit = property === undefined ? broken[0] : broken.find((b) => b === property)
  if (hit === undefined) {
    const want = property ?? 'a property'
    return fail(trace.steps.length, `the trace replays, but its end does not violate ${want}${broken.length ? ` (it violates: ${broken.join(', ')})` : ''}`)
  }
  log.push(`end: violates '${hit}'`)
  return { ok: true, log, violates: hit }
}
