/**
 * Counting resources: a named pool of N slots (ring space, event slots, IDs, a semaphore's count),
 * taken and released by any actor. `down` takes a slot, sleeping while none is free (down() in
 * kernel/locking/semaphore.c: the count is decremented if positive, else the caller sleeps until an
 * up()); `down_trylock` takes one or fails (down_trylock(): returns 1 when the count is zero); `up`
 * gives one back and wakes a waiter. A semaphore has no lockdep map, so no lock-order edge is
 * recorded for it.
 *
 * A waiter for a slot waits on every actor that can still release one: a thread with an `up` of
 * the pool ahead of it, a work item whose callback has one (or, while the item is idle, whoever
 * can still queue it). If one of them can move, the waiter is not blocked for ever; if none can,
 * it is (a deadlock, with the chain to the dead end printed).
 */
import { int } from '../../../checker/layout.js'
import type { Reader } from '../../../checker/model.js'
import type { GpuDesign, Step, StepOf } from '../types.js'
import { type GpuFields, nodeId } from '../view.js'
import type { OpModule, WaitCx } from './op.js'
import { ELSE } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    down: { readonly op: 'down'; readonly pool: number }
    down_trylock: { readonly op: 'down_trylock'; readonly pool: number; readonly else: Outcome }
    up: { readonly op: 'up'; readonly pool: number }
  }
}
type S = StepOf<'down' | 'down_trylock' | 'up'>

const freeField = (f: GpuFields, p: number): number => f.extra[`pool.${p}`]!
const arg = { role: 'pool', what: 'the pool', schema: { type: 'string', description: 'a declared pool (pools:)' } } as const

/** Does the step release a slot of pool p? */
const ups = (st: Step, p: number): boolean => st.op === 'up' && st.pool === p

/**
 * Who can still release a slot of pool p in state s (besides thread t): threads with an up ahead
 * of them, and work items whose callback has one (every step of a work item may run again; while
 * it is idle, the wait-for graph makes it wait on whoever can still queue it).
 */
export function releasers(d: GpuDesign, f: GpuFields, s: Reader, p: number, t: number): { thread: number; why: string }[] {
  const out: { thread: number; why: string }[] = []
  d.threads.forEach((th, u) => {
    if (u === t) return
    const pc = s.get(f.pc[u]!)
    if (th.work !== undefined ? th.steps.some((x) => ups(x, p)) : th.steps.some((x, i) => (th.repeat || i >= pc) && ups(x, p)))
      out.push({ thread: u, why: `released by ${th.work !== undefined ? 'work' : 'thread'} ${th.name}` })
  })
  return out
}

const waitsForSlot = (w: WaitCx, p: number): void => {
  const d = w.v.design
  const pool = d.pools[p]!
  const what = `waits for a slot of pool ${pool.name} (none of its ${pool.slots} free)`
  const rs = releasers(d, w.v.f, w.s, p, w.t)
  w.n.mode = 'any'
  for (const r of rs) w.edge(nodeId.thread(r.thread), `${what}, ${r.why}${w.where}`)
  if (rs.length === 0) w.n.why.push(`${what}, and no actor can still release one${w.where}`)
}

export const poolOp: OpModule<S> = {
  sections: [
    {
      key: 'pools',
      doc: 'counting resources: ring space, event slots, IDs, a semaphore. A thread waiting for a slot waits on every actor that can still release one (an `up` ahead of it, or in a work item); when none can, it is blocked for ever',
      fields: { name: 'its name', slots: 'how many slots (1 to 8)', free: 'slots free at start (default: all; 0 for a semaphore used as a completion)' },
    },
  ],
  ops: ['down', 'down_trylock', 'up'],
  syntax: [
    {
      key: 'down',
      doc: 'take a slot of the pool, sleeping until one is free (down(), a ring-space or ID allocation that waits)',
      arg,
      parse: (px) => [{ where: px.where, op: 'down', pool: px.arg() }],
    },
    {
      key: 'down_trylock',
      doc: 'take a slot if one is free; else: what a failure does (default skip; retry spins)',
      arg,
      modifiers: { else: ELSE('skip') },
      parse: (px) => [{ where: px.where, op: 'down_trylock', pool: px.arg(), else: px.outcome(px.mods.else, 'skip') }],
    },
    {
      key: 'up',
      doc: 'give a slot back to the pool (up(), the ring space or ID freed); a pool never holds more than its slots',
      arg,
      parse: (px) => [{ where: px.where, op: 'up', pool: px.arg() }],
    },
  ],
  refs: { down: { pool: 'pool' }, down_trylock: { pool: 'pool' }, up: { pool: 'pool' } },
  cite: [
    { path: 'kernel/locking/semaphore.c', fn: 'down' },
    { path: 'kernel/locking/semaphore.c', fn: 'down_trylock' },
    { path: 'kernel/locking/semaphore.c', fn: 'up' },
    { path: 'include/linux/semaphore.h', fn: 'struct semaphore' },
  ],
  fields(b, d) {
    const out: Record<string, number> = {}
    d.pools.forEach((pool, i) => (out[`pool.${i}`] = b.scalar(`free.${pool.name}`, int(0, pool.slots))))
    return out
  },
  init(d, extra, state) {
    d.pools.forEach((pool, i) => (state[extra[`pool.${i}`]!] = pool.free))
  },
  rules(k, step) {
    const { cx, p, base, m, add } = k
    const pool = cx.design.pools[step.pool]!
    const fr = freeField(cx.f, step.pool)
    if (step.op === 'up') {
      add(
        { name: 'up', ...base, pool: pool.name },
        m('up'),
        (s) => p.at_(s) && s.get(fr) < pool.slots,
        (c) => {
          c.set(fr, c.post(fr) + 1)
          p.advance(c)
        },
      )
      return
    }
    add(
      { name: step.op, ...base, pool: pool.name },
      m('take_slot'),
      (s) => p.at_(s) && s.get(fr) > 0,
      (c) => {
        c.set(fr, c.post(fr) - 1)
        p.advance(c)
      },
    )
    if (step.op === 'down_trylock') {
      const o = step.else
      add(
        { name: 'down_trylock_failed', ...base, pool: pool.name, then: o },
        m(o === 'retry' ? 'spin' : 'trylock_failed'),
        (s) => p.at_(s) && s.get(fr) === 0,
        (c) => cx.outcome(p, o, c),
      )
    }
  },
  waitsOn(w, step) {
    if (step.op !== 'up') return waitsForSlot(w, step.pool)
    const pool = w.v.design.pools[step.pool]!
    w.n.why.push(`gives a slot back to pool ${pool.name}, which has all ${pool.slots} free already (more up than down)`)
  },
  lockdep: {
    sleeps: (step, m) => step.op === 'down' && m.does === 'take_slot',
    returnsFalse: (step, m) => m.does === 'trylock_failed' && step.op === 'down_trylock' && step.else === 'again',
  },
  text(d, s) {
    const name = d.pools[s.pool]!.name
    if (s.op === 'up') return `up(${name})`
    if (s.op === 'down') return `down(${name})`
    return `down_trylock(${name}), on failure ${s.else}`
  },
}
