/**
 * How a model's states, steps and changes read: the presentation half of a model. A model package
 * provides a Narrator beside its Model (see model/index.ts); the reports tell traces with it. The
 * checker never calls a narrator, so nothing here can change a verdict, a count or a trace.
 *
 * Every member is optional: without it a report falls back to the plain form (the action as
 * `name(k=v, ...)`, a field change as `field: before -> after`, the initial state as its fields).
 */
import type { Action, Model, Reader } from '../checker/model.js'

export interface Narrator<A extends Action = Action> {
  /** why a state is stuck, in the model's vocabulary (e.g. the wait-for cycle); empty if it is not */
  explain?(s: Reader): string[]
  /** a trace step in the model's vocabulary: who acts and what it does */
  describeStep?(pre: Reader, action: A, post: Reader): { actor: string; text: string }
  /** a field change in the model's vocabulary; undefined to leave it out of narratives */
  describeChange?(field: string, before: unknown, after: unknown): string | undefined
  /** a state in a few lines of the model's vocabulary (used for the initial state of traces) */
  describeState?(s: Reader): string[]
  /** the actors, for swim lanes, in display order */
  actors?(): readonly string[]
  /** DOT source of a graph that explains the state (e.g. its wait-for graph) */
  graph?(s: Reader): string
  /**
   * Why a trace violates a property, in the model's vocabulary: which clause of the rule broke,
   * who holds what across which wait. `propertyId` is the property's id (its name when it has none).
   * Empty when the narrator has nothing to add to the checker's own explanation.
   */
  explainViolation?(propertyId: string, trace: ReadTrace<A>): string[]
  /** the actors that are blocked in a state, named as `actors()` names them, with what each waits for */
  blocked?(s: Reader): readonly { readonly actor: string; readonly why: string }[]
  /** a state in full, in the model's vocabulary (for a state panel): never the packed encoding */
  stateLines?(s: Reader): string[]
}

/** A trace with its states decoded: `states[0]` is the initial state, `states[i]` the state after step i. */
export interface ReadTrace<A extends Action = Action> {
  readonly states: readonly Reader[]
  readonly actions: readonly A[]
  /** a lasso: the state after this many steps is where the loop starts */
  readonly loop?: number
}

/** The narrator of a model that has no words of its own: every report uses the plain forms. */
export const PLAIN: Narrator<Action> = {}

/** What a model package provides: the model the search runs, and how its reports read. */
export interface NarratedModel<A extends Action = Action> {
  readonly model: Model<A>
  readonly narrator: Narrator<A>
}
