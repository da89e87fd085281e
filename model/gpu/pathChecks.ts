/**
 * Static checks of a path as written, before any state exists: its lock discipline, failure branches
 * included (ops/branch.ts), what its conditions test (ops/cond.ts), and the scenario's progress goals.
 * Every mistake is a SpecError naming the exact field.
 */
import { SpecError } from './errors.js'
import { flagsOf } from './ops/cond.js'
import { opOf } from './ops/index.js'
import { ctxHeldAt } from './ops/ww.js'
import type { Obj } from './parse.js'
import type { Buffer, Goal, Lock, Step } from './types.js'

/** Lock discipline along a straight-line path: no unlock of a lock not held, no recursive locking,
 * nothing held at the end, and evict only under the buffer's dma_resv (TTM's rule). */
export function checkLocking(steps: readonly Step[], who: string, locks: readonly Lock[], buffers: readonly Buffer[]): void {
  let held = new Map<number, readonly (string | number)[]>()
  // Failure branches (ops/branch.ts): each starts with what its step started with; one that goes on
  // must then hold what the step's success holds, one that retries what the step started with.
  const open: { before: Map<number, readonly (string | number)[]>; after: Map<number, readonly (string | number)[]>; cond: boolean }[] = []
  const same = (x: ReadonlyMap<number, unknown>, y: ReadonlyMap<number, unknown>): boolean => x.size === y.size && [...x.keys()].every((k) => y.has(k))
  const names = (m: ReadonlyMap<number, unknown>): string => [...m.keys()].map((l) => locks[l]!.name).join(', ') || 'nothing'
  /** locks an if: branch takes again while the path holds them, and not yet released */
  const again = new Map<number, number>()
  /** the locks of `held` the path holds for read (an rwsem's down_read) */
  const readHeld = new Set<number>()
  for (const [k, s] of steps.entries()) {
    const inCond = open.some((br) => br.cond)
    if (s.op === 'else_end') {
      const br = open.pop()!
      if (s.then === 'continue' && !same(held, br.after))
        throw new SpecError(
          'FC197',
          s.where,
          `${who}: this branch goes on after its step holding ${names(held)}, but the step's success holds ${names(br.after)}; take or release locks in the branch so both agree, or end it with an outcome (skip, fail, -EBUSY, ...)`,
        )
      if (s.then === 'retry' && !same(held, br.before))
        throw new SpecError(
          'FC197',
          s.where,
          `${who}: this branch tries its step again holding ${names(held)}, but the step started holding ${names(br.before)}; retake what it dropped first`,
        )
      held = br.after
      continue
    }
    const op = opOf(s)
    const took = op.takes?.(s)
    const gave = op.releases?.(s)
    const need = op.needsHeld?.({ buffers }, s)
    // A context lock of a lock the context holds returns -EALREADY (ops/ww.ts): it takes nothing.
    const ealready = s.op === 'lock' && s.ctx === 'lock' && held.has(s.lock) && ctxHeldAt(steps, k).has(s.lock)
    if (ealready && s.already === undefined)
      throw new SpecError(
        'FC156',
        [...s.where, 'already'],
        `${who}: dma_resv_lock(${locks[s.lock]!.name}, &ctx) returns -EALREADY here: the acquire context holds it already (kernel/locking/mutex.c: __mutex_lock_common @ v6.12); add already: continue (go on holding it once, as drm_exec with DRM_EXEC_IGNORE_DUPLICATES) or already: -EALREADY (the caller fails)`,
      )
    if (s.branch) {
      const before = new Map(held)
      const after = new Map(held)
      if (took && !ealready) after.set(took.lock, s.where)
      // An if:'s branch, and get_pages' fault on another device's page (the owner's migrate_to_ram
      // run in this task), run only in some states: a lock taken again there is left to the model.
      open.push({ before, after, cond: s.op === 'if' || s.op === 'get_pages' })
      held = new Map(before)
      continue
    }
    if (took) {
      // down_read_trylock of an rwsem this path read-holds succeeds while no writer waits
      // (kernel/locking/rwsem.c: __down_read_trylock @ v6.12 adds a reader; lockdep checks no
      // recursion for a trylock): a second read hold, which the model does not count.
      if (s.op === 'trylock' && took.mode === 'read' && readHeld.has(took.lock) && held.has(took.lock))
        throw new SpecError(
          'FC266',
          s.where,
          `${who} holds '${locks[took.lock]!.name}' for read already: down_read_trylock succeeds again (a recursive read hold), which the model does not count; drop the trylock, or release the read hold first`,
        )
      // A trylock of a lock the path holds is the recursion test some drivers make: it answers false.
      if (s.op === 'trylock' && held.has(took.lock)) continue
      if (ealready) continue
      // Inside an if:, a lock the path already holds is left to the model (a self-deadlock if the
      // condition lets it run; kfd's faulting_task check exists to prevent exactly that), and so is
      // a blocking lock whose op says it deadlocks on itself (ops/lock.ts: mutex_lock of a held mutex).
      if (held.has(took.lock) && (inCond || op.selfDeadlocks?.(s))) {
        again.set(took.lock, (again.get(took.lock) ?? 0) + 1)
        continue
      }
      if (held.has(took.lock))
        throw new SpecError(
          'FC185',
          s.where,
          `${who} takes '${locks[took.lock]!.name}' while already holding it (recursive locking deadlocks; unlock it first)`,
        )
      held.set(took.lock, s.where)
      if (took.mode === 'read') readHeld.add(took.lock)
    } else if (gave !== undefined) {
      if ((again.get(gave) ?? 0) > 0) {
        again.set(gave, again.get(gave)! - 1)
        continue
      }
      if (!held.has(gave))
        throw new SpecError('FC186', s.where, `${who} unlocks '${locks[gave]!.name}' but does not hold it here (lock it earlier in the same path)`)
      held.delete(gave)
      readHeld.delete(gave)
    } else if (need && !held.has(need.lock)) throw new SpecError('FC187', s.where, `${who} ${need.why}`)
  }
  if (held.size > 0) {
    const [first, at] = [...held.entries()][0]!
    throw new SpecError('FC188', at, `${who} takes '${locks[first]!.name}' here and never releases it (add an unlock step before the path ends)`)
  }
}

/** `progress:` goals, each naming one actor: { thread: T } completes, { job: J } / { fence: F } signals, { work: W } runs. */
export function readGoals(raw: readonly Obj[], known: Record<Goal['kind'], readonly string[]>): Goal[] {
  const seen = new Set<string>()
  const kinds = ['thread', 'job', 'fence', 'work'] as const
  return raw.map((g, k) => {
    const keys = Object.keys(g)
    const kind = keys[0] as Goal['kind']
    if (keys.length !== 1 || !kinds.includes(kind))
      throw new SpecError(
        'FC199',
        ['progress', k],
        'a goal names one actor: { thread: T } (completes its path), { job: J } or { fence: F } (signals), { work: W } (runs)',
      )
    const index = known[kind].indexOf(g[kind] as string)
    if (index < 0)
      throw new SpecError(
        'FC199',
        ['progress', k, kind],
        `no ${kind === 'work' ? 'work item' : kind} named '${String(g[kind])}' (${kind === 'work' ? 'work items' : `${kind}s`}: ${known[kind].join(', ') || 'none'})`,
      )
    const id = `${kind}:${index}`
    if (seen.has(id)) throw new SpecError('FC199', ['progress', k], `the goal ${kind} ${String(g[kind])} is stated twice`)
    seen.add(id)
    return { kind, index }
  })
}

/** A condition may test only what some step changes: a flag that no step sets or clears is a typo. */
export function checkConditions(steps: readonly Step[]): void {
  const changed = new Set(steps.flatMap((s) => (s.op === 'set_flag' || s.op === 'clear_flag' ? [s.flag] : [])))
  const recorded = new Set(steps.flatMap((s) => (s.op === 'record_task' ? [s.slot] : [])))
  for (const s of steps) {
    for (const fl of flagsOf(s))
      if (!changed.has(fl))
        throw new SpecError(
          'FC198',
          s.where,
          `flag '${fl}' is never set or cleared by any step, so testing it tells nothing; set it somewhere (set_flag: ${fl}) or fix the name`,
        )
    if (s.op === 'if') {
      const slots: string[] = []
      const walk = (c: typeof s.cond): void => {
        if (c.kind === 'current') slots.push(c.slot)
        else if (c.kind === 'not') walk(c.of)
      }
      walk(s.cond)
      for (const sl of slots)
        if (!recorded.has(sl))
          throw new SpecError('FC198', s.where, `task slot '${sl}' is never recorded by any step; record it somewhere (record_task: ${sl}) or fix the name`)
    }
  }
}
