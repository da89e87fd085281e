/**
 * Wound/wait mutexes with an acquire context: every dma_resv is a ww_mutex of the Wait-Die class
 * reservation_ww_class (drivers/dma-buf/dma-resv.c: DEFINE_WD_CLASS(reservation_ww_class) @ v6.12).
 *
 * `ww_acquire_init` gives the thread an acquire context whose stamp orders it after every context
 * already initialised (include/linux/ww_mutex.h: ww_acquire_init @ v6.12 takes
 * atomic_long_inc_return_relaxed(&ww_class->stamp)); `ww_acquire_fini` ends it. Inside, a lock
 * written `{ lock: bo.resv, ctx: true, else: ... }` is dma_resv_lock(obj, &ctx): it takes a free
 * lock, and on a taken one it either sleeps or returns -EDEADLK, as Wait-Die says
 * (kernel/locking/ww_mutex.h: __ww_mutex_check_kill @ v6.12): a context that holds no lock yet
 * (ctx->acquired == 0) always sleeps; one that holds some dies when the lock's holder is an older
 * context (__ww_ctx_less: a larger stamp is younger), or when an older context waits on the lock
 * too (the waiter list is in stamp order; __ww_mutex_add_waiter @ v6.12 kills a younger context
 * arriving behind an older waiter, and wakes younger waiters behind an arriving older one with
 * __ww_mutex_die so they die). -EDEADLK runs the step's `else:` (the backoff: drop every lock,
 * ww_mutex_lock_slow the contended one, lock the rest). `lock_slow: bo.resv` is
 * dma_resv_lock_slow: it sleeps and never returns -EDEADLK (the caller holds nothing of the
 * context; ww-mutex-design.rst).
 *
 * Modelling choices: a lock's holder is taken to hold it under its context while it has one (the
 * kernel forbids mixing context and context-less locking of one class inside a context,
 * ww_acquire_init's comment); an older context counts as waiting on a taken lock while it is at a
 * context lock of it (it may have arrived first).
 *
 * A context lock of a lock the context already holds returns -EALREADY before anything else
 * (kernel/locking/mutex.c: __mutex_lock_common @ v6.12: `if (ww_ctx == READ_ONCE(ww->ctx))
 * return -EALREADY`, after might_sleep() and before lockdep's acquire): it neither sleeps nor
 * dies, and takes nothing. `already:` says what the caller does with it: `continue` goes on
 * holding the lock once, as drm_exec_lock_obj does with DRM_EXEC_IGNORE_DUPLICATES
 * (drivers/gpu/drm/drm_exec.c: drm_exec_lock_obj @ v6.12: "if (unlikely(ret == -EALREADY) &&
 * exec->flags & DRM_EXEC_IGNORE_DUPLICATES) return 0", without recording the object again, so
 * drm_exec_fini unlocks it once); an outcome (-EALREADY, fail, skip) leaves the path, as
 * drm_exec_lock_obj returns the error without the flag. Paths are straight-line, so whether the
 * context holds the lock at a step is known before any state exists: such a step compiles to
 * ctx 'already' (linkCtx), and the path checks require its `already:` (FC156). A lock the path
 * took without the context is not the context's (ww->ctx is NULL): taking it again is recursion
 * (FC185).
 */
import { int } from '../../../checker/layout.js'
import type { Cursor, Reader } from '../../../checker/model.js'
import type { StepCx } from '../context.js'
import { SpecError } from '../errors.js'
import type { ParseCx } from '../parse.js'
import type { GpuDesign, Outcome, Step, StepOf } from '../types.js'
import type { GpuFields } from '../view.js'
import { names, type OpModule } from './op.js'

declare module '../types.js' {
  interface StepVariants {
    /** ww_acquire_init (init) or ww_acquire_fini */
    ww_acquire: { readonly op: 'ww_acquire'; readonly init: boolean }
  }
}
type S = StepOf<'ww_acquire'>
type Lock = StepOf<'lock'>

/** lockdep's class of the acquire context's map (ww_acquire_init: lockdep_init_map(&ctx->dep_map, ww_class->acquire_name)) */
export const WW_ACQUIRE_CLASS = 'reservation_ww_class_acquire'

/** The stamp field of each thread (-1: it never initialises a context): 0 without a context, else
 * its rank among the live contexts, 1 the oldest. Ranks are kept dense (ww_acquire_fini moves the
 * younger ones up), so equal orders are one state. */
export const stampFields = (f: Pick<GpuFields, 'pc' | 'extra'>): number[] => f.pc.map((_, t) => f.extra[`stamp.${t}`] ?? -1)

const stamp = (s: Reader, x: number): number => (x < 0 ? 0 : s.get(x))

/** A lock step taken under the thread's acquire context (dma_resv_lock(obj, &ctx) or _slow, or one that returns -EALREADY). */
export const underCtx = (s: Step): s is Lock & { ctx: 'lock' | 'slow' | 'already' } => s.op === 'lock' && s.ctx !== undefined
/** A context lock step that takes its lock (not the -EALREADY of a lock the context holds). */
export const takesUnderCtx = (s: Step): s is Lock & { ctx: 'lock' | 'slow' } => s.op === 'lock' && (s.ctx === 'lock' || s.ctx === 'slow')

/** The locks the acquire context holds before step k of a straight-line path: taken by a context
 * lock or lock_slow, not released since. A failure branch that ends before k is skipped (the
 * owner's success went on); k inside a branch starts from what its owner started with. */
export function ctxHeldAt(steps: readonly Step[], k: number): Set<number> {
  const held = new Set<number>()
  for (let i = 0; i < k; i++) {
    const x = steps[i]!
    const into = x.branch !== undefined && i + x.branch >= k
    if (!into) {
      if (takesUnderCtx(x)) held.add(x.lock)
      else if (x.op === 'unlock') held.delete(x.lock)
    }
    if (x.branch && i + x.branch < k) i += x.branch
  }
  return held
}

/**
 * The rules of a lock under an acquire context: take it when free; -EDEADLK when Wait-Die says
 * (never for lock_slow); otherwise the thread sleeps (no rule: the wait-for graph follows the lock).
 */
export function wwLockRules(k: StepCx, step: Lock & { ctx: 'lock' | 'slow' | 'already' }): void {
  const { cx, p, t, base, m, add, L } = k
  const { design: d, f } = cx
  const lock = step.lock
  if (step.ctx === 'already') {
    // __mutex_lock_common: ww->ctx == ctx, -EALREADY before any wait or Wait-Die test.
    const o = step.already!
    add(
      { name: 'dma_resv_lock_ealready', ...base, lock: L(lock), then: o === 'continue' ? 'go on' : o },
      m('ealready'),
      (s) => p.at_(s) && s.get(f.owner[lock]!) === t + 1,
      (c) => (o === 'continue' ? p.advance(c) : cx.outcome(p, o, c)),
    )
    return
  }
  const stamps = stampFields(f)
  const own = stamps[t]!
  const ww = d.locks.flatMap((lk, l) => (lk.kind === 'ww' ? [l] : []))
  // The path positions at which each other thread is at a context lock of this lock (a waiter).
  const waitAt = d.threads.map((th) => th.steps.flatMap((x, i) => (takesUnderCtx(x) && x.lock === lock ? [i] : [])))
  add(
    { name: step.ctx === 'slow' ? 'dma_resv_lock_slow' : 'dma_resv_lock', ...base, lock: L(lock) },
    m('acquire', { acquires: { lock, mode: 'write' } }),
    (s) => p.at_(s) && cx.lockFree(s, lock, 'write'),
    (c) => {
      cx.takeLock(c, t, lock, 'write')
      p.advance(c)
    },
  )
  if (step.ctx === 'slow') return
  const o = step.else!
  const older = (s: Reader, u: number): boolean => u !== t && stamp(s, stamps[u]!) > 0 && stamp(s, stamps[u]!) < stamp(s, own)
  const dies = (s: Reader): boolean => {
    const holder = s.get(f.owner[lock]!) - 1
    // a lock this thread holds is -EALREADY, tested before Wait-Die (a context lock of its own
    // path's lock is a ctx 'already' step: linkCtx)
    if (holder < 0 || holder === t) return false
    // ctx->acquired == 0: nothing held in the context, so it cannot deadlock; it sleeps.
    if (!ww.some((l) => s.get(f.owner[l]!) === t + 1)) return false
    if (older(s, holder)) return true
    return waitAt.some((pcs, u) => pcs.length > 0 && older(s, u) && pcs.includes(s.get(f.pc[u]!)) && (f.rpc[u]! < 0 || s.get(f.rpc[u]!) === 0))
  }
  add(
    { name: 'dma_resv_lock_edeadlk', ...base, lock: L(lock), then: o },
    m(o === 'retry' ? 'spin' : 'trylock_failed'),
    (s) => p.at_(s) && dies(s),
    (c) => cx.outcome(p, o, c),
  )
}

/** What `already:` says a caller does with -EALREADY. */
function readAlready(px: ParseCx): { already?: Outcome | 'continue' } {
  const v = px.mods.already
  if (v === undefined) return {}
  if (v === 'continue') return { already: 'continue' }
  if (v === 'retry' || Array.isArray(v))
    throw new SpecError(
      'FC155',
      [...px.where, 'already'],
      'must be continue (go on holding the lock once, DRM_EXEC_IGNORE_DUPLICATES) or an outcome that leaves the path (-EALREADY, fail, skip); retrying gets -EALREADY again',
    )
  return { already: px.outcome(v, '-EALREADY') }
}

/** Read the `ctx: true` of a lock step: only a dma_resv takes one, and it needs its -EDEADLK branch. */
export function readCtx(px: ParseCx, lock: number): { ctx?: 'lock'; else?: Outcome; already?: Outcome | 'continue' } {
  const v = px.mods.ctx
  if (v === undefined || v === false) {
    if (px.mods.already !== undefined)
      throw new SpecError('FC155', [...px.where, 'already'], 'already: is what -EALREADY does under an acquire context: it needs ctx: true')
    return {}
  }
  if (v !== true) throw new SpecError('FC155', [...px.where, 'ctx'], 'must be true (dma_resv_lock(obj, &ctx)) or false')
  if (px.locks[lock]!.kind !== 'ww')
    throw new SpecError(
      'FC155',
      [...px.where, 'ctx'],
      `'${px.locks[lock]!.name}' is a ${px.locks[lock]!.kind}; only a dma_resv (a ww_mutex) is locked under an acquire context`,
    )
  if (px.mods.timeout !== undefined || px.mods.nonblock !== undefined)
    throw new SpecError(
      'FC198',
      [...px.where, 'ctx'],
      'a lock under an acquire context has no timeout or nonblock form; write ctx, or timeout/nonblock, not both',
    )
  if (px.mods.else === undefined)
    throw new SpecError(
      'FC156',
      [...px.where, 'else'],
      'dma_resv_lock(obj, &ctx) returns -EDEADLK when an older transaction holds the lock: add else: with the backoff (for example [ { unlock: a.resv }, { lock_slow: b.resv }, ... ])',
    )
  return { ctx: 'lock', else: px.outcome(px.mods.else, '-EDEADLK'), ...readAlready(px) }
}

/** Check the context steps of a straight-line path: a context lock inside ww_acquire_init/fini, no nesting, fini after init. */
export function linkCtx(steps: readonly Step[], k: number, who: string): Step {
  const s = steps[k]!
  let open = false
  // A failure branch (the steps after its owner) is skipped by the owner's success: skip the
  // branches that end before step k.
  for (let i = 0; i < k; i++) {
    const x = steps[i]!
    if (x.op === 'ww_acquire') open = x.init
    if (x.branch && i + x.branch < k) i += x.branch
  }
  if (s.op === 'ww_acquire' && s.init && open)
    throw new SpecError('FC259', s.where, `${who}: ww_acquire_init while its acquire context is still open (write ww_acquire_fini first)`)
  if (s.op === 'ww_acquire' && !s.init && !open) throw new SpecError('FC259', s.where, `${who}: ww_acquire_fini without a ww_acquire_init earlier in the path`)
  if (underCtx(s) && !open)
    throw new SpecError(
      'FC259',
      s.where,
      `${who}: ${s.ctx === 'slow' ? 'lock_slow' : 'a lock with ctx: true'} outside an acquire context (write ww_acquire_init earlier in the path)`,
    )
  // The context holds the lock here: the call returns -EALREADY (the path checks required already:).
  if (s.op === 'lock' && s.ctx === 'lock' && ctxHeldAt(steps, k).has(s.lock)) {
    if (s.already === undefined) throw new Error(`${who}: a context lock of a held lock without already: passed the path checks`)
    return { ...s, ctx: 'already' }
  }
  return s
}

const slowArg = { role: 'lock', what: 'the lock', schema: { type: 'string', description: "BO.resv (a buffer's dma_resv)" } } as const

export const wwOp: OpModule<S> = {
  ops: ['ww_acquire'],
  doc:
    'A lock under an acquire context is written `{ lock: bo.resv, ctx: true, else: [...] }` (dma_resv_lock(obj, &ctx)): ' +
    'Wait-Die returns -EDEADLK, and runs the else: branch, when the context holds a lock already and the lock is held by, ' +
    'or waited on by, an older context; otherwise it sleeps.',
  syntax: [
    {
      key: 'ww_acquire_init',
      doc: 'start an acquire context (ww_acquire_init(&ctx, &reservation_ww_class)): its stamp is younger than every context already started',
      bare: true,
      parse: (px: ParseCx): Step[] => [{ where: px.where, op: 'ww_acquire', init: true }],
    },
    {
      key: 'ww_acquire_fini',
      doc: 'end the acquire context (ww_acquire_fini)',
      bare: true,
      parse: (px: ParseCx): Step[] => [{ where: px.where, op: 'ww_acquire', init: false }],
    },
    {
      key: 'lock_slow',
      doc: 'take a dma_resv under the acquire context, sleeping and never returning -EDEADLK (dma_resv_lock_slow, after backing off)',
      arg: slowArg,
      parse: (px: ParseCx): Step[] => {
        const l = px.arg()
        if (px.locks[l]!.kind !== 'ww')
          throw new SpecError('FC155', [...px.where, 'lock_slow'], `'${px.locks[l]!.name}' is a ${px.locks[l]!.kind}; lock_slow takes a dma_resv (BO.resv)`)
        return [{ where: px.where, op: 'lock', lock: l, mode: 'write', ctx: 'slow' }]
      },
    },
  ],
  refs: {},
  cite: [
    { path: 'include/linux/ww_mutex.h', fn: 'ww_acquire_init' },
    { path: 'include/linux/ww_mutex.h', fn: 'ww_acquire_fini' },
    { path: 'kernel/locking/ww_mutex.h', fn: '__ww_mutex_check_kill' },
    { path: 'kernel/locking/ww_mutex.h', fn: '__ww_mutex_add_waiter' },
    { path: 'kernel/locking/ww_mutex.h', fn: '__ww_mutex_die' },
    { path: 'kernel/locking/mutex.c', fn: '__mutex_lock_common' },
    { path: 'drivers/gpu/drm/drm_exec.c', fn: 'drm_exec_lock_obj' },
    { path: 'include/linux/dma-resv.h', fn: 'dma_resv_lock_slow' },
    { path: 'drivers/dma-buf/dma-resv.c', fn: 'reservation_ww_class (DEFINE_WD_CLASS)' },
  ],
  fields(b, d: GpuDesign) {
    const out: Record<string, number> = {}
    d.threads.forEach((th, t) => {
      if (th.steps.some((x) => x.op === 'ww_acquire')) out[`stamp.${t}`] = b.scalar(`ww_stamp.${th.name}`, int(0, d.threads.length))
    })
    return out
  },
  link: (steps, k, who) => linkCtx(steps, k, who) as S,
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const stamps = stampFields(cx.f)
    const own = stamps[t]!
    add(
      { name: step.init ? 'ww_acquire_init' : 'ww_acquire_fini', ...base },
      m(step.init ? 'ww_acquire_init' : 'ww_acquire_fini'),
      (s) => p.at_(s),
      (c: Cursor) => {
        if (step.init) {
          let live = 0
          for (const x of stamps) if (x >= 0 && c.post(x) > 0) live++
          c.set(own, live + 1)
        } else {
          const mine = c.post(own)
          for (const x of stamps) if (x >= 0 && c.post(x) > mine) c.set(x, c.post(x) - 1)
          c.set(own, 0)
        }
        p.advance(c)
      },
    )
  },
  lockdep: {
    // ww_acquire_init: mutex_acquire(&ctx->dep_map): the context's map is ordered after what is held.
    maps: (_d, step) => ({ names: step.init ? [WW_ACQUIRE_CLASS] : [], nested: false }),
    sleeps: () => false,
  },
  text: (_d, s) => (s.init ? 'ww_acquire_init(&ctx, &reservation_ww_class)' : 'ww_acquire_fini(&ctx)'),
}

/** How a lock under a context reads. */
export const ctxLockText = (d: GpuDesign, s: Lock): string =>
  s.ctx === 'slow'
    ? `dma_resv_lock_slow(${names(d).L(s.lock)}, &ctx)`
    : s.ctx === 'already'
      ? `dma_resv_lock(${names(d).L(s.lock)}, &ctx): -EALREADY (the context holds it), then ${s.already === 'continue' ? 'go on holding it once (DRM_EXEC_IGNORE_DUPLICATES)' : deadlkText(s.already!)}`
      : `dma_resv_lock(${names(d).L(s.lock)}, &ctx), on -EDEADLK ${deadlkText(s.else!)}${s.already !== undefined ? `, on -EALREADY ${s.already === 'continue' ? 'go on' : deadlkText(s.already)}` : ''}`
const deadlkText = (o: Outcome): string =>
  o === 'branch' ? 'back off (its else: steps)' : o === 'retry' ? 'try again holding its locks' : o.startsWith('-') ? `return ${o}` : o
