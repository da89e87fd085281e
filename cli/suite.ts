/**
 * `fencecheck suite [DIR]`: every scenario under DIR (the bundled ones by default) checked
 * against its pinned expectation, a verdict table on stdout, and a report folder with an index
 * page and each scenario's HTML trace viewer and Markdown report. A file that cannot be loaded is
 * a row of its own (with its error) and the suite goes on. Exits 2 if any file could not be
 * loaded, else 1 if any verdict differs from its expectation, else 0.
 */
import { statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { InputError } from '../checker/params.js'
import { EXIT, type Verdict } from '../checker/verdict.js'
import { loadScenario, type Scenario, scenarioFiles, unmet } from '../model/index.js'
import { writeReport, writeWhole } from '../report/files.js'
import { indexHtml, type IndexRow } from '../report/indexPage.js'
import type { ArgsOf, GlobalArgv } from './options.js'
import { run } from './search.js'
import { fitTable, wrap } from './table.js'
import { SCENARIO_DIR, scenarioTarget } from './target.js'

export const command = 'suite [dir]'
export const describe = 'run every bundled scenario and print a verdict table; exits 1 if any verdict differs from its expectation'

export function builder(y: GlobalArgv) {
  return y
    .positional('dir', { type: 'string', describe: 'scenario folder, searched recursively for *.yaml (default: the bundled scenarios/)' })
    .option('reports', { type: 'string', default: 'reports', describe: "folder for index.html and each scenario's HTML and Markdown report" })
}

export type SuiteArgs = ArgsOf<typeof builder>

/** The width of the table: COLUMNS, else the terminal's, else 100. */
function width(): number {
  const env = Number(process.env.COLUMNS)
  if (Number.isInteger(env) && env >= 40) return env
  return process.stdout.isTTY && process.stdout.columns >= 40 ? process.stdout.columns : 100
}

/** A verdict in a few words, naming a violated property by its id. */
function shortVerdict(v: Verdict, sc: Scenario): string {
  if (v.status === 'violated') {
    const all = [...sc.model.properties, ...(sc.model.deadlock ? [sc.model.deadlock] : [])]
    const id = all.find((p) => p.name === v.property.name)?.id ?? v.property.name
    return `violated: ${id} (${v.traceLength})`
  }
  return v.status === 'inconclusive' ? `inconclusive: ${v.cutBy}` : 'proved'
}

export async function handler(argv: SuiteArgs): Promise<number> {
  const dir = argv.dir ?? SCENARIO_DIR
  let isDir: boolean
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    isDir = false
  }
  if (!isDir) throw new InputError('FC251', `${dir}: no such folder; suite takes a folder of scenario files (default: the bundled scenarios/)`)
  const files = scenarioFiles(dir).map((f) => relative(process.cwd(), f) || f)
  if (files.length === 0) throw new InputError('FC250', `no scenario files under ${dir}`)
  const shown = (f: string): string => (relative(dir, f) || f).replace(/\.ya?ml$/, '')
  const outDir = argv.reports
  const rows: string[][] = []
  const details: (string | undefined)[] = []
  const index: IndexRow[] = []
  let failures = 0
  let broken = 0
  for (const file of files) {
    let sc: Scenario
    try {
      sc = loadScenario(file)
    } catch (e) {
      if (!(e instanceof InputError)) throw e
      broken++
      rows.push(['ERROR', shown(file), 'not loaded', '-', '-'])
      details.push(`${e.code} ${e.message}`)
      continue
    }
    const r = scenarioTarget(sc, file, file)
    const report = run(r, true)
    const v = report.verdict
    const computed = shortVerdict(v, sc)
    const e = sc.expect
    const expected = e ? `${e.verdict}${e.property ? `: ${e.property}` : ''}${e.traceLength !== undefined ? ` (${e.traceLength})` : ''}` : '(none)'
    const problems = e
      ? unmet(e, { status: v.status, sometimes: v.sometimes, ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}) })
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
      problems.length ? 'MISMATCH' : 'ok',
      shown(file),
      computed,
      v.stats.distinctStates.toLocaleString('en-US'),
      `${(v.stats.timeMs / 1000).toFixed(2)}s`,
    ])
    details.push(problems.length ? `expected ${expected}: ${problems.join('; ')}` : undefined)
  }
  writeWhole(join(outDir, 'index.html'), indexHtml(index))
  const w = width()
  const table = fitTable(['result', 'scenario', 'verdict', 'states', 'time'], rows, w, 1)
  const out = [table[0]!, table[1]!]
  rows.forEach((_, i) => {
    out.push(table[i + 2]!)
    const d = details[i]
    if (d) out.push(...wrap(d, w, '    '))
  })
  const loaded = files.length - broken
  out.push('', `${loaded - failures} of ${files.length} scenarios meet their expectation${broken ? `; ${broken} could not be loaded` : ''}`)
  out.push(`reports: ${join(outDir, 'index.html')}`)
  process.stdout.write(out.join('\n') + '\n')
  return broken ? EXIT.badInput : failures === 0 ? 0 : EXIT.violated
}
