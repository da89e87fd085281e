/**
 * The memory side of the scenario language (pages, notifiers, ranges, collision-retry steps,
 * invalidations): cross-checked against the independent `hmm` reference's mirror mechanism (test/reference/hmm/), and its
 * kernel semantics (rules 33-38) checked as invariants over every reachable state.
 */
import test from 'ava'
import { basename, join } from 'node:path'
import { explore } from '../../checker/explore.js'
import type { Action, Invariant, Model, Reader } from '../../checker/model.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import type { GpuView } from '../../model/gpu/compile.js'
import { compileGpu, PTE } from '../../model/gpu/compile.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { STALE_ACCESS } from '../../properties/hmm.js'
import { noDeadlockCheck } from '../bare.js'
import { loadReference } from '../reference/hmm/load.js'
import { ROOT } from '../root.js'

const MEM = join(ROOT, 'scenarios', 'mem')
const languageFiles = scenarioFiles(MEM).filter((f) => loadScenario(f).model.name === 'gpu')

// Two encodings of the same designs: the built-in mirror mechanism (a hand-written model) and the
// scenario-language versions (kernel paths as data). They must agree on every verdict.
for (const fixture of scenarioFiles(join(ROOT, 'test', 'fixtures', 'mirror'))) {
  test(`${basename(fixture)}: the scenario language agrees with the built-in mirror model`, (t) => {
    const builtin = loadReference(fixture)
    const lang = loadScenario(join(MEM, basename(fixture)))
    t.is(builtin.model.name, 'hmm')
    t.is(lang.model.name, 'gpu')
    const a = explore(builtin.model, { order: builtin.order }).verdict
    const b = explore(lang.model).verdict
    t.is(b.status, a.status)
    if (a.status === 'violated' && b.status === 'violated') t.is(b.property.name, a.property.name)
  })
}

const view = (m: Model<Action>): GpuView => (m as unknown as { view: GpuView }).view

/**
 * The model with one more invariant, a probe, beside its own properties (`keep`) or alone. The probe
 * sees every reachable state only if the search is complete: no violation, of it or of a kept
 * property, stops it early (callers assert 'proved').
 */
const withProbe = (m: Model<Action>, holds: (s: Reader) => boolean, keep = true): Model<Action> => ({
  ...m,
  properties: [...(keep ? m.properties : []), { kind: 'invariant', name: 'probe', holds } satisfies Invariant],
})

// The seq scheme (rules 36, 37), as invariants: a notifier is "being invalidated" only while some
// invalidation is in flight; a seq read by read_begin is never current while its notifier is being
// invalidated (read_begin waits, set_seq makes earlier reads stale). The probe runs alone, without
// the scenario's own properties and deadlock check, so no violation of theirs ends the search early.
for (const file of languageFiles) {
  const sc = loadScenario(file)
  const v = view(sc.model)
  if (v.design.notifiers.length === 0) continue
  test(`${basename(file)}: seq invariants hold in every reachable state`, (t) => {
    const f = v.f
    const bare: Model<Action> = { ...noDeadlockCheck(sc.model), properties: [] }
    const model = withProbe(bare, (s: Reader) => {
      for (let n = 0; n < v.design.notifiers.length; n++) {
        if (s.get(f.inval[n]!) === 1 && s.get(f.active) === 0) return false
        for (let th = 0; th < v.design.threads.length; th++) {
          const x = f.snap[th]![n]!
          if (x >= 0 && s.get(f.inval[n]!) === 1 && s.get(x) === 1) return false
        }
      }
      return true
    })
    const x = explore(model, { order: sc.order })
    t.is(x.verdict.status, 'proved', 'the seq scheme holds')
    t.is(x.verdict.stats.distinctStates, explore(bare, { order: sc.order }).verdict.stats.distinctStates, 'the probe saw the whole space')
  })
}

const base: DesignInput = {
  engines: [{ name: 'gpu0', cus: 1 }],
  locks: [{ name: 'notifier_lock' }],
  pages: [{ name: 'p0' }, { name: 'p1' }],
  notifiers: [
    { name: 'n0', pages: ['p0'], path: 'notifier_zap', with: { range: 'r0' } },
    { name: 'n1', pages: ['p1'], path: 'notifier_zap', with: { range: 'r1' } },
  ],
  ranges: [
    { name: 'r0', engine: 'gpu0', pages: ['p0'], notifiers: ['n0'] },
    { name: 'r1', engine: 'gpu0', pages: ['p1'], notifiers: ['n1'] },
  ],
  jobs: [],
}
const compile = (d: DesignInput): Model<Action> => compileGpu(buildDesign(d), 'test')

test('rule 37: read_begin waits until the last of two overlapping invalidations ends', (t) => {
  // Two CPU threads invalidate p0 at once; a third thread reads the seq. In no reachable state has
  // the reader passed read_begin while an invalidation that already set the seq is still in flight.
  const m = compile({
    ...base,
    threads: [
      { name: 'a', steps: [{ invalidate: 'p0' }] },
      { name: 'b', steps: [{ invalidate: 'p0', event: 'migrate' }] },
      { name: 'reader', steps: [{ read_begin: 'r0' }, { lock: 'notifier_lock' }, { read_retry: 'r0', else: 'skip' }, { unlock: 'notifier_lock' }] },
    ],
  })
  const v = view(m)
  const f = v.f
  const reader = 2
  const readBegin = v.rules.find((r) => v.meta.get(r.action)!.does === 'read_begin')!
  let tail = false
  let readDuring = false
  const probe = withProbe(m, (s: Reader) => {
    // One invalidation has ended, the other, which set the seq, is still in flight: the mm's seq
    // is still odd, so read_begin must still wait.
    const oneDone = s.get(f.pc[0]!) === 1 || s.get(f.pc[1]!) === 1
    if (oneDone && s.get(f.active) === 1 && s.get(f.inval[0]!) === 1) {
      tail = true
      if (readBegin.guard(s)) readDuring = true
    }
    if (s.get(f.snap[reader]![0]!) === 1 && s.get(f.inval[0]!) === 1) readDuring = true
    return true
  })
  const x = explore(probe)
  t.is(x.verdict.status, 'proved')
  t.true(tail, 'one invalidation outlives the other after the seq was set')
  t.false(readDuring)
})

test('a collision sends the fault handler back to read_begin, releasing the update lock', (t) => {
  const sc = loadScenario(join(MEM, 'm4-collision-retry.yaml'))
  const v = view(sc.model)
  const collisions = v.rules.filter((r) => v.meta.get(r.action)!.does === 'collision')
  t.true(collisions.length > 0)
  // The retry path is reachable: some reachable state enables a collision.
  let reachable = false
  const x = explore(
    withProbe(
      sc.model,
      (s: Reader) => {
        if (!reachable && collisions.some((r) => r.guard(s))) reachable = true
        return true
      },
      false,
    ),
  )
  t.is(x.verdict.status, 'proved')
  t.true(reachable, 'the retry path is reachable')
  // A collision goes back to read_begin and drops the update lock taken since.
  for (const r of collisions) {
    const m = v.meta.get(r.action)!
    const st = m.step!
    t.is(st.op, 'read_retry')
    if (st.op !== 'read_retry') continue
    const steps = v.design.threads[m.actor.index]!.steps
    t.is(steps[st.back]!.op, 'read_begin')
    // the update lock is held at the check and not at read_begin, so the jump releases it
    const lock = v.design.locks.findIndex((l) => l.name === 'notifier_lock')
    t.true(v.pathHeld[m.actor.index]![m.at!]!.some((h) => h.lock === lock))
    t.false(v.pathHeld[m.actor.index]![st.back]!.some((h) => h.lock === lock))
  }
})

test('allocating under the notifier lock is a lockdep inversion through fs_reclaim and the notifier map', (t) => {
  // lockdep's view of M11 (with the deadlock itself set aside): the handler orders notifier_lock
  // before fs_reclaim; another thread's reclaim invalidates p1 and its callback takes notifier_lock
  // inside the notifier map; fs_reclaim -> mmu_notifier is primed (mm/mmu_notifier.c).
  const m = compile({
    ...base,
    memory: { vram: 0, system: 0 },
    reclaim: [{ name: 'page reclaim', steps: [{ invalidate: 'p1', event: 'pressure' }, { free: 'system' }] }],
    threads: [
      { name: 'handler', steps: [{ lock: 'notifier_lock' }, { alloc: 'KERNEL', pool: 'system', else: 'fail' }, { unlock: 'notifier_lock' }] },
      { name: 'other', steps: [{ alloc: 'KERNEL', pool: 'system', else: 'fail' }] },
    ],
    properties: ['lock-order'],
  })
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  if (x.verdict.status !== 'violated') return
  t.is(x.verdict.property.name, PROPERTY_NAMES.lockOrder)
  const trace = violationTrace(x)!
  t.true(replay(m, trace, PROPERTY_NAMES.lockOrder, { evidence: evidenceTraces(x) }).ok)
})

test('rule 38: returning false from a blockable invalidation is a violation', (t) => {
  const m = compile({
    ...base,
    notifiers: [{ name: 'n0', pages: ['p0'], callback: [{ trylock: 'notifier_lock', else: 'again' }, 'set_seq', { zap: 'r0' }, { unlock: 'notifier_lock' }] }],
    ranges: [{ name: 'r0', engine: 'gpu0', pages: ['p0'], notifiers: ['n0'] }],
    threads: [
      { name: 'holder', steps: [{ lock: 'notifier_lock' }, { unlock: 'notifier_lock' }] },
      { name: 'cpu', steps: [{ invalidate: 'p0' }] },
    ],
  })
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  if (x.verdict.status === 'violated') t.is(x.verdict.property.name, PROPERTY_NAMES.nonblock)
})

test('a non-blockable invalidation whose callback returns false leaves the pages alone', (t) => {
  const m = compile({
    ...base,
    ranges: [
      { name: 'r0', engine: 'gpu0', pages: ['p0'], notifiers: ['n0'], mapped: true },
      { name: 'r1', engine: 'gpu0', pages: ['p1'], notifiers: ['n1'] },
    ],
    threads: [
      { name: 'holder', steps: [{ lock: 'notifier_lock' }, { unlock: 'notifier_lock' }] },
      { name: 'reaper', steps: [{ invalidate: 'p0', event: 'oom', nonblock: true }] },
    ],
  })
  const v = view(m)
  const f = v.f
  // Whenever the reaper is done while the holder still held the lock at its callback, p0 stayed.
  let aborted = false
  const x = explore(
    withProbe(m, (s: Reader) => {
      const reaperDone = s.get(f.pc[1]!) === 1
      if (reaperDone && s.get(f.pageAt[0]!) === 1 && s.get(f.pte[0]![0]!) === PTE.valid) aborted = true
      return true
    }),
  )
  t.is(x.verdict.status, 'proved')
  t.true(aborted, 'some run aborts the invalidation and keeps the page and its PTE')
})

test('a stale-PTE counterexample replays and ends with the GPU touching the page', (t) => {
  const sc = loadScenario(join(MEM, 'm4b-no-retry-check.yaml'))
  const x = explore(sc.model)
  t.is(x.verdict.status, 'violated')
  const trace = violationTrace(x)!
  t.true(replay(sc.model, trace, STALE_ACCESS).ok)
  t.is(trace.steps.at(-1)!.action.name, 'gpu_access')
})
