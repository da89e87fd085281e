import test from 'ava'
import { Ajv } from 'ajv'
import { join, relative } from 'node:path'
import { explore } from '../../checker/explore.js'
import { formatAction } from '../../checker/model.js'
import { buildNarrated } from '../../model/registry.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { ACTION_TAKEN, evidenceItf, NONDET_PICKS, toItf } from '../../report/itf.js'
import { parseItf } from '../../report/itfRead.js'
import { ITF_SCHEMA, itfShapeErrors } from '../../report/itfSchema.js'
import { findingsOf, makeReport, type Report } from '../../report/report.js'
import { ROOT } from '../root.js'

function scenarioReport(file: string): Report {
  const sc = loadScenario(file)
  const x = explore(sc.model, { order: sc.order, bounds: sc.bounds, symmetry: sc.symmetry })
  return makeReport(
    { target: file, model: sc.model.name, params: { ...sc.model.params }, scenario: { file, name: sc.name, about: sc.about } },
    sc,
    findingsOf(x),
    'fencecheck check ' + file,
  )
}

function r1Report(): Report {
  const r1 = buildNarrated('r1', ['C=1', 'G=1', 'K=1', 'M=0', 'POLICY=naive'])
  const x = explore(r1.model)
  return makeReport({ target: 'r1', model: r1.model.name, params: { ...r1.model.params } }, r1, findingsOf(x), 'fencecheck check r1')
}

const validateSchema = new Ajv({ allErrors: true, strict: true }).compile(ITF_SCHEMA)
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T

const violated: [string, Report][] = [
  ...scenarioFiles(join(ROOT, 'scenarios')).map((f) => [relative(ROOT, f), scenarioReport(f)] as [string, Report]),
  ['r1 POLICY=naive (built-in)', r1Report()] as [string, Report],
].filter(([, r]) => r.verdict.status === 'violated')

/** The report's trace, decoded back from ITF text, is the trace: states, action names and parameters. */
function checkRoundTrip(
  t: import('ava').ExecutionContext,
  doc: object,
  trace: NonNullable<Report['trace']>,
  params: Record<string, string | number> = {},
): void {
  t.deepEqual(itfShapeErrors(copy(doc)), [])
  t.true(validateSchema(copy(doc)), JSON.stringify(validateSchema.errors))
  const parsed = parseItf(JSON.stringify(doc))
  const expected = [trace.initialState, ...trace.steps.map((s) => s.state)]
  t.is(parsed.states.length, expected.length)
  t.deepEqual(parsed.vars, [...Object.keys(trace.initialState), ACTION_TAKEN, NONDET_PICKS])
  parsed.states.forEach((s, i) => {
    const want = expected[i]!
    const model = Object.fromEntries(
      Object.keys(s)
        .filter((k) => k in want)
        .map((k) => [k, s[k]]),
    )
    t.deepEqual(model, want, `state ${i}`)
    const extra = Object.keys(s).filter((k) => !(k in want) && k !== ACTION_TAKEN && k !== NONDET_PICKS)
    t.deepEqual(extra, i === 0 ? Object.keys(params) : [], `state ${i} holds only vars (and, initially, params)`)
    t.is(parsed.stateMeta[i]!.index, i)
  })
  t.deepEqual(
    parsed.states.map((s) => s[ACTION_TAKEN]),
    ['init', ...trace.steps.map((s) => s.action.name)],
  )
  trace.steps.forEach((st, i) => {
    const picks = parsed.states[i + 1]![NONDET_PICKS] as Record<string, { tag: string; value: unknown }>
    const chosen = Object.fromEntries(
      Object.entries(picks)
        .filter(([, p]) => p.tag === 'Some')
        .map(([k, p]) => [k, p.value]),
    )
    const { name: _name, ...args } = st.action
    t.deepEqual(chosen, args, `step ${i + 1} parameters`)
    t.true(Object.values(picks).every((p) => p.tag === 'Some' || p.tag === 'None'))
    t.is(parsed.stateMeta[i + 1]!.action, formatAction(st.action))
  })
  for (const [k, v] of Object.entries(params)) t.is(parsed.states[0]![k], v)
}

for (const [name, r] of violated) {
  test(`ITF of ${name}: valid shape, schema, and round-trips to the report's trace`, (t) => {
    const doc = toItf(r)
    const meta = doc['#meta']
    t.is(meta.format, 'ITF')
    t.is(meta.status, 'violation')
    t.is(meta.property, r.verdict.status === 'violated' ? r.verdict.property.name : undefined)
    const types = meta.varTypes as Record<string, string>
    t.deepEqual(Object.keys(types).sort(), [...doc.vars].sort())
    t.true(
      Object.values(types).every((ty) => /^(Int|Bool|Str|Seq\((Int|Bool|Str)\)|\{.*\})$/.test(ty)),
      JSON.stringify(types),
    )
    checkRoundTrip(t, doc, r.trace!, { ...r.target.params })
    // the actors of the narrative are carried along
    t.deepEqual(
      doc.states.slice(1).map((s) => (s['#meta'] as { actor?: string }).actor),
      r.narrative.map((n) => n.actor),
    )
    for (const [i, e] of evidenceItf(r).entries()) {
      t.is(e.label, r.evidence[i]!.label)
      checkRoundTrip(t, e.itf, r.evidence[i]!.trace)
    }
  })
}

const r1 = violated.find(([n]) => n.startsWith('r1 '))![1]

test('R1 parameters are ITF params, set in the initial state', (t) => {
  const doc = toItf(r1)
  t.deepEqual(doc.params, ['C', 'G', 'K', 'M', 'POLICY'])
  t.deepEqual(doc.states[0]!.C, { '#bigint': '1' })
  t.is(doc.states[0]!.POLICY, 'naive')
  t.is(doc.states[1]!.C, undefined)
  t.is((doc['#meta'].varTypes as Record<string, string>).kst, 'Seq(Str)')
  t.is((doc['#meta'].varTypes as Record<string, string>).cu, 'Seq(Bool)')
  t.is((doc['#meta'].varTypes as Record<string, string>).free, 'Int')
})

test('a lasso: toItf takes a loop index and checks it', (t) => {
  const n = r1.trace!.steps.length + 1
  const doc = toItf(r1, 1)
  t.is(doc.loop, 1)
  t.deepEqual(itfShapeErrors(copy(doc)), [])
  t.is(parseItf(JSON.stringify(doc)).loop, 1)
  t.throws(() => toItf(r1, n), { instanceOf: RangeError })
  t.throws(() => toItf(r1, -1), { instanceOf: RangeError })
})

test('a report without a counterexample gives an empty ITF trace with status ok', (t) => {
  const r = scenarioReport(join(ROOT, 'scenarios', 'gpu', 's02-cu-reservation.yaml'))
  t.is(r.verdict.status, 'proved')
  const doc = toItf(r)
  t.is(doc['#meta'].status, 'ok')
  t.deepEqual(doc.states, [])
  t.deepEqual(itfShapeErrors(copy(doc)), [])
})

// Rejections: each mistake is reported, with where it is.

const valid = (): Record<string, unknown> & { vars: unknown[]; states: Record<string, unknown>[] } => copy(toItf(r1)) as never

test('itfShapeErrors rejects a plain JSON number in a state', (t) => {
  const doc = valid()
  doc.states[1]!.free = 3
  const errs = itfShapeErrors(doc)
  t.true(
    errs.some((e) => e.startsWith('/states/1/free') && e.includes('plain JSON number')),
    errs.join('\n'),
  )
  t.false(validateSchema(doc))
  // nested too: inside a list
  const doc2 = valid()
  ;(doc2.states[0]!.wt as unknown[])[0] = -1
  t.true(itfShapeErrors(doc2).some((e) => e.startsWith('/states/0/wt/0') && e.includes('plain JSON number')))
})

test('itfShapeErrors rejects a state missing a var', (t) => {
  const doc = valid()
  delete doc.states[2]!.gst
  t.true(itfShapeErrors(doc).some((e) => e === "/states/2: var 'gst' has no value"))
  const doc2 = valid()
  delete doc2.states[0]!.POLICY
  t.true(itfShapeErrors(doc2).some((e) => e.includes("param 'POLICY'")))
})

test('itfShapeErrors rejects a loop index out of range or not an integer', (t) => {
  for (const loop of [-1, 1.5, 99, '0']) {
    const doc = valid()
    doc.loop = loop
    t.true(
      itfShapeErrors(doc).some((e) => e.startsWith('/loop')),
      `loop ${JSON.stringify(loop)}`,
    )
  }
  const ok = valid()
  ok.loop = 0
  t.deepEqual(itfShapeErrors(ok), [])
})

test('itfShapeErrors rejects vars that are not strings', (t) => {
  const doc = valid()
  doc.vars = [1, ...doc.vars]
  const errs = itfShapeErrors(doc)
  t.true(
    errs.some((e) => e.startsWith('/vars/0') && e.includes('not a string')),
    errs.join('\n'),
  )
  t.false(validateSchema(doc))
  const notArray = valid()
  ;(notArray as Record<string, unknown>).vars = 'free'
  t.true(itfShapeErrors(notArray).some((e) => e.startsWith('/vars')))
  t.deepEqual(itfShapeErrors([]), ['/: an ITF trace is a JSON object'])
})

test("itfShapeErrors rejects '#' keys where the ADR allows none, and malformed forms", (t) => {
  const a = valid()
  a.states[0]!['#index'] = { '#bigint': '0' }
  t.true(itfShapeErrors(a).some((e) => e.startsWith('/states/0/#index')))
  const b = valid()
  b['#states'] = []
  t.true(itfShapeErrors(b).some((e) => e.startsWith('/#states')))
  const c = valid()
  c.states[1]!.free = { '#bigint': '1.5' }
  t.true(itfShapeErrors(c).some((e) => e.startsWith('/states/1/free/#bigint')))
  const d = valid()
  d.states[1]!.free = { '#bigint': '1', extra: true }
  t.true(itfShapeErrors(d).length > 0)
  const e = valid()
  e.states[1]!.stray = true
  t.true(itfShapeErrors(e).some((x) => x.startsWith('/states/1/stray')))
  const f = valid()
  f.states[1]!.free = null
  t.true(itfShapeErrors(f).some((x) => x.startsWith('/states/1/free')))
})

test('a trace in the shape Quint writes (variants, #bigint, no params) passes the shape check', (t) => {
  const quint = {
    '#meta': {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: 'counter.qnt',
      status: 'ok',
      timestamp: 1700000000000,
    },
    vars: ['n', 'last', ACTION_TAKEN, NONDET_PICKS],
    states: [0, 1, 2].map((i) => ({
      '#meta': { index: i },
      n: { '#bigint': String(i) },
      last: i === 0 ? { tag: 'None', value: { '#tup': [] } } : { tag: 'Some', value: { '#bigint': String(i) } },
      [ACTION_TAKEN]: i === 0 ? 'init' : 'step',
      [NONDET_PICKS]: { by: i === 0 ? { tag: 'None', value: { '#tup': [] } } : { tag: 'Some', value: { '#bigint': '1' } } },
    })),
  }
  t.deepEqual(itfShapeErrors(quint), [])
  t.true(validateSchema(quint))
  t.deepEqual(parseItf(JSON.stringify(quint)).states[2]!.last, { tag: 'Some', value: 2 })
})

test('parseItf decodes every ITF form and refuses integers it cannot hold exactly', (t) => {
  const text = JSON.stringify({
    '#meta': { source: 'x' },
    vars: ['i', 's', 't', 'm', 'v', 'r', 'u', 'n'],
    states: [
      {
        '#meta': { index: 0 },
        i: { '#bigint': '-9007199254740991' },
        s: { '#set': [{ '#bigint': '1' }, { '#bigint': '2' }] },
        t: { '#tup': ['a', true] },
        m: { '#map': [[{ '#bigint': '1' }, 'one']] },
        v: { tag: 'Some', value: { '#bigint': '7' } },
        r: { f: [false] },
        u: { tag: 'UNIT' },
        n: 5,
      },
    ],
  })
  const p = parseItf(text)
  t.deepEqual(p.states[0], {
    i: -9007199254740991,
    s: [1, 2],
    t: ['a', true],
    m: new Map([[1, 'one']]),
    v: { tag: 'Some', value: 7 },
    r: { f: [false] },
    u: [],
    n: 5,
  })
  t.deepEqual(p.meta, { source: 'x' })
  t.deepEqual(p.stateMeta, [{ index: 0 }])
  t.throws(() => parseItf('{"vars":["x"],"states":[{"x":{"#bigint":"9007199254740993"}}]}'), { instanceOf: RangeError })
  t.throws(() => parseItf('{"vars":["x"],"states":[{"x":1.5}]}'), { instanceOf: RangeError })
  t.throws(() => parseItf('{"vars":["x"],"states":[],"loop":0}'), { instanceOf: RangeError })
  t.throws(() => parseItf('{"states":[]}'))
})
