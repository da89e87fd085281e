/**
 * `check --por`: the flag reaches the search (the verdict notes the reduction, progress is named
 * unchecked), and the modes it cannot run in are refused before any work (FC229).
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { s19Yaml } from '../../bench/gpuLadder.js'
import { CLI, ROOT } from '../root.js'

const S19 = join(ROOT, 'scenarios/gpu/s19-two-faulting-queues-symmetric.yaml')
const S01 = join(ROOT, 'scenarios/gpu/s01-fault-vs-reclaim-naive.yaml')

test('--por with --workers, --hash-compaction or --symmetry is refused (FC229), before any work', (t) => {
  for (const extra of [['--workers', '2'], ['--hash-compaction']]) {
    const r = spawnSync(process.execPath, [CLI, 'check', S01, '--por', '--quiet', ...extra], { encoding: 'utf8' })
    t.is(r.status, 2, extra.join(' '))
    t.true(r.stderr.includes('FC229'), r.stderr)
    t.false(r.stdout.includes('statistics'), 'no search ran')
  }
  // a scenario that asks for symmetry in its search: block conflicts the same way
  const r = spawnSync(process.execPath, [CLI, 'check', S19, '--por', '--quiet'], { encoding: 'utf8' })
  t.is(r.status, 2)
  t.true(r.stderr.includes('FC229'), r.stderr)
  // a built-in model declares no rule footprints: refused the same way, not a model error after the search started
  const b = spawnSync(
    process.execPath,
    [CLI, 'check', 'r1', '--param', 'C=1', '--param', 'G=1', '--param', 'K=1', '--param', 'M=0', '--param', 'POLICY=preempt', '--por'],
    {
      encoding: 'utf8',
    },
  )
  t.is(b.status, 2, b.stderr)
  t.true(b.stderr.includes('FC229') && b.stderr.includes('declares none'), b.stderr)
  t.false(b.stderr.includes('search started'), 'no search started')
})

test('--por: the verdict names progress unchecked and says the search was reduced', (t) => {
  // S19 without its symmetry declaration and pinned expectation (bench/gpuLadder.ts)
  const file = join(mkdtempSync(join(tmpdir(), 'fencecheck-por-cli-')), 's19.yaml')
  writeFileSync(file, s19Yaml({ family: 's19', N: 2, G: 1, C: 2 }))
  const r = spawnSync(process.execPath, [CLI, 'check', file, '--por', '--quiet'], { encoding: 'utf8' })
  t.is(r.status, 3, r.stdout + r.stderr)
  t.true(r.stdout.includes('INCONCLUSIVE'), r.stdout)
  t.true(r.stdout.includes('partial-order reduction keeps no "can still be done" paths'), r.stdout)
  t.true(r.stdout.includes('note: partial-order reduction:'), r.stdout)
})
