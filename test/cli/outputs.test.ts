/**
 * Output paths are checked before any work: --out, --report and --checkpoint paths that cannot
 * be written are usage errors (exit 2) naming the flag and the path, and nothing is searched or
 * written.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ErrorCode } from '../../errors/codes.js'
import { CLI } from '../root.js'

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A fresh folder holding a regular file `afile`, a folder `adir`, and nothing else. */
function place(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-out-'))
  writeFileSync(join(dir, 'afile'), 'x')
  mkdirSync(join(dir, 'adir'))
  return dir
}

const cases: { name: string; args: (d: string) => string[]; code: ErrorCode; flag: string; path: (d: string) => string; why: RegExp }[] = [
  {
    name: '--out under a file',
    args: (d) => ['check', 'diehard', '--out', join(d, 'afile', 'x.json')],
    code: 'FC231',
    flag: '--out',
    path: (d) => join(d, 'afile', 'x.json'),
    why: /is a file; choose a path in a folder/,
  },
  {
    name: '--out naming a folder',
    args: (d) => ['check', 'diehard', '--out', join(d, 'adir')],
    code: 'FC230',
    flag: '--out',
    path: (d) => join(d, 'adir'),
    why: /is a folder; give a file name inside it/,
  },
  {
    name: 'the second --report under a file, after a good one',
    args: (d) => ['check', 'diehard', '--out', join(d, 'new', 'r.json'), '--report', join(d, 'ok.md'), '--report', join(d, 'afile', 'deeper', 'r.html')],
    code: 'FC231',
    flag: '--report',
    path: (d) => join(d, 'afile', 'deeper', 'r.html'),
    why: /is in the way: it is a file/,
  },
  {
    name: '--checkpoint naming a file',
    args: (d) => ['check', 'diehard', '--checkpoint', join(d, 'afile')],
    code: 'FC230',
    flag: '--checkpoint',
    path: (d) => join(d, 'afile'),
    why: /is a file; give a folder/,
  },
  {
    name: '--checkpoint under a file',
    args: (d) => ['check', 'diehard', '--checkpoint', join(d, 'afile', 'ck')],
    code: 'FC231',
    flag: '--checkpoint',
    path: (d) => join(d, 'afile', 'ck'),
    why: /is a file; choose a path/,
  },
  {
    name: 'simulate --out under a file',
    args: (d) => ['simulate', 'diehard', '--out', join(d, 'afile', 's.json')],
    code: 'FC231',
    flag: '--out',
    path: (d) => join(d, 'afile', 's.json'),
    why: /is a file/,
  },
]

for (const c of cases) {
  test(`an unwritable output path is refused before any work: ${c.name}`, (t) => {
    const d = place()
    const r = cli(c.args(d))
    t.is(r.status, 2, r.stderr)
    t.true(r.stderr.startsWith(`fencecheck: ${c.code} ${c.flag} ${c.path(d)}: `), r.stderr)
    t.regex(r.stderr, c.why)
    t.is(r.stderr.trim().split('\n').length, 1, 'one line on stderr: no search was started')
    t.is(r.stdout, '', 'no verdict: nothing was searched')
    // Nothing written, nothing created: not the good paths, no temporary files.
    t.deepEqual(readdirSync(d).sort(), ['adir', 'afile'])
    t.deepEqual(readdirSync(join(d, 'adir')), [])
  })
}

test('output folders that do not exist yet are created before the search', (t) => {
  const d = place()
  const out = join(d, 'a', 'b', 'r.json')
  const r = cli(['check', 'diehard', '--quiet', '--out', out, '--checkpoint', join(d, 'ck', 'x')])
  t.is(r.status, 1, r.stderr)
  t.true(existsSync(out))
  t.deepEqual(readdirSync(join(d, 'a', 'b')), ['r.json'])
  t.true(existsSync(join(d, 'ck', 'x')))
})
