/**
 * `fencecheck suite`: the table fits the terminal (COLUMNS, else 100 columns), rows name scenarios
 * and property ids, only mismatches get a line of detail, and a file that cannot be loaded is a
 * row of its own while the suite goes on.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { scenarioFiles } from '../../model/scenario.js'
import { CLI, ROOT } from '../root.js'

const dir = mkdtempSync(join(tmpdir(), 'fencecheck-suite-'))
test.after.always(() => rmSync(dir, { recursive: true, force: true }))

function suite(args: string[], env: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string } {
  const e = { ...process.env, ...env }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k]
  const r = spawnSync(process.execPath, [CLI, 'suite', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000, killSignal: 'SIGKILL', env: e })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const long = (out: string, width: number): string[] => out.split('\n').filter((l) => l.length > width)

for (const [what, env] of [
  ['COLUMNS=100', { COLUMNS: '100' }],
  ['COLUMNS unset (not a terminal: 100)', { COLUMNS: undefined }],
] as const) {
  test(`the bundled suite fits in 100 columns with ${what}`, (t) => {
    const r = suite(['--reports', join(dir, what.replace(/\W+/g, '-'))], env)
    t.is(r.status, 0, r.stdout + r.stderr)
    t.deepEqual(long(r.stdout, 100), [])
    const rows = r.stdout.split('\n').filter((l) => /^(ok|MISMATCH|ERROR)\s/.test(l))
    t.is(rows.length, scenarioFiles(join(ROOT, 'scenarios')).length, 'one row per scenario')
    t.true(
      rows.every((l) => l.startsWith('ok ')),
      'every bundled scenario meets its expectation',
    )
    // Property ids, not their 80-character titles.
    t.regex(r.stdout, /violated: lock-order \(\d+\)/)
    t.regex(r.stdout, /violated: memory-progress \(\d+\)/)
    t.notRegex(r.stdout, /lock order \(lockdep\)|weak fairness/)
    // No detail lines under ok rows.
    t.deepEqual(
      r.stdout.split('\n').filter((l) => l.startsWith('    ')),
      [],
    )
  })
}

test('a narrower terminal gets a narrower table', (t) => {
  const r = suite([join(ROOT, 'scenarios/mem'), '--reports', join(dir, 'narrow')], { COLUMNS: '72' })
  t.is(r.status, 0)
  t.deepEqual(long(r.stdout, 72), [])
})

test('a bad file is a row with its error; the suite goes on and exits 2 at the end', (t) => {
  const d = join(dir, 'mixed')
  rmSync(d, { recursive: true, force: true })
  spawnSync('mkdir', ['-p', d])
  copyFileSync(join(ROOT, 'scenarios/r1/naive-deadlock.yaml'), join(d, 'a-good.yaml'))
  writeFileSync(join(d, 'b-bad.yaml'), 'name: bad\nabout: x\nengines:\n  - { name: g, cus: 1 }\nthreads:\n  - { name: t, steps: [ { wait: nosuch } ] }\n')
  copyFileSync(join(ROOT, 'scenarios/r1/preempt-proved.yaml'), join(d, 'c-good.yaml'))
  const wrong = join(d, 'd-wrong.yaml')
  writeFileSync(wrong, 'name: wrong\nabout: pinned wrongly\nmodel: r1\nparams: { C: 1, G: 1, K: 1, M: 0, POLICY: naive }\nexpect: { verdict: proved }\n')
  const r = suite([d, '--reports', join(dir, 'mixed-reports')], { COLUMNS: '100' })
  t.is(r.status, 2, r.stdout)
  const lines = r.stdout.split('\n')
  const at = (name: string): number => lines.findIndex((l) => l.includes(` ${name} `) || l.endsWith(` ${name}`))
  t.regex(lines[at('b-bad')]!, /^ERROR\s+b-bad\s+not loaded/)
  t.regex(lines[at('b-bad') + 1]!, /^ {4}FC141 .*b-bad\.yaml:6: threads\.0\.steps\.0\.wait: no fence/)
  t.regex(
    lines
      .slice(at('b-bad') + 1, at('c-good'))
      .join(' ')
      .replace(/\s+/g, ' '),
    /no fence named 'nosuch'/,
    'the whole message, wrapped',
  )
  t.regex(lines[at('a-good')]!, /^ok\s+a-good\s+violated: deadlock \(3\)/)
  t.regex(lines[at('c-good')]!, /^ok\s+c-good\s+proved/, 'the files after the bad one are checked')
  t.regex(lines[at('d-wrong')]!, /^MISMATCH\s+d-wrong\s+violated: deadlock/)
  t.regex(lines[at('d-wrong') + 1]!, /^ {4}expected proved: verdict violated, expected proved$/)
  t.regex(r.stdout, /2 of 4 scenarios meet their expectation; 1 could not be loaded/)
  t.deepEqual(long(r.stdout, 100), [])
})

test('only mismatches exit 1', (t) => {
  const d = join(dir, 'mismatch')
  spawnSync('mkdir', ['-p', d])
  writeFileSync(
    join(d, 'wrong.yaml'),
    'name: wrong\nabout: pinned wrongly\nmodel: r1\nparams: { C: 1, G: 1, K: 1, M: 0, POLICY: naive }\nexpect: { verdict: proved }\n',
  )
  t.is(suite([d, '--reports', join(dir, 'mismatch-reports')], {}).status, 1)
})
