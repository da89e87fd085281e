/**
 * A closed stdout (`fencecheck check x.yaml | head -1`): the reader goes away, the next write fails
 * with EPIPE, and the process ends quietly with 141 (128 + SIGPIPE, what a shell reports for a
 * writer killed by a closed pipe): no stack trace, no internal error, and every file it writes is
 * written whole. The child is held before its command line loads (holdLoad.ts) until the test has
 * closed the pipe's reading end and seen it closed, so every write it makes meets a closed pipe.
 */
import test from 'ava'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type CliRun, runCli } from '../cli.js'
import { HOLDING } from '../holdLoad.js'
import { ROOT } from '../root.js'

const HOLD = pathToFileURL(join(ROOT, 'dist', 'test', 'holdLoad.js')).href

/** Run `args` with its stdout closed by the reader before the command line loads. */
function withClosedStdout(args: string[]): Promise<CliRun> {
  const release = join(mkdtempSync(join(tmpdir(), 'fencecheck-pipe-')), 'release')
  let closing = false
  return runCli(args, {
    nodeArgs: ['--import', HOLD],
    env: { FENCECHECK_TEST_RELEASE: release },
    on: (stderr, p) => {
      if (closing || !stderr.includes(HOLDING)) return
      closing = true
      p.stdout!.once('close', () => writeFileSync(release, ''))
      p.stdout!.destroy()
    },
  })
}

const quiet = (t: { notRegex: (s: string, r: RegExp, m?: string) => void }, stderr: string): void => {
  t.notRegex(stderr, /EPIPE|^\s+at /m, 'no stack trace')
  t.notRegex(stderr, /FC399|internal error/, 'not an internal error')
}

test('check with its stdout closed: exit 141, no stack trace, its result file written whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-pipe-out-'))
  const out = join(dir, 'r.json')
  const r = await withClosedStdout(['check', join(ROOT, 'scenarios', 'gpu', 's01-fault-vs-reclaim-naive.yaml'), '--out', out])
  t.is(r.signal, null, r.stderr)
  t.is(r.code, 141, r.stderr)
  quiet(t, r.stderr)
  t.true(existsSync(out), r.stderr)
  const doc = JSON.parse(readFileSync(out, 'utf8')) as { verdict: string }
  t.is(doc.verdict, 'violated')
  t.deepEqual(readdirSync(dir), ['r.json'], 'no temporary file left beside it')
})

test('schema (written from the main thread) with its stdout closed: exit 141, no stack trace', async (t) => {
  const r = await withClosedStdout(['schema', 'scenario'])
  t.is(r.signal, null, r.stderr)
  t.is(r.code, 141, r.stderr)
  quiet(t, r.stderr)
})

test('explain with its stdout closed: exit 141, no stack trace', async (t) => {
  const r = await withClosedStdout(['explain', join(ROOT, 'scenarios', 'mem', 'd07-kfd-release-flushes-restore-work.yaml')])
  t.is(r.code, 141, r.stderr)
  quiet(t, r.stderr)
})
