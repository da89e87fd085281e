/**
 * The commands behind the command line. `check` and `simulate` run in a worker thread (see
 * worker.ts), so the main thread stays free to turn Ctrl-C and SIGTERM into a clean stop.
 */
import { existsSync, readFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { explore, type ExploreOptions, fmtBytes, type Progress } from '../checker/explore.js'
import { type Action, fromValues, type Model, Values } from '../checker/model.js'
import { describeParam, InputError } from '../checker/params.js'
import { replay, type Trace, type TraceStep } from '../checker/trace.js'
import { EXIT, type Bounds, type SearchOrder, type Verdict } from '../checker/verdict.js'
import { FileError } from '../checker/yamlFile.js'
import { buildModel, MODELS } from '../model/registry.js'
import { loadScenario, parseBytes, scenarioFiles, unmet, type Scenario } from '../model/scenario.js'
import { FORMAT_VERSION, makeReport, narrate, READABLE_FORMAT_VERSIONS, type Report, type Target, toJson, toText } from './render.js'
import { simulate } from '../checker/simulate.js'
import { exploreParallel } from '../checker/parallel.js'
import { FACTORY_URL, type ModelSpec } from '../model/factory.js'
import { toItf } from './itf.js'
import { indexHtml, type IndexRow } from './indexPage.js'
import { reportKind, writeReport, writeWhole } from './reports.js'
import { hashText, type Identity, readCheckpoint, type Snapshot, writeCheckpoint } from '../checker/checkpoint.js'
import { LIBRARY } from '../model/gpu/library.js'
import { prepareOutputs } from './outputs.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SCENARIO_DIR = join(ROOT, 'scenarios')
export const DEFAULT_MEMORY = Math.floor(totalmem() * 0.75)

interface Resolved {
  readonly target: Target
  readonly model: Model<Action>
  readonly symmetry: boolean
  readonly order: SearchOrder
  readonly bounds: Bounds
  readonly scenario?: Scenario
  readonly reproduce: string
}

interface SearchFlags {
  order?: string
  'max-depth'?: number
  'max-states'?: number
  'max-time'?: string
  'max-memory'?: string
  param?: string[]
  symmetry?: boolean
  'hash-compaction'?: boolean
  checkpoint?: string
  'checkpoint-every'?: string
  resume?: string
}

/** Set by the runner: true once the user asked the run to stop (Ctrl-C, SIGTERM). */
let stopRequested: () => boolean = () => false
export function onStopRequest(check: () => boolean): void {
  stopRequested = check
}

export function parseDuration(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?$/.exec(s.trim())
  if (!m) throw new InputError('FC210', `--max-time '${s}' is not a duration (for example 90, 90s, 10m, 2h)`, '--max-time')
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
}

function searchBounds(flags: SearchFlags, base: Bounds): Bounds {
  const b: { -readonly [K in keyof Bounds]: Bounds[K] } = { ...base }
  if (flags['max-depth'] !== undefined) b.maxDepth = checkInt(flags['max-depth'], '--max-depth', 0)
  if (flags['max-states'] !== undefined) b.maxStates = checkInt(flags['max-states'], '--max-states', 1)
  if (flags['max-time'] !== undefined) b.maxTimeMs = parseDuration(String(flags['max-time']))
  if (flags['max-memory'] !== undefined) {
    const bytes = parseBytes(String(flags['max-memory']))
    if (bytes === undefined) throw new InputError('FC211', `'${flags['max-memory']}' is not a size (for example 512MiB, 2GiB)`, '--max-memory')
    b.maxMemoryBytes = bytes
  }
  if (b.maxMemoryBytes === undefined) b.maxMemoryBytes = DEFAULT_MEMORY
  return b
}

function checkInt(v: number, flag: string, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new InputError('FC212', `${flag} must be an integer >= ${min}, got ${v}`, flag)
  return v
}

function reproduceLine(t: Target, order: SearchOrder, flags: SearchFlags): string {
  const parts = ['fencecheck', 'check', t.scenario ? t.scenario.file : t.model]
  if (!t.scenario) for (const [k, v] of Object.entries(t.params)) parts.push('--param', `${k}=${v}`)
  if (order !== 'bfs') parts.push('--order', order)
  if (flags.symmetry) parts.push('--symmetry')
  if (flags['hash-compaction']) parts.push('--hash-compaction')
  for (const f of ['max-depth', 'max-states', 'max-time', 'max-memory'] as const) {
    if (flags[f] !== undefined) parts.push(`--${f}`, String(flags[f]))
  }
  return parts.join(' ')
}

function isScenarioPath(t: string): boolean {
  return /\.ya?ml$/.test(t) || t.includes('/') || existsSync(t)
}

/** Resolve a command-line target (model name or scenario file) without running anything. */
function resolveTarget(name: string, flags: SearchFlags): Resolved {
  if (isScenarioPath(name)) {
    if (flags.param && flags.param.length > 0) {
      throw new InputError('FC220', `--param applies to built-in models; '${name}' is a scenario file (set params inside the file)`, '--param')
    }
    const sc = loadScenario(name)
    const order = (flags.order as SearchOrder | undefined) ?? sc.order
    const file = relative(process.cwd(), resolve(name)) || name
    const target: Target = {
      target: name,
      model: sc.model.name,
      params: { ...sc.model.params },
      scenario: { file, name: sc.name, about: sc.about },
      scenarioHash: hashText(readFileSync(name, 'utf8')),
    }
    const symmetry = flags.symmetry ?? sc.symmetry
    if (symmetry && !sc.model.symmetry) throw new InputError('FC221', `'${name}' declares no symmetry to reduce by`, '--symmetry')
    return { target, model: sc.model, symmetry, order, bounds: searchBounds(flags, sc.bounds), scenario: sc, reproduce: reproduceLine(target, order, flags) }
  }
  const model = buildModel(name, flags.param ?? [])
  const order = (flags.order as SearchOrder | undefined) ?? 'bfs'
  const target: Target = { target: name, model: model.name, params: { ...model.params } }
  const symmetry = flags.symmetry ?? false
  if (symmetry && !model.symmetry) throw new InputError('FC221', `model '${name}' declares no symmetry to reduce by`, '--symmetry')
  return { target, model, symmetry, order, bounds: searchBounds(flags, {}), reproduce: reproduceLine(target, order, flags) }
}

function progressLine(p: Progress): void {
  process.stderr.write(
    `progress: depth ${p.depth} | ${p.distinctStates.toLocaleString('en-US')} states (${Math.round(p.statesPerSec).toLocaleString('en-US')}/s) | ` +
      `${p.transitions.toLocaleString('en-US')} transitions | queue ${p.queued.toLocaleString('en-US')} | ${fmtBytes(p.rssBytes)} | ${(p.elapsedMs / 1000).toFixed(0)} s\n`,
  )
}

function identityOf(r: Resolved): Identity {
  return {
    model: r.model.name,
    params: r.model.params,
    ...(r.scenario ? { scenarioHash: hashText(readFileSync(r.scenario.file, 'utf8')) } : {}),
    layout: `${r.model.layout.words}w/${r.model.layout.fieldCount}f/${r.model.rules.length}r`,
    order: r.order,
    symmetry: r.symmetry,
  }
}

function run(r: Resolved, quiet: boolean, flags: SearchFlags = {}): Report {
  if ((flags.checkpoint || flags.resume) && r.order !== 'bfs') throw new InputError('FC240', 'checkpoints are for breadth-first searches (drop --order dfs)', '--checkpoint')
  const id = identityOf(r)
  const resume = flags.resume ? readCheckpoint(flags.resume, id, { shouldStop: () => stopRequested() }) : undefined
  const dir = flags.checkpoint ?? flags.resume
  if (!quiet) process.stderr.write(startLine(r, resume))
  const every = flags['checkpoint-every'] !== undefined ? parseDuration(String(flags['checkpoint-every'])) : 10 * 60_000
  const x = explore(r.model, {
    ...(resume ? { resume } : {}),
    ...(dir
      ? {
          checkpoint: {
            everyMs: every,
            write: (s) => {
              writeCheckpoint(dir, id, s)
              if (!quiet) process.stderr.write(`checkpoint: ${s.size.toLocaleString('en-US')} states written to ${dir}\n`)
            },
          },
        }
      : {}),
    ...searchOptions(r, quiet),
    hashCompaction: flags['hash-compaction'] ?? false,
  })
  return makeReport(r.target, x, r.reproduce)
}

/** The line that says a search has begun (from here on, Ctrl-C gives a verdict with statistics). */
function startLine(r: Resolved, resume: Snapshot | undefined): string {
  const what = r.scenario ? r.target.scenario!.file : [r.model.name, ...Object.entries(r.model.params).map(([k, v]) => `${k}=${v}`)].join(' ')
  const from = resume ? `resumed at depth ${resume.depth} with ${resume.size.toLocaleString('en-US')} states` : 'started'
  return `search: ${what}: ${r.order === 'bfs' ? 'breadth-first' : 'depth-first'} search ${from} (Ctrl-C stops it with an inconclusive verdict)\n`
}

function searchOptions(r: Resolved, quiet: boolean): ExploreOptions {
  return {
    order: r.order,
    bounds: r.bounds,
    shouldStop: () => stopRequested(),
    symmetry: r.symmetry,
    ...(quiet ? {} : { onProgress: progressLine }),
  }
}

/** The search on several worker threads (level-synchronous BFS; same verdict, counts and trace). */
async function runParallel(r: Resolved, quiet: boolean, workers: number): Promise<Report> {
  const spec: ModelSpec = r.scenario ? { kind: 'scenario', file: r.scenario.file } : { kind: 'builtin', name: r.model.name, params: { ...r.model.params } }
  const x = await exploreParallel(r.model, { factory: FACTORY_URL, spec }, { ...searchOptions(r, quiet), workers })
  return makeReport(r.target, x, r.reproduce)
}

function exitFor(verdicts: readonly Verdict[]): number {
  if (verdicts.some((v) => v.status === 'violated')) return EXIT.violated
  if (verdicts.some((v) => v.status === 'inconclusive')) return EXIT.inconclusive
  return EXIT.proved
}

export async function cmdCheck(argv: SearchFlags & { targets: string[]; format: string; out?: string; report?: string[]; quiet: boolean; workers?: number }): Promise<number> {
  const reportFiles = argv.report ?? []
  for (const f of reportFiles) reportKind(f)
  prepareOutputs({ out: argv.out, report: reportFiles, checkpoint: argv.checkpoint, resume: argv.resume })
  const resolved = argv.targets.map((t) => resolveTarget(t, argv))
  if ((argv.checkpoint || argv.resume) && resolved.length > 1) throw new InputError('FC241', '--checkpoint and --resume take one target', '--checkpoint')
  if (reportFiles.length && resolved.length > 1) throw new InputError('FC222', '--report takes one target (run check once per scenario, or use suite)', '--report')
  const workers = argv.workers ?? 1
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new InputError('FC212', `--workers must be an integer in 1..64, got ${workers}`, '--workers')
  if (argv['hash-compaction'] && (argv.symmetry || argv.checkpoint || argv.resume || workers > 1 || resolved.some((r) => r.order !== 'bfs'))) {
    throw new InputError('FC224', '--hash-compaction runs a single-worker breadth-first search, without --symmetry or checkpoints', '--hash-compaction')
  }
  if (workers > 1 && (argv.checkpoint || argv.resume)) throw new InputError('FC225', 'checkpoints are taken by the single-worker search (drop --workers)', '--workers')
  if (workers > 1 && resolved.some((r) => r.order !== 'bfs')) throw new InputError('FC226', '--workers runs a breadth-first search (drop --order dfs)', '--workers')
  const reports: Report[] = []
  for (const r of resolved) reports.push(workers > 1 ? await runParallel(r, argv.quiet, workers) : run(r, argv.quiet, argv))
  const one = <T>(docs: T[]): T | T[] => (docs.length === 1 ? docs[0]! : docs)
  if (argv.format === 'json') process.stdout.write(JSON.stringify(one(reports.map(toJson)), null, 2) + '\n')
  else if (argv.format === 'itf') process.stdout.write(JSON.stringify(one(reports.map((r) => toItf(r))), null, 2) + '\n')
  else process.stdout.write(reports.map(toText).join('\n\n' + '-'.repeat(72) + '\n\n') + '\n')
  if (argv.out) writeWhole(argv.out, JSON.stringify(one(reports.map(toJson)), null, 2) + '\n')
  for (const f of reportFiles) await writeReport(reports[0]!, f)
  return exitFor(reports.map((r) => r.verdict))
}

export function cmdSimulate(
  argv: SearchFlags & { target: string; seed: number; walks: number; depth: number; format: string; out?: string; quiet: boolean; 'swarm-index'?: number; 'swarm-count'?: number },
): number {
  prepareOutputs({ out: argv.out })
  const r = resolveTarget(argv.target, argv)
  for (const [flag, v, min] of [['--seed', argv.seed, 0], ['--walks', argv.walks, 1], ['--depth', argv.depth, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new InputError('FC212', `${flag} must be an integer >= ${min}, got ${v}`, flag)
  }
  const swarm = swarmOf(argv)
  // Each swarm member walks with its own seed, derived from the base seed and its index.
  const seed = swarm ? (argv.seed * 1_000_003 + swarm.index) >>> 0 : argv.seed
  const res = simulate(r.model, {
    seed,
    walks: argv.walks,
    depth: argv.depth,
    ...(r.bounds.maxTimeMs !== undefined ? { maxTimeMs: r.bounds.maxTimeMs } : {}),
    shouldStop: () => stopRequested(),
  })
  const reproduce = `fencecheck simulate ${r.target.scenario ? r.target.scenario.file : r.target.model}${r.target.scenario ? '' : Object.entries(r.target.params).map(([k, v]) => ` --param ${k}=${v}`).join('')} --seed ${seed} --walks ${argv.walks} --depth ${argv.depth}`
  const c = res.coverage
  const doc = {
    format: 'fencecheck-result',
    formatVersion: FORMAT_VERSION,
    mode: 'simulation',
    target: r.target.target,
    model: { name: r.target.model, params: r.target.params },
    ...(r.target.scenario ? { scenario: r.target.scenario } : {}),
    ...(r.target.scenarioHash ? { scenarioHash: r.target.scenarioHash } : {}),
    verdict: res.status,
    ...(res.property ? { property: res.property, traceLength: res.trace!.steps.length, walk: res.walk } : {}),
    scopeSummary:
      res.status === 'violated'
        ? `found by random walk ${res.walk! + 1} (seed ${seed}); a simulation trace is not necessarily a shortest one`
        : `simulation proves nothing: ${c.walks} walks of at most ${argv.depth} steps saw ${c.distinctStates} distinct states (stopped by ${res.stoppedBy})`,
    seed,
    walks: argv.walks,
    depth: argv.depth,
    ...(swarm ? { swarm: { ...swarm, baseSeed: argv.seed } } : {}),
    coverage: c,
    unchecked: res.unchecked,
    ...(res.trace ? { initialState: res.trace.initialState, trace: res.trace.steps.map((st, i) => ({ step: i + 1, action: st.action, state: st.state, changes: st.changes })) } : {}),
    reproduce,
  }
  if (argv.out) writeWhole(argv.out, JSON.stringify(doc, null, 2) + '\n')
  if (argv.format === 'json') {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n')
  } else {
    const lines = [`fencecheck simulate: ${r.target.scenario ? `${r.target.scenario.name} (${r.target.scenario.file})` : r.target.model}`]
    lines.push(res.status === 'violated' ? `verdict: VIOLATED - ${res.property!.name}` : 'verdict: INCONCLUSIVE (simulation)')
    lines.push(`scope: ${doc.scopeSummary}`)
    for (const u of res.unchecked) lines.push(`not checked: ${u.name} (${u.reason})`)
    if (res.trace) {
      const { narrative, initial } = narrate(r.model, res.trace)
      lines.push('', `trace (${res.trace.steps.length} steps):`, `   0  initial state: ${initial[0] ?? ''}`, ...initial.slice(1).map((l) => `        ${l}`))
      for (const n of narrative) {
        lines.push(`  ${String(n.step).padStart(2)}  ${n.actor}: ${n.text}`)
        if (n.changes.length) lines.push(`        ${n.changes.join('; ')}`)
      }
      if (r.model.explain) {
        const last = res.trace.steps.length ? res.trace.steps[res.trace.steps.length - 1]!.state : res.trace.initialState
        const parsed = r.model.layout.fromObject(last)
        if (typeof parsed !== 'string') lines.push('', ...r.model.explain(new Values(fromValues(r.model, parsed))))
      }
    }
    const acts = Object.entries(c.actions).map(([k, v]) => `${k}=${v}`).join(', ')
    lines.push('', `coverage: ${c.walks} walks, ${c.steps} steps, ${c.distinctStates} distinct states, deepest walk ${c.maxDepth}, ${(c.timeMs / 1000).toFixed(2)} s`)
    lines.push(`actions fired: ${acts}`)
    if (c.neverFired.length) lines.push(`never fired: ${c.neverFired.join(', ')}`)
    lines.push(`reproduce: ${reproduce}`)
    process.stdout.write(lines.join('\n') + '\n')
  }
  return res.status === 'violated' ? EXIT.violated : EXIT.inconclusive
}

/** --swarm-index/--swarm-count, the index defaulting to a Kubernetes Indexed Job's JOB_COMPLETION_INDEX. */
function swarmOf(argv: { 'swarm-index'?: number; 'swarm-count'?: number }): { index: number; count: number } | undefined {
  const count = argv['swarm-count']
  let index = argv['swarm-index']
  if (count === undefined) {
    if (index !== undefined) throw new InputError('FC213', '--swarm-index needs --swarm-count', '--swarm-index')
    return undefined
  }
  if (index === undefined && process.env.JOB_COMPLETION_INDEX !== undefined) index = Number(process.env.JOB_COMPLETION_INDEX)
  if (!Number.isInteger(count) || count < 1) throw new InputError('FC212', `--swarm-count must be an integer >= 1, got ${count}`, '--swarm-count')
  if (index === undefined || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new InputError('FC214', `--swarm-index must be an integer in 0..${count - 1} (or set JOB_COMPLETION_INDEX), got ${index}`, '--swarm-index')
  }
  return { index, count }
}

/**
 * Merge the JSON results of swarm members (or of any runs of the same target): a violation in any
 * member is the verdict (the shortest trace wins); otherwise coverage adds up.
 */
export function cmdMerge(argv: { files: string[]; format: string; out?: string }): number {
  const docs = argv.files.map((f) => {
    try {
      const d = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>
      if (d.format !== 'fencecheck-result') throw new Error('not a fencecheck result')
      return { file: f, d }
    } catch (e) {
      throw new FileError('FC420', f, undefined, undefined, `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}; merge takes results written with --format json or --out`)
    }
  })
  const key = (d: Record<string, unknown>): string => JSON.stringify([d.model, (d.scenario as { file?: string } | undefined)?.file ?? null])
  const k0 = key(docs[0]!.d)
  for (const { file, d } of docs) if (key(d) !== k0) throw new FileError('FC421', file, undefined, undefined, `is a result for ${key(d)}, not ${k0}; merge results of one target`)
  const violated = docs.filter(({ d }) => d.verdict === 'violated').sort((a, b) => (a.d.traceLength as number) - (b.d.traceLength as number))
  const swarm = docs.map(({ d }) => d.swarm as { index: number; count: number } | undefined).filter((x) => x !== undefined)
  const count = swarm[0]?.count
  const missing = count !== undefined ? Array.from({ length: count }, (_, i) => i).filter((i) => !swarm.some((x) => x.index === i)) : []
  const cov = docs.map(({ d }) => d.coverage as { walks: number; steps: number; distinctStates: number; actions: Record<string, number>; neverFired: string[] } | undefined)
  const actions: Record<string, number> = {}
  for (const c of cov) for (const [a, n] of Object.entries(c?.actions ?? {})) actions[a] = (actions[a] ?? 0) + n
  const allProved = docs.every(({ d }) => d.verdict === 'proved')
  const verdict = violated.length ? 'violated' : allProved ? 'proved' : 'inconclusive'
  const merged = {
    format: 'fencecheck-merged-result',
    formatVersion: 1,
    verdict,
    members: docs.map(({ file, d }) => ({ file, verdict: d.verdict, ...(d.swarm ? { swarm: d.swarm } : {}), ...(d.seed !== undefined ? { seed: d.seed } : {}) })),
    ...(missing.length ? { missingSwarmIndexes: missing } : {}),
    coverage: {
      walks: cov.reduce((n, c) => n + (c?.walks ?? 0), 0),
      steps: cov.reduce((n, c) => n + (c?.steps ?? 0), 0),
      distinctStatesUpperBound: docs.reduce((n, { d }) => n + ((d.coverage as { distinctStates?: number } | undefined)?.distinctStates ?? (d.distinctStates as number) ?? 0), 0),
      actions,
      neverFired: Object.entries(actions).filter(([, n]) => n === 0).map(([a]) => a),
    },
    ...(violated.length ? { violation: violated[0]!.d, foundBy: violated[0]!.file } : {}),
  }
  if (argv.out) writeWhole(argv.out, JSON.stringify(merged, null, 2) + '\n')
  if (argv.format === 'json') process.stdout.write(JSON.stringify(merged, null, 2) + '\n')
  else {
    const lines = [`merged ${docs.length} result(s): ${verdict.toUpperCase()}`]
    if (violated.length) lines.push(`shortest violation: ${String((violated[0]!.d.property as { name: string }).name)} in ${String(violated[0]!.d.traceLength)} steps, from ${violated[0]!.file}`, `reproduce: ${String(violated[0]!.d.reproduce)}`)
    lines.push(`coverage: ${merged.coverage.walks} walks, ${merged.coverage.steps} steps, at most ${merged.coverage.distinctStatesUpperBound} distinct states (members may overlap)`)
    if (merged.coverage.neverFired.length) lines.push(`never fired in any member: ${merged.coverage.neverFired.join(', ')}`)
    if (missing.length) lines.push(`FC503 warning: swarm members missing: ${missing.join(', ')} of ${count}`)
    process.stdout.write(lines.join('\n') + '\n')
  }
  return verdict === 'violated' ? EXIT.violated : verdict === 'proved' ? EXIT.proved : EXIT.inconclusive
}

/**
 * Replay a saved result: its main trace and its evidence traces step by step, then the claimed
 * violation re-derived (see `replay` in checker/trace.ts). Refuses a result of a format version it
 * does not read. A scenario is looked up as recorded (relative to the working directory), then
 * relative to the result file's folder; when its text changed since the result was written, it
 * says so and still replays against the text as it is now.
 */
export function cmdReplay(argv: { file: string; quiet: boolean }): number {
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(readFileSync(argv.file, 'utf8')) as Record<string, unknown>
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`
    throw new FileError('FC400', argv.file, undefined, undefined, `${why}; replay takes the output of 'fencecheck check ... --format json'`)
  }
  if (Array.isArray(doc)) throw new FileError('FC401', argv.file, undefined, undefined, 'holds several results; replay one (save each target with its own --out file)')
  if (doc.format !== 'fencecheck-result') throw new FileError('FC402', argv.file, undefined, 'format', "is not a fencecheck result (expected \"format\": \"fencecheck-result\")")
  const readable = READABLE_FORMAT_VERSIONS.join(', ')
  if (doc.formatVersion === undefined) throw new FileError('FC403', argv.file, undefined, 'formatVersion', `is missing; this fencecheck replays results of format version ${readable}`)
  if (typeof doc.formatVersion !== 'number' || !READABLE_FORMAT_VERSIONS.includes(doc.formatVersion)) {
    throw new FileError('FC404', argv.file, undefined, 'formatVersion', `${JSON.stringify(doc.formatVersion)} is not a format version this fencecheck replays (it replays ${readable}); replay it with the fencecheck that wrote it`)
  }
  if (!Array.isArray(doc.trace) || typeof doc.initialState !== 'object') {
    throw new FileError('FC405', argv.file, undefined, 'trace', `has no trace to replay (its verdict is ${String(doc.verdict)})`)
  }
  const { model, changed } = modelOf(doc, argv.file, argv.quiet)
  const trace: Trace = { ...traceOf(doc.initialState, doc.trace), ...(typeof doc.loop === 'number' ? { loop: doc.loop } : {}) }
  if (doc.evidence !== undefined && !Array.isArray(doc.evidence)) throw new FileError('FC406', argv.file, undefined, 'evidence', 'is not a list of traces')
  const evidence = ((doc.evidence ?? []) as { label?: unknown; initialState?: unknown; trace?: unknown }[]).map((e, i) => {
    if (typeof e !== 'object' || e === null || !Array.isArray(e.trace) || typeof e.initialState !== 'object') {
      throw new FileError('FC406', argv.file, undefined, `evidence.${i}`, 'is not a trace (it needs label, initialState and trace)')
    }
    return { label: typeof e.label === 'string' ? e.label : `evidence ${i + 1}`, trace: traceOf(e.initialState, e.trace) }
  })
  const p = doc.property as { name?: unknown; kind?: unknown } | undefined
  const property = typeof p?.name === 'string' ? { name: p.name, ...(typeof p.kind === 'string' ? { kind: p.kind } : {}) } : undefined
  const res = replay(model, trace, property, { evidence })
  if (!argv.quiet) for (const line of [...res.log, ...(res.explanation ?? []).map((l) => `  ${l}`)]) process.stdout.write(line + '\n')
  const since = changed ? ' (against the scenario as it is now, which changed since the trace was recorded)' : ''
  if (!res.ok) {
    const f = res.failure!
    // A claim's and an evidence trace's reason name what they are about; the main trace's says where.
    const what = res.replayed || f.evidence !== undefined ? f.reason : `trace does not replay at step ${f.step}: ${f.reason}`
    process.stderr.write(`fencecheck: ${f.code} ${argv.file}: ${what}${since}\n`)
    return EXIT.badInput
  }
  const also = evidence.length ? ` (with ${evidence.length} evidence trace${evidence.length === 1 ? '' : 's'})` : ''
  process.stdout.write(`confirmed: ${trace.steps.length} steps replay${also} and the end violates '${res.violates}'${since}\n`)
  return 0
}

function traceOf(initialState: unknown, steps: unknown): Trace {
  return {
    initialState: initialState as Record<string, unknown>,
    steps: (steps as { action: TraceStep['action']; state: Record<string, unknown> }[]).map((s) => ({ action: s.action, state: s.state, changes: {} })),
  }
}

/**
 * The model a result was recorded against. For a scenario, also whether its text changed since
 * (told on stderr before anything is replayed, so a load error of the new text is understood).
 */
function modelOf(doc: Record<string, unknown>, file: string, quiet: boolean): { model: Model<Action>; changed: boolean } {
  const sc = doc.scenario as { file?: string } | undefined
  if (sc?.file) {
    const beside = resolve(dirname(file), sc.file)
    const path = existsSync(sc.file) ? sc.file : existsSync(beside) ? beside : undefined
    if (!path) {
      throw new FileError('FC407', file, undefined, 'scenario.file', `names ${sc.file}, which is found neither in the working directory nor beside the result (${beside})`)
    }
    const now = hashText(readFileSync(path, 'utf8'))
    const recorded = doc.scenarioHash
    const changed = typeof recorded === 'string' && recorded !== now
    if (changed) process.stderr.write(`fencecheck: FC501 ${file}: warning: the scenario ${path} changed since the trace was recorded (text hash ${recorded} then, ${now} now); replaying against it as it is now\n`)
    else if (typeof recorded !== 'string' && !quiet) process.stderr.write(`fencecheck: FC502 ${file}: note: the result records no scenario hash, so whether ${path} changed since cannot be told\n`)
    return { model: loadScenario(path).model, changed }
  }
  const m = doc.model as { name?: string; params?: Record<string, unknown> } | undefined
  if (!m?.name) throw new FileError('FC408', file, undefined, 'model', 'names no model')
  return { model: buildModel(m.name, m.params ?? {}, `${file}: model.params`), changed: false }
}

export function cmdList(): number {
  const out: string[] = ['built-in models:']
  for (const m of MODELS) {
    out.push(`  ${m.name}  ${m.about}`)
    for (const p of m.params) out.push(`      ${describeParam(p)}`)
  }
  out.push('  gpu  a GPU design stated in a scenario file (engines, memory, buffers, fences, jobs, threads, reclaim)')
  out.push('', 'library kernel paths (use with path: NAME and with: {...}, or - use: NAME):')
  for (const l of LIBRARY) {
    out.push(`  ${l.name}  ${l.doc}`)
    out.push(`      parameters: ${l.params.map((p) => `${p.name}${p.default !== undefined ? `=${p.default}` : ''}`).join(', ')}; source: ${l.cite}`)
  }
  out.push('', `bundled scenarios (${relative(process.cwd(), SCENARIO_DIR) || '.'}):`)
  for (const f of scenarioFiles(SCENARIO_DIR)) {
    const sc = loadScenario(f)
    out.push(`  ${relative(process.cwd(), f)}  ${sc.name}${sc.expect ? `  (expect ${sc.expect.verdict}${sc.expect.property ? `: ${sc.expect.property}` : ''})` : ''}`)
  }
  process.stdout.write(out.join('\n') + '\n')
  return 0
}

export async function cmdSuite(argv: { quiet: boolean; dir?: string; reports?: string }): Promise<number> {
  const dir = argv.dir ?? SCENARIO_DIR
  const files = scenarioFiles(dir).map((f) => relative(process.cwd(), f) || f)
  if (files.length === 0) throw new InputError('FC250', `no scenario files under ${dir}`)
  const scenarios = files.map((f) => loadScenario(f))
  const outDir = argv.reports ?? 'reports'
  const rows: string[][] = [['scenario', 'model', 'expected', 'computed', 'states', 'time', 'result']]
  const index: IndexRow[] = []
  let failures = 0
  for (const sc of scenarios) {
    const file = relative(process.cwd(), sc.file)
    const target: Target = {
      target: file,
      model: sc.model.name,
      params: { ...sc.model.params },
      scenario: { file, name: sc.name, about: sc.about },
      scenarioHash: hashText(readFileSync(sc.file, 'utf8')),
    }
    const report = run({ target, model: sc.model, symmetry: sc.symmetry, order: sc.order, bounds: searchBounds({}, sc.bounds), scenario: sc, reproduce: reproduceLine(target, sc.order, {}) }, true)
    const v = report.verdict
    const computed = v.status === 'violated' ? `violated: ${v.property.name} (${v.traceLength} steps)` : v.status === 'inconclusive' ? `inconclusive: ${v.cutBy}` : 'proved'
    const expected = sc.expect
      ? `${sc.expect.verdict}${sc.expect.property ? `: ${sc.expect.property}` : ''}${sc.expect.traceLength !== undefined ? ` (${sc.expect.traceLength} steps)` : ''}`
      : '(none)'
    const problems = sc.expect
      ? unmet(sc.expect, { status: v.status, sometimes: v.sometimes, ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}) })
      : ['no expectation pinned']
    if (problems.length) failures++
    // Each scenario's evidence: an HTML trace viewer and a Markdown report (with its graphs).
    const base = file.replace(/\.ya?ml$/, '').replace(/[\\/]/g, '_')
    await writeReport(report, join(outDir, `${base}.html`))
    await writeReport(report, join(outDir, `${base}.md`))
    index.push({ file, name: sc.name, expected, computed, ok: problems.length === 0, states: v.stats.distinctStates, timeMs: v.stats.timeMs, reportHref: `${base}.html`, markdownHref: `${base}.md` })
    rows.push([
      file,
      [target.model, ...Object.entries(target.params).map(([k, x]) => `${k}=${x}`)].join(' '),
      expected,
      computed,
      v.stats.distinctStates.toLocaleString('en-US'),
      `${(v.stats.timeMs / 1000).toFixed(2)}s`,
      problems.length ? `MISMATCH: ${problems.join('; ')}` : 'ok',
    ])
  }
  writeWhole(join(outDir, 'index.html'), indexHtml(index))
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)]
  out.push('', `${scenarios.length - failures} of ${scenarios.length} scenarios meet their expectation`, `reports: ${join(outDir, 'index.html')}`)
  process.stdout.write(out.join('\n') + '\n')
  return failures === 0 ? 0 : EXIT.violated
}
