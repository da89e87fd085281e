/**
 * The property plan: decided once per run, from the model's properties and the search mode, before
 * any state is explored. It splits the properties by kind (the only place that does), says which
 * are checked during the search and which on the explored graph after it, and names every property
 * that is not checked in this mode, with the reason. A run whose plan (or whose graph checks) left
 * anything unchecked can never conclude 'proved': `conclude` makes it inconclusive and names what
 * was not checked and why (STYLE §12).
 */
import type { Action, DeadlockCheck, Invariant, LivenessProperty, Model, OrderProperty, ProgressProperty, Property, Sometimes, StepProperty } from './model.js'
import type { PropertyRef, SearchOrder, UncheckedProperty } from './verdict.js'

/** How the state space is searched. Everything that changes what a search can check is here. */
export interface SearchMode {
  readonly order: SearchOrder
  /** worker threads (1: the serial search) */
  readonly workers: number
  /** one state per symmetry orbit */
  readonly symmetry: boolean
  /** states not kept beyond the frontier */
  readonly hashCompaction: boolean
  /** continuing from a checkpoint */
  readonly resumed: boolean
  /** random walks instead of an exhaustive search */
  readonly simulation: boolean
  /** partial-order reduction (checker/por.ts): keeps deadlocks, invariants, step properties and lock order, not progress or liveness */
  readonly por?: boolean
}

export const EXHAUSTIVE_BFS: SearchMode = { order: 'bfs', workers: 1, symmetry: false, hashCompaction: false, resumed: false, simulation: false }

/** Why progress and liveness are not checked under partial-order reduction (checker/por.ts). */
export const POR_UNKEPT = {
  progress: 'partial-order reduction keeps no "can still be done" paths (a branching property, which stubborn sets do not preserve); run without --por',
  liveness: 'partial-order reduction keeps no fair cycles (its cycle proviso postpones actors, which weak fairness forbids); run without --por',
}

/** A property that was asked for and is not checked in this run, and why. */
export type Unchecked = UncheckedProperty

/** A property of the model's catalogue that this run does not check on purpose, and why. */
export interface NotSelected {
  readonly name: string
  readonly reason: string
}

export interface PropertyPlan<A extends Action = Action> {
  readonly mode: SearchMode
  /** checked on every stored state during the search */
  readonly invariants: readonly Invariant[]
  /** checked on every transition during the search */
  readonly steps: readonly StepProperty<A>[]
  /** witnesses, reached or not, reported with the verdict */
  readonly sometimes: readonly Sometimes[]
  readonly deadlock?: DeadlockCheck
  /** checked on the explored state graph once the search is complete */
  readonly progress: readonly ProgressProperty<A>[]
  readonly order: readonly OrderProperty<A>[]
  readonly liveness: readonly LivenessProperty<A>[]
  /** what was asked for and is not checked in this mode (or states nothing to check) */
  readonly unchecked: readonly Unchecked[]
  /** what the user left out, or what does not apply to this model instance */
  readonly notSelected: readonly NotSelected[]
  /** every property this plan checks, by name, in the model's order */
  readonly checked: readonly PropertyRef[]
}

export function refOf(p: { readonly name: string; readonly cite?: string }, kind: PropertyRef['kind']): PropertyRef {
  return { name: p.name, kind, ...(p.cite ? { cite: p.cite } : {}) }
}

/**
 * The properties a run is asked to check, by id or name: `only` keeps those named (and the
 * deadlock check only if named), `skip` drops those named. Dropped ones are named in the verdict.
 */
export interface Selection {
  readonly only?: readonly string[]
  readonly skip?: readonly string[]
}

const named = (names: readonly string[] | undefined, p: { readonly name: string; readonly id?: string }): boolean =>
  names !== undefined && names.some((x) => x === p.name || (p.id !== undefined && x === p.id))

/** Why a property is left out by the selection, or undefined if it is selected. */
function deselected(sel: Selection | undefined, p: { readonly name: string; readonly id?: string }): string | undefined {
  if (sel?.only !== undefined && !named(sel.only, p)) return 'not named by --property'
  if (named(sel?.skip, p)) return 'deselected with --skip-property'
  return undefined
}

/** The names in a selection that match no property of the model (each is a usage error). */
export function unknownSelection<A extends Action>(model: Model<A>, sel: Selection): string[] {
  const all = [...model.properties.filter((p) => p.kind !== 'sometimes'), ...(model.deadlock ? [model.deadlock] : []), ...(model.omitted ?? [])]
  return [...(sel.only ?? []), ...(sel.skip ?? [])].filter((x) => !all.some((p) => named([x], p)))
}

/** Does the plan check anything on the state graph after the search? */
export function hasGraphChecks<A extends Action>(plan: PropertyPlan<A>): boolean {
  return plan.progress.length + plan.order.length + plan.liveness.length > 0
}

/**
 * Decide, for this model and mode, what is checked where. Graph properties (progress, order,
 * liveness) need the whole explored graph: simulation never has it; liveness is stated per actor,
 * so a symmetry-reduced graph (actors permuted) cannot decide it; progress obligations that the
 * symmetry moves between actors cannot be followed on the reduced graph either.
 */
export function planProperties<A extends Action>(model: Model<A>, mode: SearchMode, selection?: Selection): PropertyPlan<A> {
  const unchecked: Unchecked[] = []
  const invariants: Invariant[] = []
  const steps: StepProperty<A>[] = []
  const sometimes: Sometimes[] = []
  const progress: ProgressProperty<A>[] = []
  const order: OrderProperty<A>[] = []
  const liveness: LivenessProperty<A>[] = []
  const checked: PropertyRef[] = []
  const notSelected: NotSelected[] = []
  const skip = (p: Property<A>, kind: PropertyRef['kind'], reason: string): void => {
    unchecked.push({ ...refOf(p, kind), reason })
  }
  /** nothing to check: a requested property cannot be proved; a default one does not apply */
  const empty = (p: Property<A>, kind: PropertyRef['kind'], reason: string): void => {
    if (p.requested) skip(p, kind, reason)
    else notSelected.push({ name: p.name, reason: `does not apply: ${reason}` })
  }
  for (const p of model.properties) {
    const left = p.kind === 'sometimes' ? undefined : deselected(selection, p)
    if (left !== undefined) {
      notSelected.push({ name: p.name, reason: left })
      continue
    }
    switch (p.kind) {
      case 'invariant':
        invariants.push(p)
        checked.push(refOf(p, 'invariant'))
        break
      case 'step':
        steps.push(p)
        checked.push(refOf(p, 'step'))
        break
      case 'sometimes':
        sometimes.push(p)
        break
      case 'progress':
        if (mode.simulation) skip(p, 'progress', 'random walks never see the whole state graph, which "can still be done" needs')
        else if (mode.por) skip(p, 'progress', POR_UNKEPT.progress)
        else if (mode.symmetry && !model.symmetry?.fixesObligations)
          skip(
            p,
            'progress',
            'the symmetry reduction moves its obligations between actors, so they cannot be followed on the reduced graph; run without --symmetry',
          )
        else if (p.obligations === 0) empty(p, 'progress', 'it has no obligation to check (nothing it covers exists in this model)')
        else {
          progress.push(p)
          checked.push(refOf(p, 'progress'))
        }
        break
      case 'order':
        if (mode.simulation) skip(p, 'order', 'random walks observe only some acquisitions, so the order graph would be partial')
        else {
          order.push(p)
          checked.push(refOf(p, 'order'))
        }
        break
      case 'liveness':
        if (mode.simulation) skip(p, 'liveness', 'random walks never see the whole state graph, which fair cycles are searched in')
        else if (mode.por) skip(p, 'liveness', POR_UNKEPT.liveness)
        else if (mode.symmetry) skip(p, 'liveness', 'fairness is stated per actor and the symmetry reduction permutes actors; run without --symmetry')
        else if (p.groups.length === 0) empty(p, 'liveness', 'it has no fairness group, so no run is obliged to progress')
        else {
          liveness.push(p)
          checked.push(refOf(p, 'liveness'))
        }
        break
    }
  }
  const deadlock = model.deadlock && deselected(selection, { id: 'deadlock', ...model.deadlock }) === undefined ? model.deadlock : undefined
  // The global deadlock check may share its name with an invariant (the GPU model's wait-for cycle).
  if (deadlock && !checked.some((c) => c.name === deadlock.name)) checked.push(refOf(deadlock, 'deadlock'))
  for (const o of model.omitted ?? []) {
    if (o.requested) unchecked.push({ name: o.name, kind: o.kind, reason: o.reason })
    else notSelected.push({ name: o.name, reason: o.reason })
  }
  return {
    mode,
    invariants,
    steps,
    sometimes,
    ...(deadlock ? { deadlock } : {}),
    progress,
    order,
    liveness,
    unchecked,
    notSelected,
    checked,
  }
}
