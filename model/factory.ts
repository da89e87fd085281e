/**
 * Building a model from plain data, for worker threads (which cannot receive a Model object):
 * a built-in model with its parameters, or a scenario file.
 */
import type { Action, Model } from '../checker/model.js'
import { buildModel } from './registry.js'
import { loadScenario } from './scenario.js'

export type ModelSpec =
  | { readonly kind: 'builtin'; readonly name: string; readonly params: Record<string, string | number> }
  /**
   * `text`: the file's text as the caller read it (Scenario.text), so every thread builds the
   * same model; `validated`: the caller loaded that text (it passed the schema), so the schema is
   * not compiled and run again in each thread
   */
  | { readonly kind: 'scenario'; readonly file: string; readonly text?: string; readonly validated?: boolean }

export function buildFromSpec(spec: ModelSpec): Model<Action> {
  return spec.kind === 'builtin' ? buildModel(spec.name, spec.params) : loadScenario(spec.file, spec.text, spec.validated === true).model
}

/** The URL workers import to call buildFromSpec. */
export const FACTORY_URL = import.meta.url
