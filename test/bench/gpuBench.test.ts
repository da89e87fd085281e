/**
 * The benchmark's GPU designs (bench/gpuLadder.ts) and their Promela encoding
 * (bench/gpuPromela.ts) stay faithful: at the bundled sizes the generated designs reach the bundled
 * scenarios' state counts, and SPIN without partial-order reduction stores exactly fencecheck's
 * states for small S19-like designs (so a change to the GPU model's semantics that the encoding
 * does not follow shows up here, not only in `npm run bench`). The SPIN half is skipped when spin
 * or a C compiler is not on PATH; pan is compiled unoptimized, as in test/spin.test.ts.
 */
import test from 'ava'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { explore } from '../../checker/explore.js'
import { designYaml, type DesignSize, type S19Size } from '../../bench/gpuLadder.js'
import { s19Promela } from '../../bench/gpuPromela.js'
import { loadScenario } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const run = promisify(execFile)
const CC = process.env.CC ?? 'cc'
const runnable = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined
const missing = !runnable('spin', ['-V']) ? 'spin is not on PATH' : !runnable(CC, ['--version']) ? `no C compiler (${CC})` : undefined

/** Explore a generated design (written to a temporary folder): verdict, states, transitions. */
function check(size: DesignSize): { status: string; states: number; transitions: number } {
  const d = mkdtempSync(join(tmpdir(), 'fencecheck-gpu-bench-'))
  try {
    const file = join(d, 'design.yaml')
    writeFileSync(file, designYaml(size))
    const v = explore(loadScenario(file).model).verdict
    return { status: v.status, states: v.stats.distinctStates, transitions: v.stats.transitions }
  } finally {
    rmSync(d, { recursive: true, force: true })
  }
}

/** A bundled scenario explored without its symmetry reduction. */
function bundled(rel: string): number {
  return explore(loadScenario(join(ROOT, rel)).model).verdict.stats.distinctStates
}

test('s19 N=2 G=1 C=2 is S19 without its symmetry declaration', (t) => {
  const generated = parse(designYaml({ family: 's19', N: 2, G: 1, C: 2 })) as Record<string, unknown>
  const s19 = parse(readFileSync(join(ROOT, 'scenarios/gpu/s19-two-faulting-queues-symmetric.yaml'), 'utf8')) as Record<string, unknown>
  for (const key of ['engines', 'memory', 'buffers', 'jobs', 'threads', 'reclaim']) t.deepEqual(generated[key], s19[key], key)
  const x = check({ family: 's19', N: 2, G: 1, C: 2 })
  t.is(x.status, 'proved')
  t.is(x.states, bundled('scenarios/gpu/s19-two-faulting-queues-symmetric.yaml'))
})

test("m4 N=2 reaches M4's state count", (t) => {
  const x = check({ family: 'm4', N: 2 })
  t.is(x.status, 'proved')
  t.is(x.states, bundled('scenarios/mem/m4-collision-retry.yaml'))
})

test('the lock-heavy family is deadlock-free and grows with threads and steps', (t) => {
  const small = check({ family: 'locks', T: 2, L: 2 })
  const large = check({ family: 'locks', T: 3, L: 2 })
  t.is(small.status, 'proved')
  t.is(large.status, 'proved')
  t.true(large.states > small.states)
})

test('the generators refuse sizes that are not positive integers', (t) => {
  t.throws(() => designYaml({ family: 's19', N: 0, G: 1, C: 1 }), { message: /N must be a positive integer/ })
  t.throws(() => designYaml({ family: 'locks', T: 2, L: 1.5 }), { message: /L must be a positive integer/ })
})

/** spin -a, cc, ./pan in a fresh directory: pan's stored states and errors. */
async function pan(s: S19Size, noReduce: boolean): Promise<{ states: number; errors: number }> {
  const d = mkdtempSync(join(tmpdir(), 'fencecheck-spin-gpu-'))
  try {
    writeFileSync(join(d, 's19.pml'), s19Promela(s))
    await run('spin', ['-a', 's19.pml'], { cwd: d })
    await run(CC, ['-DBFS', '-DSAFETY', ...(noReduce ? ['-DNOREDUCE'] : []), '-o', 'pan', 'pan.c'], { cwd: d })
    const { stdout } = await run('./pan', ['-m10000', '-w16'], { cwd: d, maxBuffer: 1 << 24 })
    const stored = /(\d+) states, stored/.exec(stdout)
    const errors = /errors: (\d+)/.exec(stdout)
    if (!stored || !errors) throw new Error(`pan gave no statistics:\n${stdout}`)
    return { states: Number(stored[1]), errors: Number(errors[1]) }
  } finally {
    rmSync(d, { recursive: true, force: true })
  }
}

/** proved sizes, so that both searches cover the whole space (a violation stops them early) */
const SPIN_SIZES: readonly S19Size[] = [
  { family: 's19', N: 2, G: 1, C: 2 },
  { family: 's19', N: 3, G: 1, C: 2 },
  { family: 's19', N: 2, G: 3, C: 3 },
]

if (missing) {
  test.skip(`S19-like designs agree with SPIN (skipped: ${missing})`, () => {})
} else {
  for (const s of SPIN_SIZES) {
    test(`s19 N=${s.N} G=${s.G} C=${s.C}: SPIN without reduction stores fencecheck's states; its reduction stores no more`, async (t) => {
      const fc = check(s)
      const full = await pan(s, true)
      const reduced = await pan(s, false)
      t.is(fc.status, 'proved')
      t.is(full.errors, 0, 'SPIN finds no global deadlock either')
      t.is(full.states, fc.states)
      t.true(reduced.states <= full.states)
      t.log(`${fc.states} states (${fc.status}); SPIN with POR ${reduced.states}`)
    })
  }
}
