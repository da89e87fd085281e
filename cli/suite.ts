/**
 * `fencecheck suite [DIR]`: every scenario under DIR (the bundled ones by default) checked
 * against its pinned expectation, a verdict table on stdout, and a report folder with an index
 * page and each scenario's HTML trace viewer and Markdown report. Exits 1 if any verdict differs
 * from its expectation.
 */
import { join, relative } from 'node:path'
import { InputError } from '../checker/params.js'
import { EXIT } from '../checker/verdict.js'
import { loadScenario, scenarioFiles, unmet } from '../model/index.js'
import { writeReport, writeWhole } from '../report/files.js'
import { indexHtml, type IndexRow } from '../report/indexPage.js'
import type { ArgsOf, GlobalArgv } from './options.js'
import { run } from './search.js'
import { SCENARIO_DIR, scenarioTarget } from './target.js'

export const command = 'suite [dir]'
export const describe = 'run every bundled scenario and print a verdict table; exits 1 if any verdict differs from its expectation'

export function builder(y: GlobalArgv) {
  return y
    .positional('dir', { type: 'string', describe: 'scenario folder (default: the bundled scenarios/)' })
    .option('reports', { type: 'string', default: 'reports', describe: "folder for index.html and each scenario's HTML and Markdown report" })
}

export type SuiteArgs = ArgsOf<typeof builder>

export async function handler(argv: SuiteArgs): Promise<number> {
  const dir = argv.dir ?? SCENARIO_DIR
  const files = scenarioFiles(dir).map((f) => relative(process.cwd(), f) || f)
  if (files.length === 0) throw new InputError('FC250', `no scenario files under ${dir}`)
  const scenarios = files.map((f) => loadScenario(f))
  const outDir = argv.reports
  const rows: string[][] = [['scenario', 'model', 'expected', 'computed', 'states', 'time', 'result']]
  const index: IndexRow[] = []
  let failures = 0
  for (const sc of scenarios) {
    const file = relative(process.cwd(), sc.file)
    const r = scenarioTarget(sc, file, file)
    const target = r.target
    const report = run(r, true)
    const v = report.verdict
    const computed =
      v.status === 'violated' ? `violated: ${v.property.name} (${v.traceLength} steps)` : v.status === 'inconclusive' ? `inconclusive: ${v.cutBy}` : 'proved'
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
    index.push({
      file,
      name: sc.name,
      expected,
      computed,
      ok: problems.length === 0,
      states: v.stats.distinctStates,
      timeMs: v.stats.timeMs,
      reportHref: `${base}.html`,
      markdownHref: `${base}.md`,
    })
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
  const line = (r: string[]): string =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd()
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)]
  out.push('', `${scenarios.length - failures} of ${scenarios.length} scenarios meet their expectation`, `reports: ${join(outDir, 'index.html')}`)
  process.stdout.write(out.join('\n') + '\n')
  return failures === 0 ? 0 : EXIT.violated
}
