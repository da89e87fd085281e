/**
 * Running a search on a resolved target: on one thread (with checkpoints, if asked) or on
 * several, with progress lines on stderr, and the report made from what it found. The stop flag
 * (Ctrl-C, SIGTERM) is polled through `stopRequested`, which the thread running the search sets.
 */
import { type Identity, readCheckpoint, type Snapshot, writeCheckpoint } from '../checker/checkpoint.js'
import { explore, type ExploreOptions } from '../checker/explore.js'
import { exploreParallel, prestartWorkers } from '../checker/parallel.js'
import { InputError } from '../checker/params.js'
import { EXIT, type Verdict } from '../checker/verdict.js'
import type { ModelSpec } from '../model/factory.js'
import { findingsOf, makeReport, type Report } from '../report/report.js'
import { refuseOtherRun } from './identity.js'
import { durationFlag } from './options.js'
import { progressPrinter } from './progress.js'
import { type Resolved, scenarioHash } from './target.js'

/** Set by the runner: true once the user asked the run to stop (Ctrl-C, SIGTERM). */
let stopRequested: () => boolean = () => false
export function onStopRequest(check: () => boolean): void {
  stopRequested = check
}
export function stopWasRequested(): boolean {
  return stopRequested()
}

/** Checkpointing: to a folder, from a folder, and how often. */
export interface CheckpointFlags {
  readonly checkpoint?: string | undefined
  readonly 'checkpoint-every'?: string | undefined
  readonly resume?: string | undefined
  readonly 'hash-compaction'?: boolean | undefined
}

/** What a checkpoint of this run is of; a scenario's text is part of it, by its hash. */
function identityOf(r: Resolved): Identity {
  return {
    model: r.model.name,
    params: r.model.params,
    ...(r.scenario ? { inputHash: scenarioHash(r.scenario.file) } : {}),
    layout: `${r.model.layout.words}w/${r.model.layout.fieldCount}f/${r.model.rules.length}r`,
    order: r.order,
    symmetry: r.symmetry,
  }
}

/** The line that says a search has begun (from here on, Ctrl-C gives a verdict with statistics). */
function startLine(r: Resolved, resume: Snapshot | undefined): string {
  const what = r.scenario ? r.target.scenario!.file : [r.model.name, ...Object.entries(r.model.params).map(([k, v]) => `${k}=${v}`)].join(' ')
  const from = resume ? `resumed at depth ${resume.depth} with ${resume.size.toLocaleString('en-US')} states` : 'started'
  return `search: ${what}: ${r.order === 'bfs' ? 'breadth-first' : 'depth-first'} search ${from} (Ctrl-C stops it with an inconclusive verdict)\n`
}

function exploreOptions(r: Resolved, quiet: boolean): ExploreOptions {
  return {
    order: r.order,
    bounds: r.bounds,
    ...(r.select ? { select: r.select } : {}),
    shouldStop: () => stopRequested(),
    symmetry: r.symmetry,
    ...(r.por ? { por: true } : {}),
    ...(quiet ? {} : { onProgress: progressPrinter(r.bounds) }),
  }
}

/** The search on this thread, checkpointed or resumed if the flags say so. */
export function run(r: Resolved, quiet: boolean, flags: CheckpointFlags = {}): Report {
  if ((flags.checkpoint || flags.resume) && r.order !== 'bfs')
    throw new InputError('FC240', 'checkpoints are for breadth-first searches (drop --order dfs)', '--checkpoint')
  const id = identityOf(r)
  if (flags.resume) refuseOtherRun(flags.resume, id)
  const resume = flags.resume ? readCheckpoint(flags.resume, id, { shouldStop: () => stopRequested() }) : undefined
  const dir = flags.checkpoint ?? flags.resume
  if (!quiet) process.stderr.write(startLine(r, resume))
  const every = flags['checkpoint-every'] !== undefined ? durationFlag('--checkpoint-every', String(flags['checkpoint-every'])) : 10 * 60_000
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
    ...exploreOptions(r, quiet),
    hashCompaction: flags['hash-compaction'] ?? false,
  })
  return makeReport(r.target, { model: r.model, narrator: r.narrator }, findingsOf(x), r.reproduce)
}

/** model/factory.js, whose buildFromSpec the parallel search's workers call (its FACTORY_URL), without loading it here */
const FACTORY_URL = new URL('../model/factory.js', import.meta.url).href

/**
 * Start the parallel search's `workers` threads now, so that they load their modules while this
 * thread loads and builds the targets (runCheck knows the number before it loads a target).
 */
export function prestartParallel(workers: number): void {
  if (workers > 1) prestartWorkers(FACTORY_URL, workers)
}

/** The search on several worker threads (level-synchronous BFS; same verdict, counts and trace). */
export async function runParallel(r: Resolved, quiet: boolean, workers: number): Promise<Report> {
  const spec: ModelSpec = r.scenario
    ? { kind: 'scenario', file: r.scenario.file, text: r.scenario.text, validated: true }
    : { kind: 'builtin', name: r.model.name, params: { ...r.model.params } }
  const x = await exploreParallel(r.model, { factory: FACTORY_URL, spec }, { ...exploreOptions(r, quiet), workers })
  return makeReport(r.target, { model: r.model, narrator: r.narrator }, findingsOf(x), r.reproduce)
}

/** The exit code of several verdicts: any violation, else any inconclusive, else proved. */
export function exitFor(verdicts: readonly Verdict[]): number {
  if (verdicts.some((v) => v.status === 'violated')) return EXIT.violated
  if (verdicts.some((v) => v.status === 'inconclusive')) return EXIT.inconclusive
  return EXIT.proved
}
