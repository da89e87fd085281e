/**
 * What an op module's parser is given for one step as written: the key, its value and modifiers,
 * where it stands in the file, and the resolvers and checks the step language shares (names by
 * role, outcomes, usages, the callback-only modifiers). spec.ts builds one per step; every error is
 * a SpecError naming the exact field.
 */
import type { Policies } from './library.js'
import type { Fence, Job, Lock, Outcome, Step, Usage } from './types.js'

/** What a name in a step stands for. Validation resolves it among these; symmetry renames by it. */
export type Role =
  'lock' | 'fence' | 'job' | 'buffer' | 'page' | 'range' | 'notifier' | 'thread' | 'library' | 'work' | 'workqueue' | 'pool' | 'engine' | 'process'

export type Path = (string | number)[]
export type Obj = Record<string, unknown>

export interface ParseCx {
  /** the YAML key of the step (lock_read, submit, ...) */
  readonly key: string
  readonly where: Path
  /** the key's value, as written */
  readonly raw: unknown
  readonly mods: Obj
  /** the notifier whose callback is being read, if any */
  readonly inCallback: number | undefined
  readonly locks: readonly Lock[]
  readonly fences: readonly Fence[]
  readonly jobs: readonly Job[]
  readonly notifierNames: readonly string[]
  /** the scenario's fence callbacks (callbacks:), by index */
  readonly callbacks: readonly { readonly name: string; readonly fence: number; readonly trigger: 'signal' | 'enable' }[]
  readonly policies: Policies
  readonly depth: number
  /** the key's value resolved as the name its syntax declares (`arg.role`), or as a plain name */
  arg: () => number
  /** the key's value as a non-empty string (`what` names it in the error) */
  str: (what: string) => string
  /** a modifier resolved by its declared role, at [...where, name] */
  mod: (name: string) => number
  /** a name of the given role, at path */
  ref: (role: Role, name: unknown, path: Path) => number
  /** a page name or a non-empty list of them */
  pageList: (v: unknown, path: Path) => number[]
  outcome: (v: unknown, dflt: Outcome) => Outcome
  usage: (v: unknown, dflt: Usage) => Usage
  /** `nonblock: again` (callbacks only) */
  nonblock(): { nonblock?: 'again' }
  /** `ifFaultPending: skip` */
  faultPolicy(): { ifFaultPending?: 'skip' }
  setUsage: (bo: number, fe: number, u: Usage, path: Path) => void
  /** expand the steps of a library path (use:) */
  library: (name: string, given: unknown) => Step[]
}
