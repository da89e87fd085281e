/**
 * `fencecheck explain`: the memory side of a scenario (pages, ranges, notifiers and their
 * callbacks, as scenarios/mem/m2-exit-early.yaml declares them), and built-in models by name.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { arrayCondition } from '../../model/explain.js'
import { explainScenario, loadScenario } from '../../model/index.js'
import { CLI, ROOT } from '../root.js'

const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('a scenario with a memory side: its pages, ranges, notifiers and their callbacks, in order', (t) => {
  const text = explainScenario(loadScenario(join(ROOT, 'scenarios/mem/m2-exit-early.yaml')))
  t.true(text.includes('pages: p0 (in system memory), p1 (in system memory)'), text)
  t.true(/r0 on gpu0: pages p0, p1; mapped \(PTEs valid\) at start; notifiers n0/.test(text), text)
  const callback = text.slice(text.indexOf('n0 over p0, p1:'))
  const at = (s: string): number => callback.indexOf(s)
  // skip_if_exiting, then the notifier lock, then set_seq, as the file lists them
  t.true(at('1. if the process is exiting, return at once') > 0, callback)
  t.true(at('2. mutex_lock(notifier_lock)') > at('1. '), callback)
  t.true(at('3. mmu_interval_set_seq(n0)') > at('2. '), callback)
})

test('explain r1: the parameters of a built-in model, and with them its properties and state', (t) => {
  const bare = cli(['explain', 'r1'])
  t.is(bare.status, 0, bare.stderr)
  for (const p of ['C:', 'G:', 'K:', 'M:', 'POLICY:']) t.true(bare.stdout.includes(`  ${p}`), p)
  const full = cli(['explain', 'r1', '--param', 'C=1', '--param', 'G=1', '--param', 'K=1', '--param', 'M=0', '--param', 'POLICY=naive'])
  t.is(full.status, 0, full.stderr)
  t.true(full.stdout.includes('model: r1 C=1 G=1 K=1 M=0 POLICY=naive'))
  t.true(full.stdout.includes('page conservation'))
  t.true(full.stdout.includes('deadlock'))
})

test('explain of an unknown name is a usage error naming the built-in models', (t) => {
  const r = cli(['explain', 'nosuch'])
  t.is(r.status, 2)
  t.true(r.stderr.includes('FC202') && r.stderr.includes('r1'), r.stderr)
})

test('a composite fence of one member is described in the singular, of two in the plural', (t) => {
  // s36: point1 chains hw1 alone (the first point of its timeline); point2 chains hw2 after point1.
  const text = explainScenario(loadScenario(join(ROOT, 'scenarios/gpu/s36-kill-jobs-cb-arms-chain-under-fence-lock.yaml')))
  t.regex(text, /point1: dma_fence; dma_fence_chain point: signals from irq_work when hw1 has signalled(;|$)/m)
  t.regex(text, /point2: dma_fence; dma_fence_chain point: signals from irq_work when hw2 and the earlier point point1 have signalled;/)
  t.notRegex(text, /when hw1 have/)
  t.is(arrayCondition(['a'], false), 'a signals')
  t.is(arrayCondition(['a'], true), 'a signals')
  t.is(arrayCondition(['a', 'b'], false), 'all of a, b signal')
  t.is(arrayCondition(['a', 'b'], true), 'any of a, b signals')
})
