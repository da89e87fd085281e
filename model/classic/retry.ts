/**
 * Tiny liveness models with known answers, for checking the fair-cycle search.
 *
 * VARIANT=polite: two threads each raise a flag, and back off (lower it and start over) when the
 *   other's flag is up, before entering their critical section. Both can back off for ever in
 *   lockstep, each taking its turn: a weakly fair livelock. Thread 0 entering is not guaranteed.
 * VARIANT=fair-cycle: a ticker loops for ever while a worker, enabled all along, could finish.
 *   The only goal-free cycle starves the worker, so it is unfair: no lasso may be reported.
 * VARIANT=intermittent: the worker can finish only while a toggle is on; the toggler flips it for
 *   ever. A cycle where the worker never acts is weakly fair (the worker is not continuously
 *   enabled), so the goal is not guaranteed under weak fairness (strong fairness would rule it out).
 */
import { LayoutBuilder, bool, enumOf } from '../../checker/layout.js'
import { type Action, type Cursor, leadsTo, type Model, type Reader, type Rule } from '../../checker/model.js'
import type { ParamSpec, ParamValues } from '../../checker/params.js'

export const RETRY_PARAMS: readonly ParamSpec[] = [
  {
    name: 'VARIANT',
    kind: 'enum',
    values: ['polite', 'fair-cycle', 'intermittent'],
    default: 'polite',
    doc: 'which tiny liveness model (see model/classic/retry.ts)',
  },
]

export function retry(params: ParamValues): Model<Action> {
  const variant = params.VARIANT as string
  const b = new LayoutBuilder()
  const rules: Rule<Action>[] = []
  const rule = (action: Action, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => void rules.push({ action, guard, apply })
  if (variant === 'polite') {
    const pc = [b.scalar('pc0', enumOf('idle', 'flagged', 'cs')), b.scalar('pc1', enumOf('idle', 'flagged', 'cs'))]
    const flag = [b.scalar('flag0', bool), b.scalar('flag1', bool)]
    const layout = b.build()
    for (const t of [0, 1]) {
      const o = 1 - t
      rule(
        { name: 'raise', t },
        (s) => s.get(pc[t]!) === 0,
        (s) => (s.set(flag[t]!, 1), s.set(pc[t]!, 1)),
      )
      rule(
        { name: 'back_off', t },
        (s) => s.get(pc[t]!) === 1 && s.get(flag[o]!) === 1,
        (s) => (s.set(flag[t]!, 0), s.set(pc[t]!, 0)),
      )
      rule(
        { name: 'enter', t },
        (s) => s.get(pc[t]!) === 1 && s.get(flag[o]!) === 0,
        (s) => s.set(pc[t]!, 2),
      )
    }
    return {
      name: 'retry',
      params: { VARIANT: variant },
      about: 'polite back-off livelock',
      layout,
      init: () => [new Int32Array(layout.fieldCount)],
      rules,
      properties: [
        leadsTo('thread 0 enters its critical section', { goal: (s) => s.get(pc[0]!) === 2, fairness: (a) => a.t as number, groups: ['thread 0', 'thread 1'] }),
      ],
    }
  }
  const tick = b.scalar('tick', bool)
  const done = b.scalar('done', bool)
  const layout = b.build()
  rule(
    { name: 'tick' },
    () => true,
    (s) => s.set(tick, 1 - s.get(tick)),
  )
  rule({ name: 'finish' }, variant === 'fair-cycle' ? (s) => s.get(done) === 0 : (s) => s.get(done) === 0 && s.get(tick) === 1, (s) => s.set(done, 1))
  return {
    name: 'retry',
    params: { VARIANT: variant },
    about: variant,
    layout,
    init: () => [new Int32Array(layout.fieldCount)],
    rules,
    properties: [
      leadsTo('the worker finishes', { goal: (s) => s.get(done) === 1, fairness: (a) => (a.name === 'tick' ? 0 : 1), groups: ['ticker', 'worker'] }),
    ],
  }
}
