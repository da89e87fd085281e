import test from 'ava'
import { explore } from '../../checker/explore.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { retry } from '../../model/classic/retry.js'

// Liveness under weak fairness on tiny models with known answers.

test('polite back-off: a weakly fair livelock is reported as a lasso that replays', (t) => {
  const m = retry({ VARIANT: 'polite' })
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  if (x.verdict.status !== 'violated') return
  t.is(x.verdict.property.kind, 'liveness')
  const trace = violationTrace(x)!
  t.not(trace.loop, undefined)
  // The loop closes: the last state is the loop-start state.
  const loopState = trace.loop === 0 ? trace.initialState : trace.steps[trace.loop! - 1]!.state
  t.deepEqual(trace.steps[trace.steps.length - 1]!.state, loopState)
  // Both threads act in the loop (weak fairness holds there).
  const loopActions = trace.steps.slice(trace.loop).map((s) => s.action)
  t.true(loopActions.some((a) => a.t === 0) && loopActions.some((a) => a.t === 1))
  t.true(loopActions.every((a) => a.name !== 'enter'))
  t.true(replay(m, trace, x.verdict.property.name).ok)
})

test('a cycle that starves an always-enabled worker is unfair: no lasso, proved', (t) => {
  const x = explore(retry({ VARIANT: 'fair-cycle' }))
  t.is(x.verdict.status, 'proved')
  t.true(x.verdict.notes.some((n) => /no weakly fair cycle avoids the goal/.test(n)))
})

test('an intermittently enabled goal is not guaranteed under weak fairness', (t) => {
  const m = retry({ VARIANT: 'intermittent' })
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  const trace = violationTrace(x)!
  t.true(trace.steps.every((s) => s.action.name === 'tick'))
  t.true(replay(m, trace).ok)
})

test('replay refuses a lasso whose loop is unfair', (t) => {
  const m = retry({ VARIANT: 'fair-cycle' })
  // tick, tick back: a loop in which the always-enabled worker never acts.
  const trace = {
    initialState: { tick: false, done: false },
    steps: [
      { action: { name: 'tick' }, state: { tick: true, done: false }, changes: {} },
      { action: { name: 'tick' }, state: { tick: false, done: false }, changes: {} },
    ],
    loop: 0,
  }
  const r = replay(m, trace, 'the worker finishes')
  t.false(r.ok)
  t.true(r.log.some((l) => /unfair to worker/.test(l)))
})
