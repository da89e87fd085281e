/**
 * The built-in models `fencecheck check NAME` knows, each with its typed parameters.
 * Scenario files (scenarios/*.yaml) name one of these, or describe a GPU design of their own.
 */
import type { Action, Model } from '../checker/model.js'
import { InputError, type ParamSpec, type ParamValues, parseParams } from '../checker/params.js'
import type { NarratedModel } from '../report/narrator.js'
import { R1_PARAMS, r1, r1Narrator } from './r1.js'
import { CLASSIC_MODELS } from './classic/index.js'

export interface ModelEntry {
  readonly name: string
  readonly about: string
  readonly params: readonly ParamSpec[]
  /** the model with these parameters, and its narrator */
  build(params: ParamValues): NarratedModel<Action>
}

export const MODELS: readonly ModelEntry[] = [
  {
    name: 'r1',
    about: 'R1 reference: fault vs. reclaim on a shared engine (seed 000)',
    params: R1_PARAMS,
    build: (p) => ({ model: r1(p), narrator: r1Narrator(p) }),
  },
  ...CLASSIC_MODELS,
]

export function findModel(name: string): ModelEntry {
  const m = MODELS.find((e) => e.name === name)
  if (!m) throw new InputError('FC202', `unknown model '${name}' (built-in models: ${MODELS.map((e) => e.name).join(', ')}; or give a scenario file path)`)
  return m
}

/** Build a registered model and its narrator from `NAME=VALUE` strings or a record of values. */
export function buildNarrated(name: string, given: readonly string[] | Record<string, unknown>, where?: string): NarratedModel<Action> {
  const entry = findModel(name)
  return entry.build(parseParams(name, entry.params, given, where))
}

/** Build a registered model alone (for searches, which need no narrator). */
export function buildModel(name: string, given: readonly string[] | Record<string, unknown>, where?: string): Model<Action> {
  return buildNarrated(name, given, where).model
}
