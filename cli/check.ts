/**
 * `fencecheck check TARGET...`: explore built-in models or scenario files and print a verdict for
 * each, as text, JSON or ITF; optionally write the JSON result, reports and checkpoints. The
 * search runs in a worker thread (searchThread.ts); `runCheck` is what the worker runs.
 */
import { extname } from 'node:path'
import { InputError } from '../checker/params.js'
import type { Verdict } from '../checker/verdict.js'
import type * as Expect from '../model/expect.js'
import type * as Itf from '../report/itf.js'
import type * as Json from '../report/json.js'
import type * as Files from '../report/files.js'
import type { Report } from '../report/report.js'
import type * as Text from '../report/text.js'
import type * as AllViolations from './allViolations.js'
import { type ArgsOf, durationFlag, type GlobalArgv, intOption, searchOptions } from './options.js'
import { prepareOutputs } from './outputs.js'
import type * as Search from './search.js'
import { inWorker } from './searchThread.js'
import type * as Target from './target.js'
import type { Resolved } from './target.js'

// The search, the models and the reports, loaded by loadCheckModules in the search thread only:
// the main thread parses the command line and starts the thread without them.
let unmet: typeof Expect.unmet
let toItf: typeof Itf.toItf
let toJson: typeof Json.toJson
let reportKind: typeof Files.reportKind
let writeReport: typeof Files.writeReport
let writeWhole: typeof Files.writeWhole
let toText: typeof Text.toText
let exitFor: typeof Search.exitFor
let run: typeof Search.run
let runParallel: typeof Search.runParallel
let prestartParallel: typeof Search.prestartParallel
let allViolations: typeof AllViolations.allViolations
let allViolationsSummary: typeof AllViolations.allViolationsSummary
let perProperty: typeof AllViolations.perProperty
let resolveTarget: typeof Target.resolveTarget
let loadTargets: typeof Target.loadTargets

/**
 * Load what runCheck needs (once; the worker thread calls it as it starts). The writers of result
 * files and reports (reportFiles), and the scenario loader (target.ts's loadTargets), come later,
 * when the command line asks for them.
 */
export async function loadCheckModules(): Promise<void> {
  const [m, itf, json, text, search, all, target] = await Promise.all([
    import('../model/expect.js'),
    import('../report/itf.js'),
    import('../report/json.js'),
    import('../report/text.js'),
    import('./search.js'),
    import('./allViolations.js'),
    import('./target.js'),
  ])
  ;({ unmet } = m)
  ;({ toItf } = itf)
  ;({ toJson } = json)
  ;({ toText } = text)
  ;({ exitFor, run, runParallel, prestartParallel } = search)
  ;({ allViolations, allViolationsSummary, perProperty } = all)
  ;({ resolveTarget, loadTargets } = target)
}

let fileWriters = false
/** Load the writers of result files and reports (report/files.js, which loads the graph renderer), for --out and --report. */
async function loadFileWriters(): Promise<void> {
  if (!fileWriters) ({ reportKind, writeReport, writeWhole } = await import('../report/files.js'))
  fileWriters = true
}

export const command = 'check <targets..>'
export const describe = 'explore a built-in model or scenario files and print a verdict'

export function builder(y: GlobalArgv) {
  return y
    .positional('targets', {
      type: 'string',
      array: true,
      default: undefined,
      describe: 'what to check: a built-in model name (r1, diehard, ...; see list) or scenario files (*.yaml), one verdict each',
    })
    .options(searchOptions)
    .option('format', {
      choices: ['text', 'json', 'itf'] as const,
      default: 'text' as const,
      describe: 'output format (itf: the Informal Trace Format of Apalache and Quint)',
    })
    .option('out', { type: 'string', describe: 'also write the JSON result (with its trace) to this file, for replay' })
    .option('hash-compaction', {
      type: 'boolean',
      describe: 'keep fingerprints, parents and rules but not the states (about half the memory); the verdict states the omission probability',
    })
    .option('workers', intOption('workers', 'search on N worker threads, 1..64 (level-synchronous BFS: same verdict, counts and shortest trace)', 1, 64))
    .option('report', {
      type: 'string',
      array: true,
      describe: 'write a report: FILE.md (with SVG graphs beside it), FILE.txt (mail), FILE.html (trace viewer), FILE.itf.json',
    })
    .option('checkpoint', { type: 'string', describe: 'write checkpoints to this folder (periodically, and when a bound or Ctrl-C stops the run)' })
    .option('checkpoint-every', { type: 'string', describe: 'checkpoint interval, with --checkpoint or --resume (default 10m)' })
    .option('resume', { type: 'string', describe: 'continue the run checkpointed in this folder (and keep checkpointing there)' })
    .option('all-violations', {
      type: 'boolean',
      describe: 'go on after the first violation: one shortest trace per violated property (--out and --report write one file per property, FILE.ID.ext)',
    })
}

export type CheckArgs = ArgsOf<typeof builder>

export function handler(argv: CheckArgs): Promise<number> {
  return inWorker({ command: 'check', argv })
}

/** The check itself, in the worker thread: every output path first, then the searches, then the outputs. */
export async function runCheck(argv: CheckArgs): Promise<number> {
  await loadCheckModules()
  // The workers of a parallel search load their modules while the targets load here.
  if (!argv.checkpoint && !argv.resume) prestartParallel(argv.workers ?? 1)
  const reportFiles = argv.report ?? []
  if (argv.out !== undefined || reportFiles.length > 0) await loadFileWriters()
  for (const f of reportFiles) {
    if (reportKind(f) === undefined) {
      throw new InputError(
        'FC223',
        `--report ${f}: unknown report type '${extname(f) || '(none)'}' (use FILE.md, FILE.txt for mail, FILE.html, or FILE.itf.json)`,
        '--report',
      )
    }
  }
  if (argv['checkpoint-every'] !== undefined) {
    if (!argv.checkpoint && !argv.resume)
      throw new InputError('FC246', '--checkpoint-every needs a checkpoint folder: add --checkpoint DIR (or --resume DIR)', '--checkpoint-every')
    durationFlag('--checkpoint-every', argv['checkpoint-every'])
  }
  prepareOutputs({ out: argv.out, report: reportFiles, checkpoint: argv.checkpoint, resume: argv.resume })
  await loadTargets(argv.targets ?? [])
  const resolved = (argv.targets ?? []).map((t) => resolveTarget(t, argv))
  if ((argv.checkpoint || argv.resume) && resolved.length > 1) throw new InputError('FC241', '--checkpoint and --resume take one target', '--checkpoint')
  if (reportFiles.length && resolved.length > 1)
    throw new InputError('FC222', '--report takes one target (run check once per scenario, or use suite)', '--report')
  const workers = argv.workers ?? 1
  if (argv['hash-compaction'] && (argv.symmetry || argv.checkpoint || argv.resume || workers > 1 || resolved.some((r) => r.order !== 'bfs'))) {
    throw new InputError('FC224', '--hash-compaction runs a single-worker breadth-first search, without --symmetry or checkpoints', '--hash-compaction')
  }
  // A scenario's own symmetry: declaration asks for symmetry reduction as --symmetry does.
  const symmetric = argv['hash-compaction'] ? resolved.find((r) => r.symmetry) : undefined
  if (symmetric)
    throw new InputError(
      'FC224',
      `--hash-compaction runs without symmetry reduction, and ${symmetric.target.target} declares symmetry: (drop --hash-compaction, or check a copy without symmetry:)`,
      '--hash-compaction',
    )
  if (resolved.some((r) => r.por) && (workers > 1 || argv.checkpoint || argv.resume || argv['hash-compaction'] || resolved.some((r) => r.symmetry)))
    throw new InputError('FC229', '--por runs a single-worker search without checkpoints, hash compaction or symmetry reduction', '--por')
  const bare = resolved.find((r) => r.por && r.model.por === undefined)
  if (bare)
    throw new InputError(
      'FC229',
      `--por reduces by the rule footprints scenario files declare, and ${bare.target.target} declares none (run it without --por)`,
      '--por',
    )
  if (workers > 1 && (argv.checkpoint || argv.resume))
    throw new InputError('FC225', 'checkpoints are taken by the single-worker search (drop --workers)', '--workers')
  if (workers > 1 && resolved.some((r) => r.order !== 'bfs'))
    throw new InputError('FC226', '--workers runs a breadth-first search (drop --order dfs)', '--workers')
  if (argv['all-violations']) return runAll(argv, workers)
  const reports: Report[] = []
  for (const r of resolved) reports.push(workers > 1 ? await runParallel(r, argv.quiet, workers) : run(r, argv.quiet, argv))
  const one = <T>(docs: T[]): T | T[] => (docs.length === 1 ? docs[0]! : docs)
  if (argv.format === 'json') process.stdout.write(JSON.stringify(one(reports.map(toJson)), null, 2) + '\n')
  else if (argv.format === 'itf') process.stdout.write(JSON.stringify(one(reports.map((r) => toItf(r))), null, 2) + '\n')
  else process.stdout.write(reports.map(toText).join('\n\n' + '-'.repeat(72) + '\n\n') + '\n')
  if (argv.out) writeWhole(argv.out, JSON.stringify(one(reports.map(toJson)), null, 2) + '\n')
  for (const f of reportFiles) await writeReport(reports[0]!, f)
  const missed = resolved.map((r, i) => expectationOf(r, reports[i]!, argv))
  // The expectation, as suite states it: in text after the verdict, beside JSON or ITF on stderr.
  const lines = missed.flatMap((m) => (m ? [m.line] : []))
  if (lines.length) (argv.format === 'text' ? process.stdout : process.stderr).write(lines.join('\n') + '\n')
  if (missed.some((m) => m?.met === false)) return EXPECTATION_NOT_MET
  return exitFor(reports.map((r) => r.verdict))
}

/** `--all-violations`: per target, one report per violated property, then what holds of the rest. */
async function runAll(argv: CheckArgs, workers: number): Promise<number> {
  if (argv.checkpoint || argv.resume) throw new InputError('FC241', '--checkpoint and --resume take a single search (drop --all-violations)', '--checkpoint')
  const reports: Report[] = []
  const texts: string[] = []
  const verdicts: Verdict[] = []
  for (const t of argv.targets ?? []) {
    const a = await allViolations(t, argv, (r) => (workers > 1 ? runParallel(r, argv.quiet, workers) : run(r, argv.quiet)))
    reports.push(...a.violations)
    verdicts.push(...a.violations.map((r) => r.verdict), a.rest)
    texts.push([...a.violations.map(toText), allViolationsSummary(a)].join('\n\n' + '-'.repeat(72) + '\n\n'))
  }
  if (argv.format === 'json') process.stdout.write(JSON.stringify(reports.map(toJson), null, 2) + '\n')
  else if (argv.format === 'itf')
    process.stdout.write(
      JSON.stringify(
        reports.map((r) => toItf(r)),
        null,
        2,
      ) + '\n',
    )
  else process.stdout.write(texts.join('\n\n' + '='.repeat(72) + '\n\n') + '\n')
  // One file per violated property, so that each replays on its own.
  for (const r of reports) {
    if (argv.out) writeWhole(perProperty(argv.out, r), JSON.stringify(toJson(r), null, 2) + '\n')
    for (const f of argv.report ?? []) await writeReport(r, perProperty(f, r))
  }
  return exitFor(verdicts)
}

/** Exit code of a run whose verdict differs from its scenario's `expect:` (or whose proof is vacuous). */
export const EXPECTATION_NOT_MET = 5

/**
 * Whether a scenario's run meets its `expect:`, as suite decides it. Not compared when flags
 * change what is searched or checked (order, bounds, property selection) or the run was
 * interrupted: the expectation is of the file's own search.
 */
function expectationOf(r: Resolved, report: Report, flags: CheckArgs): { met: boolean; line: string } | undefined {
  const expect = r.scenario?.expect
  if (!expect) return undefined
  const file = r.target.scenario?.file ?? r.target.target
  const v = report.verdict
  const changed = (['order', 'max-depth', 'max-states', 'max-time', 'max-memory', 'property', 'skip-property'] as const).filter((f) => {
    const x = flags[f]
    return Array.isArray(x) ? x.length > 0 : x !== undefined
  })
  if (changed.length) return { met: true, line: `expect: not compared (${changed.map((f) => `--${f}`).join(', ')} changes the search ${file} pins)` }
  if (v.status === 'inconclusive' && v.cutBy === 'interrupted') return { met: true, line: `expect: not compared (the run was interrupted)` }
  const problems = unmet(expect, {
    status: v.status,
    sometimes: v.sometimes,
    ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}),
  })
  return problems.length
    ? { met: false, line: `expect: NOT MET for ${file}: ${problems.join('; ')} (exit ${EXPECTATION_NOT_MET})` }
    : { met: true, line: `expect: met (${expect.verdict}${expect.property ? `: ${expect.property}` : ''})` }
}
