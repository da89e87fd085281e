/**
 * R1, the reference model: the verdicts the reference specification predicts, and pinned state
 * counts (to be matched by the SPIN and Murphi encodings of the same system).
 */
import test from 'ava'
import { explore } from '../../checker/explore.js'
import type { ParamValues } from '../../checker/params.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { KST, POLICIES, r1 } from '../../model/r1.js'
import { noDeadlockCheck } from '../bare.js'

const cfg = (C: number, G: number, K: number, M: number, POLICY: string, extra: ParamValues = {}): ParamValues => ({ C, G, K, M, POLICY, ...extra })
const label = (p: ParamValues): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')

test('naive, C=1 G=1 K=1 M=0: the seed deadlock in 3 steps (comp_start, comp_fault, fault_wait)', (t) => {
  const model = r1(cfg(1, 1, 1, 0, 'naive'))
  const x = explore(model)
  const v = x.verdict
  if (v.status !== 'violated') return t.fail(`expected a deadlock, got ${v.status}`)
  t.is(v.property.name, 'deadlock')
  t.is(v.property.kind, 'deadlock')
  t.is(v.traceLength, 3)
  const trace = violationTrace(x)!
  t.deepEqual(
    trace.steps.map((s) => s.action),
    [
      { name: 'comp_start', k: 0 },
      { name: 'comp_fault', k: 0 },
      { name: 'fault_wait', k: 0, g: 0 },
    ],
  )
  // The compute job holds the only CU and waits on a fence whose job cannot get a CU.
  t.deepEqual(trace.steps.at(-1)!.state, { free: 0, gst: ['Q'], bo: ['RES'], kst: ['WAIT'], cu: [true], wt: [0] })
  const r = replay(model, trace, 'deadlock')
  t.true(r.ok, r.failure?.reason)
})

test('reserve, C=1: compute can never start, so the run ends stuck with compute in Q', (t) => {
  // The one CU is kept for dma_fence work: gfx runs to completion and compute stays queued.
  const model = r1(cfg(1, 1, 1, 0, 'reserve'))
  const x = explore(model)
  const v = x.verdict
  if (v.status !== 'violated') return t.fail(`expected a deadlock, got ${v.status}`)
  t.is(v.property.name, 'deadlock')
  t.is(v.traceLength, 2)
  const trace = violationTrace(x)!
  t.deepEqual(
    trace.steps.map((s) => s.action.name),
    ['gfx_start', 'gfx_end'],
  )
  t.deepEqual((trace.steps.at(-1)!.state as { kst: string[] }).kst, ['Q'])
  t.true(replay(model, trace, 'deadlock').ok)
  // Only gfx moves: Q, R, D.
  t.is(explore(noDeadlockCheck(model)).verdict.stats.distinctStates, 3)
})

test('reserve, C=1 with two jobs of each kind: every compute job is still stuck in Q', (t) => {
  const x = explore(r1(cfg(1, 2, 2, 1, 'reserve')))
  const v = x.verdict
  if (v.status !== 'violated') return t.fail(`expected a deadlock, got ${v.status}`)
  t.is(v.property.name, 'deadlock')
  t.deepEqual((violationTrace(x)!.steps.at(-1)!.state as { kst: string[] }).kst, ['Q', 'Q'])
})

const PROVED_SIZES: [number, number, number, number][] = [
  [2, 1, 1, 0],
  [2, 2, 2, 1],
  [3, 3, 3, 1],
]

for (const POLICY of ['preempt', 'skip', 'reserve']) {
  for (const [C, G, K, M] of PROVED_SIZES) {
    const p = cfg(C, G, K, M, POLICY)
    test(`proved: ${label(p)}`, (t) => {
      const v = explore(r1(p)).verdict
      t.is(v.status, 'proved')
      // Not vacuous: every progress witness of the model is reached.
      t.deepEqual(
        v.sometimes.filter((s) => !s.reached).map((s) => s.name),
        [],
      )
    })
  }
}

test('preempt and skip also survive the C=1 configuration that deadlocks naive', (t) => {
  for (const POLICY of ['preempt', 'skip']) t.is(explore(r1(cfg(1, 1, 1, 0, POLICY))).verdict.status, 'proved', POLICY)
})

test('page conservation holds in every policy, deadlocking ones included', (t) => {
  const sizes: [number, number, number, number][] = [
    [1, 1, 1, 0],
    [1, 2, 2, 1],
    [2, 2, 2, 0],
    [2, 2, 2, 1],
    [3, 2, 2, 0],
  ]
  for (const POLICY of POLICIES) {
    for (const [C, G, K, M] of sizes) {
      const p = cfg(C, G, K, M, POLICY)
      // Without the deadlock check the run covers every reachable state, so the invariant is
      // checked everywhere, not only up to the first deadlock.
      const v = explore(noDeadlockCheck(r1(p))).verdict
      t.is(v.status, 'proved', label(p))
    }
  }
})

test('BUG=evict-leaks-page breaks page conservation at the first eviction (5 steps), and the trace replays', (t) => {
  // The shortest eviction: gfx_start, gfx_end (the BO becomes evictable), comp_start, comp_fault
  // (no free page), fault_evict: 5 steps.
  for (const POLICY of ['skip', 'naive']) {
    const model = r1(cfg(2, 1, 1, 0, POLICY, { BUG: 'evict-leaks-page' }))
    const x = explore(model)
    const v = x.verdict
    if (v.status !== 'violated') return t.fail(`expected a violation, got ${v.status}`)
    t.is(v.property.name, 'page conservation', POLICY)
    t.is(v.traceLength, 5, POLICY)
    const trace = violationTrace(x)!
    t.is(trace.steps.at(-1)!.action.name, 'fault_evict')
    t.deepEqual(trace.steps.map((s) => s.action.name).sort(), ['comp_fault', 'comp_start', 'fault_evict', 'gfx_end', 'gfx_start'])
    const r = replay(model, trace, 'page conservation')
    t.true(r.ok, r.failure?.reason)
    // The correct model frees the page: its eviction does not lead to the recorded last state.
    const fixed = replay(r1(cfg(2, 1, 1, 0, POLICY)), trace, 'page conservation')
    t.false(fixed.ok)
    t.is(fixed.failure?.step, 5)
    t.regex(fixed.failure?.reason ?? '', /free: recorded 0, model gives 1/)
  }
})

test('state counts, C=1 G=1 K=1 M=0 (by hand)', (t) => {
  // naive: (gQ,kQ) (gR,kQ) (gQ,RUN) (gD,kQ) (gQ,FLT) (gD,RUN) (gQ,WAIT) (gD,FLT)
  //        (gD,EVI,free 1,FLT) (gD,EVI,free 0,OK) (gD,EVI,free 1,DONE)           = 11
  // skip:  the same without (gQ,WAIT), plus fault_fail from (gQ,FLT): (gQ,FAIL) (gR,FAIL) (gD,FAIL) = 13
  // reserve: compute never starts: gfx Q, R, D                                   = 3
  const count = (POLICY: string): number => explore(noDeadlockCheck(r1(cfg(1, 1, 1, 0, POLICY)))).verdict.stats.distinctStates
  t.is(count('naive'), 11)
  t.is(count('skip'), 13)
  t.is(count('reserve'), 3)
})

test('state counts, C=3 G=3 K=3 M=1 (pinned for the SPIN/Murphi cross-check)', (t) => {
  const expected: Record<string, number> = { naive: 8677, reserve: 5721, preempt: 42761, skip: 5974 }
  for (const POLICY of POLICIES) {
    const model = r1(cfg(3, 3, 3, 1, POLICY))
    const v = explore(model).verdict
    t.is(v.status, 'proved', POLICY)
    t.is(v.stats.distinctStates, expected[POLICY]!, POLICY)
    // The count is a property of the system, not of the search order.
    t.is(explore({ ...noDeadlockCheck(model), properties: [] }, { order: 'dfs' }).verdict.stats.distinctStates, expected[POLICY]!, `${POLICY} dfs`)
  }
})

test('every stored state keeps the R1 field invariants the layout cannot express', (t) => {
  // wt[k] >= 0 exactly when kst[k] = WAIT; a compute job holds a CU only while RUN..OK.
  const model = r1(cfg(2, 2, 2, 1, 'preempt'))
  const x = explore(model)
  const w = new Uint32Array(model.layout.words)
  const v = new Int32Array(model.layout.slots)
  for (let i = 0; i < x.store.size; i++) {
    x.store.read(i, w)
    model.layout.decodeInto(w, 0, v)
    for (let k = 0; k < 2; k++) {
      const st = v[model.fields.kst[k]!]!
      t.is(v[model.fields.wt[k]!]! >= 0, st === KST.WAIT)
      if (v[model.fields.cu[k]!] === 1) t.true(st >= KST.RUN && st <= KST.OK)
    }
  }
})
