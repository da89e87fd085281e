/**
 * What a check of a built-in model loads: not the scenario loader (YAML, the schemas, the GPU
 * model), the report writers or the trace differ's Immutable. Each takes a noticeable part of a
 * short run's time. The test helper refuseLoad.ts makes those packages fail to load, so a command
 * that still pulls one in fails here; the same command on a scenario file, which needs them, fails
 * with them refused, which shows the helper refuses.
 */
import test from 'ava'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runCli } from '../cli.js'
import { ROOT } from '../root.js'

const REFUSE = pathToFileURL(join(ROOT, 'dist', 'test', 'refuseLoad.js')).href
const R1 = ['r1', '--param', 'C=1', '--param', 'G=1', '--param', 'K=1', '--param', 'M=0', '--param', 'POLICY=preempt', '--quiet']
const refusing = (packages: string) => ({ nodeArgs: ['--import', REFUSE], env: { FENCECHECK_TEST_REFUSE: packages } })

test('check of a built-in model proves without YAML, the schema validator, Immutable or the graph renderer', async (t) => {
  const r = await runCli(['check', ...R1], refusing('yaml,ajv,immutable,@viz-js/viz'))
  t.is(r.code, 0, r.stderr)
  t.true(r.stdout.includes('verdict: PROVED'), r.stdout)
})

test('simulate of a built-in model walks without YAML or the schema validator', async (t) => {
  const r = await runCli(['simulate', ...R1, '--walks', '10'], refusing('yaml,ajv'))
  t.is(r.code, 3, r.stderr)
})

test('check of a scenario file needs YAML: with it refused the command fails', async (t) => {
  const r = await runCli(['check', join(ROOT, 'scenarios', 'gpu', 's11b-rule4.yaml'), '--quiet'], refusing('yaml'))
  t.not(r.code, 0)
  t.true(r.stderr.includes("'yaml' may not be loaded here"), r.stderr)
})

test('a trace is built with Immutable: with it refused, a violated check fails', async (t) => {
  const r = await runCli(['check', ...R1.map((a) => (a === 'POLICY=preempt' ? 'POLICY=naive' : a))], refusing('immutable'))
  t.not(r.code, 1)
  t.true(r.stderr.includes("'immutable' may not be loaded here"), r.stderr)
})
