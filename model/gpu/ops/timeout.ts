/**
 * Bounded waits. `timeout: true` on a fence wait (dma_fence_wait_timeout, dma_resv_wait_timeout
 * with a finite timeout, as ttm_bo_wait_ctx's 15 s), on a sleeping lock (down_timeout) or on a
 * wait_event (wait_event_timeout) lets the wait give up: while it is blocked, and only then, the
 * timeout may fire (a nondeterministic choice), and the step goes on as its `else:` says (an
 * outcome, an error code, or a list of steps: ops/branch.ts; default -EBUSY, what ttm_bo_wait_ctx
 * turns a timeout into).
 *
 * A timeout is an escape, not progress: the wait-for graph counts a thread whose only enabled rule
 * is its timeout as blocked when it asks which cycles only a timeout breaks (waitFor.ts, with
 * timeouts ignored), and the property hang-until-timeout (properties/gpu.ts) is violated by a
 * timeout that fires while its thread was in such a hang. A bounded wait under a lock hides a
 * deadlock that is still a bug (ttm's bounded eviction wait); a scenario may accept it by policy.
 *
 * wait_event: FLAG sleeps until another path sets the flag (ops/cond.ts), as
 * wait_event(wq, condition) does until its waker sets the condition and wakes the queue.
 */
import type { Cursor, Reader } from '../../../checker/model.js'
import type { StepCx } from '../context.js'
import { SpecError } from '../errors.js'
import type { ParseCx } from '../parse.js'
import type { Outcome, StepOf } from '../types.js'
import { nodeId } from '../view.js'
import { outcomeText } from './branch.js'
import { flagField } from './cond.js'
import type { Modifier, OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    wait_event: { readonly op: 'wait_event'; readonly flag: string; readonly timeout?: true; readonly else?: Outcome }
  }
}
type S = StepOf<'wait_event'>

/** timeout: true */
export const TIMEOUT: Modifier = {
  doc: 'the wait is bounded: while it is blocked the timeout may fire, and the step goes on as else: says (default -EBUSY)',
  schema: { type: 'boolean' },
}
/** the else: of a bounded wait */
export const TIMEOUT_ELSE: Modifier = ELSE('-EBUSY')

/** `timeout: true` and its `else:` as written on a wait or a lock */
export function readTimeout(px: ParseCx): { timeout?: true; else?: Outcome } {
  const t = px.mods.timeout
  if (t === undefined || t === false) {
    if (px.mods.else !== undefined)
      throw new SpecError('FC198', [...px.where, 'else'], `a ${px.key} without timeout: true cannot fail; add timeout: true or remove else:`)
    return {}
  }
  if (t !== true) throw new SpecError('FC155', [...px.where, 'timeout'], 'must be true or false')
  if (px.mods.nonblock !== undefined)
    throw new SpecError('FC198', [...px.where, 'timeout'], 'a non-blockable form never sleeps, so it cannot time out; write nonblock or timeout, not both')
  return { timeout: true, else: px.outcome(px.mods.else, '-EBUSY') }
}

/** The timeout rule of a bounded wait: enabled only while `blocked` holds at the step. */
export function addTimeout(
  k: StepCx,
  step: { readonly timeout?: true; readonly else?: Outcome },
  blocked: (s: Reader) => boolean,
  wait: string,
  leave?: (c: Cursor) => void,
): void {
  if (!step.timeout) return
  const { cx, p, base, m, add } = k
  const o = step.else ?? '-EBUSY'
  add(
    { name: 'timed_out', ...base, wait, then: o },
    m('timeout'),
    (s) => p.at_(s) && blocked(s),
    (c) => {
      leave?.(c)
      cx.outcome(p, o, c)
    },
  )
}

/** ", bounded: on timeout -EBUSY" */
export const timeoutText = (s: { readonly timeout?: true; readonly else?: Outcome }): string =>
  s.timeout ? `, bounded: on timeout ${outcomeText(s.else ?? '-EBUSY')}` : ''

export const timeoutOp: OpModule<S> = {
  ops: ['wait_event'],
  syntax: [
    {
      key: 'wait_event',
      doc: 'sleep until a flag is set by another path (wait_event; with timeout: true, wait_event_timeout)',
      arg: { what: 'the flag', schema: NAME('a flag that another path sets (set_flag)') },
      modifiers: { timeout: TIMEOUT, else: TIMEOUT_ELSE },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'wait_event', flag: px.str('the flag'), ...readTimeout(px) }],
    },
  ],
  refs: {},
  cite: [
    { path: 'include/linux/wait.h', fn: 'wait_event_timeout' },
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_wait_timeout' },
    { path: 'drivers/gpu/drm/ttm/ttm_bo.c', fn: 'ttm_bo_wait_ctx' },
    { path: 'kernel/locking/semaphore.c', fn: 'down_timeout' },
  ],
  rules(k, step) {
    const { cx, p, base, m, add } = k
    const f = flagField(cx, step.flag)
    add(
      { name: 'wait_event', ...base, flag: step.flag },
      m('wait_return'),
      (s) => p.at_(s) && s.get(f) === 1,
      (c) => p.advance(c),
    )
    addTimeout(k, step, (s) => s.get(f) === 0, step.flag)
  },
  waitsOn(w, step) {
    const { design, f } = w.v
    design.threads.forEach((th, o) => {
      const pc = w.s.get(f.pc[o]!)
      if (o !== w.t && th.steps.some((x, i) => i >= pc && x.op === 'set_flag' && x.flag === step.flag))
        w.edge(nodeId.thread(o), `waits for thread ${th.name} to set ${step.flag}${w.where}`)
    })
    w.n.mode = 'any'
  },
  lockdep: { sleeps: (_s, m) => m.does === 'wait_return' },
  text: (_d, s) => `wait_event${s.timeout ? '_timeout' : ''}(${s.flag})${timeoutText(s)}`,
}
