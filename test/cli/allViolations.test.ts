/**
 * `check --all-violations`: one shortest trace per violated property. The oracle is the checker
 * run once per property (`--property ID`): a property is in the list exactly when it is violated
 * alone, with the same trace length, and every written trace replays.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { allViolations, perProperty } from '../../cli/allViolations.js'
import { run } from '../../cli/search.js'
import { loadTargets, resolveTarget } from '../../cli/target.js'
import { CLI, ROOT } from '../root.js'

const S08B = join(ROOT, 'scenarios/gpu/s08b-hmm-dep-under-resv.yaml')
const S11B = join(ROOT, 'scenarios/gpu/s11b-rule4.yaml')

for (const file of [S08B, S11B]) {
  test(`${file.split('/').pop()!}: the violated properties are those violated one by one, with their shortest lengths`, async (t) => {
    const a = await allViolations(file, {}, (r) => run(r, true))
    await loadTargets([file])
    const found = new Map(a.violations.map((r) => [r.verdict.status === 'violated' ? r.verdict.property.name : '', r.verdict]))
    t.true(found.size >= 2, 'the scenario violates more than one property')
    const model = resolveTarget(file, {}).model
    const ids = [...new Set(model.properties.filter((p) => p.kind !== 'sometimes').map((p) => p.id ?? p.name))]
    let violatedAlone = 0
    for (const id of ids) {
      const alone = run(resolveTarget(file, { property: [id] }), true).verdict
      if (alone.status === 'violated') {
        violatedAlone++
        const v = found.get(alone.property.name)
        t.truthy(v, `${id} is violated alone, so it is listed`)
        t.is(v?.status === 'violated' ? v.traceLength : -1, alone.traceLength, `${id}: the same shortest length`)
      } else {
        t.false(
          [...found.keys()].some((n) => model.properties.find((p) => p.name === n)?.id === id),
          `${id} holds alone, so it is not listed`,
        )
      }
    }
    // The last round checks what is left: it explores the whole space and proves the rest, or, when
    // every property is violated, checks nothing and says so (never PROVED for 0 properties).
    if (violatedAlone === ids.length) t.is(a.rest.status, 'inconclusive', 'every property is violated: the last round checks none')
    else t.is(a.rest.status, 'proved', 'the last round explores the whole space')
  })
}

test('FILE.ext becomes FILE.ID.ext, one file per violated property', async (t) => {
  const a = await allViolations(S08B, {}, (r) => run(r, true))
  t.deepEqual(
    a.violations.map((r) => perProperty('out/x.itf.json', r)),
    ['out/x.rule-6.itf.json', 'out/x.rule-5.itf.json'],
  )
  t.is(perProperty('x.json', a.violations[0]!), 'x.rule-6.json')
})

test('check --all-violations --out writes one result per violated property, and each replays', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-all-'))
  try {
    const r = spawnSync(process.execPath, [CLI, 'check', S08B, '--all-violations', '--quiet', '--out', join(dir, 'x.json')], { encoding: 'utf8' })
    t.is(r.status, 1, r.stderr)
    t.true(r.stdout.includes('all violations: 2 properties violated'))
    const files = readdirSync(dir).sort()
    t.deepEqual(files, ['x.rule-5.json', 'x.rule-6.json'])
    for (const f of files) {
      const p = spawnSync(process.execPath, [CLI, 'replay', join(dir, f), '--quiet'], { encoding: 'utf8' })
      t.is(p.status, 0, `${f}: the trace replays (${p.stderr})`)
      t.true(p.stdout.includes('confirmed'), f)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('--all-violations refuses a depth-first search (FC228), before any work', (t) => {
  const r = spawnSync(process.execPath, [CLI, 'check', S08B, '--all-violations', '--order', 'dfs'], { encoding: 'utf8' })
  t.is(r.status, 2)
  t.true(r.stderr.includes('FC228'), r.stderr)
})
