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
import { FileError, InputError } from '../checker/params.js'
import { type LoadedYaml, loadYaml, validate } from './yamlFile.js'
import type { NarratedModel, Narrator } from '../report/narrator.js'
import { buildNarrated, MODELS } from './registry.js'
import { compileGpu } from './gpu/compile.js'
import { gpuNarrator } from './gpu/narrator.js'
import { buildDesign, type DesignInput, SpecError } from './gpu/spec.js'
import { SymmetryError } from './gpu/symmetry.js'
import { SHAPE_SCHEMA } from './scenarioSchema.js'
import type { GpuDesign } from './gpu/types.js'

export { SCENARIO_SCHEMA } from './scenarioSchema.js'

export interface Expectation {
  readonly verdict: Status
  readonly property?: string
  readonly traceLength?: number
  /** `sometimes` witnesses this design is known never to reach (checked: they must stay unreached) */
  readonly unreached?: readonly string[]
}

export interface Scenario {
  readonly file: string
  readonly name: string
  readonly about: string
  readonly model: Model<Action>
  /** how the model's states and steps read in reports */
  readonly narrator: Narrator<Action>
  readonly order: SearchOrder
  readonly bounds: Bounds
  /** reduce by the model's declared symmetry (search.symmetry) */
  readonly symmetry: boolean
  readonly expect?: Expectation
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
  'symmetry',
  'pages',
  'notifiers',
  'ranges',
  'workqueues',
  'work',
  'pools',
  'cpus',
] as const

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
  if (y.data === null || y.data === undefined)
    throw new FileError('FC104', file, 1, undefined, 'the scenario is empty (it needs at least name, about and model)')
  validate(y, SHAPE_SCHEMA, 'scenario', 'a scenario is a map of fields such as name:, about:, engines:')
  const d = y.data as DesignInput & {
    name: string
    about: string
    seed?: string
    model?: string
    params?: Record<string, unknown>
    search?: { order?: SearchOrder; symmetry?: boolean; maxDepth?: number; maxStates?: number; maxTime?: number; maxMemory?: string | number }
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
    if (!d.engines)
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
  if (d.expect?.property !== undefined) {
    const known = [...model.properties.filter((p) => p.kind !== 'sometimes').map((p) => p.name), ...(model.deadlock ? [model.deadlock.name] : [])]
    if (!known.includes(d.expect.property)) {
      throw new FileError(
        'FC125',
        file,
        y.lineOf(['expect', 'property']),
        'expect.property',
        `no property named '${d.expect.property}' is checked here (properties: ${[...new Set(known)].join('; ')})`,
      )
    }
  }
  const s = d.search ?? {}
  if (s.symmetry && !model.symmetry)
    throw new FileError('FC126', file, y.lineOf(['search', 'symmetry']), 'search.symmetry', `model '${model.name}' declares no symmetry to reduce by`)
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
    narrator,
    order: s.order ?? 'bfs',
    bounds,
    symmetry: s.symmetry ?? false,
    ...(d.expect ? { expect: d.expect } : {}),
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
export function unmet(
  expect: Expectation,
  verdict: { status: Status; property?: { name: string }; traceLength?: number; sometimes?: readonly { name: string; reached: boolean }[] },
): string[] {
  const out: string[] = []
  if (verdict.status !== expect.verdict) out.push(`verdict ${verdict.status}, expected ${expect.verdict}`)
  if (expect.property !== undefined && verdict.property?.name !== expect.property) {
    out.push(`property '${verdict.property?.name ?? '-'}', expected '${expect.property}'`)
  }
  if (expect.traceLength !== undefined && verdict.traceLength !== expect.traceLength) {
    out.push(`trace length ${verdict.traceLength ?? '-'}, expected ${expect.traceLength}`)
  }
  if (verdict.status === 'proved' && verdict.sometimes) {
    for (const w of verdict.sometimes) {
      const listed = expect.unreached?.includes(w.name) ?? false
      if (!w.reached && !listed) out.push(`vacuous: '${w.name}' never reached`)
      if (w.reached && listed) out.push(`'${w.name}' is listed as unreached but was reached`)
    }
  }
  return out
}
