/**
 * Bounded waits (ops/timeout.ts), the scheduler's job timeout (ops/tdr.ts), failure branches
 * (ops/branch.ts) and conditions (ops/cond.ts). The oracles are the same designs without the
 * feature: a bounded wait's hang is the unbounded wait's deadlock; skip_if_exiting is
 * `if: exiting, then: skip`, state for state; a timeout is enabled only where the wait is blocked.
 */
import test from 'ava'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { type Action, enabledActions, fromValues, type Model, nextState, Values } from '../../checker/model.js'
import { replay, type Trace, violationTrace } from '../../checker/trace.js'
import { compileGpu, FS, type GpuView } from '../../model/gpu/compile.js'
import { describeStep } from '../../model/gpu/describe.js'
import { buildDesign, type DesignInput, SpecError } from '../../model/gpu/spec.js'
import { loadScenario } from '../../model/scenario.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { ROOT } from '../root.js'

const compile = (d: DesignInput) => compileGpu(buildDesign(d), 'test')
const view = (m: Model<Action>): GpuView => (m as unknown as { view: GpuView }).view

/** S11's design (ttm eviction waits on g0 under bo0.resv; g0's run_job takes bo0.resv), its wait bounded or not. */
const evictVsRunJob = (bounded: boolean, extra: Partial<DesignInput> = {}): DesignInput => ({
  engines: [{ name: 'gfx', cus: 1 }],
  memory: { vram: 0, system: 4 },
  buffers: [{ name: 'bo0', placement: 'vram', fences: ['g0'] }],
  jobs: [{ name: 'g0', engine: 'gfx', queue: 'kernel' }],
  threads: [
    {
      name: 'evict',
      steps: [
        { lock: 'bo0.resv' },
        bounded ? { wait_resv: 'bo0', usage: 'bookkeep', timeout: true, else: '-EBUSY' } : { wait_resv: 'bo0', usage: 'bookkeep' },
        { evict: 'bo0' },
        { unlock: 'bo0.resv' },
      ],
    },
    { name: 'sched', path: 'run_job', with: { job: 'g0', lock: 'bo0.resv' } },
  ],
  properties: ['deadlock', 'hang-until-timeout'],
  ...extra,
})

test('a hang that only a timeout ends is reported as such, with the timeout in the trace', (t) => {
  // Oracle: the same design with an unbounded wait deadlocks, on the cycle the timeout breaks.
  const plain = explore(compile(evictVsRunJob(false)))
  t.is(plain.verdict.status, 'violated')
  if (plain.verdict.status === 'violated') t.is(plain.verdict.property.name, PROPERTY_NAMES.deadlock)
  const m = compile(evictVsRunJob(true))
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  if (x.verdict.status !== 'violated') return
  t.is(x.verdict.property.name, PROPERTY_NAMES.hang)
  const trace = violationTrace(x)!
  const last = trace.steps[trace.steps.length - 1]!
  t.is(last.action.name, 'timed_out')
  t.is(last.action.then, '-EBUSY')
  // The last step's narration names the cycle; the deadlock's explanation names the same one.
  const v = view(m)
  const text = describeStep(v, readState(m, trace, trace.steps.length - 1), last.action, readState(m, trace, trace.steps.length)).text
  t.regex(text, /times out, then -EBUSY/)
  t.regex(text, /wait-for cycle: thread evict waits on dma_fence g0 .* thread sched waits for lock bo0\.resv .* back to thread evict/)
  t.true(replay(m, trace, PROPERTY_NAMES.hang).ok)
})

/** the decoded state after `k` steps of a trace */
function readState(m: Model<Action>, trace: Trace, k: number): Values {
  const parsed = m.layout.fromObject(k === 0 ? trace.initialState : trace.steps[k - 1]!.state)
  if (typeof parsed === 'string') throw new Error(parsed)
  return new Values(fromValues(m, parsed))
}

test('accepted by policy, hang-until-timeout is not selected and the verdict says so', (t) => {
  const m = compile(evictVsRunJob(true, { policies: { timeout: 'accept' } }))
  t.false(m.properties.some((p) => p.name === PROPERTY_NAMES.hang))
  const x = explore(m)
  t.is(x.verdict.status, 'proved')
  const omitted = m.omitted!.find((o) => o.name === PROPERTY_NAMES.hang)!
  t.regex(omitted.reason, /accepted by the design \(policies: \{ timeout: accept \}\)/)
  t.false(omitted.requested)
})

test('hang-until-timeout does not apply without a bounded wait', (t) => {
  const { properties: _listed, ...all } = evictVsRunJob(false)
  const m = compile(all)
  t.regex(m.omitted!.find((o) => o.name === PROPERTY_NAMES.hang)!.reason, /does not apply: no bounded wait/)
})

test('a timeout is enabled only while its wait is blocked', (t) => {
  // Every reachable state, by a plain BFS over the model's own rules (not the checker's search).
  const m = compile({
    engines: [{ name: 'gfx', cus: 1 }],
    fences: [{ name: 'f', kind: 'dma' }],
    threads: [
      { name: 'w', steps: [{ wait: 'f', timeout: true, else: 'skip' }] },
      { name: 's', steps: [{ signal: 'f' }] },
    ],
  })
  const v = view(m)
  const seen = new Set<string>()
  const queue: Int32Array[] = m.init().map((s) => Int32Array.from(s))
  let timeouts = 0
  for (let h = 0; h < queue.length; h++) {
    const s = queue[h]!
    const key = s.join(',')
    if (seen.has(key)) continue
    seen.add(key)
    const r = new Values(s)
    for (const rule of m.rules) {
      if (!rule.guard(r)) continue
      if (rule.action.name === 'timed_out') {
        timeouts++
        t.is(r.get(v.f.fs[0]!), FS.pending, 'a timeout fires only while the fence is pending')
      }
      queue.push(nextState(m, s, rule))
    }
  }
  t.true(timeouts > 0, 'the timeout is reachable')
  t.deepEqual(enabledActions(m, Int32Array.from(m.init()[0]!)).filter((a) => a.name === 'timed_out').length, 1)
})

test('wait_event on a flag nobody sets: a deadlock, or with a timeout a hang until it', (t) => {
  const design = (timeout: boolean): DesignInput => ({
    engines: [{ name: 'gfx', cus: 1 }],
    threads: [
      { name: 'waiter', steps: [timeout ? { wait_event: 'done', timeout: true, else: 'fail' } : { wait_event: 'done' }] },
      { name: 'other', steps: [{ clear_flag: 'done' }] },
    ],
    properties: ['deadlock', 'hang-until-timeout'],
  })
  const a = explore(compile(design(false))).verdict
  t.is(a.status === 'violated' ? a.property.name : a.status, PROPERTY_NAMES.deadlock)
  const b = explore(compile(design(true))).verdict
  t.is(b.status === 'violated' ? b.property.name : b.status, PROPERTY_NAMES.hang)
  // Woken by a set_flag, it is neither.
  const c = explore(compile({ ...design(true), threads: [design(true).threads![0]!, { name: 'other', steps: [{ set_flag: 'done' }] }] })).verdict
  t.is(c.status, 'proved')
})

test('a lock with a timeout takes its else: branch only while the lock is held by another', (t) => {
  const m = compile({
    engines: [{ name: 'gfx', cus: 1 }],
    locks: [{ name: 'L' }],
    threads: [
      { name: 'a', steps: [{ lock: 'L', timeout: true, else: '-EINTR' }, { unlock: 'L' }] },
      { name: 'b', steps: [{ lock: 'L' }, { unlock: 'L' }] },
    ],
    properties: ['deadlock'],
  })
  const init = Int32Array.from(m.init()[0]!)
  t.false(
    enabledActions(m, init).some((x) => x.name === 'timed_out'),
    'L is free at start',
  )
  const takeB = m.rules.find((r) => r.action.name === 'lock' && r.action.thread === 'b')!
  const after = nextState(m, init, takeB)
  t.true(enabledActions(m, after).some((x) => x.name === 'timed_out' && x.then === '-EINTR'))
  t.is(explore(m).verdict.status, 'proved')
})

test('a hung job with no timeout handler is stuck; with one, it is reset', (t) => {
  const base: DesignInput = {
    engines: [{ name: 'gfx', cus: 1 }],
    jobs: [{ name: 'g0', engine: 'gfx', queue: 'kernel', hangs: true }],
    threads: [{ name: 'waiter', steps: [{ wait: 'g0' }] }],
    properties: ['deadlock'],
  }
  const a = explore(compile(base))
  t.is(a.verdict.status, 'violated')
  const end = violationTrace(a)!
  const m = compile(base)
  t.true(
    view(m)
      .waitFor(readState(m, end, end.steps.length))
      .describe()
      .some((l) => /hangs on the GPU and nothing resets it/.test(l)),
  )
  const fixed = compile({ ...base, threads: [...base.threads!, { name: 'tdr', steps: [{ timedout: 'g0' }, { reset: 'g0' }] }] })
  t.is(explore(fixed).verdict.status, 'proved')
  // The handler is on g0's signalling path: a reclaiming allocation there breaks the signalling rule.
  const bad = compile({
    ...base,
    threads: [...base.threads!, { name: 'tdr', steps: [{ timedout: 'g0' }, { alloc: 'GFP_KERNEL', else: 'fail' }, { reset: 'g0' }] }],
    properties: ['signalling'],
  })
  const v = explore(bad).verdict
  t.is(v.status === 'violated' ? v.property.name : v.status, PROPERTY_NAMES.signalling)
})

test('an error code leaves the path failed, and the trace names it', (t) => {
  const m = compile({
    engines: [{ name: 'gfx', cus: 1 }],
    memory: { vram: 0, system: 0 },
    threads: [{ name: 't', steps: [{ alloc: 'GFP_NOWAIT', else: '-EAGAIN' }] }],
  })
  const init = Int32Array.from(m.init()[0]!)
  const fail = m.rules.find((r) => r.action.name === 'alloc_failed')!
  t.is(fail.action.then, '-EAGAIN')
  const after = new Values(nextState(m, init, fail))
  t.is(after.get(view(m).f.failed[0]!), 1)
})

test('an else: list runs after the failing step, and the success skips it', (t) => {
  const d = buildDesign({
    engines: [{ name: 'gfx', cus: 1 }],
    buffers: [{ name: 'bo0' }, { name: 'bo1' }],
    threads: [
      {
        name: 't',
        steps: [
          { lock: 'bo1.resv' },
          { trylock: 'bo0.resv', else: [{ unlock: 'bo1.resv' }, { lock: 'bo0.resv' }, { lock: 'bo1.resv' }] },
          { unlock: 'bo0.resv' },
          { unlock: 'bo1.resv' },
        ],
      },
    ],
  })
  const ops = d.threads[0]!.steps.map((s) => s.op)
  t.deepEqual(ops, ['lock', 'trylock', 'unlock', 'lock', 'lock', 'else_end', 'unlock', 'unlock'])
  t.is(d.threads[0]!.steps[1]!.branch, 4)
  // Alone, the trylock always succeeds: the branch is never entered. By hand: pc 0, 1, then 6 (the
  // success skips the four branch steps), 7 and 8 (the end): 5 states.
  const x = explore(compileGpu(d, 'test'))
  t.is(x.verdict.status, 'proved')
  t.is(x.verdict.stats.distinctStates, 5)
})

test('a branch that goes on must hold what the success holds (FC197)', (t) => {
  const e = t.throws(
    () =>
      buildDesign({
        engines: [{ name: 'gfx', cus: 1 }],
        buffers: [{ name: 'bo0' }],
        threads: [{ name: 't', steps: [{ trylock: 'bo0.resv', else: ['begin_signalling', 'end_signalling'] }, { unlock: 'bo0.resv' }] }],
      }),
    { instanceOf: SpecError },
  )
  t.is(e.code, 'FC197')
  t.regex(e.message, /goes on after its step holding nothing, but the step's success holds bo0\.resv/)
})

test('conditions: flags set and cleared by steps, held locks; a flag no step changes is refused', (t) => {
  const m = compile({
    engines: [{ name: 'gfx', cus: 1 }],
    locks: [{ name: 'L' }],
    threads: [
      { name: 'destroyer', steps: [{ set_flag: 'vma0.destroying' }] },
      {
        name: 'user',
        steps: [{ if: { flag: 'vma0.destroying' }, then: 'skip' }, { lock: 'L' }, { if: { not: { holds: 'L' } }, then: 'fail' }, { unlock: 'L' }],
      },
    ],
    properties: ['deadlock'],
  })
  const x = explore(m)
  t.is(x.verdict.status, 'proved')
  // 'user' never fails: it holds L where it asks.
  t.false(
    m.rules.some((r) => r.action.name === 'if' && r.action.holds === true && r.action.then === 'fail' && r.guard(new Values(Int32Array.from(m.init()[0]!)))),
  )
  const err = t.throws(() => buildDesign({ engines: [{ name: 'gfx', cus: 1 }], threads: [{ name: 't', steps: [{ if: { flag: 'nosuch' }, then: 'skip' }] }] }), {
    instanceOf: SpecError,
  })
  t.is(err.code, 'FC198')
})

test('skip_if_exiting is if: exiting, then: skip, state for state', (t) => {
  const file = join(ROOT, 'scenarios', 'mem', 'm2-exit-early.yaml')
  const text = readFileSync(file, 'utf8')
  t.regex(text, /skip_if_exiting/)
  const dir = mkdtempSync(join(tmpdir(), 'fc-exit-'))
  const spelled = join(dir, 'm2-spelled.yaml')
  writeFileSync(spelled, text.replace(/- skip_if_exiting/g, '- { if: exiting, then: skip }'))
  const a = explore(loadScenario(file).model).verdict
  const b = explore(loadScenario(spelled).model).verdict
  t.is(b.status, a.status)
  t.is(b.stats.distinctStates, a.stats.distinctStates)
  t.is(b.stats.transitions, a.stats.transitions)
})
