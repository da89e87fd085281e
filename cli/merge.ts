/**
 * `fencecheck merge FILE...`: the JSON results of swarm members (or of any runs of one target)
 * as one: a violation in any member is the verdict, the shortest trace winning; otherwise
 * coverage adds up, and missing swarm members are named.
 */
import { readFileSync } from 'node:fs'
import { FileError } from '../checker/params.js'
import { EXIT } from '../checker/verdict.js'
import { writeWhole } from '../report/files.js'
import type { ArgsOf, GlobalArgv } from './options.js'

export const command = 'merge <files..>'
export const describe = 'merge the JSON results of swarm members: any violation wins (the shortest), coverage adds up'

export function builder(y: GlobalArgv) {
  return y
    .positional('files', {
      type: 'string',
      array: true,
      default: undefined,
      describe: 'the JSON results (written with --out or --format json) of runs of one target, e.g. the members of a swarm',
    })
    .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
    .option('out', { type: 'string', describe: 'write the merged JSON result to this file' })
}

export type MergeArgs = ArgsOf<typeof builder>

export function handler(argv: MergeArgs): number {
  const docs = (argv.files ?? []).map((f) => {
    try {
      const d = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>
      if (d.format !== 'fencecheck-result') throw new Error('not a fencecheck result')
      return { file: f, d }
    } catch (e) {
      throw new FileError(
        'FC420',
        f,
        undefined,
        undefined,
        `${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}; merge takes results written with --format json or --out`,
      )
    }
  })
  // What a result is of, in words: its scenario file, or its model and parameters.
  const of = (d: Record<string, unknown>): string => {
    const file = (d.scenario as { file?: string } | undefined)?.file
    if (file) return `the scenario ${file}`
    const m = (d.model ?? {}) as { name?: unknown; params?: Record<string, unknown> }
    const params = Object.entries(m.params ?? {}).map(([k, v]) => `${k}=${String(v)}`)
    return `model ${String(m.name)}${params.length ? ` (${params.join(' ')})` : ''}`
  }
  const first = docs[0]!
  for (const { file, d } of docs)
    if (of(d) !== of(first.d))
      throw new FileError('FC421', file, undefined, undefined, `is a result for ${of(d)}, but ${first.file} is for ${of(first.d)}; merge results of one target`)
  const violated = docs.filter(({ d }) => d.verdict === 'violated').sort((a, b) => (a.d.traceLength as number) - (b.d.traceLength as number))
  const swarm = docs.map(({ d }) => d.swarm as { index: number; count: number } | undefined).filter((x) => x !== undefined)
  const count = swarm[0]?.count
  const missing = count !== undefined ? Array.from({ length: count }, (_, i) => i).filter((i) => !swarm.some((x) => x.index === i)) : []
  const cov = docs.map(
    ({ d }) => d.coverage as { walks: number; steps: number; distinctStates: number; actions: Record<string, number>; neverFired: string[] } | undefined,
  )
  const actions: Record<string, number> = {}
  for (const c of cov) for (const [a, n] of Object.entries(c?.actions ?? {})) actions[a] = (actions[a] ?? 0) + n
  const allProved = docs.every(({ d }) => d.verdict === 'proved')
  const verdict = violated.length ? 'violated' : allProved ? 'proved' : 'inconclusive'
  const merged = {
    format: 'fencecheck-merged-result',
    formatVersion: 1,
    verdict,
    members: docs.map(({ file, d }) => ({
      file,
      verdict: d.verdict,
      ...(d.swarm ? { swarm: d.swarm } : {}),
      ...(d.seed !== undefined ? { seed: d.seed } : {}),
    })),
    ...(missing.length ? { missingSwarmIndexes: missing } : {}),
    coverage: {
      walks: cov.reduce((n, c) => n + (c?.walks ?? 0), 0),
      steps: cov.reduce((n, c) => n + (c?.steps ?? 0), 0),
      distinctStatesUpperBound: docs.reduce(
        (n, { d }) => n + ((d.coverage as { distinctStates?: number } | undefined)?.distinctStates ?? (d.distinctStates as number | undefined) ?? 0),
        0,
      ),
      actions,
      neverFired: Object.entries(actions)
        .filter(([, n]) => n === 0)
        .map(([a]) => a),
    },
    ...(violated.length ? { violation: violated[0]!.d, foundBy: violated[0]!.file } : {}),
  }
  if (argv.out) writeWhole(argv.out, JSON.stringify(merged, null, 2) + '\n')
  if (argv.format === 'json') process.stdout.write(JSON.stringify(merged, null, 2) + '\n')
  else {
    const lines = [`merged ${docs.length} result(s): ${verdict.toUpperCase()}`]
    if (violated.length)
      lines.push(
        `shortest violation: ${String((violated[0]!.d.property as { name: string }).name)} in ${String(violated[0]!.d.traceLength)} steps, from ${violated[0]!.file}`,
        `reproduce: ${String(violated[0]!.d.reproduce)}`,
      )
    lines.push(
      `coverage: ${merged.coverage.walks} walks, ${merged.coverage.steps} steps, at most ${merged.coverage.distinctStatesUpperBound} distinct states (members may overlap)`,
    )
    if (merged.coverage.neverFired.length) lines.push(`never fired in any member: ${merged.coverage.neverFired.join(', ')}`)
    if (missing.length) lines.push(`FC503 warning: swarm members missing: ${missing.join(', ')} of ${count}`)
    process.stdout.write(lines.join('\n') + '\n')
  }
  return verdict === 'violated' ? EXIT.violated : verdict === 'proved' ? EXIT.proved : EXIT.inconclusive
}
