/**
 * What the commands share: the options every command has, the search options of `check` and
 * `simulate` (order, bounds, symmetry, parameters) and their checking, and the typing of a command
 * module (its yargs `builder` and `handler`, as Quint writes its commands).
 */
import { totalmem } from 'node:os'
import type { ArgumentsCamelCase, Argv } from 'yargs'
import { InputError } from '../checker/params.js'
import { type Action, type Model, NOT_LISTED } from '../checker/model.js'
import { type Selection, unknownSelection } from '../checker/plan.js'
import type { Bounds } from '../checker/verdict.js'
import { parseBytes, parseDuration } from '../model/units.js'

export const DEFAULT_MEMORY = Math.floor(totalmem() * 0.75)

/** Options of every command. */
export const globalOptions = {
  quiet: { type: 'boolean', default: false, describe: 'no progress lines on stderr' },
} as const
export type GlobalArgv = Argv<{ quiet: boolean }>

/** The parsed arguments of a command, as its builder declares them. */
export type ArgsOf<B> = B extends (y: GlobalArgv) => Argv<infer U> ? ArgumentsCamelCase<U> : never

/**
 * A command: its yargs `command` string, description, `builder` and `handler`. The handler
 * returns the exit code; the command line (app.ts) sets it, at its one exit point.
 */
export interface Command<U> {
  readonly command: string
  readonly describe: string
  readonly builder: (y: GlobalArgv) => Argv<U>
  readonly handler: (argv: ArgumentsCamelCase<U>) => number | Promise<number>
}

/**
 * An option that takes an integer >= min (and <= max). It is read from the text as given, so a
 * value that is not an integer is named as it was written (`--max-states abc`), not as NaN.
 */
export function intOption(flag: string, describe: string, min: number, max?: number) {
  const range = max === undefined ? `integer >= ${min}` : `integer ${min}..${max}`
  return { describe: `${describe} [${range}]`, requiresArg: true, coerce: (v: unknown): number => intValue(flag, v, min, max) } as const
}

/**
 * The last error a value check threw while yargs parsed: yargs passes on only its message, and
 * the command line reports the error itself, with its code.
 */
let valueError: InputError | undefined
export function lastValueError(): InputError | undefined {
  return valueError
}

function refuse(e: InputError): never {
  valueError = e
  throw e
}

function intValue(flag: string, v: unknown, min: number, max: number | undefined): number {
  if (Array.isArray(v)) refuse(new InputError('FC205', `--${flag} is given ${v.length} times; give it once`, `--${flag}`))
  const text = typeof v === 'boolean' ? '' : String(v).trim()
  const n = /^-?[0-9]+$/.test(text) ? Number(text) : NaN
  const range = max === undefined ? `an integer >= ${min}` : `an integer in ${min}..${max}`
  if (text === '') refuse(new InputError('FC205', `--${flag} needs a value (${range})`, `--${flag}`))
  if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max))
    refuse(new InputError('FC212', `--${flag} must be ${range}, got '${text}'`, `--${flag}`))
  return n
}

/** The options of an exhaustive search (`check`). */
export const searchOptions = {
  param: { type: 'string', array: true, describe: 'model parameter NAME=VALUE (repeatable)' },
  order: { choices: ['bfs', 'dfs'], describe: 'search order (BFS gives shortest counterexamples)' },
  'max-depth': intOption('max-depth', 'do not expand states at this depth', 0),
  'max-states': intOption('max-states', 'stop after this many distinct states', 1),
  'max-time': { type: 'string', describe: 'stop after this long (e.g. 90s, 10m, 2h; a number alone is seconds)' },
  symmetry: { type: 'boolean', describe: 'explore one state per symmetry orbit (models that declare interchangeable jobs)' },
  por: {
    type: 'boolean',
    describe: 'partial-order reduction: keeps deadlocks, invariants, step properties and lock order; progress and liveness are left unchecked',
  },
  'max-memory': { type: 'string', describe: `memory bound (e.g. 512MiB, 4GiB; default 75% of RAM = ${mib(DEFAULT_MEMORY)})` },
  property: { type: 'string', array: true, describe: 'check only this property, by id (lock-order) or name (repeatable); the rest are named as not selected' },
  'skip-property': { type: 'string', array: true, describe: 'do not check this property, by id or name (repeatable); the verdict names it as not selected' },
} as const

/** The options of random walks (`simulate`): walks have no order, depth or state bound of a search, and check every property they meet. */
export const walkOptions = {
  param: searchOptions.param,
  'max-time': { type: 'string', describe: 'stop walking after this long (e.g. 90s, 10m); the result is inconclusive either way' },
} as const

/** A memory amount as verdicts state bounds: whole MiB. */
function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`
}

/** The search flags as the commands read them (a command's arguments have at least these). */
export interface SearchFlags {
  readonly order?: 'bfs' | 'dfs' | undefined
  readonly 'max-depth'?: number | undefined
  readonly 'max-states'?: number | undefined
  readonly 'max-time'?: string | undefined
  readonly 'max-memory'?: string | undefined
  readonly param?: readonly string[] | undefined
  readonly symmetry?: boolean | undefined
  readonly por?: boolean | undefined
  readonly 'hash-compaction'?: boolean | undefined
  readonly property?: readonly string[] | undefined
  readonly 'skip-property'?: readonly string[] | undefined
}

/**
 * The property selection of the flags, refused (before any work) when it names an unknown property,
 * or when `--property` names one the model does not state (a scenario's property left out of its
 * `properties:` list, or one that does not apply): selecting it would check nothing.
 */
export function selectionOf(flags: SearchFlags, model: Model<Action>, file?: string): Selection | undefined {
  const sel: Selection = {
    ...(flags.property?.length ? { only: flags.property } : {}),
    ...(flags['skip-property']?.length ? { skip: flags['skip-property'] } : {}),
  }
  if (sel.only === undefined && sel.skip === undefined) return undefined
  const unknown = unknownSelection(model, sel)
  if (unknown.length > 0) {
    const all = [...model.properties.filter((p) => p.kind !== 'sometimes'), ...(model.deadlock ? [model.deadlock] : [])]
    // The GPU model's deadlock invariant and its global deadlock check share a name: list it once.
    const known = all.filter((p, i) => all.findIndex((q) => q.name === p.name) === i).map((p) => (p.id ? `${p.id} (${p.name})` : p.name))
    throw new InputError(
      'FC227',
      `no property named ${unknown.map((u) => `'${u}'`).join(', ')} (properties: ${[...new Set(known)].join('; ')})`,
      flags.property?.some((p) => unknown.includes(p)) ? '--property' : '--skip-property',
    )
  }
  for (const x of sel.only ?? []) refuseNotStated(model, x, file)
  return sel
}

/** `--property X` where X is a property the model names but does not state: exit 2, saying why and how to check it. */
function refuseNotStated(model: Model<Action>, x: string, file: string | undefined): void {
  const stated = [...model.properties.filter((p) => p.kind !== 'sometimes'), ...(model.deadlock ? [model.deadlock] : [])]
  const is = (p: { readonly name: string; readonly id?: string }): boolean => p.name === x || p.id === x
  if (stated.some(is)) return
  const o = (model.omitted ?? []).find(is)
  if (o === undefined) return
  const own = [...new Set(stated.map((p) => p.id ?? p.name))]
  const what = file ?? `model '${model.name}'`
  const listed = o.reason === NOT_LISTED
  throw new InputError(
    'FC227',
    `'${x}' is not checked by ${what} (${o.reason}); it checks: ${own.length ? own.join(', ') : 'nothing'}. ` +
      (listed ? `Add ${o.id ?? x} to the scenario's properties: list to check it, or name one of those` : 'Name one of those'),
    '--property',
  )
}

/** A duration flag's value in milliseconds: 90, 90s, 10m, 2h or 500ms, and more than zero. */
export function durationFlag(flag: '--max-time' | '--checkpoint-every', v: string): number {
  if (v.trim() === '') throw new InputError('FC205', `${flag} needs a value (a duration such as 90s, 10m, 2h)`, flag)
  const ms = parseDuration(v)
  if (ms === undefined) {
    const why = /^\s*[0-9.]+\s*(ms|s|m|h)?\s*$/.test(v) ? 'is zero; give a positive duration' : 'is not a duration'
    throw new InputError(flag === '--max-time' ? 'FC210' : 'FC215', `${flag} '${v}' ${why} (for example 90, 90s, 10m, 2h)`, flag)
  }
  return ms
}

export function checkInt(v: number, flag: string, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new InputError('FC212', `${flag} must be an integer >= ${min}, got ${v}`, flag)
  return v
}

/** The bounds of a search: the flags over the scenario's own, with the default memory bound. */
export function searchBounds(flags: SearchFlags, base: Bounds): Bounds {
  const b: { -readonly [K in keyof Bounds]: Bounds[K] } = { ...base }
  if (flags['max-depth'] !== undefined) b.maxDepth = checkInt(flags['max-depth'], '--max-depth', 0)
  if (flags['max-states'] !== undefined) b.maxStates = checkInt(flags['max-states'], '--max-states', 1)
  if (flags['max-time'] !== undefined) b.maxTimeMs = durationFlag('--max-time', String(flags['max-time']))
  if (flags['max-memory'] !== undefined) {
    const bytes = parseBytes(String(flags['max-memory']))
    if (bytes === undefined) throw new InputError('FC211', `'${flags['max-memory']}' is not a size (for example 512MiB, 2GiB)`, '--max-memory')
    b.maxMemoryBytes = bytes
  }
  if (b.maxMemoryBytes === undefined) b.maxMemoryBytes = DEFAULT_MEMORY
  return b
}
