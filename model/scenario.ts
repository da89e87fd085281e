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
import { CONTEXTS, PROPERTY_IDS, USAGES } from './gpu/types.js'
import type { GpuDesign } from './gpu/types.js'

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

/** A list of names, each optionally `{ KEY: name, usage: dma_resv usage }`. */
const namesWithUsage = (key: 'fence' | 'bo') =>
  ({
    type: 'array',
    items: {
      anyOf: [
        { type: 'string' },
        { type: 'object', additionalProperties: false, required: [key], properties: { [key]: { type: 'string' }, usage: { enum: USAGES } } },
      ],
    },
  }) as const

/** An array of objects with exactly these fields (JSON Schema draft-07). */
const objects = <P extends Record<string, unknown>>(required: readonly string[], properties: P, description?: string) =>
  ({
    type: 'array',
    ...(description !== undefined ? { description } : {}),
    items: { type: 'object', additionalProperties: false, ...(required.length ? { required } : {}), properties },
  }) as const

const bytesPattern = '^[0-9]+(\\.[0-9]+)?\\s*(B|KiB|MiB|GiB|KB|MB|GB)?$'

/** The published schema of a scenario file (JSON Schema draft-07). */
export const SCENARIO_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'fencecheck scenario',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'about'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'short title of the design' },
    about: { type: 'string', minLength: 1, description: 'which design this states and which seed it comes from' },
    seed: { type: 'string', description: 'the seed discussion (e.g. "000")' },
    model: {
      type: 'string',
      minLength: 1,
      description: "a built-in model (see `fencecheck list`), or 'gpu' (the default) for a GPU design given by the fields below",
    },
    params: { type: 'object', description: 'the model parameters', additionalProperties: { type: ['integer', 'string'] } },
    engines: objects(['name', 'cus'], {
      name: { $ref: '#/definitions/name' },
      kind: { enum: ['gfx', 'compute', 'copy', 'shared'], description: 'documentation only' },
      cus: { type: 'integer', minimum: 1, maximum: 8 },
      preempt: { enum: ['none', 'hmm', 'faulting'], description: 'dma_fence work may preempt hmm work (faulting: even with a page fault pending)' },
      hmmPreemptsDma: { type: 'boolean', description: 'a design bug: hmm work preempts dma_fence work (rule 2)' },
      reserveForDma: { type: 'integer', minimum: 0, description: 'CUs hmm work may never take' },
      flush: { type: 'boolean', description: 'engine flush / gang scheduling (dma-buf.rst option (d))' },
      xnack: { enum: ['on', 'off', true, false], description: 'recoverable page faults (on, the default): an invalid PTE faults; off: no fault path' },
    }),
    memory: {
      type: 'object',
      additionalProperties: false,
      properties: { vram: { type: 'integer', minimum: 0, maximum: 16 }, system: { type: 'integer', minimum: 0, maximum: 16 } },
    },
    locks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { $ref: '#/definitions/name' }, kind: { enum: ['mutex', 'rwsem'] } },
      },
    },
    buffers: objects(['name'], {
      name: { $ref: '#/definitions/name' },
      placement: { enum: ['vram', 'system'] },
      fences: namesWithUsage('fence'),
    }),
    fences: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind'],
        properties: { name: { $ref: '#/definitions/name' }, kind: { enum: ['dma', 'hmm', 'preempt'] }, of: { type: 'string' } },
      },
    },
    jobs: objects(['name', 'engine'], {
      name: { $ref: '#/definitions/name' },
      engine: { type: 'string' },
      queue: { enum: ['kernel', 'user'] },
      deps: { type: 'array', items: { type: 'string' } },
      uses: namesWithUsage('bo'),
      faults: { type: 'boolean' },
      cus: { type: 'integer', minimum: 1 },
      submitted: { type: 'boolean' },
      propagateErrors: { type: 'boolean' },
      waitsDeps: { type: 'boolean' },
      accesses: { type: 'array', items: { type: 'string' }, description: "ranges the job's GPU work touches through its device's PTEs" },
    }),
    threads: objects(['name'], {
      name: { $ref: '#/definitions/name' },
      context: { enum: CONTEXTS },
      signalling: { type: 'boolean' },
      path: { type: 'string' },
      with: { type: 'object' },
      steps: { type: 'array' },
      repeat: { type: 'boolean', description: 'a worker re-armed for every event: after its last step it starts over' },
      cpu: { type: 'integer', minimum: 0, description: 'the CPU the thread is pinned to (a per-CPU kthread, an interrupt handler)' },
    }),
    workqueues: objects(
      ['name'],
      {
        name: { $ref: '#/definitions/name' },
        ordered: { type: 'boolean', description: 'alloc_ordered_workqueue: one item at a time, in queue order' },
        maxActive: { type: 'integer', minimum: 1, description: 'at most this many of its items run at once (default: no bound)' },
        memReclaim: { type: 'boolean', description: 'WQ_MEM_RECLAIM: it has a rescuer thread' },
      },
      'workqueues besides the built-in system_wq',
    ),
    work: objects(
      ['name', 'steps'],
      {
        name: { $ref: '#/definitions/name' },
        queue: { type: 'string', description: 'its workqueue (default system_wq)' },
        cpu: { type: 'integer', minimum: 0, description: 'queue_work_on(cpu, ...): it runs on that CPU only' },
        signalling: { type: 'boolean', description: 'the callback is a dma_fence signalling path' },
        steps: { type: 'array', description: 'the steps of its callback, run by a worker of its queue each time it is queued' },
      },
      'work items (INIT_WORK): each runs its steps on a worker whenever it is queued',
    ),
    pools: objects(
      ['name', 'slots'],
      {
        name: { $ref: '#/definitions/name' },
        slots: { type: 'integer', minimum: 1, maximum: 8 },
        free: { type: 'integer', minimum: 0, description: 'slots free at start (default: all)' },
      },
      'counting resources: ring space, event slots, IDs, a semaphore',
    ),
    cpus: { type: 'integer', minimum: 1, maximum: 8, description: 'how many CPUs (default: unbounded, every actor finds one)' },
    pages: {
      type: 'array',
      description: 'CPU pages the design mirrors',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { $ref: '#/definitions/name' },
          at: { enum: ['none', 'system', 'vram'], description: 'where the page is at start (none: not present)' },
        },
      },
    },
    notifiers: objects(
      ['name', 'pages'],
      {
        name: { $ref: '#/definitions/name' },
        pages: { type: ['array', 'string'] },
        callback: { type: 'array' },
        path: { type: 'string' },
        with: { type: 'object' },
      },
      'mmu_interval_notifier subscriptions: the pages each covers and its invalidate callback',
    ),
    ranges: objects(
      ['name', 'engine', 'pages'],
      {
        name: { $ref: '#/definitions/name' },
        engine: { type: 'string' },
        pages: { type: ['array', 'string'] },
        notifiers: { type: 'array', items: { type: 'string' } },
        mapped: { type: 'boolean', description: 'PTEs valid at start' },
      },
      "GPU mirrors (SVM ranges, userptrs): one device's PTEs for CPU pages, kept coherent through notifiers",
    ),
    reclaim: objects([], {
      name: { type: 'string' },
      path: { type: 'string' },
      with: { type: 'object' },
      steps: { type: 'array' },
    }),
    policies: {
      type: 'object',
      additionalProperties: false,
      properties: {
        shrinker: { enum: ['wait', 'skip-on-fault'] },
        userptr: { enum: ['wait', 'no-wait'] },
        syncobj: { enum: ['stall', 'proxy'] },
      },
    },
    properties: { type: 'array', items: { enum: PROPERTY_IDS } },
    symmetry: {
      type: 'array',
      description: 'groups of interchangeable jobs, e.g. [[k1, k2]]; with search.symmetry the explorer keeps one state per orbit',
      items: { type: 'array', items: { type: 'string' } },
    },
    search: {
      type: 'object',
      additionalProperties: false,
      properties: {
        order: { enum: ['bfs', 'dfs'] },
        symmetry: { type: 'boolean', description: "explore one state per orbit of the model's declared symmetry" },
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
        unreached: { type: 'array', items: { type: 'string' } },
      },
    },
  },
  definitions: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' },
  },
} as const

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
  validate(y, SCENARIO_SCHEMA, 'scenario', 'a scenario is a map of fields such as name:, about:, engines:')
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
