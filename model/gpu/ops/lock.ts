/**
 * Sleeping locks: mutex_lock / down_read / dma_resv_lock, their trylock forms, and unlock. A lock
 * is free for a writer when nobody holds it. An rwsem is free for a reader when no writer holds it
 * and no writer is queued behind the readers that hold it: a writer that finds the rwsem taken
 * queues (down_write sleeps), and a reader that then finds it read-held with a writer queued
 * queues behind the writer (kernel/locking/rwsem.c: rwsem_read_trylock @ v6.12 fails on
 * RWSEM_FLAG_WAITERS, and rwsem_down_read_slowpath @ v6.12 skips optimistic stealing and goes to
 * `queue` when the lock is reader-owned by others, "to prevent a constant stream of readers from
 * starving a sleeping writer"). down_read_trylock fails while any waiter is queued
 * (__down_read_trylock @ v6.12 tests RWSEM_READ_FAILED_MASK). A free rwsem with a writer queued
 * (the writer is being woken) may still be stolen by a reader, as rwsem_down_read_slowpath does
 * without RWSEM_FLAG_HANDOFF; the handoff bit, set only after a waiter slept RWSEM_WAIT_TIMEOUT,
 * delays such a reader behind the writer and adds no run. In a non-blockable invalidation a
 * `nonblock: again` lock is a trylock whose failure makes the callback return false
 * (amdgpu_hmm_invalidate_gfx, xe_vma_userptr_invalidate; rule 38).
 */
import { enumOf, type LayoutBuilder } from '../../../checker/layout.js'
import type { Cursor, Reader } from '../../../checker/model.js'
import { SpecError } from '../errors.js'
import { type GpuFields, nodeId } from '../view.js'
import type { GpuDesign, LockMode, Step, StepOf } from '../types.js'
import type { ParseCx } from '../parse.js'
import { outcomeText } from './branch.js'
import { names, type OpModule } from './op.js'
import { ELSE, NONBLOCK } from './schema.js'
import { ctxLockText, linkCtx, readCtx, underCtx, wwLockRules } from './ww.js'
import { addTimeout, readTimeout, TIMEOUT, TIMEOUT_ELSE, timeoutText } from './timeout.js'

declare module '../types.js' {
  interface StepVariants {
    lock: {
      readonly op: 'lock'
      readonly lock: number
      readonly mode: LockMode
      readonly nonblock?: 'again'
      readonly timeout?: true
      readonly else?: Outcome
      /** under the thread's acquire context (ops/ww.ts): dma_resv_lock(obj, &ctx), or its _slow form;
       * 'already': a dma_resv_lock(obj, &ctx) of a lock the context holds here, which returns -EALREADY */
      readonly ctx?: 'lock' | 'slow' | 'already'
      /** what the caller does with -EALREADY: go on (drm_exec's DRM_EXEC_IGNORE_DUPLICATES) or an outcome */
      readonly already?: Outcome | 'continue'
    }
    trylock: { readonly op: 'trylock'; readonly lock: number; readonly mode: LockMode; readonly else: Outcome }
    unlock: { readonly op: 'unlock'; readonly lock: number }
  }
}
type S = StepOf<'lock' | 'trylock' | 'unlock'>

/** a down_write of an rwsem: it queues as a writer when the rwsem is taken */
const rwsemWrite = (d: Pick<GpuDesign, 'locks'>, s: Step): boolean => s.op === 'lock' && s.mode === 'write' && d.locks[s.lock]!.kind === 'rwsem'

/** The queued-writer field of each thread (-1: the thread never queues as an rwsem writer): the
 * rwsem it sleeps on in down_write, plus one, or 0. */
export const writerQueueFields = (f: Pick<GpuFields, 'pc' | 'extra'>): number[] => f.pc.map((_, t) => f.extra[`rwq.${t}`] ?? -1)

/** The threads queued as writers on rwsem l. */
export function queuedWriters(f: Pick<GpuFields, 'pc' | 'extra'>, s: Reader, l: number): number[] {
  const out: number[] = []
  writerQueueFields(f).forEach((x, t) => {
    if (x >= 0 && s.get(x) === l + 1) out.push(t)
  })
  return out
}

/** Can a reader take rwsem l now: no writer holds it, and it is not read-held with a writer queued. */
export function readerMayTake(f: Pick<GpuFields, 'pc' | 'extra' | 'owner' | 'readers'>, s: Reader, l: number): boolean {
  if (s.get(f.owner[l]!) !== 0) return false
  const r = f.readers[l]!
  return r < 0 || s.get(r) === 0 || queuedWriters(f, s, l).length === 0
}

/** already: on a dma_resv lock under an acquire context */
const ALREADY = {
  doc: 'with ctx: what -EALREADY does (the context holds the lock already: ww->ctx == ctx): continue (holding it once, as drm_exec with DRM_EXEC_IGNORE_DUPLICATES), or an outcome such as -EALREADY, fail or skip',
  schema: { type: 'string' },
}

/** ctx: true on a dma_resv lock */
const CTX = {
  doc: 'dma_resv_lock(obj, &ctx): take the dma_resv under the acquire context (ww_acquire_init); else: is the -EDEADLK backoff',
  schema: { type: 'boolean' },
}

const arg = {
  role: 'lock',
  what: 'the lock',
  schema: { type: 'string', description: "a declared lock, mmap_lock (P.mmap_lock: process P's, with several processes), or BO.resv (a buffer's dma_resv)" },
} as const

/** lock: X, lock_read: X, trylock: X, trylock_read: X */
const take = (key: 'lock' | 'lock_read' | 'trylock' | 'trylock_read', doc: string) => ({
  key,
  doc,
  arg,
  ...(key === 'lock'
    ? { modifiers: { nonblock: NONBLOCK, timeout: TIMEOUT, ctx: CTX, else: TIMEOUT_ELSE, already: ALREADY } }
    : key === 'lock_read'
      ? { modifiers: { timeout: TIMEOUT, else: TIMEOUT_ELSE } }
      : { modifiers: { else: ELSE('skip') } }),
  parse: (px: ParseCx): Step[] => {
    const l = px.arg()
    const mode: LockMode = key.endsWith('_read') ? 'read' : 'write'
    if (mode === 'read' && px.locks[l]!.kind !== 'rwsem')
      throw new SpecError('FC159', [...px.where, key], `'${px.locks[l]!.name}' is a ${px.locks[l]!.kind}; only an rwsem can be taken for read`)
    if (key.startsWith('trylock')) return [{ where: px.where, op: 'trylock', lock: l, mode, else: px.outcome(px.mods.else, 'skip') }]
    const ctx = key === 'lock' ? readCtx(px, l) : {}
    if (ctx.ctx) return [{ where: px.where, op: 'lock', lock: l, mode, ...ctx }]
    return [{ where: px.where, op: 'lock', lock: l, mode, ...px.nonblock(), ...readTimeout(px) }]
  },
})

export const lockOp: OpModule<S> = {
  ops: ['lock', 'trylock', 'unlock'],
  syntax: [
    take('lock', 'take the lock for write, sleeping until it is free (mutex_lock, down_write, dma_resv_lock)'),
    take('lock_read', 'take an rwsem for read (down_read)'),
    take('trylock', 'try to take the lock for write without sleeping; else: what a failure does (default skip)'),
    take('trylock_read', 'try to take an rwsem for read (down_read_trylock)'),
    {
      key: 'unlock',
      doc: 'release a lock this path holds',
      arg,
      parse: (px) => [{ where: px.where, op: 'unlock', lock: px.arg() }],
    },
  ],
  refs: { lock: { lock: 'lock' }, trylock: { lock: 'lock' }, unlock: { lock: 'lock' } },
  fields(b: LayoutBuilder, d: GpuDesign) {
    // Every thread that may run a down_write: in its path, or in reclaim or a notifier callback it may run.
    const shared = d.reclaim.some((r) => r.steps.some((x) => rwsemWrite(d, x))) || d.notifiers.some((n) => n.callback.some((x) => rwsemWrite(d, x)))
    const out: Record<string, number> = {}
    d.threads.forEach((th, t) => {
      if (shared || th.steps.some((x) => rwsemWrite(d, x)))
        out[`rwq.${t}`] = b.scalar(`queuedWriter.${th.name}`, enumOf('not queued', ...d.locks.map((l) => `queued on ${l.name}`)))
    })
    return out
  },
  cite: [
    { path: 'kernel/locking/mutex.c', fn: 'mutex_lock' },
    { path: 'kernel/locking/mutex.c', fn: 'mutex_trylock' },
    { path: 'kernel/locking/mutex.c', fn: 'mutex_unlock' },
    { path: 'kernel/locking/rwsem.c', fn: 'down_read' },
    { path: 'kernel/locking/rwsem.c', fn: 'down_read_trylock' },
    { path: 'kernel/locking/rwsem.c', fn: 'up_read' },
    { path: 'include/linux/dma-resv.h', fn: 'dma_resv_lock' },
  ],
  // A lock under an acquire context needs its ww_acquire_init earlier in the path.
  link: (steps, k, who) => linkCtx(steps, k, who) as S,
  rules(k, step) {
    const { cx, p, t, base, m, add, L } = k
    if (step.op === 'unlock') {
      const lock = step.lock
      add(
        { name: 'unlock', ...base, lock: L(lock) },
        m('release'),
        (s) => p.at_(s),
        (c) => {
          cx.dropLock(c, t, lock)
          p.advance(c)
        },
      )
      return
    }
    const { lock, mode } = step
    if (underCtx(step)) return wwLockRules(k, step)
    if (step.op === 'lock' && step.nonblock && p.site?.step.nonblock) {
      // Non-blockable invalidation: mutex_trylock, and return false if it is taken (rule 38).
      add(
        { name: 'trylock_nonblock', ...base, lock: L(lock) },
        m('acquire', { acquires: { lock, mode } }),
        (s) => p.at_(s) && cx.lockFree(s, lock, mode),
        (c) => {
          cx.takeLock(c, t, lock, mode)
          p.advance(c)
        },
      )
      add(
        { name: 'trylock_nonblock_failed', ...base, lock: L(lock), then: 'again' },
        m('return_false'),
        (s) => p.at_(s) && !cx.lockFree(s, lock, mode),
        (c) => cx.outcome(p, 'again', c),
      )
      return
    }
    const name = step.op === 'lock' ? (mode === 'read' ? 'lock_read' : 'lock') : mode === 'read' ? 'trylock_read' : 'trylock'
    const rwsem = cx.design.locks[lock]!.kind === 'rwsem'
    // An rwsem writer sleeps in the queue; a reader waits behind a queued writer (rwsem.c).
    const queue = rwsem && mode === 'write' && step.op === 'lock' ? (cx.f.extra[`rwq.${t}`] ?? -1) : -1
    const free =
      rwsem && mode === 'read'
        ? step.op === 'trylock'
          ? (s: Reader) => s.get(cx.f.owner[lock]!) === 0 && queuedWriters(cx.f, s, lock).length === 0
          : (s: Reader) => readerMayTake(cx.f, s, lock)
        : (s: Reader) => cx.lockFree(s, lock, mode)
    add(
      { name, ...base, lock: L(lock) },
      m('acquire', { acquires: { lock, mode } }),
      (s) => p.at_(s) && free(s),
      (c) => {
        cx.takeLock(c, t, lock, mode)
        if (queue >= 0 && c.post(queue) !== 0) c.set(queue, 0)
        p.advance(c)
      },
    )
    if (queue >= 0) {
      // rwsem_down_write_slowpath: the writer adds itself to the wait list and sleeps.
      add(
        { name: 'down_write_queued', ...base, lock: L(lock) },
        m('queue_writer'),
        (s) => p.at_(s) && s.get(queue) === 0 && !cx.lockFree(s, lock, mode),
        (c) => c.set(queue, lock + 1),
      )
    }
    if (step.op === 'lock') addTimeout(k, step, (s) => !free(s), L(lock), queue >= 0 ? (c: Cursor) => c.set(queue, 0) : undefined)
    if (step.op === 'trylock') {
      const o = step.else
      add(
        { name: `${name}_failed`, ...base, lock: L(lock), then: o },
        m(o === 'retry' ? 'spin' : 'trylock_failed'),
        (s) => p.at_(s) && !free(s),
        (c) => cx.outcome(p, o, c),
      )
    }
  },
  waitsOn(w, step) {
    if (step.op === 'unlock') return
    const d = w.v.design
    // A reader behind a queued writer waits for the writer (which waits for the readers holding it).
    if (step.mode === 'read' && w.s.get(w.v.f.owner[step.lock]!) === 0)
      for (const u of queuedWriters(w.v.f, w.s, step.lock))
        if (u !== w.t)
          w.edge(
            nodeId.thread(u),
            `waits behind ${d.threads[u]!.name}, queued to write ${d.locks[step.lock]!.name} (rwsem: readers queue behind a waiting writer)${w.where}`,
          )
    const spins = step.op === 'lock' && step.ctx === 'lock' && step.else === 'retry'
    w.edge(
      nodeId.lock(step.lock),
      spins
        ? `gets -EDEADLK from ${d.locks[step.lock]!.name} and tries again holding its locks, never backing off${w.where}`
        : `waits for lock ${d.locks[step.lock]!.name}${w.where}`,
    )
  },
  // -EALREADY takes nothing: the context holds the lock once.
  takes: (step) => (step.op === 'unlock' || (step.op === 'lock' && step.ctx === 'already') ? undefined : { lock: step.lock, mode: step.mode }),
  releases: (step) => (step.op === 'unlock' ? step.lock : undefined),
  // mutex_lock, down_write and dma_resv_lock(obj, NULL) of a lock the path holds sleep for ever:
  // __mutex_lock_common @ v6.12 waits for the owner, itself, and lockdep's check_deadlock reports
  // "possible recursive locking detected" (kernel/locking/lockdep.c @ v6.12) when it is attempted.
  // The model checks such a path (a deadlock, a recursion in the lock order) rather than refusing
  // it. The bounded form (timeout: true: mutex_lock_interruptible/killable, down_write_killable,
  // which a signal ends as a timeout ends down_timeout) does the same until its escape:
  // mutex_acquire_nest runs before the task sleeps, so lockdep reports the recursion, the task
  // sleeps on itself, and only the signal (the timeout) ends the wait, with the else: outcome
  // (-EINTR): lock-order and hang-until-timeout, not a deadlock. A trylock of a held lock fails
  // and records nothing (mutex_trylock @ v6.12 calls mutex_acquire only on success; validate_chain
  // skips check_deadlock for a trylock): the recursion test drivers write instead
  // (drivers/gpu/drm/ttm/ttm_bo_util.c: ttm_lru_walk_trylock @ v6.12), its else: runs. Under an
  // acquire context the kernel returns -EALREADY (already:, ops/ww.ts); a nonblock form and a
  // read lock stay refused (FC185), and a down_read_trylock of an rwsem the path read-holds,
  // which succeeds as a second read hold the model does not count, is FC266.
  selfDeadlocks: (step) => step.op === 'lock' && step.mode === 'write' && !step.ctx && !step.nonblock,
  lockdep: {
    // lockdep records no dependency for a trylock: it cannot block, so it cannot deadlock.
    ordersAcquire: (step) => step.op !== 'trylock',
    // mutex_lock may sleep (might_sleep()); the nonblock form is a trylock there.
    // __mutex_lock_common runs might_sleep() before its -EALREADY test.
    sleeps: (step, m) => step.op === 'lock' && !step.nonblock && (m.does === 'acquire' || m.does === 'ealready'),
    // mutex_lock, down_read/down_write, dma_resv_lock: lock_acquire() before the task sleeps
    // (kernel/locking/mutex.c: __mutex_lock_common @ v6.12 calls mutex_acquire_nest first).
    // -EALREADY returns before mutex_acquire_nest: lockdep records nothing.
    blocksOn: (step) => (step.op === 'lock' && step.ctx !== 'already' ? { lock: step.lock, mode: step.mode } : undefined),
    returnsFalse: (step, m) => m.does === 'trylock_failed' && step.op === 'trylock' && step.else === 'again',
  },
  text(d, s) {
    const { L, uf } = names(d)
    if (s.op === 'unlock') return `unlock(${L(s.lock)})${uf(s)}`
    if (s.op === 'lock' && s.ctx) return ctxLockText(d, s)
    if (s.op === 'lock')
      return `${s.mode === 'read' ? 'down_read' : d.locks[s.lock]!.kind === 'ww' ? 'dma_resv_lock' : d.locks[s.lock]!.kind === 'rwsem' ? 'down_write' : 'mutex_lock'}(${L(s.lock)})${s.nonblock ? ' (trylock if non-blockable)' : ''}${timeoutText(s)}${uf(s)}`
    return `${s.mode === 'read' ? 'down_read_trylock' : d.locks[s.lock]!.kind === 'ww' ? 'dma_resv_trylock' : d.locks[s.lock]!.kind === 'rwsem' ? 'down_write_trylock' : 'mutex_trylock'}(${L(s.lock)}), on failure ${outcomeText(s.else)}`
  },
}
