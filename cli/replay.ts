/**
 * `fencecheck replay FILE`: a saved result replayed, its main trace and its evidence traces step
 * by step, then the claimed violation re-derived (see `replay` in checker/trace.ts). Refuses a
 * result of a format version it does not read. A scenario is looked up as recorded (relative to
 * the working directory), then relative to the result file's folder; when its text changed since
 * the result was written, it says so and still replays against the text as it is now.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Action } from '../checker/model.js'
import { FileError } from '../checker/params.js'
import { EXIT } from '../checker/verdict.js'
import { replay, type Trace, type TraceStep } from '../checker/trace.js'
import { buildNarrated, loadScenario } from '../model/index.js'
import { READABLE_FORMAT_VERSIONS } from '../report/json.js'
import type { NarratedModel } from '../report/narrator.js'
import type { ArgsOf, GlobalArgv } from './options.js'
import { hashText } from './target.js'

export const command = 'replay <file>'
export const describe =
  're-run a counterexample saved with --format json or --out: every step must be enabled and lead to the recorded state, and the end must violate the property'

export function builder(y: GlobalArgv) {
  return y.positional('file', { type: 'string', demandOption: true, describe: 'a result written by check --out (or --format json) that holds a trace' })
}

export type ReplayArgs = ArgsOf<typeof builder>

export function handler(argv: ReplayArgs): number {
  let doc: Record<string, unknown>
  try {
    doc = JSON.parse(readFileSync(argv.file, 'utf8')) as Record<string, unknown>
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`
    throw new FileError('FC400', argv.file, undefined, undefined, `${why}; replay takes the output of 'fencecheck check ... --format json'`)
  }
  if (Array.isArray(doc))
    throw new FileError('FC401', argv.file, undefined, undefined, 'holds several results; replay one (save each target with its own --out file)')
  if (doc.format !== 'fencecheck-result')
    throw new FileError('FC402', argv.file, undefined, 'format', 'is not a fencecheck result (expected "format": "fencecheck-result")')
  const readable = READABLE_FORMAT_VERSIONS.join(', ')
  if (doc.formatVersion === undefined)
    throw new FileError('FC403', argv.file, undefined, 'formatVersion', `is missing; this fencecheck replays results of format version ${readable}`)
  if (typeof doc.formatVersion !== 'number' || !READABLE_FORMAT_VERSIONS.includes(doc.formatVersion)) {
    throw new FileError(
      'FC404',
      argv.file,
      undefined,
      'formatVersion',
      `${JSON.stringify(doc.formatVersion)} is not a format version this fencecheck replays (it replays ${readable}); replay it with the fencecheck that wrote it`,
    )
  }
  if (!Array.isArray(doc.trace) || typeof doc.initialState !== 'object') {
    throw new FileError('FC405', argv.file, undefined, 'trace', `has no trace to replay (its verdict is ${String(doc.verdict)})`)
  }
  const { model, narrator, changed } = modelOf(doc, argv.file, argv.quiet)
  const trace: Trace = { ...traceOf(doc.initialState, doc.trace), ...(typeof doc.loop === 'number' ? { loop: doc.loop } : {}) }
  if (doc.evidence !== undefined && !Array.isArray(doc.evidence)) throw new FileError('FC406', argv.file, undefined, 'evidence', 'is not a list of traces')
  const evidence = ((doc.evidence ?? []) as unknown[]).map((x, i) => {
    const e = (typeof x === 'object' && x !== null ? x : {}) as { label?: unknown; initialState?: unknown; trace?: unknown }
    if (!Array.isArray(e.trace) || typeof e.initialState !== 'object') {
      throw new FileError('FC406', argv.file, undefined, `evidence.${i}`, 'is not a trace (it needs label, initialState and trace)')
    }
    return { label: typeof e.label === 'string' ? e.label : `evidence ${i + 1}`, trace: traceOf(e.initialState, e.trace) }
  })
  const p = doc.property as { name?: unknown; kind?: unknown } | undefined
  const property = typeof p?.name === 'string' ? { name: p.name, ...(typeof p.kind === 'string' ? { kind: p.kind } : {}) } : undefined
  const res = replay(model, trace, property, { evidence })
  // Why the end state is bad, in the model's words: the checker confirms, the narrator explains.
  const explanation = res.badState && narrator.explain ? narrator.explain(res.badState) : []
  if (!argv.quiet) for (const line of [...res.log, ...explanation.map((l) => `  ${l}`)]) process.stdout.write(line + '\n')
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
function modelOf(doc: Record<string, unknown>, file: string, quiet: boolean): NarratedModel<Action> & { changed: boolean } {
  const sc = doc.scenario as { file?: string } | undefined
  if (sc?.file) {
    const beside = resolve(dirname(file), sc.file)
    const path = existsSync(sc.file) ? sc.file : existsSync(beside) ? beside : undefined
    if (!path) {
      throw new FileError(
        'FC407',
        file,
        undefined,
        'scenario.file',
        `names ${sc.file}, which is found neither in the working directory nor beside the result (${beside})`,
      )
    }
    const now = hashText(readFileSync(path, 'utf8'))
    const recorded = doc.scenarioHash
    const changed = typeof recorded === 'string' && recorded !== now
    if (changed)
      process.stderr.write(
        `fencecheck: FC501 ${file}: warning: the scenario ${path} changed since the trace was recorded (text hash ${recorded} then, ${now} now); replaying against it as it is now\n`,
      )
    else if (typeof recorded !== 'string' && !quiet)
      process.stderr.write(`fencecheck: FC502 ${file}: note: the result records no scenario hash, so whether ${path} changed since cannot be told\n`)
    const loaded = loadScenario(path)
    return { model: loaded.model, narrator: loaded.narrator, changed }
  }
  const m = doc.model as { name?: string; params?: Record<string, unknown> } | undefined
  if (!m?.name) throw new FileError('FC408', file, undefined, 'model', 'names no model')
  return { ...buildNarrated(m.name, m.params ?? {}, `${file}: model.params`), changed: false }
}
