/**
 * R1's state counts against SPIN: bench/r1.pml encodes the same transition system as model/r1.ts
 * so that SPIN's stored-state count equals fencecheck's (see the encoding rules at the top of
 * r1.pml). Here a few small rungs are checked inside `npm test`, the bench checks the ladder.
 *
 * pan is compiled as the bench compiles it without partial-order reduction (-DBFS -DSAFETY
 * -DNOREDUCE), but unoptimized: the optimization level changes the speed, not the state space,
 * and -O0 compiles several times faster. Skipped when spin or a C compiler is not on PATH.
 */
import test from 'ava'
import { execFile, spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { explore } from '../../checker/explore.js'
import { r1 } from '../../model/r1.js'
import { ROOT } from '../root.js'

const run = promisify(execFile)
const CC = process.env.CC ?? 'cc'
const runnable = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined
const missing = !runnable('spin', ['-V']) ? 'spin is not on PATH' : !runnable(CC, ['--version']) ? `no C compiler (${CC})` : undefined

interface Rung {
  readonly C: number
  readonly G: number
  readonly K: number
  readonly M: number
  readonly policy: 'naive' | 'reserve' | 'preempt' | 'skip'
}
/** the bench's conformance rungs (C=3 G=3 K=3 M=1), and shapes with G != K and with M = 0 */
const PROVED: readonly Rung[] = [
  { C: 3, G: 3, K: 3, M: 1, policy: 'naive' },
  { C: 3, G: 3, K: 3, M: 1, policy: 'reserve' },
  { C: 3, G: 3, K: 3, M: 1, policy: 'preempt' },
  { C: 3, G: 3, K: 3, M: 1, policy: 'skip' },
  { C: 2, G: 2, K: 3, M: 1, policy: 'preempt' },
  { C: 2, G: 3, K: 2, M: 0, policy: 'reserve' },
]
const name = (r: Rung): string => `${r.policy} C=${r.C} G=${r.G} K=${r.K} M=${r.M}`

/** spin -a, cc, ./pan in a fresh directory: pan's stored-state count and error count. */
async function pan(r: Rung): Promise<{ states: number; errors: number; out: string }> {
  const d = mkdtempSync(join(tmpdir(), 'fencecheck-spin-'))
  try {
    copyFileSync(join(ROOT, 'bench', 'r1.pml'), join(d, 'r1.pml'))
    const defines = [`-DC=${r.C}`, `-DG=${r.G}`, `-DK=${r.K}`, `-DM=${r.M}`, `-DPOLICY=${r.policy.toUpperCase()}`]
    await run('spin', [...defines, '-a', 'r1.pml'], { cwd: d })
    await run(CC, ['-DBFS', '-DSAFETY', '-DNOREDUCE', '-o', 'pan', 'pan.c'], { cwd: d })
    // -m: pan's depth bound (R1's small rungs are < 50 deep); -w16: a 2^16-slot hash table.
    const { stdout } = await run('./pan', ['-m10000', '-w16'], { cwd: d, maxBuffer: 1 << 24 })
    const stored = /(\d+) states, stored/.exec(stdout)
    const errors = /errors: (\d+)/.exec(stdout)
    if (!stored || !errors) throw new Error(`pan gave no statistics:\n${stdout}`)
    if (/max search depth too small|out of memory|hash table is full/i.test(stdout)) throw new Error(`pan did not finish:\n${stdout}`)
    return { states: Number(stored[1]), errors: Number(errors[1]), out: stdout }
  } finally {
    rmSync(d, { recursive: true, force: true })
  }
}

if (missing) {
  test.skip(`R1 state counts agree with SPIN (skipped: ${missing})`, () => {})
} else {
  for (const r of PROVED) {
    test(`${name(r)}: fencecheck and SPIN (no POR) reach the same number of states`, async (t) => {
      const spin = await pan(r)
      const v = explore(r1({ C: r.C, G: r.G, K: r.K, M: r.M, POLICY: r.policy })).verdict
      t.is(spin.errors, 0, 'SPIN finds no deadlock and no page-conservation failure')
      t.is(v.status, 'proved')
      t.is(v.stats.distinctStates, spin.states)
      t.log(`${spin.states} states`)
    })
  }

  test('naive C=1 G=1 K=1 M=0: SPIN and fencecheck both find the seed deadlock', async (t) => {
    const r: Rung = { C: 1, G: 1, K: 1, M: 0, policy: 'naive' }
    const spin = await pan(r)
    const v = explore(r1({ C: r.C, G: r.G, K: r.K, M: r.M, POLICY: r.policy })).verdict
    t.is(spin.errors, 1)
    // r1.pml's deadlock check is the assertion TERMINAL; page conservation's mentions `free`.
    const failed = /assertion violated\s+(.*)/.exec(spin.out)?.[1] ?? ''
    t.true(failed.length > 0 && !failed.includes('free'), failed)
    t.is(v.status, 'violated')
    if (v.status === 'violated') t.is(v.property.name, 'deadlock')
  })
}
