/**
 * The Model contract every system checked by fencecheck implements. `checker/` knows nothing of
 * GPUs: a two-process mutex and the Die Hard jugs run on exactly this interface.
 *
 * A model is a declared state layout, its initial states, and a finite set of rules. Each rule is
 * one action instance as plain data (`{ name: 'fault_wait', k: 0, g: 1 }`) with a guard and an
 * effect, as in Murphi's rulesets or TLA+'s disjuncts of Next. Guards and effects read the
 * pre-state; effects write the post-state (primed variables). The explorer iterates rules in
 * order, so exploration is deterministic.
 */
import type { PorInfo } from './por.js'
import type { CompiledSuccessors } from './codegen.js'
import { type Field, ModelError, type StateLayout } from './layout.js'

/** An action as plain data: printable, comparable, replayable. */
export interface Action {
  readonly name: string
  readonly [param: string]: string | number | boolean
}

/** Read access to a decoded state. */
export interface Reader {
  get(f: Field): number
}

/**
 * The one object guards and effects see. `get` reads the pre-state; `set` writes the post-state;
 * `post` reads what has been written so far (for effects that build on their own writes).
 * One Cursor is reused for every transition, so a rule must not keep a reference to it.
 */
export class Cursor implements Reader {
  /** decoded pre-state, one value per field */
  readonly pre: Int32Array
  /** packed post-state, starts as a copy of the pre-state's words */
  out: Uint32Array
  private readonly wordOf: Int32Array
  private readonly shiftOf: Int32Array
  private readonly maskOf: Int32Array
  private readonly minOf: Int32Array
  private readonly maxOf: Int32Array
  private readonly layout: StateLayout

  constructor(layout: StateLayout) {
    this.layout = layout
    this.pre = new Int32Array(layout.slots)
    this.out = new Uint32Array(layout.words)
    this.wordOf = layout.wordOf
    this.shiftOf = layout.shiftOf
    this.maskOf = layout.maskOf
    this.minOf = layout.minOf
    this.maxOf = layout.maxOf
  }

  get(f: Field): number {
    return this.pre[f]!
  }

  set(f: Field, value: number): void {
    if (!((value | 0) === value && value >= this.minOf[f]! && value <= this.maxOf[f]!)) {
      throw new ModelError('FC300', `value ${value} is outside the declared range of state field '${this.layout.name(f)}'`)
    }
    const sh = this.shiftOf[f]!
    const m = this.maskOf[f]! << sh
    const w = this.wordOf[f]!
    this.out[w] = (this.out[w]! & ~m) | (((value - this.minOf[f]!) << sh) & m)
  }

  post(f: Field): number {
    return ((this.out[this.wordOf[f]!]! >>> this.shiftOf[f]!) & this.maskOf[f]!) + this.minOf[f]!
  }
}

export interface Rule<A extends Action = Action> {
  readonly action: A
  /** Enabledness, decided here alone. Pure. */
  guard(s: Reader): boolean
  /** A value the guard requires (it is false wherever field `field` holds another value): the
   * search tests it before calling the guard. Optional; it never changes what is enabled. */
  readonly requires?: { readonly field: number; readonly value: number }
  /** The effect: write the post-state through `s.set`. Pure apart from the cursor. */
  apply(s: Cursor): void
}

export interface Citation {
  /** a short name users select the property by (e.g. `lock-order`); the name is accepted too */
  readonly id?: string
  /** where the rule comes from, e.g. "seed 000, rule 5" or "dma-fence.c, DOC: fence cross-driver contract" */
  readonly cite?: string
  /**
   * The user asked for this property by name. If it turns out to have nothing to check, the run
   * is inconclusive; a property that is merely part of a default selection is then reported as
   * not applicable instead.
   */
  readonly requested?: boolean
}

export interface Invariant extends Citation {
  readonly kind: 'invariant'
  readonly name: string
  holds(s: Reader): boolean
  /**
   * The same predicate over the packed state (generated: checker/codegen.ts compilePredicate), if
   * the model gives one: a search then tests it on each new state without decoding the state.
   */
  readonly packed?: (words: Uint32Array, offset: number) => boolean
}

export interface StepProperty<A extends Action = Action> extends Citation {
  readonly kind: 'step'
  readonly name: string
  holds(pre: Reader, action: A, post: Reader): boolean
}

export interface Sometimes extends Citation {
  readonly kind: 'sometimes'
  readonly name: string
  holds(s: Reader): boolean
}

/**
 * Progress, AG(pending -> EF done) over a restricted transition relation: from every reachable
 * state where obligation `i` is pending, a state where it is done stays reachable using only
 * actions that `allowed` admits. With `allowed` excluding userspace's signals this is "every
 * pending dma_fence can still signal even if no hmm_fence ever signals" (Rumur's `liveness`,
 * restricted). Checked after the search, on the complete state graph only.
 */
export interface ProgressProperty<A extends Action = Action> extends Citation {
  readonly kind: 'progress'
  readonly name: string
  /** number of obligations (e.g. one per dma_fence) */
  readonly obligations: number
  /** a label for obligation i, used in reports */
  label(i: number): string
  pending(s: Reader, i: number): boolean
  done(s: Reader, i: number): boolean
  allowed(action: A): boolean
}

/**
 * An order graph built across all explored transitions, as lockdep builds its lock-class graph:
 * each transition may add edges `from -> to` ("to was acquired while from was held"). A cycle
 * among the observed and `primed` edges is a violation even if no explored state deadlocks; the
 * report gives, for each observed edge of the cycle, the shortest trace that established it.
 */
/** A primed edge `from -> to`, with where it comes from when that is not the property's primedLabel. */
export type PrimedEdge = readonly [from: string, to: string, label?: string]

export interface OrderProperty<A extends Action = Action> extends Citation {
  readonly kind: 'order'
  readonly name: string
  readonly primed: readonly PrimedEdge[]
  /** where the primed edges come from, as reports name them, unless an edge names its own (absent: "primed") */
  readonly primedLabel?: string
  edges(pre: Reader, action: A, post: Reader): readonly (readonly [string, string])[]
  /** only cycles through a node it accepts count (rule 4: a fence); absent: every cycle */
  readonly through?: (node: string) => boolean
}

/**
 * Liveness under weak fairness: whenever `trigger` holds, `goal` eventually holds, on every
 * weakly fair infinite run (trigger ~> goal, as TLA+'s WF). Fairness is per group: `fairness`
 * maps an action to its group (an actor, say) or -1 if it owes nothing (the environment may stop).
 * A run is weakly fair when no group stays enabled for ever without taking a step. A violation is
 * a lasso: a prefix to a state where trigger holds and goal does not, then a cycle, in which goal
 * never holds, that is weakly fair. Checked after the search, on the complete state graph.
 */
export interface LivenessProperty<A extends Action = Action> extends Citation {
  readonly kind: 'liveness'
  readonly name: string
  /** when the obligation starts; absent: from the initial states (AF goal, on every fair run) */
  trigger?(s: Reader): boolean
  goal(s: Reader): boolean
  /** the fairness group of an action (0..31), or -1 for actions nothing obliges to happen */
  fairness(action: A): number
  /** names of the fairness groups, for reports */
  readonly groups: readonly string[]
  /**
   * A run that stops (a state where no action is enabled: it stutters for ever, which every group
   * allows) with the goal unmet violates too. Goals stated for an actor (a thread completes) need
   * it: a path that fails and lets everything else finish never meets its goal.
   */
  readonly stops?: boolean
}

export const leadsTo = <A extends Action>(
  name: string,
  spec: { trigger?: (s: Reader) => boolean; goal: (s: Reader) => boolean; fairness: (a: A) => number; groups: readonly string[]; stops?: boolean },
  opts: Citation = {},
): LivenessProperty<A> => ({ kind: 'liveness', name, ...spec, ...opts })

export type Property<A extends Action = Action> = Invariant | StepProperty<A> | Sometimes | ProgressProperty<A> | OrderProperty<A> | LivenessProperty<A>

export const always = (name: string, holds: (s: Reader) => boolean, opts: Citation = {}): Invariant => ({
  kind: 'invariant',
  name,
  holds,
  ...opts,
})
export const step = <A extends Action>(name: string, holds: (pre: Reader, action: A, post: Reader) => boolean, opts: Citation = {}): StepProperty<A> => ({
  kind: 'step',
  name,
  holds,
  ...opts,
})
export const sometimes = (name: string, holds: (s: Reader) => boolean, opts: Citation = {}): Sometimes => ({
  kind: 'sometimes',
  name,
  holds,
  ...opts,
})

/**
 * A property the model was asked to check but states no check for, and why: it has nothing to
 * check in this instance, or the model cannot state it. `requested`: the user asked for it by
 * name, so a run cannot be proved without it; otherwise it was left out of a default selection
 * because it does not apply, and the verdict's scope says so.
 */
export interface OmittedProperty {
  readonly name: string
  /** the short id a scenario's `properties:` and `--property` name it by */
  readonly id?: string
  readonly kind: 'invariant' | 'step' | 'deadlock' | 'progress' | 'order' | 'liveness'
  readonly reason: string
  readonly requested: boolean
}

/** The reason of an omitted property that a scenario's `properties:` list leaves out. */
export const NOT_LISTED = "not in the scenario's properties: list"

/** Deadlock: a state with no enabled rule that the model does not call terminal. */
export interface DeadlockCheck extends Citation {
  readonly name: string
  terminal(s: Reader): boolean
}

/**
 * What the search needs of a system, and nothing else. How its states and steps read in reports
 * is a separate object the model package provides beside it (report/narrator.ts).
 */
export interface Model<A extends Action = Action> {
  readonly name: string
  /** the parameters this instance was built with, echoed in reports and traces */
  readonly params: Readonly<Record<string, string | number>>
  readonly layout: StateLayout
  /** initial states as one value per field (see StateLayout.encode) */
  init(): readonly ArrayLike<number>[]
  readonly rules: readonly Rule<A>[]
  readonly properties: readonly Property<A>[]
  /** absent: deadlocks are not checked */
  readonly deadlock?: DeadlockCheck
  /** properties asked for (or of the model's catalogue) that it does not state, and why */
  readonly omitted?: readonly OmittedProperty[]
  /** one-line description for listings */
  readonly about?: string
  /**
   * A generated successor function (checker/codegen.ts) that yields, for every state, exactly
   * what `rules` yield, in rule order: the Expander's fast path. `rules` stay the definition and
   * the oracle. Called once per search. `decoded`, if given, holds after each call the decoded
   * values (derived ones included) of the state the function was given, so the search need not
   * decode it again.
   */
  successors?(): CompiledSuccessors & { readonly decoded?: Int32Array }
  /**
   * Its properties' functions read states only through the Readers they are given and are
   * otherwise deterministic, so the search may memoize them by the fields they read
   * (checker/readMemo.ts): the step properties per rule, over the pre- and post-state, and the
   * order edges per rule. Absent: every check is run on every transition.
   */
  readonly readsOnlyThroughReaders?: boolean
  /** fill the layout's derived slots of a decoded state from its stored fields */
  derive?(values: Int32Array): void
  /** the rules' actors and static footprints, for partial-order reduction (checker/por.ts); absent: not reducible */
  por?(): PorInfo
  /**
   * Symmetry reduction: rewrite a packed state, in place, to the canonical member of its orbit
   * under the model's declared symmetries (permutations of interchangeable jobs, CUs, ...). Every
   * property must be invariant under those permutations. Used when the search is asked to reduce.
   */
  readonly symmetry?: {
    readonly describe: string
    canonicalize(words: Uint32Array): void
    /** true when no permutation moves a progress obligation (then progress is decidable on the reduced graph) */
    readonly fixesObligations?: boolean
  }
}

/** Decode a packed state into a fresh value array, derived values included. */
export function decode(model: Pick<Model, 'layout' | 'derive'>, words: Uint32Array, offset = 0): Int32Array {
  const v = new Int32Array(model.layout.slots)
  model.layout.decodeInto(words, offset, v)
  model.derive?.(v)
  return v
}

/** A decoded state with derived values filled in, from one value per stored field. */
export function fromValues(model: Pick<Model, 'layout' | 'derive'>, values: ArrayLike<number>): Int32Array {
  const v = new Int32Array(model.layout.slots)
  for (let f = 0; f < model.layout.fieldCount; f++) v[f] = values[f]!
  model.derive?.(v)
  return v
}

/** A decoded state for code outside the search loop (traces, tests, replay). */
export class Values implements Reader {
  constructor(readonly values: Int32Array) {}
  get(f: Field): number {
    return this.values[f]!
  }
}

/** Enabled actions in a decoded state, as plain data (the STYLE §2 view of a model). */
export function enabledActions<A extends Action>(model: Model<A>, values: Int32Array): A[] {
  const r = new Values(fromValues(model, values))
  return model.rules.filter((rule) => rule.guard(r)).map((rule) => rule.action)
}

/** The pure `next`: apply an enabled rule to a decoded state, returning the decoded successor. */
export function nextState<A extends Action>(model: Model<A>, values: Int32Array, rule: Rule<A>): Int32Array {
  const c = new Cursor(model.layout)
  c.pre.set(fromValues(model, values))
  c.out = model.layout.encode(values)
  rule.apply(c)
  return decode(model, c.out)
}

export function sameAction(a: Action, b: Action): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => a[k] === b[k])
}

export function formatAction(a: Action): string {
  const args = Object.keys(a)
    .filter((k) => k !== 'name')
    .map((k) => `${k}=${a[k]}`)
  return args.length ? `${a.name}(${args.join(', ')})` : a.name
}
