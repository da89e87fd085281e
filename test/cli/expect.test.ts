/**
 * How scenario files spell what the command line spells: `expect.property` by the property's id
 * (as `properties:` and `--property` take it), `search.maxTime` as a duration (as `--max-time`
 * takes it); and `check` holding a scenario to its `expect:` as `suite` does, with an exit code of
 * its own when the verdict differs or the proof is vacuous.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadScenario } from '../../model/scenario.js'
import { CLI, ROOT } from '../root.js'

const dir = mkdtempSync(join(tmpdir(), 'fencecheck-expect-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** S13b (a lock-order inversion) with its expect: block replaced. */
function s13b(name: string, expect: string, extra = ''): string {
  const text = readFileSync(join(ROOT, 'scenarios/gpu/s13b-textbook-lockdep.yaml'), 'utf8')
  const f = join(dir, name)
  writeFileSync(f, text.replace(/^expect:[\s\S]*$/m, `${extra}expect:\n${expect}\n`))
  return f
}

test('expect.property takes the id, as properties: does', (t) => {
  const sc = loadScenario(s13b('by-id.yaml', '  verdict: violated\n  property: lock-order'))
  t.is(sc.expect?.property, 'lock-order')
  t.deepEqual(sc.warnings, [])
  const r = cli('check', '--quiet', join(dir, 'by-id.yaml'))
  t.is(r.status, 1, 'met: the exit code is the verdict')
  t.regex(r.stdout, /^expect: met \(violated: lock-order\)$/m)
})

test('expect.property by the full name still loads, with a warning naming the id', (t) => {
  const f = s13b('by-name.yaml', '  verdict: violated\n  property: lock order (lockdep)')
  const sc = loadScenario(f)
  t.is(sc.expect?.property, 'lock-order')
  t.is(sc.warnings.length, 1)
  t.is(sc.warnings[0]!.code, 'FC510')
  const r = cli('check', '--quiet', f)
  t.is(r.status, 1)
  t.regex(
    r.stderr,
    /^fencecheck: FC510 .*by-name\.yaml:\d+: warning: expect\.property: 'lock order \(lockdep\)' is the property's full name; write its id, 'lock-order'/m,
  )
})

test('an unknown expect.property lists the ids', (t) => {
  const r = cli('check', '--quiet', s13b('unknown.yaml', '  verdict: violated\n  property: lock-orde'))
  t.is(r.status, 2)
  t.regex(r.stderr, /^fencecheck: FC125 .*expect\.property: no property named 'lock-orde'.*lock-order \(lock order \(lockdep\)\)/)
})

test('every bundled scenario names expect.property by id where the property has one', (t) => {
  for (const f of [
    'gpu/s07-dma-depends-on-hmm',
    'gpu/s13b-textbook-lockdep',
    'mem/m12-oom-reaper-sleeps',
    'mem/m9c-nouveau-ref-before-trylock',
    'r1/evict-leak-broken',
  ]) {
    const sc = loadScenario(join(ROOT, 'scenarios', `${f}.yaml`))
    t.deepEqual(sc.warnings, [], f)
    t.regex(sc.expect!.property!, /^[a-z0-9-]+$/, f)
  }
})

test('search.maxTime takes a duration as --max-time does', (t) => {
  const ten = loadScenario(s13b('ten.yaml', '  verdict: violated', 'search: { maxTime: 10m }\n'))
  t.is(ten.bounds.maxTimeMs, 10 * 60_000)
  const bare = loadScenario(s13b('ninety.yaml', '  verdict: violated', 'search: { maxTime: 90 }\n'))
  t.is(bare.bounds.maxTimeMs, 90_000, 'a number alone is seconds, as on the command line')
  const r = cli('check', '--quiet', s13b('soon.yaml', '  verdict: violated', 'search: { maxTime: soon }\n'))
  t.is(r.status, 2)
  t.regex(r.stderr, /^fencecheck: FC127 .*soon\.yaml:\d+: search\.maxTime: must be a duration such as 90s, 10m, 2h/)
  const zero = cli('check', '--quiet', s13b('zero.yaml', '  verdict: violated', 'search: { maxTime: 0s }\n'))
  t.is(zero.status, 2)
  t.regex(zero.stderr, /^fencecheck: FC127 .*search\.maxTime: '0s' is not a positive duration/)
})

test('check exits 5 when the verdict differs from expect:', (t) => {
  const r = cli('check', '--quiet', s13b('wrong.yaml', '  verdict: proved'))
  t.is(r.status, 5)
  t.regex(r.stdout, /^expect: NOT MET for .*wrong\.yaml: verdict violated, expected proved \(exit 5\)$/m)
  const json = cli('check', '--quiet', '--format', 'json', join(dir, 'wrong.yaml'))
  t.is(json.status, 5)
  t.notThrows(() => JSON.parse(json.stdout) as unknown, 'the JSON document stays whole; the expectation goes to stderr')
  t.regex(json.stderr, /expect: NOT MET/)
})

test('check exits 5 for a vacuous proof, and not once the witness is listed as unreached', (t) => {
  // R1 with no free page and no graphics job to evict: no compute fault can be served, so its
  // witness is never reached and the proof says nothing about serving faults.
  const base = ['name: vacuous', 'about: no page to serve a fault with', 'model: r1', 'params: { C: 1, G: 0, K: 1, M: 0, POLICY: naive }']
  const f = join(dir, 'vacuous.yaml')
  writeFileSync(f, [...base, 'expect: { verdict: proved }', ''].join('\n'))
  const r = cli('check', '--quiet', f)
  t.is(r.status, 5)
  t.regex(r.stdout, /^expect: NOT MET for .*vacuous\.yaml: vacuous: 'a compute page fault is served' never reached \(exit 5\)$/m)
  const listed = join(dir, 'listed.yaml')
  writeFileSync(listed, [...base, 'expect: { verdict: proved, unreached: [a compute page fault is served] }', ''].join('\n'))
  t.is(cli('check', '--quiet', listed).status, 0)
})

test('flags that change the search leave the expectation uncompared', (t) => {
  const r = cli('check', '--quiet', '--max-states', '2', join(ROOT, 'scenarios/gpu/s13b-textbook-lockdep.yaml'))
  t.is(r.status, 3, 'the verdict of the search that ran')
  t.regex(r.stdout, /^expect: not compared \(--max-states changes the search/m)
})

test('check -h describes the targets and the exit codes', (t) => {
  const r = cli('check', '-h')
  t.is(r.status, 0)
  t.regex(r.stdout, /targets\s+what to check: a built-in model name/)
  t.notRegex(r.stdout, /\[default: \[\]\]/)
  t.regex(r.stdout, /exit codes: 0 proved, 1 violated, 2 bad input or usage, 3 inconclusive.*5 the verdict differs from the scenario's expect/s)
})

test('simulate --help offers only what walks use', (t) => {
  const r = cli('simulate', '--help')
  t.is(r.status, 0)
  for (const f of ['--order', '--max-depth', '--max-states', '--max-memory', '--symmetry']) t.false(r.stdout.includes(f), f)
  t.regex(r.stdout, /--depth\s+steps per walk/)
})
