/**
 * `check --all-violations`: one shortest counterexample per violated property, in one command.
 *
 * The search runs breadth-first until a property is violated, then goes on for the properties not
 * yet violated, until all are violated or the bounded space is done. Each round searches again
 * with the violated properties set aside (as `--skip-property` would): in breadth-first order the
 * first state that violates any of the remaining properties is the first that violates the one it
 * violates, so each trace is that property's shortest, the very trace `--property ID` finds, and it
 * replays as any other. The round that finds no violation decides the rest: they hold (or the
 * bounds cut the search), and the summary says which.
 */
import type { Action, Model } from '../checker/model.js'
import { InputError } from '../checker/params.js'
import type { Verdict } from '../checker/verdict.js'
import { headline } from '../checker/verdict.js'
import type { Report } from '../report/report.js'
import type { SearchFlags } from './options.js'
import { loadTargets, type Resolved, resolveTarget } from './target.js'

export interface AllViolations {
  /** one report per violated property, in the order the search found them (shortest first) */
  readonly violations: readonly Report[]
  /** the verdict of the last round, on the properties never violated */
  readonly rest: Verdict
}

/** The id a property is selected by (its name when it has none). */
function idOf(model: Model<Action>, name: string): string {
  return model.properties.find((p) => p.name === name)?.id ?? (model.deadlock?.name === name ? (model.deadlock.id ?? 'deadlock') : name)
}

/** Search `target` round by round until no property is left to violate; `search` runs one round. */
export async function allViolations(target: string, flags: SearchFlags, search: (r: Resolved) => Report | Promise<Report>): Promise<AllViolations> {
  if (flags.order === 'dfs')
    throw new InputError('FC228', '--all-violations runs a breadth-first search, for shortest traces (drop --order dfs)', '--all-violations')
  await loadTargets([target])
  const skip = [...(flags['skip-property'] ?? [])]
  const violations: Report[] = []
  for (;;) {
    const r = resolveTarget(target, { ...flags, 'skip-property': skip })
    const report = await search(r)
    const v = report.verdict
    if (v.status !== 'violated') return { violations, rest: v }
    const id = idOf(r.model, v.property.name)
    // The command that finds exactly this trace: the same search, for this property alone.
    const alone = resolveTarget(target, { ...flags, property: [id], 'skip-property': [] })
    violations.push({ ...report, reproduce: alone.reproduce })
    if (skip.includes(id)) throw new Error(`--all-violations: property '${id}' was violated again after it was set aside`)
    skip.push(id)
  }
}

/** What the rounds found, in a few lines: the violated properties and what holds of the others. */
export function allViolationsSummary(a: AllViolations): string {
  const names = a.violations.map((r) =>
    r.verdict.status === 'violated' ? `${r.verdict.property.name} (${r.verdict.traceLength} step${r.verdict.traceLength === 1 ? '' : 's'})` : '',
  )
  const lines = [
    `all violations: ${a.violations.length} propert${a.violations.length === 1 ? 'y' : 'ies'} violated${names.length ? `: ${names.join('; ')}` : ''}`,
  ]
  const rest = a.rest
  const others = rest.checked.filter((p) => !a.violations.some((r) => r.verdict.status === 'violated' && r.verdict.property.name === p.name))
  if (others.length === 0) lines.push('no other property was checked')
  else if (rest.status === 'proved')
    lines.push(
      `the other ${others.length} hold in all ${rest.stats.distinctStates.toLocaleString('en-US')} reachable states: ${others.map((p) => p.name).join('; ')}`,
    )
  else lines.push(`the other ${others.length}: ${headline(rest)} (${rest.status === 'inconclusive' ? rest.detail : ''})`)
  return lines.join('\n')
}

/** `FILE.ext` as `FILE.ID.ext` for the report of one violated property (`x.itf.json` as `x.ID.itf.json`). */
export function perProperty(file: string, r: Report): string {
  const id = r.verdict.status === 'violated' ? idOf(r.subject.model, r.verdict.property.name).replace(/[^A-Za-z0-9_-]+/g, '-') : 'result'
  const m = /(\.itf\.json|\.[A-Za-z0-9]+)$/.exec(file)
  return m ? `${file.slice(0, m.index)}.${id}${m[1]}` : `${file}.${id}`
}
