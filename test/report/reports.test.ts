import test from 'ava'
import { Ajv } from 'ajv'
import { join, relative } from 'node:path'
import { explore } from '../../checker/explore.js'
import type { Bounds } from '../../checker/verdict.js'
import { buildNarrated } from '../../model/registry.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { toJson } from '../../report/json.js'
import { toPlainText } from '../../report/mail.js'
import { toMarkdown } from '../../report/markdown.js'
import { findingsOf, makeReport, type Report } from '../../report/report.js'
import { RESULT_SCHEMA } from '../../report/resultSchema.js'
import { renderSvg } from '../../report/svg.js'
import { ROOT } from '../root.js'

function scenarioReport(path: string, bounds?: Bounds): Report {
  const file = relative(ROOT, path)
  const sc = loadScenario(path)
  const x = explore(sc.model, { order: sc.order, bounds: bounds ?? sc.bounds, symmetry: sc.symmetry })
  return makeReport(
    { target: file, model: sc.model.name, params: { ...sc.model.params }, scenario: { file, name: sc.name, about: sc.about } },
    sc,
    findingsOf(x),
    'fencecheck check ' + file,
  )
}

const gpu = (name: string): string => join(ROOT, 'scenarios', 'gpu', name)
const all: [string, Report][] = scenarioFiles(join(ROOT, 'scenarios')).map((f) => [relative(ROOT, f), scenarioReport(f)])
const s1 = all.find(([f]) => f.endsWith('s01-fault-vs-reclaim-naive.yaml'))![1]

const validateResult = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(RESULT_SCHEMA)
const asWritten = (r: Report): unknown => JSON.parse(JSON.stringify(toJson(r)))

for (const [name, r] of all) {
  test(`--format json of ${name} matches the published result schema`, (t) => {
    t.true(validateResult(asWritten(r)), JSON.stringify(validateResult.errors, null, 1))
  })
}

test('the result schema also covers built-in models and inconclusive verdicts', (t) => {
  const r1 = buildNarrated('r1', ['C=1', 'G=1', 'K=1', 'M=0', 'POLICY=naive'])
  const r = makeReport({ target: 'r1', model: r1.model.name, params: { ...r1.model.params } }, r1, findingsOf(explore(r1.model)), 'fencecheck check r1')
  t.true(validateResult(asWritten(r)), JSON.stringify(validateResult.errors))
  const cut = scenarioReport(gpu('s05-engine-flush.yaml'), { maxDepth: 2, maxMemoryBytes: 2 ** 31 })
  t.is(cut.verdict.status, 'inconclusive')
  t.true(validateResult(asWritten(cut)), JSON.stringify(validateResult.errors))
})

test('the result schema is exact: unknown keys, missing keys and inconsistent verdicts are refused', (t) => {
  const doc = asWritten(s1) as Record<string, unknown>
  t.false(validateResult({ ...doc, extra: 1 }))
  const { trace: _trace, ...noTrace } = doc
  t.false(validateResult(noTrace))
  t.false(validateResult({ ...doc, verdict: 'proved' }))
  t.false(validateResult({ ...doc, formatVersion: 99 }))
})

test("S1's Markdown: verdict and scope first, then the story and the wait-for cycle, in under 60 lines", (t) => {
  const md = toMarkdown(s1, { waitFor: '<svg/>' }, 'report/s01')
  const lines = md.split('\n')
  const head = lines.slice(0, 5).join('\n')
  t.regex(head, /VIOLATED: deadlock/)
  t.regex(head, /violation found after \d+ states \(BFS, bounds: none\)/)
  // the numbered trace in kernel vocabulary, changes indented under their step
  t.regex(md, /^1\. \*\*kernel job g0\*\*: dependencies signalled/m)
  t.regex(md, /^4\. \*\*compute job k1\*\*: GPU page fault/m)
  t.regex(md, /^9\. \*\*fault_handler\*\*: dma_resv_wait_timeout/m)
  t.regex(md, /^ {3}- job k1: ready -> running$/m)
  // the design under review and the cycle
  t.true(md.includes(s1.target.scenario!.about))
  t.regex(md, /```text\nwait-for cycle:\n(.*\n)*?\s*-> back to thread fault_handler\n/)
  const top = lines.slice(0, lines.indexOf('## Statistics'))
  t.true(top.length > 20 && top.length < 60, `top part has ${top.length} lines`)
  // graphs: the image the caller writes, and the DOT source in a collapsed block
  t.true(md.includes('![wait-for graph](report/s01-waitfor.svg)'))
  t.regex(md, /<details>\n<summary>wait-for graph[^\n]*<\/summary>\n\n```dot\ndigraph waitfor \{/)
  // details after the story
  t.true(md.indexOf('## Rules checked') > md.indexOf('## Statistics'))
  t.regex(md, /\| \*\*deadlock\*\* \(violated\) \| invariant \| .*dma-fence\.c/)
  t.regex(md, /```sh\nfencecheck check scenarios\/gpu\/s01-fault-vs-reclaim-naive\.yaml\n```/)
  // without SVG text there is no image, but the DOT is still there
  const plain = toMarkdown(s1)
  t.false(plain.includes('!['))
  t.true(plain.includes('digraph waitfor'))
})

test('a proved scenario states PROVED and its bounds at the top', (t) => {
  const r = scenarioReport(gpu('s02-cu-reservation.yaml'), { maxDepth: 100, maxMemoryBytes: 2 ** 31 })
  t.is(r.verdict.status, 'proved')
  const head = toMarkdown(r).split('\n').slice(0, 5).join('\n')
  t.regex(
    head,
    /\*\*PROVED within bounds(, for the \d+ properties checked)?\*\* — all \d+ reachable states explored \(BFS, bounds: depth <= 100, memory <= 2 GiB/,
  )
  const text = toPlainText(r)
  t.regex(text.split('\n').slice(0, 6).join('\n'), /PROVED within bounds(, for the \d+ properties checked)? - all \d+ reachable\s+states explored/)
  t.regex(text, /bounds: depth <= 100/)
})

test('lock-order evidence is told step by step in both formats', (t) => {
  const r = all.find(([f]) => f.endsWith('s13b-textbook-lockdep.yaml'))![1]
  const md = toMarkdown(r)
  t.true(md.includes('## Lock-order evidence'))
  for (const e of r.evidence) t.true(md.includes(`**Edge \`${e.label}\`**`))
  t.true(md.includes('lock-order graph (Graphviz DOT)'))
  const text = toPlainText(r)
  for (const e of r.evidence) t.true(text.includes(`Edge ${e.label}`))
})

test('renderSvg draws DOT offline, including the wait-for graph of S1', async (t) => {
  const small = await renderSvg('digraph { a -> b }')
  t.true(small.includes('<svg'))
  const wf = await renderSvg(s1.graphs.waitFor!)
  t.true(wf.includes('<svg'))
  t.true(wf.includes('fault_handler'))
  await t.throwsAsync(renderSvg('digraph { a -> }'), { message: /Graphviz could not render/ })
})

test('plain text: no line over 100 columns, no Markdown, the cycle as text', (t) => {
  for (const [name, r] of all) {
    const text = toPlainText(r)
    const long = text.split('\n').filter((l) => l.length > 100)
    t.deepEqual(long, [], name)
    t.false(/\*\*|```|<details>|^#/m.test(text), name)
  }
  const text = toPlainText(s1)
  t.regex(text.split('\n').slice(0, 5).join('\n'), /VIOLATED: deadlock - violation found after/)
  t.regex(text, /wait-for cycle:\n {4}thread fault_handler waits on dma_fence g0/)
  t.regex(text, /^ {2}9\. fault_handler: dma_resv_wait_timeout/m)
})
