/**
 * Scenario files: a bounded design under review, as commented YAML with a pinned expectation.
 * A scenario names a built-in model with its parameters (`model: r1`), states how to search, and
 * says what verdict the model must compute. `npm run check` runs every file under scenarios/ and
 * fails if any computed verdict differs from its expectation.
 */
import type { Action, Model } from '../checker/model.js'
import type { Bounds, SearchOrder } from '../checker/verdict.js'
import { FileError, InputError } from '../checker/params.js'
import type { ErrorCode } from '../errors/codes.js'
import { type Expectation, expectedProperty } from './expect.js'
import { parseBytes, parseDuration } from './units.js'
import { type LoadedYaml, loadYaml, validate, withinDepth } from './yamlFile.js'

export { type Expectation, unmet } from './expect.js'
export { parseBytes } from './units.js'
export { scenarioFiles } from './scenarioFiles.js'
import type { NarratedModel, Narrator } from '../report/narrator.js'
import { buildNarrated, MODELS } from './registry.js'
import { compileGpu } from './gpu/compile.js'
import { gpuNarrator } from './gpu/narrator.js'
import { buildDesign, type DesignInput, SpecError } from './gpu/spec.js'
import { SymmetryError } from './gpu/symmetry.js'
import { SHAPE_SCHEMA } from './scenarioSchema.js'
import type { GpuDesign } from './gpu/types.js'

export { SCENARIO_SCHEMA } from './scenarioSchema.js'

export interface Scenario {
  readonly file: string
  /** the file's text as it was read: the parallel search's workers build their models from it, not from the file again (which may have changed since) */
  readonly text: string
  readonly name: string
  readonly about: string
  readonly model: Model<Action>
  /** how the model's states and steps read in reports */
  readonly narrator: Narrator<Action>
  readonly order: SearchOrder
  readonly bounds: Bounds
  /** reduce by the model's declared symmetry (search.symmetry) */
  readonly symmetry: boolean
  /** partial-order reduction (search.por) */
  readonly por: boolean
  readonly expect?: Expectation
  /** warnings about how the file is written (the run goes on): code and message */
  readonly warnings: readonly { readonly code: ErrorCode; readonly line?: number; readonly message: string }[]
  /** the seed discussion the design comes from */
  readonly seed?: string
  /** the resolved GPU design, for GPU scenarios */
  readonly design?: GpuDesign
}

const GPU_FIELDS = [
  'engines',
  'memory',
  'locks',
  'buffers',
  'fences',
  'jobs',
  'threads',
  'reclaim',
  'policies',
  'properties',
  'progress',
  'symmetry',
  'pages',
  'notifiers',
  'ranges',
  'workqueues',
  'work',
  'pools',
  'cpus',
  'processes',
] as const

/**
 * Load the scenario in `file`. Given its `text` (Scenario.text), build from that instead of
 * reading the file again; `validated` says that text was loaded before (so it passed the schema,
 * which is then not compiled and run again: the parallel search's workers).
 */
export function loadScenario(file: string, text?: string, validated = false): Scenario {
  return withinDepth(file, () => load(file, text, validated && text !== undefined))
}

function load(file: string, text: string | undefined, validated: boolean): Scenario {
  const y = loadYaml(file, text)
  if (y.data === null || y.data === undefined)
    throw new FileError('FC104', file, 1, undefined, 'the scenario is empty (it needs at least name, about and model)')
  if (!validated) validate(y, SHAPE_SCHEMA, 'scenario', 'a scenario is a map of fields such as name:, about:, engines:')
  const d = y.data as DesignInput & {
    name: string
    about: string
    seed?: string
    model?: string
    params?: Record<string, unknown>
    search?: {
      order?: SearchOrder
      symmetry?: boolean
      por?: boolean
      maxDepth?: number
      maxStates?: number
      maxTime?: number | string
      maxMemory?: string | number
    }
    expect?: Expectation
  }
  const modelName = d.model ?? 'gpu'
  let model: Model<Action>
  let narrator: Narrator<Action>
  let design: GpuDesign | undefined
  if (modelName === 'gpu') {
    if (d.params !== undefined)
      throw new FileError(
        'FC121',
        file,
        y.lineOf(['params']),
        'params',
        'params apply to built-in models; a GPU design is stated by engines, jobs, threads, ...',
      )
    if (!GPU_FIELDS.some((k) => d[k as keyof typeof d] !== undefined))
      throw new FileError(
        'FC120',
        file,
        y.lineOf([]),
        undefined,
        "the scenario states no design: give 'model: NAME' with params, or a GPU design (engines, jobs, threads, ...)",
      )
    try {
      design = buildDesign(d)
      const compiled = compileGpu(design, d.name)
      model = compiled
      narrator = gpuNarrator(compiled.view)
    } catch (e) {
      if (e instanceof SpecError) throw new FileError(e.code, file, y.lineOf(e.path), e.path.join('.') || undefined, e.message)
      if (e instanceof SymmetryError)
        throw new FileError(e.code, file, y.lineOf(['symmetry']), 'symmetry', `${e.message}; the declared jobs are not interchangeable in this design`)
      throw e
    }
  } else {
    if (!MODELS.some((m) => m.name === modelName)) {
      throw new FileError(
        'FC122',
        file,
        y.lineOf(['model']),
        'model',
        `unknown model '${modelName}' (built-in models: ${MODELS.map((m) => m.name).join(', ')}, or gpu)`,
      )
    }
    const stray = GPU_FIELDS.find((k) => d[k] !== undefined)
    if (stray) throw new FileError('FC123', file, y.lineOf([stray]), stray, `applies to GPU designs only, not to model '${modelName}'`)
    const built = loadBuiltin(file, y, modelName, d.params)
    model = built.model
    narrator = built.narrator
  }
  if (d.expect?.unreached) {
    const known = model.properties.filter((p) => p.kind === 'sometimes').map((p) => p.name)
    d.expect.unreached.forEach((u, k) => {
      if (!known.includes(u)) {
        throw new FileError(
          'FC124',
          file,
          y.lineOf(['expect', 'unreached', k]),
          `expect.unreached.${k}`,
          `no sometimes witness named '${u}' (${known.length ? `witnesses: ${known.join('; ')}` : 'this design has no sometimes witnesses'})`,
        )
      }
    })
  }
  const warnings: { code: ErrorCode; line?: number; message: string }[] = []
  let expect: Expectation | undefined = d.expect
  if (d.expect?.property !== undefined) {
    const named = expectedProperty(model, d.expect.property)
    const line = y.lineOf(['expect', 'property'])
    if ('known' in named) {
      throw new FileError(
        'FC125',
        file,
        line,
        'expect.property',
        `no property named '${d.expect.property}' is checked here (write its id; properties: ${named.known.join('; ')})`,
      )
    }
    if (named.deprecated !== undefined)
      warnings.push({
        code: 'FC510',
        ...(line !== undefined ? { line } : {}),
        message: `expect.property: '${d.expect.property}' is the property's full name; write its id, '${named.deprecated}' (full names will stop being accepted)`,
      })
    expect = { ...d.expect, property: named.id, propertyName: named.name }
  }
  const s = d.search ?? {}
  if (s.symmetry && !model.symmetry)
    throw new FileError('FC126', file, y.lineOf(['search', 'symmetry']), 'search.symmetry', `model '${model.name}' declares no symmetry to reduce by`)
  const bounds: Bounds = {
    ...(s.maxDepth !== undefined ? { maxDepth: s.maxDepth } : {}),
    ...(s.maxStates !== undefined ? { maxStates: s.maxStates } : {}),
    ...(s.maxTime !== undefined ? { maxTimeMs: maxTimeOf(file, y, s.maxTime) } : {}),
    ...(s.maxMemory !== undefined ? { maxMemoryBytes: parseBytes(s.maxMemory)! } : {}),
  }
  return {
    file,
    text: y.text,
    name: d.name,
    about: d.about.trim(),
    model,
    narrator,
    order: s.order ?? 'bfs',
    bounds,
    symmetry: s.symmetry ?? false,
    por: s.por ?? false,
    ...(expect ? { expect } : {}),
    warnings,
    ...(d.seed ? { seed: d.seed } : {}),
    ...(design ? { design } : {}),
  }
}

function loadBuiltin(file: string, y: LoadedYaml, name: string, params: Record<string, unknown> | undefined): NarratedModel<Action> {
  try {
    return buildNarrated(name, params ?? {})
  } catch (e) {
    if (e instanceof InputError) {
      const pname = /parameter '?(\w+)'?/.exec(e.message)?.[1]
      const given = params !== undefined
      const line = !given ? y.lineOf(['model']) : pname && params[pname] !== undefined ? y.lineOf(['params', pname]) : y.lineOf(['params'])
      throw new FileError(e.code, file, line, pname ? `params.${pname}` : 'params', e.message)
    }
    throw e
  }
}

/** search.maxTime in milliseconds: a duration as --max-time takes it (the schema has checked its form). */
function maxTimeOf(file: string, y: LoadedYaml, v: number | string): number {
  const ms = parseDuration(v)
  if (ms === undefined)
    throw new FileError('FC127', file, y.lineOf(['search', 'maxTime']), 'search.maxTime', `'${v}' is not a positive duration (for example 90s, 10m, 2h)`)
  return ms
}
