/**
 * Spinlocks: spin_lock, spin_lock_irq, spin_lock_irqsave, their unlocks and spin_trylock. A
 * spinlock spins instead of sleeping, so it is atomic context while held: nothing that may sleep
 * may run under it (might_sleep(), the `might-sleep` property). The _irq and _irqsave forms also
 * disable interrupts; a lock taken in hard-irq context (an irq handler, a fence callback run from
 * one) and elsewhere with interrupts on is lockdep's inconsistent lock state (`irq-safety`).
 *
 * Documentation/locking/locktypes.rst: "Sleeping lock types cannot nest inside CPU local and
 * spinning lock types."
 */
import { SpecError } from '../errors.js'
import type { ParseCx } from '../parse.js'
import type { Step, StepOf } from '../types.js'
import { nodeId } from '../view.js'
import { names, type OpModule } from './op.js'
import { ELSE } from './schema.js'

/** none: spin_lock (irqs as they were); irq: spin_lock_irq; irqsave: spin_lock_irqsave */
export type IrqMode = 'none' | 'irq' | 'irqsave'

declare module '../types.js' {
  interface StepVariants {
    spin_lock: { readonly op: 'spin_lock'; readonly lock: number; readonly irq: IrqMode }
    spin_trylock: { readonly op: 'spin_trylock'; readonly lock: number; readonly else: Outcome }
    spin_unlock: { readonly op: 'spin_unlock'; readonly lock: number; readonly irq: IrqMode }
  }
}
type S = StepOf<'spin_lock' | 'spin_trylock' | 'spin_unlock'>

const arg = { role: 'lock', what: 'the spinlock', schema: { type: 'string', description: 'a lock declared with kind: spinlock' } } as const

const spinlock = (px: ParseCx, key: string): number => {
  const l = px.arg()
  const lk = px.locks[l]!
  if (lk.kind !== 'spinlock')
    throw new SpecError('FC183', [...px.where, key], `'${lk.name}' is a ${lk.kind}, not a spinlock; ${key} takes a lock declared with kind: spinlock`)
  return l
}

const IRQ_OF: Record<string, IrqMode> = {
  spin_lock: 'none',
  spin_lock_irq: 'irq',
  spin_lock_irqsave: 'irqsave',
  spin_unlock: 'none',
  spin_unlock_irq: 'irq',
  spin_unlock_irqrestore: 'irqsave',
}

const take = (key: string, doc: string) => ({
  key,
  doc,
  arg,
  parse: (px: ParseCx): Step[] => [{ where: px.where, op: 'spin_lock', lock: spinlock(px, key), irq: IRQ_OF[key]! }],
})
const give = (key: string, doc: string) => ({
  key,
  doc,
  arg,
  parse: (px: ParseCx): Step[] => [{ where: px.where, op: 'spin_unlock', lock: spinlock(px, key), irq: IRQ_OF[key]! }],
})

const LOCK_FN: Record<IrqMode, string> = { none: 'spin_lock', irq: 'spin_lock_irq', irqsave: 'spin_lock_irqsave' }
const UNLOCK_FN: Record<IrqMode, string> = { none: 'spin_unlock', irq: 'spin_unlock_irq', irqsave: 'spin_unlock_irqrestore' }

/**
 * Are interrupts off before step i of a straight-line path (a spin_lock_irq/_irqsave taken and not
 * yet released)? `start` says whether they are off at the path's start (irq handlers, callbacks
 * run from irq context).
 */
export function irqsOffAlong(steps: readonly Step[], start: boolean): boolean[] {
  const out: boolean[] = []
  const off = new Set<number>()
  for (const s of steps) {
    out.push(start || off.size > 0)
    if (s.op === 'spin_lock' && s.irq !== 'none') off.add(s.lock)
    else if (s.op === 'spin_unlock' && s.irq !== 'none') off.delete(s.lock)
  }
  out.push(start || off.size > 0)
  return out
}

export const spinOp: OpModule<S> = {
  ops: ['spin_lock', 'spin_trylock', 'spin_unlock'],
  syntax: [
    take('spin_lock', 'take a spinlock, spinning until it is free (spin_lock): atomic context until spin_unlock'),
    take('spin_lock_irq', 'take a spinlock with interrupts disabled (spin_lock_irq)'),
    take('spin_lock_irqsave', 'take a spinlock with interrupts disabled, saving their state (spin_lock_irqsave)'),
    {
      key: 'spin_trylock',
      doc: 'try to take a spinlock without spinning (spin_trylock); else: what a failure does (default skip)',
      arg,
      modifiers: { else: ELSE('skip') },
      parse: (px) => [{ where: px.where, op: 'spin_trylock', lock: spinlock(px, 'spin_trylock'), else: px.outcome(px.mods.else, 'skip') }],
    },
    give('spin_unlock', 'release a spinlock (spin_unlock)'),
    give('spin_unlock_irq', 'release a spinlock and enable interrupts (spin_unlock_irq)'),
    give('spin_unlock_irqrestore', 'release a spinlock and restore the saved interrupt state (spin_unlock_irqrestore)'),
  ],
  refs: { spin_lock: { lock: 'lock' }, spin_trylock: { lock: 'lock' }, spin_unlock: { lock: 'lock' } },
  cite: [
    { path: 'include/linux/spinlock.h', fn: 'spin_lock' },
    { path: 'include/linux/spinlock.h', fn: 'spin_lock_irqsave' },
    { path: 'include/linux/spinlock.h', fn: 'spin_trylock' },
    { path: 'kernel/locking/spinlock.c', fn: '_raw_spin_lock_irqsave' },
    { path: 'kernel/locking/lockdep.c', fn: 'mark_lock_irq' },
  ],
  rules(k, step) {
    const { cx, p, t, base, m, add, L } = k
    const lock = step.lock
    if (step.op === 'spin_unlock') {
      add(
        { name: UNLOCK_FN[step.irq], ...base, lock: L(lock) },
        m('release'),
        (s) => p.at_(s),
        (c) => {
          cx.dropLock(c, t, lock)
          p.advance(c)
        },
      )
      return
    }
    const name = step.op === 'spin_lock' ? LOCK_FN[step.irq] : 'spin_trylock'
    add(
      { name, ...base, lock: L(lock) },
      m('acquire', { acquires: { lock, mode: 'write' } }),
      (s) => p.at_(s) && cx.lockFree(s, lock, 'write'),
      (c) => {
        cx.takeLock(c, t, lock, 'write')
        p.advance(c)
      },
    )
    if (step.op === 'spin_trylock') {
      const o = step.else
      add(
        { name: 'spin_trylock_failed', ...base, lock: L(lock), then: o },
        m(o === 'retry' ? 'spin' : 'trylock_failed'),
        (s) => p.at_(s) && !cx.lockFree(s, lock, 'write'),
        (c) => cx.outcome(p, o, c),
      )
    }
  },
  waitsOn(w, step) {
    if (step.op === 'spin_lock') w.edge(nodeId.lock(step.lock), `spins on ${w.v.design.locks[step.lock]!.name}${w.where}`)
  },
  takes: (step) => (step.op === 'spin_unlock' ? undefined : { lock: step.lock, mode: 'write' }),
  releases: (step) => (step.op === 'spin_unlock' ? step.lock : undefined),
  lockdep: {
    // A spinlock never sleeps; a trylock records no dependency.
    ordersAcquire: (step) => step.op !== 'spin_trylock',
    sleeps: () => false,
  },
  text(d, s) {
    const { L } = names(d)
    if (s.op === 'spin_unlock') return `${UNLOCK_FN[s.irq]}(${L(s.lock)})`
    if (s.op === 'spin_trylock') return `spin_trylock(${L(s.lock)}), on failure ${s.else}`
    return `${LOCK_FN[s.irq]}(${L(s.lock)})`
  },
}
