/**
 * Scenario files: a bounded design under review, as commented YAML with a pinned expectation.
 * A scenario names a built-in model with its parameters (`model: r1`), states how to search, and
 * says what verdict the model must compute. `npm run check` runs every file under scenarios/ and
 * fails if any computed verdict differs from its expectation.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Action, Model } from '../checker/model.js'
import type { Bounds, SearchOrder, Status } from '../checker/verdict.js'
import { FileError, loadYaml, validate } from '../checker/yamlFile.js'
import { InputError } from '../checker/params.js'
import { buildModel, MODELS } from './registry.js'

export interface Expectation {
  readonly verdict: Status
  readonly property?: string
  readonly traceLength?: number
}

export interface Scenario {
  readonly file: string
  readonly name: string
  readonly about: string
  readonly model: Model<Action>
  readonly order: SearchOrder
  readonly bounds: Bounds
  readonly expect?: Expectation
}

const bytesPattern = '^[0-9]+(\\.[0-9]+)?\\s*(B|KiB|MiB|GiB|KB|MB|GB)?$'

/** The published schema of a scenario file (JSON Schema draft-07). */
export const SCENARIO_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'fencecheck scenario',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'about', 'model'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'short title of the design' },
    about: { type: 'string', minLength: 1, description: 'which design this states and which seed it comes from' },
    model: { type: 'string', minLength: 1, description: 'a built-in model (see `fencecheck list`)' },
    params: { type: 'object', description: 'the model parameters', additionalProperties: { type: ['integer', 'string'] } },
    search: {
      type: 'object',
      additionalProperties: false,
      properties: {
        order: { enum: ['bfs', 'dfs'] },
        maxDepth: { type: 'integer', minimum: 0 },
        maxStates: { type: 'integer', minimum: 1 },
        maxTime: { type: 'number', exclusiveMinimum: 0, description: 'seconds' },
        maxMemory: { type: ['string', 'integer'], pattern: bytesPattern, description: 'bytes, or e.g. "512MiB"' },
      },
    },
    expect: {
      type: 'object',
      additionalProperties: false,
      required: ['verdict'],
      properties: {
        verdict: { enum: ['proved', 'violated', 'inconclusive'] },
        property: { type: 'string', minLength: 1 },
        traceLength: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const

/** Parse "512MiB", "2GiB", "800MB", "1048576" into bytes. */
export function parseBytes(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : undefined
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/.exec(v.trim())
  if (!m) return undefined
  const unit = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2] ?? 'B']!
  return Math.round(Number(m[1]) * unit)
}

export function loadScenario(file: string): Scenario {
  const y = loadYaml(file)
  if (y.data === null || y.data === undefined) throw new FileError(file, 1, undefined, 'the scenario is empty (it needs at least name, about and model)')
  validate(y, SCENARIO_SCHEMA, 'scenario')
  const d = y.data as {
    name: string
    about: string
    model: string
    params?: Record<string, unknown>
    search?: { order?: SearchOrder; maxDepth?: number; maxStates?: number; maxTime?: number; maxMemory?: string | number }
    expect?: Expectation
  }
  if (!MODELS.some((m) => m.name === d.model)) {
    throw new FileError(file, y.lineOf(['model']), 'model', `unknown model '${d.model}' (built-in models: ${MODELS.map((m) => m.name).join(', ')})`)
  }
  let model: Model<Action>
  try {
    model = buildModel(d.model, d.params ?? {})
  } catch (e) {
    if (e instanceof InputError) {
      const name = /parameter '?(\w+)'?/.exec(e.message)?.[1]
      const line = name ? (y.lineOf(['params', name]) ?? y.lineOf(['params'])) : y.lineOf(['params'])
      throw new FileError(file, line, name ? `params.${name}` : 'params', e.message)
    }
    throw e
  }
  const s = d.search ?? {}
  const bounds: Bounds = {
    ...(s.maxDepth !== undefined ? { maxDepth: s.maxDepth } : {}),
    ...(s.maxStates !== undefined ? { maxStates: s.maxStates } : {}),
    ...(s.maxTime !== undefined ? { maxTimeMs: s.maxTime * 1000 } : {}),
    ...(s.maxMemory !== undefined ? { maxMemoryBytes: parseBytes(s.maxMemory)! } : {}),
  }
  return {
    file,
    name: d.name,
    about: d.about.trim(),
    model,
    order: s.order ?? 'bfs',
    bounds,
    ...(d.expect ? { expect: d.expect } : {}),
  }
}

/** Every *.yaml / *.yml file under `dir`, recursively, in sorted order. */
export function scenarioFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.ya?ml$/.test(name)) out.push(p)
    }
  }
  walk(dir)
  return out
}

/** Does a verdict meet an expectation? Returns the mismatches, empty when it does. */
export function unmet(expect: Expectation, verdict: { status: Status; property?: { name: string }; traceLength?: number }): string[] {
  const out: string[] = []
  if (verdict.status !== expect.verdict) out.push(`verdict ${verdict.status}, expected ${expect.verdict}`)
  if (expect.property !== undefined && verdict.property?.name !== expect.property) {
    out.push(`property '${verdict.property?.name ?? '-'}', expected '${expect.property}'`)
  }
  if (expect.traceLength !== undefined && verdict.traceLength !== expect.traceLength) {
    out.push(`trace length ${verdict.traceLength ?? '-'}, expected ${expect.traceLength}`)
  }
  return out
}
