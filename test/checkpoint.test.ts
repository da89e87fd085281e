import test from 'ava'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readCheckpoint, writeCheckpoint, type Identity } from '../checker/checkpoint.js'
import { explore } from '../checker/explore.js'
import { r1 } from '../model/r1.js'
import { runCli } from './cli.js'

const id: Identity = { model: 'r1', params: { C: 2, G: 3, K: 4, M: 1, POLICY: 'preempt' }, layout: 'test', order: 'bfs', symmetry: false }

test('a run cut by the state bound and its resumed continuation report the counts of an uninterrupted run', (t) => {
  const m = r1(id.params)
  const whole = explore(m)
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  const first = explore(m, { bounds: { maxStates: 50_000 }, checkpoint: { everyMs: 1e9, write: (s) => writeCheckpoint(dir, id, s) } })
  t.is(first.verdict.status, 'inconclusive')
  const rest = explore(m, { resume: readCheckpoint(dir, id) })
  t.is(rest.verdict.status, whole.verdict.status)
  t.is(rest.verdict.stats.distinctStates, whole.verdict.stats.distinctStates)
  t.is(rest.verdict.stats.transitions, whole.verdict.stats.transitions)
  t.is(rest.verdict.stats.maxDepth, whole.verdict.stats.maxDepth)
})

test('resuming several times in a row still adds up', (t) => {
  const m = r1(id.params)
  const whole = explore(m)
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  const write = { everyMs: 1e9, write: (s: Parameters<typeof writeCheckpoint>[2]) => writeCheckpoint(dir, id, s) }
  explore(m, { bounds: { maxStates: 10_000 }, checkpoint: write })
  explore(m, { resume: readCheckpoint(dir, id), bounds: { maxStates: 100_000 }, checkpoint: write })
  const last = explore(m, { resume: readCheckpoint(dir, id) })
  t.is(last.verdict.stats.distinctStates, whole.verdict.stats.distinctStates)
  t.is(last.verdict.stats.transitions, whole.verdict.stats.transitions)
})

test('a checkpoint of another run is refused', (t) => {
  const m = r1(id.params)
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  explore(m, { bounds: { maxStates: 1000 }, checkpoint: { everyMs: 1e9, write: (s) => writeCheckpoint(dir, id, s) } })
  t.throws(() => readCheckpoint(dir, { ...id, params: { ...id.params, C: 3 } }), { message: /checkpoint is of another run/ })
  t.throws(() => readCheckpoint(join(dir, 'nothing'), id), { message: /does not exist/ })
})

test('Ctrl-C once the search has started stops it with an inconclusive verdict and a checkpoint; --resume finishes with the uninterrupted counts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  const params = ['--param', 'C=3', '--param', 'G=3', '--param', 'K=4', '--param', 'M=1', '--param', 'POLICY=preempt']
  let sent = false
  const first = await runCli(['check', 'r1', ...params, '--checkpoint', dir, '--format', 'json'], {
    on: (stderr, p) => {
      if (!sent && /^search: .*started/m.test(stderr)) sent = p.kill('SIGINT')
    },
  })
  t.is(first.code, 3, first.stderr)
  t.regex(first.stderr, /fencecheck: interrupted; finishing with an inconclusive verdict/)
  const a = JSON.parse(first.stdout) as { verdict: string; cutBy: string; distinctStates: number }
  t.is(a.verdict, 'inconclusive')
  t.is(a.cutBy, 'interrupted')
  t.true(a.distinctStates > 0 && a.distinctStates < 593_677)
  const second = await runCli(['check', 'r1', ...params, '--resume', dir, '--format', 'json', '--quiet'])
  t.is(second.code, 0, second.stderr)
  const b = JSON.parse(second.stdout) as { verdict: string; distinctStates: number; transitions: number }
  t.is(b.verdict, 'proved')
  t.is(b.distinctStates, 593_677)
  t.is(b.transitions, 3_012_618)
})
