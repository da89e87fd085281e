/**
 * The property plan: what each search mode checks, and that a run that left anything unchecked,
 * or asked for a property with nothing to check, is never proved.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { bool, int, LayoutBuilder } from '../../checker/layout.js'
import { type Action, leadsTo, type Model, type Rule } from '../../checker/model.js'
import { EXHAUSTIVE_BFS, planProperties, unknownSelection } from '../../checker/plan.js'
import { simulate } from '../../checker/simulate.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { EXIT } from '../../checker/verdict.js'
import { retry } from '../../model/classic/retry.js'
import { loadScenario } from '../../model/scenario.js'
import { CLI, ROOT } from '../root.js'

/**
 * A token ring of N processes: process i may pass the token on when it holds it, and process
 * `finisher` (if any) may also finish while it holds the token. One fairness group per process.
 * The ring cycle takes every group, so without a finisher it is a fair livelock. With a finisher,
 * its group is enabled only at its own token state, so the ring that never finishes is still
 * weakly fair: a lasso exists. N > 32 exercises fairness groups beyond one 32-bit word.
 */
function ring(n: number, alwaysFinish: boolean): Model<Action> {
  const b = new LayoutBuilder()
  const token = b.scalar('token', int(0, n - 1))
  const done = b.scalar('done', bool)
  const layout = b.build()
  const rules: Rule<Action>[] = []
  for (let i = 0; i < n; i++) {
    rules.push({ action: { name: 'pass', p: i }, guard: (s) => s.get(done) === 0 && s.get(token) === i, apply: (s) => s.set(token, (i + 1) % n) })
  }
  // The finisher (process n-1's partner, group n) is enabled everywhere when alwaysFinish.
  if (alwaysFinish) rules.push({ action: { name: 'finish', p: n }, guard: (s) => s.get(done) === 0, apply: (s) => s.set(done, 1) })
  const groups = Array.from({ length: n + 1 }, (_, i) => `process ${i}`)
  return {
    name: 'ring',
    params: { N: n },
    layout,
    init: () => [new Int32Array(layout.fieldCount)],
    rules,
    properties: [leadsTo('the ring finishes', { goal: (s) => s.get(done) === 1, fairness: (a) => a.p as number, groups })],
  }
}

test('liveness with more than 32 fairness groups: a fair livelock is found and replays', (t) => {
  const m = ring(40, false)
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  const trace = violationTrace(x)!
  t.is(trace.steps.length - trace.loop!, 40)
  t.true(replay(m, trace, 'the ring finishes').ok)
})

test('liveness with more than 32 fairness groups: a continuously enabled group past bit 32 must act, so proved', (t) => {
  // The finisher's group is number 40: with a 32-bit mask it would alias group 8 and be "taken".
  const x = explore(ring(40, true))
  t.is(x.verdict.status, 'proved', JSON.stringify(x.verdict.unchecked))
})

test('the plan names what each mode cannot check, with a reason', (t) => {
  const m = retry({ VARIANT: 'polite' })
  const bfs = planProperties(m, EXHAUSTIVE_BFS)
  t.is(bfs.liveness.length, 1)
  t.deepEqual(bfs.unchecked, [])
  const sim = planProperties(m, { ...EXHAUSTIVE_BFS, simulation: true })
  t.is(sim.liveness.length, 0)
  t.is(sim.unchecked.length, 1)
  t.regex(sim.unchecked[0]!.reason, /random walks/)
  const sym = planProperties(m, { ...EXHAUSTIVE_BFS, symmetry: true })
  t.regex(sym.unchecked[0]!.reason, /fairness is stated per actor/)
})

test('simulation reports the graph properties it does not check', (t) => {
  const r = simulate(retry({ VARIANT: 'fair-cycle' }), { seed: 1, walks: 3, depth: 5 })
  t.is(r.status, 'inconclusive')
  t.deepEqual(
    r.unchecked.map((u) => u.name),
    ['the worker finishes'],
  )
})

const dir = mkdtempSync(join(tmpdir(), 'fencecheck-plan-'))
const write = (name: string, text: string): string => {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}
const noDmaFence = (properties: string): string => `name: no dma_fence
about: a lone thread takes and drops a lock; there is no dma_fence and no range
engines: [{ name: gfx, cus: 1 }]
locks: [{ name: l }]
threads:
  - { name: a, steps: [{ lock: l }, { unlock: l }] }
${properties}`

test('a listed property with nothing to check makes the run inconclusive, naming it and why', (t) => {
  const sc = loadScenario(write('listed.yaml', noDmaFence('properties: [deadlock, dma-fence-progress, memory-progress]\n')))
  const v = explore(sc.model).verdict
  t.is(v.status, 'inconclusive')
  if (v.status !== 'inconclusive') return
  t.is(v.cutBy, 'unchecked')
  t.deepEqual(v.unchecked.map((u) => u.reason).sort(), ['no job accesses: a range, so no GPU stall has to be resolved', 'the design has no dma_fence'])
  // Through the CLI: exit 3, and the verdict says what was not checked.
  const r = spawnSync(process.execPath, [CLI, 'check', join(dir, 'listed.yaml'), '--quiet'], { encoding: 'utf8' })
  t.is(r.status, EXIT.inconclusive)
  t.regex(r.stdout, /not checked: rules 1-3: dma_fence progress .*\(the design has no dma_fence\)/)
})

test('by default, properties that do not apply are named and the proof says what it is for', (t) => {
  const sc = loadScenario(write('default.yaml', noDmaFence('')))
  const v = explore(sc.model).verdict
  t.is(v.status, 'proved')
  t.true(v.notSelected.some((n) => /dma_fence progress/.test(n.name) && /does not apply/.test(n.reason)))
  t.false(v.checked.some((c) => /dma_fence progress/.test(c.name)))
})

test('deselected properties are named in the scope of a proof', (t) => {
  const sc = loadScenario(write('deselected.yaml', noDmaFence('properties: [deadlock]\n')))
  const v = explore(sc.model).verdict
  t.is(v.status, 'proved')
  t.true(v.notSelected.some((n) => n.name === 'lock order (lockdep)' && /properties: list/.test(n.reason)))
  t.deepEqual(
    v.checked.map((c) => c.name),
    ['deadlock'],
  )
})

test('progress under a symmetry that moves dma_fence obligations is not checked, and says why', (t) => {
  const sc = loadScenario(join(ROOT, 'scenarios', 'gpu', 's19-two-faulting-queues-symmetric.yaml'))
  const plan = planProperties(sc.model, { ...EXHAUSTIVE_BFS, symmetry: true })
  // S19's interchangeable jobs are hmm jobs: their fences are not obligations, so progress stays.
  t.true(sc.model.symmetry?.fixesObligations)
  t.false(plan.unchecked.some((u) => u.kind === 'progress'))
})

test('a selection checks only the named properties, by id or name, and names the rest', (t) => {
  // S1 checks every property; its first violation is the deadlock.
  const sc = loadScenario(join(ROOT, 'scenarios', 'gpu', 's01-fault-vs-reclaim-naive.yaml'))
  const all = explore(sc.model).verdict
  t.is(all.status === 'violated' ? all.property.name : all.status, 'deadlock')
  const only = explore(sc.model, { select: { only: ['rule-4', 'signalling section: no reclaim, no dma_resv, no waiter-held lock, no user fault'] } }).verdict
  t.deepEqual(
    only.checked.map((c) => c.name),
    [
      'rule 4: a dma_fence waited on in a critical section never needs that section',
      'signalling section: no reclaim, no dma_resv, no waiter-held lock, no user fault',
    ],
  )
  t.true(only.notSelected.some((n) => n.name === 'deadlock' && n.reason === 'not named by --property'))
  const skipped = explore(sc.model, { select: { skip: ['deadlock'] } }).verdict
  t.false(skipped.checked.some((c) => c.name === 'deadlock'))
  t.true(skipped.notSelected.some((n) => n.name === 'deadlock' && n.reason === 'deselected with --skip-property'))
  if (skipped.status === 'violated') t.not(skipped.property.name, 'deadlock')
  t.deepEqual(unknownSelection(sc.model, { only: ['lock-order', 'lockorder'], skip: ['deadlock'] }), ['lockorder'])
})

test('--property and --skip-property on the command line: the verdict names what was left out; an unknown name is refused first', (t) => {
  const file = join(ROOT, 'scenarios', 'gpu', 's01-fault-vs-reclaim-naive.yaml')
  const skip = spawnSync(process.execPath, [CLI, 'check', file, '--quiet', '--skip-property', 'deadlock'], { encoding: 'utf8' })
  t.is(skip.status, EXIT.violated)
  t.regex(skip.stdout, /verdict: VIOLATED - /)
  t.notRegex(skip.stdout, /verdict: VIOLATED - deadlock/)
  // The reproduce line keeps the selection, so the same run is one paste away.
  t.regex(skip.stdout, /reproduce: .*--skip-property deadlock/)
  const bad = spawnSync(process.execPath, [CLI, 'check', file, '--quiet', '--property', 'lockorder'], { encoding: 'utf8' })
  t.is(bad.status, EXIT.badInput)
  t.regex(bad.stderr, /FC227 .*no property named 'lockorder' \(properties: .*lock-order \(lock order \(lockdep\)\)/)
  t.is(bad.stdout, '')
})

test('a run that checks no property is inconclusive and says why, whatever left them all out', (t) => {
  const sc = loadScenario(write('none.yaml', noDmaFence('properties: [deadlock]\n')))
  const v = explore(sc.model, { select: { skip: ['deadlock'] } }).verdict
  t.deepEqual(v.checked, [])
  t.is(v.status, 'inconclusive')
  if (v.status !== 'inconclusive') return
  t.is(v.cutBy, 'unchecked')
  t.regex(v.detail, /^no property was checked \(every property was left out: deselected with --skip-property/)
  // The same run with the one property kept is a proof of it, so the inconclusive verdict is the empty selection's doing.
  t.is(explore(sc.model).verdict.status, 'proved')
})
