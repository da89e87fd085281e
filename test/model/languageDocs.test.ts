/**
 * The step language's reference cannot drift from the op modules: docs/language.md and README.md's
 * step list are the generated text, the published schema describes every key the parser accepts,
 * and every key of the step language is documented.
 */
import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SCENARIO_SCHEMA } from '../../model/index.js'
import { languageMarkdown, withStepList } from '../../model/gpu/ops/docs.js'
import { OPS, STEP_KEYS, syntaxOf } from '../../model/gpu/ops/index.js'
import { ROOT } from '../root.js'

const regenerate = 'regenerate with: npm run build && node dist/model/gpu/ops/writeDocs.js'

test('docs/language.md is the text generated from the op modules', (t) => {
  t.is(readFileSync(join(ROOT, 'docs', 'language.md'), 'utf8'), languageMarkdown(), regenerate)
})

test("README.md's step list is the text generated from the op modules", (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  t.is(withStepList(readme), readme, regenerate)
})

test('the published schema describes every step key and its modifiers', (t) => {
  const step = (SCENARIO_SCHEMA.definitions as unknown as { step: { anyOf: { required?: string[]; enum?: string[]; properties?: Record<string, unknown> }[] } })
    .step
  const objects = step.anyOf.filter((x) => x.required)
  t.deepEqual(
    objects.map((x) => x.required![0]),
    [...STEP_KEYS],
  )
  for (const o of objects) {
    const key = o.required![0]!
    t.deepEqual(Object.keys(o.properties!).sort(), [key, ...Object.keys(syntaxOf(key)!.modifiers ?? {})].sort(), key)
  }
  const bare = step.anyOf.find((x) => x.enum)!.enum!
  t.deepEqual(
    bare,
    STEP_KEYS.filter((k) => syntaxOf(k)!.bare),
  )
})

test('every key is documented in docs/language.md and cites its kernel functions where it models one', (t) => {
  const doc = languageMarkdown()
  for (const k of STEP_KEYS) t.true(doc.includes(`\`${k}`), k)
  for (const op of OPS) if (op.ops.length > 0 && op.syntax[0]?.key !== 'use') t.true(op.cite.length > 0, op.syntax[0]?.key ?? op.ops[0])
})
