/**
 * The published scenario schema (`fencecheck schema scenario`) accepts every file the loader
 * accepts: each bundled scenario, the reference's scenarios and the test fixtures validate against
 * it, so the schema editors complete against cannot drift from the step parser. Where the parser
 * rejects a failure branch, the schema does too.
 */
import test from 'ava'
import { Ajv } from 'ajv'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parse } from 'yaml'
import { loadScenario, SCENARIO_SCHEMA, scenarioFiles } from '../../model/index.js'
import { ROOT } from '../root.js'

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(SCENARIO_SCHEMA)
const BUNDLED = scenarioFiles(join(ROOT, 'scenarios'))
// The test-only hmm reference's files (model: hmm, params:) are not loadable by `fencecheck check`,
// but they are the same file format: the schema must accept them too.
const REFERENCE = [...scenarioFiles(join(ROOT, 'test', 'reference', 'hmm', 'scenarios')), ...scenarioFiles(join(ROOT, 'test', 'fixtures'))]
const deepest = () =>
  [...(validate.errors ?? [])]
    .filter((e) => e.keyword !== 'anyOf')
    .sort((a, b) => b.instancePath.length - a.instancePath.length)
    .map((e) => `${e.instancePath} ${e.message}`)[0]

test('there are bundled scenarios to validate', (t) => {
  t.true(BUNDLED.length > 100)
  t.true(REFERENCE.length > 0)
})

for (const file of [...BUNDLED, ...REFERENCE]) {
  test(`the published schema accepts ${relative(ROOT, file)}`, (t) => {
    if (BUNDLED.includes(file)) t.notThrows(() => loadScenario(file), 'the loader accepts it')
    t.true(validate(parse(readFileSync(file, 'utf8'))), deepest())
  })
}

/** A one-thread design whose thread runs `steps`. */
const design = (steps: string) => `name: t
about: one thread
locks: [{ name: a }, { name: b }]
memory: { system: 1 }
threads:
  - name: T
    steps:
${steps}
`
const dir = mkdtempSync(join(tmpdir(), 'fencecheck-schema-'))
const accepts = (yaml: string, n: number): { loader: boolean; schema: boolean } => {
  const file = join(dir, `t${n}.yaml`)
  writeFileSync(file, yaml)
  let loader = true
  try {
    loadScenario(file)
  } catch {
    loader = false
  }
  return { loader, schema: validate(parse(yaml)) }
}

const forms: [string, boolean][] = [
  ...['skip', 'retry', 'fail', '-EBUSY', '-EAGAIN', '-EDEADLK', '-EINTR'].map((o): [string, boolean] => [
    `- { trylock: a, else: ${o} }\n      - { unlock: a }`,
    true,
  ]),
  ['- { lock: b }\n      - { trylock: a, else: [{ unlock: b }, -EDEADLK] }\n      - { unlock: a }\n      - { unlock: b }', true],
  ['- { alloc: GFP_KERNEL, else: [{ lock: b }, { unlock: b }] }', true],
  ['- { if: { holds: a }, then: -EBUSY }', true],
  ['- { if: { holds: a }, then: [{ lock: b }, { unlock: b }] }', true],
  ['- { trylock: a, else: bogus }', false],
  ['- { trylock: a, else: -ENOMEM }', false],
  ['- { trylock: a, else: [] }', false],
  ['- { trylock: a, else: [{ frobnicate: b }] }', false],
  ['- { trylock: a, else: 3 }', false],
  ['- { if: { holds: a }, then: retry }', false],
]
for (const [n, [steps, ok]] of forms.entries()) {
  test(`loader and schema agree on ${steps.replace(/\n\s*/g, ' ')}`, (t) => {
    t.deepEqual(accepts(design(`      ${steps}`), n), { loader: ok, schema: ok })
  })
}
