/**
 * `replay` re-derives the violation a result claims, by the claimed property's kind: an order
 * cycle from the edges of the trace and its evidence traces, a lasso pending from its trigger with
 * the goal never met, a deadlock with nothing enabled. And through the command line: results of
 * unknown format versions are refused, a changed scenario is reported, a scenario is found beside
 * its result.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { type Action, fromValues, type LivenessProperty, type Model, nextState, Values } from '../../checker/model.js'
import { evidenceTraces, replay, type Trace, traceFromPath, violationTrace } from '../../checker/trace.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { buildDesign } from '../../model/gpu/spec.js'
import { retry } from '../../model/classic/retry.js'
import { loadScenario } from '../../model/scenario.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { PROGRESS } from '../../properties/hmm.js'
import type { Narrator } from '../../report/narrator.js'
import { CLI, ROOT } from '../root.js'

const LOCK_ORDER = PROPERTY_NAMES.lockOrder
const gpu = (name: string): string => join(ROOT, 'scenarios', 'gpu', name)
const mem = (name: string): string => join(ROOT, 'scenarios', 'mem', name)

/** The first `n` steps of a run that always takes the first enabled rule. */
function prefix(m: Model<Action>, n: number): Trace {
  const values = [fromValues(m, m.init()[0]!)]
  const rules: number[] = []
  for (let k = 0; k < n; k++) {
    const r = m.rules.findIndex((rule) => rule.guard(new Values(values[k]!)))
    rules.push(r)
    values.push(nextState(m, values[k]!, m.rules[r]!))
  }
  return traceFromPath(m, values, rules)
}

function violated(file: string): {
  m: Model<Action>
  narrator: Narrator<Action>
  trace: Trace
  evidence: ReturnType<typeof evidenceTraces>
  property: { name: string; kind: string }
} {
  const sc = loadScenario(file)
  const x = explore(sc.model, { order: sc.order, bounds: sc.bounds })
  if (x.verdict.status !== 'violated') throw new Error(`${file} is not violated`)
  return { m: sc.model, narrator: sc.narrator, trace: violationTrace(x)!, evidence: evidenceTraces(x), property: x.verdict.property }
}

test('a step that adds an edge consistent with the primed order is no lock-order violation', (t) => {
  // mmap_lock then a reservation: the order dma_resv_lockdep() primes; the design is proved.
  const m = compileGpu(
    buildDesign({
      engines: [{ name: 'gfx', cus: 1 }],
      buffers: [{ name: 'bo0', placement: 'system' }],
      threads: [{ name: 't', steps: [{ lock_read: 'mmap_lock' }, { lock: 'bo0.resv' }, { unlock: 'bo0.resv' }, { unlock: 'mmap_lock' }] }],
      properties: ['lock-order'],
    }),
    'primed order',
  )
  t.is(explore(m).verdict.status, 'proved')
  const trace = prefix(m, 2)
  t.deepEqual(
    trace.steps.map((s) => s.action.name),
    ['lock_read', 'lock'],
  )
  const r = replay(m, trace, LOCK_ORDER)
  t.false(r.ok)
  t.true(r.replayed, 'every step replays; the claim is what fails')
  t.is(r.failure!.code, 'FC414')
  t.regex(r.failure!.reason, /does not violate lock order \(lockdep\): .*close no cycle/)
  t.false(replay(m, trace).ok, 'nor does it violate anything unnamed')
})

test('a lock-order result replays with its evidence traces, and not without the one that closes the cycle', (t) => {
  const { m, trace, evidence, property } = violated(gpu('s13b-textbook-lockdep.yaml'))
  t.is(property.name, LOCK_ORDER)
  t.true(evidence.length >= 2, 'one evidence trace per observed edge of the cycle')
  const r = replay(m, trace, property, { evidence })
  t.true(r.ok, r.failure?.reason)
  t.is(r.violates, LOCK_ORDER)
  t.true(r.log.some((l) => /close the cycle/.test(l)))
  // Some observed edge of the cycle is established only by its own evidence trace.
  const dropped = evidence.map((_, i) => replay(m, trace, property, { evidence: evidence.filter((_, j) => j !== i) }))
  const open = dropped.filter((d) => !d.ok)
  t.true(open.length > 0)
  for (const d of open) {
    t.is(d.failure!.code, 'FC414')
    t.regex(d.failure!.reason, /close no cycle/)
  }
  t.false(replay(m, trace, property).ok, 'the main trace alone does not close the cycle')
})

test('an evidence trace must replay itself', (t) => {
  const { m, trace, evidence, property } = violated(gpu('s13b-textbook-lockdep.yaml'))
  // Its last step taken twice: the second time it is not enabled (or not to the recorded state).
  const steps = evidence[0]!.trace.steps
  const bad = { ...evidence[0]!, trace: { ...evidence[0]!.trace, steps: [...steps, steps.at(-1)!] } }
  const r = replay(m, trace, property, { evidence: [bad, ...evidence.slice(1)] })
  t.false(r.ok)
  t.false(r.replayed)
  t.is(r.failure?.code, 'FC411')
  t.is(r.failure?.evidence, evidence[0]!.label)
  t.regex(r.failure!.reason, new RegExp(`^evidence trace '.*' does not replay at step ${steps.length + 1}: `))
})

test('a lock-order cycle through a primed edge closes from the main trace alone (S14)', (t) => {
  const { m, trace, property } = violated(gpu('s14-mmap-under-resv.yaml'))
  const r = replay(m, trace, property)
  t.true(r.ok, r.failure?.reason)
  t.true(r.log.some((l) => /mmap_lock -> dma_resv: primed/.test(l)))
})

test('a lasso replays; one whose loop does not close, or whose goal holds in the loop, is refused', (t) => {
  const { m, trace, property } = violated(mem('m9c-nouveau-ref-before-trylock.yaml'))
  t.is(property.name, PROGRESS)
  t.not(trace.loop, undefined)
  const r = replay(m, trace, property)
  t.true(r.ok, r.failure?.reason)
  t.is(r.violates, PROGRESS)

  const cut = replay(m, { ...trace, steps: trace.steps.slice(0, -1) }, property)
  t.false(cut.ok)
  t.is(cut.failure!.code, 'FC414')
  t.regex(cut.failure!.reason, /loop does not close|out of range/)
  const shifted = replay(m, { ...trace, loop: trace.loop! + 1 }, property)
  t.false(shifted.ok)
  t.is(shifted.failure!.code, 'FC414')
  t.regex(shifted.failure!.reason, /loop does not close/)
  const noLoop = replay(m, { initialState: trace.initialState, steps: trace.steps }, property)
  t.false(noLoop.ok)
  t.is(noLoop.failure!.code, 'FC414')
  t.regex(noLoop.failure!.reason, /not a lasso/)

  // The same steps against a property whose trigger never holds: nothing was pending.
  const untriggered: Model<Action> = {
    ...m,
    properties: m.properties.map((p) => (p.name === PROGRESS ? ({ ...p, trigger: () => false } as LivenessProperty<Action>) : p)),
  }
  const u = replay(untriggered, trace, property)
  t.false(u.ok)
  t.is(u.failure!.code, 'FC414')
  t.regex(u.failure!.reason, /trigger holds in no state/)
})

test('a lasso on which the goal holds in the loop is no liveness violation', (t) => {
  // The worker finishes, then the ticker loops: a closed, fair loop, but the goal holds in it.
  const m = retry({ VARIANT: 'intermittent' })
  const s = (tick: boolean, done: boolean): Record<string, unknown> => ({ tick, done })
  const trace: Trace = {
    initialState: s(false, false),
    steps: [
      { action: { name: 'tick' }, state: s(true, false), changes: {} },
      { action: { name: 'finish' }, state: s(true, true), changes: {} },
      { action: { name: 'tick' }, state: s(false, true), changes: {} },
      { action: { name: 'tick' }, state: s(true, true), changes: {} },
    ],
    loop: 2,
  }
  const r = replay(m, trace, 'the worker finishes')
  t.false(r.ok)
  t.is(r.failure!.code, 'FC414')
  t.regex(r.failure!.reason, /the goal holds in the loop/)
})

test('a deadlock replays with the wait-for cycle in the log; a wrong claim names what the end does violate', (t) => {
  const { m, narrator, trace, property } = violated(gpu('s01-fault-vs-reclaim-naive.yaml'))
  t.is(property.name, 'deadlock')
  const r = replay(m, trace, property)
  t.true(r.ok, r.failure?.reason)
  // the end state is handed back for the narrator to explain; the checker itself has no words
  t.truthy(r.badState)
  const why = narrator.explain!(r.badState!)
  t.true(
    why.some((l) => /wait-for cycle/.test(l)),
    why.join('\n'),
  )
  const other = m.properties.find((p) => p.kind === 'invariant' && p.name !== 'deadlock' && !replay(m, trace, p.name).ok)!
  t.truthy(other, 'an invariant the end state satisfies')
  const wrong = replay(m, trace, other.name)
  t.false(wrong.ok)
  t.true(wrong.replayed)
  t.is(wrong.failure!.code, 'FC414')
  t.regex(
    wrong.failure!.reason,
    new RegExp(`does not violate ${other.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(it violates: deadlock\\): it holds in the end state`),
  )
  const kind = replay(m, trace, { name: 'deadlock', kind: 'progress' })
  t.false(kind.ok)
  t.is(kind.failure!.code, 'FC413')
  t.regex(kind.failure!.reason, /no progress property deadlock/)
})

// ---------------------------------------------------------------------------------------------
// Through the command line.

function fencecheck(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A folder holding a copy of a scenario and the result of checking it there (`x.yaml`, `r.json`). */
function recorded(scenario: string): { dir: string; result: string; doc: Record<string, unknown> } {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-replay-'))
  copyFileSync(scenario, join(dir, 'x.yaml'))
  const c = fencecheck(dir, 'check', '--quiet', 'x.yaml', '--out', 'r.json')
  if (c.status !== 1) throw new Error(`check exited ${c.status}: ${c.stderr}`)
  const result = join(dir, 'r.json')
  return { dir, result, doc: JSON.parse(readFileSync(result, 'utf8')) as Record<string, unknown> }
}

test('cli: a lock-order result is confirmed with its evidence, found beside the result, and refused without an evidence trace', (t) => {
  const { dir, result, doc } = recorded(gpu('s13b-textbook-lockdep.yaml'))
  t.is(doc.formatVersion, 2)
  t.regex(String(doc.scenarioHash), /^[0-9a-f]{16}$/)
  // Run from elsewhere: the recorded scenario path 'x.yaml' is resolved beside the result.
  const ok = fencecheck(ROOT, 'replay', result)
  t.is(ok.status, 0, ok.stderr)
  t.regex(ok.stdout, /confirmed: \d+ steps replay \(with \d+ evidence traces\) and the end violates 'lock order \(lockdep\)'/)
  t.is(ok.stderr, '')
  const evidence = doc.evidence as { label: string }[]
  const results = evidence.map((_, i) => {
    const f = join(dir, `drop-${i}.json`)
    writeFileSync(f, JSON.stringify({ ...doc, evidence: evidence.filter((_, j) => j !== i) }))
    return fencecheck(ROOT, 'replay', '--quiet', f)
  })
  const refused = results.filter((r) => r.status !== 0)
  t.true(refused.length > 0)
  for (const r of refused) {
    t.is(r.status, 2)
    t.regex(r.stderr, /^fencecheck: FC414 /)
    t.regex(r.stderr, /does not violate lock order \(lockdep\): .*close no cycle/)
  }
})

test('cli: a result of an unknown or missing format version is refused (exit 2)', (t) => {
  const { dir, doc } = recorded(gpu('s14-mmap-under-resv.yaml'))
  const future = join(dir, 'future.json')
  writeFileSync(future, JSON.stringify({ ...doc, formatVersion: 99 }))
  const r = fencecheck(dir, 'replay', future)
  t.is(r.status, 2)
  t.regex(r.stderr, /^fencecheck: FC404 .*: formatVersion: 99 /)
  t.is(r.stdout, '')
  const { formatVersion: _v, ...rest } = doc
  void _v
  const none = join(dir, 'none.json')
  writeFileSync(none, JSON.stringify(rest))
  const n = fencecheck(dir, 'replay', none)
  t.is(n.status, 2)
  t.regex(n.stderr, /^fencecheck: FC403 .*: formatVersion: /)
})

test('cli: a scenario changed since the trace was recorded is reported, and the trace still replayed', (t) => {
  const { dir, result } = recorded(gpu('s14-mmap-under-resv.yaml'))
  appendFileSync(join(dir, 'x.yaml'), '# edited after the run\n')
  const r = fencecheck(dir, 'replay', 'r.json')
  t.regex(r.stderr, /^fencecheck: FC501 r\.json: warning: the scenario x\.yaml changed/)
  t.is(r.status, 0, r.stderr)
  t.regex(r.stdout, /confirmed: .* \(against the scenario as it is now, which changed since the trace was recorded\)/)
  // A change that breaks the trace: the replay fails, and says the scenario changed.
  const text = readFileSync(join(dir, 'x.yaml'), 'utf8').replace('name: ioctl', 'name: submit')
  writeFileSync(join(dir, 'x.yaml'), text)
  const broken = fencecheck(ROOT, 'replay', '--quiet', result)
  t.is(broken.status, 2)
  t.regex(broken.stderr, /^fencecheck: FC501 /)
  t.regex(broken.stderr, /^fencecheck: FC410 .*: trace does not replay at step \d+: .*\(against the scenario as it is now/m)
})
