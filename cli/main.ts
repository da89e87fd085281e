#!/usr/bin/env node
/**
 * The fencecheck command line: a thin typed yargs shell with one exit point. Library functions
 * return values; only this file prints and sets the exit code.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { explore, fmtBytes, type Progress } from '../checker/explore.js'
import { ModelError } from '../checker/layout.js'
import { type Action, fromValues, type Model, Values } from '../checker/model.js'
import { describeParam, InputError } from '../checker/params.js'
import { replay, type Trace } from '../checker/trace.js'
import { EXIT, type Bounds, type SearchOrder, type Verdict } from '../checker/verdict.js'
import { FileError } from '../checker/yamlFile.js'
import { buildModel, MODELS } from '../model/registry.js'
import { loadScenario, parseBytes, scenarioFiles, unmet, type Scenario } from '../model/scenario.js'
import { makeReport, narrate, type Report, type Target, toJson, toText } from './render.js'
import { simulate } from '../checker/simulate.js'
import { explainScenario } from './explain.js'
import { LIBRARY } from '../model/gpu/library.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SCENARIO_DIR = join(ROOT, 'scenarios')
const DEFAULT_MEMORY = Math.floor(totalmem() * 0.75)

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
}

let interrupted = false

function parseDuration(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?$/.exec(s.trim())
  if (!m) throw new InputError(`--max-time '${s}' is not a duration (for example 90, 90s, 10m, 2h)`, '--max-time')
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
}

function searchBounds(flags: SearchFlags, base: Bounds): Bounds {
  const b: { -readonly [K in keyof Bounds]: Bounds[K] } = { ...base }
  if (flags['max-depth'] !== undefined) b.maxDepth = checkInt(flags['max-depth'], '--max-depth', 0)
  if (flags['max-states'] !== undefined) b.maxStates = checkInt(flags['max-states'], '--max-states', 1)
  if (flags['max-time'] !== undefined) b.maxTimeMs = parseDuration(String(flags['max-time']))
  if (flags['max-memory'] !== undefined) {
    const bytes = parseBytes(String(flags['max-memory']))
    if (bytes === undefined) throw new InputError(`'${flags['max-memory']}' is not a size (for example 512MiB, 2GiB)`, '--max-memory')
    b.maxMemoryBytes = bytes
  }
  if (b.maxMemoryBytes === undefined) b.maxMemoryBytes = DEFAULT_MEMORY
  return b
}

function checkInt(v: number, flag: string, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new InputError(`${flag} must be an integer >= ${min}, got ${v}`, flag)
  return v
}

function reproduceLine(t: Target, order: SearchOrder, flags: SearchFlags): string {
  const parts = ['fencecheck', 'check', t.scenario ? t.scenario.file : t.model]
  if (!t.scenario) for (const [k, v] of Object.entries(t.params)) parts.push('--param', `${k}=${v}`)
  if (order !== 'bfs') parts.push('--order', order)
  if (flags.symmetry) parts.push('--symmetry')
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
      throw new InputError(`--param applies to built-in models; '${name}' is a scenario file (set params inside the file)`, '--param')
    }
    const sc = loadScenario(name)
    const order = (flags.order as SearchOrder | undefined) ?? sc.order
    const file = relative(process.cwd(), resolve(name)) || name
    const target: Target = {
      target: name,
      model: sc.model.name,
      params: { ...sc.model.params },
      scenario: { file, name: sc.name, about: sc.about },
    }
    const symmetry = flags.symmetry ?? sc.symmetry
    if (symmetry && !sc.model.symmetry) throw new InputError(`'${name}' declares no symmetry to reduce by`, '--symmetry')
    return { target, model: sc.model, symmetry, order, bounds: searchBounds(flags, sc.bounds), scenario: sc, reproduce: reproduceLine(target, order, flags) }
  }
  const model = buildModel(name, flags.param ?? [])
  const order = (flags.order as SearchOrder | undefined) ?? 'bfs'
  const target: Target = { target: name, model: model.name, params: { ...model.params } }
  const symmetry = flags.symmetry ?? false
  if (symmetry && !model.symmetry) throw new InputError(`model '${name}' declares no symmetry to reduce by`, '--symmetry')
  return { target, model, symmetry, order, bounds: searchBounds(flags, {}), reproduce: reproduceLine(target, order, flags) }
}

function progressLine(p: Progress): void {
  process.stderr.write(
    `progress: depth ${p.depth} | ${p.distinctStates.toLocaleString('en-US')} states (${Math.round(p.statesPerSec).toLocaleString('en-US')}/s) | ` +
      `${p.transitions.toLocaleString('en-US')} transitions | queue ${p.queued.toLocaleString('en-US')} | ${fmtBytes(p.rssBytes)} | ${(p.elapsedMs / 1000).toFixed(0)} s\n`,
  )
}

function run(r: Resolved, quiet: boolean): Report {
  const x = explore(r.model, {
    order: r.order,
    bounds: r.bounds,
    shouldStop: () => interrupted,
    symmetry: r.symmetry,
    ...(quiet ? {} : { onProgress: progressLine }),
  })
  return makeReport(r.target, x, r.reproduce)
}

function exitFor(verdicts: readonly Verdict[]): number {
  if (verdicts.some((v) => v.status === 'violated')) return EXIT.violated
  if (verdicts.some((v) => v.status === 'inconclusive')) return EXIT.inconclusive
  return EXIT.proved
}

/** Write a file only once it is complete: write a temporary file, then rename it into place. */
function writeWhole(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}

function cmdCheck(argv: SearchFlags & { targets: string[]; format: string; out?: string; quiet: boolean }): number {
  const resolved = argv.targets.map((t) => resolveTarget(t, argv))
  const reports = resolved.map((r) => run(r, argv.quiet))
  if (argv.format === 'json') {
    const docs = reports.map(toJson)
    process.stdout.write(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n')
  } else {
    process.stdout.write(reports.map(toText).join('\n\n' + '-'.repeat(72) + '\n\n') + '\n')
  }
  if (argv.out) {
    const docs = reports.map(toJson)
    writeWhole(argv.out, JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n')
  }
  return exitFor(reports.map((r) => r.verdict))
}

function cmdSimulate(argv: SearchFlags & { target: string; seed: number; walks: number; depth: number; format: string; out?: string; quiet: boolean }): number {
  const r = resolveTarget(argv.target, argv)
  for (const [flag, v, min] of [['--seed', argv.seed, 0], ['--walks', argv.walks, 1], ['--depth', argv.depth, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new InputError(`${flag} must be an integer >= ${min}, got ${v}`, flag)
  }
  const res = simulate(r.model, {
    seed: argv.seed,
    walks: argv.walks,
    depth: argv.depth,
    ...(r.bounds.maxTimeMs !== undefined ? { maxTimeMs: r.bounds.maxTimeMs } : {}),
    shouldStop: () => interrupted,
  })
  const reproduce = `fencecheck simulate ${r.target.scenario ? r.target.scenario.file : r.target.model}${r.target.scenario ? '' : Object.entries(r.target.params).map(([k, v]) => ` --param ${k}=${v}`).join('')} --seed ${argv.seed} --walks ${argv.walks} --depth ${argv.depth}`
  const c = res.coverage
  const doc = {
    format: 'fencecheck-result',
    formatVersion: 1,
    mode: 'simulation',
    target: r.target.target,
    model: { name: r.target.model, params: r.target.params },
    ...(r.target.scenario ? { scenario: r.target.scenario } : {}),
    verdict: res.status,
    ...(res.property ? { property: res.property, traceLength: res.trace!.steps.length, walk: res.walk } : {}),
    scopeSummary:
      res.status === 'violated'
        ? `found by random walk ${res.walk! + 1} (seed ${argv.seed}); a simulation trace is not necessarily a shortest one`
        : `simulation proves nothing: ${c.walks} walks of at most ${argv.depth} steps saw ${c.distinctStates} distinct states (stopped by ${res.stoppedBy})`,
    seed: argv.seed,
    walks: argv.walks,
    depth: argv.depth,
    coverage: c,
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

function cmdReplay(argv: { file: string; quiet: boolean }): number {
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(readFileSync(argv.file, 'utf8')) as Record<string, unknown>
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`
    throw new FileError(argv.file, undefined, undefined, `${why}; replay takes the output of 'fencecheck check ... --format json'`)
  }
  if (Array.isArray(doc)) throw new FileError(argv.file, undefined, undefined, 'holds several results; replay one (save each target with its own --out file)')
  if (doc.format !== 'fencecheck-result') throw new FileError(argv.file, undefined, 'format', "is not a fencecheck result (expected \"format\": \"fencecheck-result\")")
  if (!Array.isArray(doc.trace) || typeof doc.initialState !== 'object') {
    throw new FileError(argv.file, undefined, 'trace', `has no trace to replay (its verdict is ${String(doc.verdict)})`)
  }
  const model = modelOf(doc, argv.file)
  const trace: Trace = {
    initialState: doc.initialState as Record<string, unknown>,
    steps: (doc.trace as { action: Action; state: Record<string, unknown> }[]).map((s) => ({ action: s.action, state: s.state, changes: {} })),
  }
  const property = (doc.property as { name?: string } | undefined)?.name
  const res = replay(model, trace, property)
  if (!argv.quiet) for (const line of res.log) process.stdout.write(line + '\n')
  if (!res.ok) {
    process.stderr.write(`fencecheck: ${argv.file}: trace does not replay at step ${res.failure!.step}: ${res.failure!.reason}\n`)
    return EXIT.badInput
  }
  process.stdout.write(`confirmed: ${trace.steps.length} steps replay and the end violates '${res.violates}'\n`)
  return 0
}

function modelOf(doc: Record<string, unknown>, file: string): Model<Action> {
  const sc = doc.scenario as { file?: string } | undefined
  if (sc?.file) return loadScenario(sc.file).model
  const m = doc.model as { name?: string; params?: Record<string, unknown> } | undefined
  if (!m?.name) throw new FileError(file, undefined, 'model', 'names no model')
  return buildModel(m.name, m.params ?? {}, `${file}: model.params`)
}

function cmdList(): number {
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

function cmdSuite(argv: { quiet: boolean; dir?: string }): number {
  const dir = argv.dir ?? SCENARIO_DIR
  const files = scenarioFiles(dir).map((f) => relative(process.cwd(), f) || f)
  if (files.length === 0) throw new InputError(`no scenario files under ${dir}`)
  const scenarios = files.map((f) => loadScenario(f))
  const rows: string[][] = [['scenario', 'model', 'expected', 'computed', 'states', 'time', 'result']]
  let failures = 0
  for (const sc of scenarios) {
    const file = relative(process.cwd(), sc.file)
    const target: Target = { target: file, model: sc.model.name, params: { ...sc.model.params }, scenario: { file, name: sc.name, about: sc.about } }
    const report = run({ target, model: sc.model, symmetry: sc.symmetry, order: sc.order, bounds: searchBounds({}, sc.bounds), scenario: sc, reproduce: reproduceLine(target, sc.order, {}) }, true)
    const v = report.verdict
    const computed = v.status === 'violated' ? `violated: ${v.property.name} (${v.traceLength} steps)` : v.status === 'inconclusive' ? `inconclusive: ${v.cutBy}` : 'proved'
    const expected = sc.expect
      ? `${sc.expect.verdict}${sc.expect.property ? `: ${sc.expect.property}` : ''}${sc.expect.traceLength !== undefined ? ` (${sc.expect.traceLength} steps)` : ''}`
      : '(none)'
    const problems = sc.expect ? unmet(sc.expect, { status: v.status, ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}) }) : ['no expectation pinned']
    if (v.status === 'proved') for (const w of v.sometimes) if (!w.reached) problems.push(`vacuous: '${w.name}' never reached`)
    if (problems.length) failures++
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
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)]
  out.push('', `${scenarios.length - failures} of ${scenarios.length} scenarios meet their expectation`)
  process.stdout.write(out.join('\n') + '\n')
  return failures === 0 ? 0 : EXIT.violated
}

const searchOptions = {
  param: { type: 'string', array: true, describe: 'model parameter NAME=VALUE (repeatable)' },
  order: { choices: ['bfs', 'dfs'], describe: 'search order (BFS gives shortest counterexamples)' },
  'max-depth': { type: 'number', describe: 'do not expand states at this depth' },
  'max-states': { type: 'number', describe: 'stop after this many distinct states' },
  'max-time': { type: 'string', describe: 'stop after this long (e.g. 90s, 10m)' },
  symmetry: { type: 'boolean', describe: 'explore one state per symmetry orbit (models that declare interchangeable jobs)' },
  'max-memory': { type: 'string', describe: `memory bound (e.g. 512MiB, 4GiB; default 75% of RAM = ${fmtBytes(DEFAULT_MEMORY)})` },
} as const

export async function main(args: string[]): Promise<number> {
  let code: number = EXIT.badInput
  const parser = yargs(args)
    .scriptName('fencecheck')
    .usage('$0 <command> [options]')
    .strict()
    .recommendCommands()
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress lines on stderr' })
    .command(
      'check <targets..>',
      'explore a built-in model or scenario files and print a verdict',
      (y) =>
        y
          .positional('targets', { type: 'string', array: true, demandOption: true, describe: 'a built-in model name (see list) or scenario file(s)' })
          .options(searchOptions)
          .option('format', { choices: ['text', 'json'], default: 'text', describe: 'output format' })
          .option('out', { type: 'string', describe: 'also write the JSON result (with its trace) to this file, for replay' }),
      (argv) => {
        code = cmdCheck(argv as never)
      },
    )
    .command(
      'simulate <target>',
      'seeded random walks for state spaces beyond exhaustive reach; reports coverage (never proves)',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: 'a built-in model name or a scenario file' })
          .options(searchOptions)
          .option('seed', { type: 'number', default: 1, describe: 'random seed (the same seed gives the same walks)' })
          .option('walks', { type: 'number', default: 1000, describe: 'number of random walks' })
          .option('depth', { type: 'number', default: 1000, describe: 'steps per walk at most' })
          .option('format', { choices: ['text', 'json'], default: 'text', describe: 'output format' })
          .option('out', { type: 'string', describe: 'also write the JSON result to this file, for replay' }),
      (argv) => {
        code = cmdSimulate(argv as never)
      },
    )
    .command(
      'replay <file>',
      're-run a counterexample saved with --format json or --out: every step must be enabled and lead to the recorded state, and the end must violate the property',
      (y) => y.positional('file', { type: 'string', demandOption: true }),
      (argv) => {
        code = cmdReplay(argv as never)
      },
    )
    .command(
      'explain <file>',
      'print a scenario as the model understands it: engines, jobs, threads and their steps, policies, properties',
      (y) => y.positional('file', { type: 'string', demandOption: true }),
      (argv) => {
        process.stdout.write(explainScenario(loadScenario(argv.file as string)) + '\n')
        code = 0
      },
    )
    .command('list', 'list built-in models, their parameters, and the bundled scenarios', {}, () => {
      code = cmdList()
    })
    .command(
      'suite [dir]',
      'run every bundled scenario and print a verdict table; exits 1 if any verdict differs from its expectation',
      (y) => y.positional('dir', { type: 'string', describe: 'scenario folder (default: the bundled scenarios/)' }),
      (argv) => {
        code = cmdSuite(argv as never)
      },
    )
    .demandCommand(1, 'name a command: check, replay, list or suite')
    .epilogue('exit codes: 0 proved, 1 violated, 2 bad input or usage, 3 inconclusive, 4 internal error')
    .fail((msg, err) => {
      if (err) throw err
      throw new InputError(/^Did you mean/.test(msg) ? `unknown command. ${msg} (see fencecheck --help)` : `${msg} (see fencecheck --help)`)
    })
    .help()
    .version()
  await parser.parseAsync()
  return code
}

process.on('SIGINT', () => {
  if (interrupted) process.exit(130)
  interrupted = true
  process.stderr.write('\nfencecheck: interrupted; finishing with an inconclusive verdict (press Ctrl-C again to abort)\n')
})
process.on('SIGTERM', () => {
  interrupted = true
})

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    if (e instanceof InputError) {
      const where = e instanceof FileError || !e.where || e.message.startsWith(e.where) ? '' : `${e.where}: `
      process.stderr.write(`fencecheck: ${where}${e.message}\n`)
      process.exitCode = EXIT.badInput
    } else if (e instanceof ModelError) {
      process.stderr.write(`fencecheck: model error: ${e.message}\n`)
      process.exitCode = EXIT.internal
    } else {
      process.stderr.write(`fencecheck: internal error: ${e instanceof Error ? e.message : String(e)}\n`)
      if (process.env.FENCECHECK_DEBUG) console.error(e)
      process.exitCode = EXIT.internal
    }
  },
)
