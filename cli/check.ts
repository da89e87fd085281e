/**
 * `fencecheck check TARGET...`: explore built-in models or scenario files and print a verdict for
 * each, as text, JSON or ITF; optionally write the JSON result, reports and checkpoints. The
 * search runs in a worker thread (searchThread.ts); `runCheck` is what the worker runs.
 */
import { extname } from 'node:path'
import { InputError } from '../checker/params.js'
import type { Verdict } from '../checker/verdict.js'
import { toItf } from '../report/itf.js'
import { toJson } from '../report/json.js'
import { reportKind, writeReport, writeWhole } from '../report/files.js'
import type { Report } from '../report/report.js'
import { toText } from '../report/text.js'
import { type ArgsOf, type GlobalArgv, searchOptions } from './options.js'
import { prepareOutputs } from './outputs.js'
import { exitFor, run, runParallel } from './search.js'
import { inWorker } from './searchThread.js'
import { allViolations, allViolationsSummary, perProperty } from './allViolations.js'
import { resolveTarget } from './target.js'

export const command = 'check <targets..>'
export const describe = 'explore a built-in model or scenario files and print a verdict'

export function builder(y: GlobalArgv) {
  return y
    .positional('targets', { type: 'string', array: true, demandOption: true, describe: 'a built-in model name (see list) or scenario file(s)' })
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
    .option('workers', { type: 'number', describe: 'search on N worker threads (level-synchronous BFS: same verdict, counts and shortest trace)' })
    .option('report', {
      type: 'string',
      array: true,
      describe: 'write a report: FILE.md (with SVG graphs beside it), FILE.txt (mail), FILE.html (trace viewer), FILE.itf.json',
    })
    .option('checkpoint', { type: 'string', describe: 'write checkpoints to this folder (periodically, and when a bound or Ctrl-C stops the run)' })
    .option('checkpoint-every', { type: 'string', describe: 'checkpoint interval (default 10m)' })
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
  const reportFiles = argv.report ?? []
  for (const f of reportFiles) {
    if (reportKind(f) === undefined) {
      throw new InputError(
        'FC223',
        `--report ${f}: unknown report type '${extname(f) || '(none)'}' (use FILE.md, FILE.txt for mail, FILE.html, or FILE.itf.json)`,
        '--report',
      )
    }
  }
  prepareOutputs({ out: argv.out, report: reportFiles, checkpoint: argv.checkpoint, resume: argv.resume })
  const resolved = argv.targets.map((t) => resolveTarget(t, argv))
  if ((argv.checkpoint || argv.resume) && resolved.length > 1) throw new InputError('FC241', '--checkpoint and --resume take one target', '--checkpoint')
  if (reportFiles.length && resolved.length > 1)
    throw new InputError('FC222', '--report takes one target (run check once per scenario, or use suite)', '--report')
  const workers = argv.workers ?? 1
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new InputError('FC212', `--workers must be an integer in 1..64, got ${workers}`, '--workers')
  if (argv['hash-compaction'] && (argv.symmetry || argv.checkpoint || argv.resume || workers > 1 || resolved.some((r) => r.order !== 'bfs'))) {
    throw new InputError('FC224', '--hash-compaction runs a single-worker breadth-first search, without --symmetry or checkpoints', '--hash-compaction')
  }
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
  return exitFor(reports.map((r) => r.verdict))
}

/** `--all-violations`: per target, one report per violated property, then what holds of the rest. */
async function runAll(argv: CheckArgs, workers: number): Promise<number> {
  if (argv.checkpoint || argv.resume) throw new InputError('FC241', '--checkpoint and --resume take a single search (drop --all-violations)', '--checkpoint')
  const reports: Report[] = []
  const texts: string[] = []
  const verdicts: Verdict[] = []
  for (const t of argv.targets) {
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
