/**
 * Conditions and the state they read. A path may test, and only test, what its steps can see in
 * the kernel: a per-object flag that steps set and clear (a VMA being destroyed, a process
 * exiting, a queue evicted, a BO being moved), "current is the task recorded in X" (kfd's
 * svms.faulting_task), "I hold lock L" (lockdep_is_held), and the exit state of the mm. No
 * condition reads hidden model state (a fence's signaller, another thread's position).
 *
 *   - { set_flag: vma0.destroying }             - { record_task: svms.faulting_task }
 *   - { clear_flag: vma0.destroying }           - { clear_task: svms.faulting_task }
 *   - { if: { flag: vma0.destroying }, then: skip }
 *   - { if: { not: { current: svms.faulting_task } }, then: [ { lock: svms_lock }, ..., { unlock: svms_lock } ] }
 *   - { if: { holds: vm.lock }, then: [ ... ] }  - { if: exiting, then: skip }  (= skip_if_exiting)
 *   - in a notifier callback, the mmu_notifier_range it is called with:
 *     { if: { event: MMU_NOTIFY_MIGRATE, owner: gpu0 }, then: skip }  (range->event == MMU_NOTIFY_MIGRATE &&
 *     range->owner == the device: nouveau_svm.c: nouveau_svmm_invalidate_range_start @ v6.12)
 *
 * `then:` is an outcome (skip, fail, an error code; a callback may also return false: again) or a
 * list of steps, optionally ending in one (ops/branch.ts); a list without an outcome goes on after
 * the `if` and must leave the locks as it found them. A false condition goes on at once.
 */
import { bool, int } from '../../../checker/layout.js'
import type { Reader } from '../../../checker/model.js'
import type { CompileCx, Pos } from '../context.js'
import { SpecError } from '../errors.js'
import type { ParseCx } from '../parse.js'
import { ERROR_CODES, type GpuDesign, type Step, type StepOf } from '../types.js'
import { NOTIFY_EVENTS, notifyEvent, type NotifyEvent } from './invalidate.js'
import { outcomeText } from './branch.js'
import type { OpModule } from './op.js'
import { BRANCH_SCHEMA, NAME } from './schema.js'

export type Cond =
  | { readonly kind: 'flag'; readonly flag: string }
  | { readonly kind: 'current'; readonly slot: string }
  | { readonly kind: 'holds'; readonly lock: number }
  | { readonly kind: 'exiting' }
  /** the invalidation a callback runs in: its event and owner (mmu_notifier_range's, callbacks only) */
  | { readonly kind: 'range'; readonly event?: NotifyEvent; readonly owner?: number }
  | { readonly kind: 'not'; readonly of: Cond }

declare module '../types.js' {
  interface StepVariants {
    if: { readonly op: 'if'; readonly cond: Cond; readonly else: Outcome }
    set_flag: { readonly op: 'set_flag'; readonly flag: string }
    clear_flag: { readonly op: 'clear_flag'; readonly flag: string }
    record_task: { readonly op: 'record_task'; readonly slot: string }
    clear_task: { readonly op: 'clear_task'; readonly slot: string }
  }
}
type S = StepOf<'if' | 'set_flag' | 'clear_flag' | 'record_task' | 'clear_task'>

const condFlags = (c: Cond): string[] => (c.kind === 'flag' ? [c.flag] : c.kind === 'not' ? condFlags(c.of) : [])
const condSlots = (c: Cond): string[] => (c.kind === 'current' ? [c.slot] : c.kind === 'not' ? condSlots(c.of) : [])
/** Does the condition read the mm's exit state (ops/exit.ts owns that field)? */
export const readsExiting = (s: Step): boolean => {
  const go = (c: Cond): boolean => c.kind === 'exiting' || (c.kind === 'not' && go(c.of))
  return s.op === 'if' && go(s.cond)
}
/** the flags a step sets, clears or tests (wait_event tests one too) */
export const flagsOf = (s: Step): string[] =>
  s.op === 'set_flag' || s.op === 'clear_flag' ? [s.flag] : s.op === 'if' ? condFlags(s.cond) : s.op === 'wait_event' ? [s.flag] : []
const slotsOf = (s: Step): string[] => (s.op === 'record_task' || s.op === 'clear_task' ? [s.slot] : s.op === 'if' ? condSlots(s.cond) : [])

const allSteps = (d: GpuDesign): Step[] => [
  ...d.threads.flatMap((th) => th.steps),
  ...d.reclaim.flatMap((r) => r.steps),
  ...d.notifiers.flatMap((n) => n.callback),
]
export const designFlags = (d: GpuDesign): string[] => [...new Set(allSteps(d).flatMap(flagsOf))].sort()
const designSlots = (d: GpuDesign): string[] => [...new Set(allSteps(d).flatMap(slotsOf))].sort()
export const flagField = (cx: Pick<CompileCx, 'fields'>, flag: string): number => cx.fields.extra[`flag:${flag}`]!
const slotField = (cx: Pick<CompileCx, 'fields'>, slot: string): number => cx.fields.extra[`task:${slot}`]!

/** a condition as written, at px.where.if */
function readCond(px: ParseCx, v: unknown, path: (string | number)[]): Cond {
  if (v === 'exiting') return { kind: 'exiting' }
  const bad = (): never => {
    throw new SpecError(
      'FC198',
      path,
      `a condition is 'exiting' or one of { flag: NAME }, { current: SLOT }, { holds: LOCK }, { event: EVENT, owner: ENGINE } (callbacks), { not: CONDITION }; got ${JSON.stringify(v)}`,
    )
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return bad()
  const keys = Object.keys(v)
  if (keys.length > 0 && keys.every((k) => k === 'event' || k === 'owner')) return readRange(px, v as Record<string, unknown>, path)
  if (keys.length !== 1) return bad()
  const k = keys[0]!
  const x = (v as Record<string, unknown>)[k]
  const name = (): string => {
    if (typeof x !== 'string' || x === '') throw new SpecError('FC154', [...path, k], `must be a name, got ${JSON.stringify(x)}`)
    return x
  }
  if (k === 'flag') return { kind: 'flag', flag: name() }
  if (k === 'current') return { kind: 'current', slot: name() }
  if (k === 'holds') return { kind: 'holds', lock: px.ref('lock', name(), [...path, k]) }
  if (k === 'not') return { kind: 'not', of: readCond(px, x, [...path, k]) }
  return bad()
}

/** { event: E, owner: ENGINE }: the invalidation's event is E and its owner is the engine's device
 * (range->event == MMU_NOTIFY_MIGRATE && range->owner == drm->dev), in a notifier callback */
function readRange(px: ParseCx, v: Record<string, unknown>, path: (string | number)[]): Cond {
  if (px.inCallback === undefined)
    throw new SpecError(
      'FC265',
      path,
      `{ ${Object.keys(v).join(', ')} } tests the mmu_notifier_range a notifier's invalidate callback is called with; only a callback's steps can (move it under notifiers: [{ callback: [...] }])`,
    )
  const ev = v.event
  if (ev !== undefined && !(NOTIFY_EVENTS as readonly unknown[]).includes(ev))
    throw new SpecError(
      'FC265',
      [...path, 'event'],
      `must be one of ${NOTIFY_EVENTS.join(', ')} (the range's enum mmu_notifier_event), got ${JSON.stringify(ev)}`,
    )
  if (v.owner !== undefined && (typeof v.owner !== 'string' || v.owner === ''))
    throw new SpecError(
      'FC265',
      [...path, 'owner'],
      `must name an engine (the device whose pgmap owner the invalidation carries), got ${JSON.stringify(v.owner)}`,
    )
  const owner = v.owner !== undefined ? { owner: px.ref('engine', v.owner, [...path, 'owner']) } : {}
  return { kind: 'range', ...(ev !== undefined ? { event: ev as NotifyEvent } : {}), ...owner }
}

const condText = (d: GpuDesign, c: Cond): string =>
  c.kind === 'flag'
    ? `${c.flag} is set`
    : c.kind === 'current'
      ? `current is the task recorded in ${c.slot}`
      : c.kind === 'holds'
        ? `this path holds ${d.locks[c.lock]!.name} (lockdep_is_held)`
        : c.kind === 'exiting'
          ? 'the process is exiting'
          : c.kind === 'range'
            ? [
                ...(c.event !== undefined ? [`range->event == ${c.event}`] : []),
                ...(c.owner !== undefined ? [`range->owner == ${d.engines[c.owner]!.name}`] : []),
              ].join(' && ')
            : `not (${condText(d, c.of)})`

/** the condition's value in a state, for the thread at p */
const evalCond = (cx: CompileCx, c: Cond, p: Pos): ((s: Reader) => boolean) => {
  const t = p.t
  switch (c.kind) {
    case 'flag': {
      const f = flagField(cx, c.flag)
      return (s) => s.get(f) === 1
    }
    case 'current': {
      const f = slotField(cx, c.slot)
      return (s) => s.get(f) === t + 1
    }
    case 'holds':
      return (s) => cx.heldBy(s, t).includes(c.lock)
    case 'exiting': {
      const f = cx.f.exiting
      return (s) => s.get(f) === 1
    }
    case 'range': {
      // fixed by the site: the invalidation this callback runs in (an invalidate step, or the
      // MMU_NOTIFY_MIGRATE range of a migrate_vma_setup with its pgmap owner)
      const x = p.site
      const v = x !== undefined && (c.event === undefined || notifyEvent(x) === c.event) && (c.owner === undefined || x.step.owner === c.owner)
      return () => v
    }
    case 'not': {
      const g = evalCond(cx, c.of, p)
      return (s) => !g(s)
    }
  }
}

const setter = (key: 'set_flag' | 'clear_flag' | 'record_task' | 'clear_task', doc: string) => ({
  key,
  doc,
  arg: {
    what: key.endsWith('flag') ? 'the flag' : 'the task slot',
    schema: NAME(key.endsWith('flag') ? 'a flag, e.g. vma0.destroying' : 'a task slot, e.g. svms.faulting_task'),
  },
  parse: (px: ParseCx): Step[] => {
    const n = px.str(key.endsWith('flag') ? 'the flag' : 'the task slot')
    return key.endsWith('flag')
      ? [{ where: px.where, op: key as 'set_flag' | 'clear_flag', flag: n }]
      : [{ where: px.where, op: key as 'record_task' | 'clear_task', slot: n }]
  },
})

export const condOp: OpModule<S> = {
  ops: ['if', 'set_flag', 'clear_flag', 'record_task', 'clear_task'],
  syntax: [
    {
      key: 'if',
      doc: "test a condition (exiting, { flag: F }, { current: SLOT }, { holds: L }, in a callback { event: E, owner: ENGINE }: range->event (MMU_NOTIFY_MIGRATE for migrate_vma_setup, MMU_NOTIFY_UNMAP for munmap and the OOM reaper, MMU_NOTIFY_CLEAR for reclaim and NUMA/compaction migration, MMU_NOTIFY_RELEASE for exit) and range->owner (the migration's pgmap owner), { not: C }); then: an outcome or a list of steps to run while it holds",
      arg: { what: 'the condition', schema: { description: "'exiting', or { flag | current | holds | not: ... }, or { event, owner } in a callback" } },
      modifiers: {
        then: {
          doc: 'what a true condition does: skip, fail, an error code (-EBUSY, -EAGAIN, -EDEADLK, -EINTR, -EALREADY), again (callbacks), or a list of steps (optionally ending in one)',
          schema: BRANCH_SCHEMA(['skip', 'fail', 'again', ...ERROR_CODES]),
        },
      },
      parse: (px) => {
        if (px.mods.then === undefined)
          throw new SpecError('FC156', px.where, "an if: step needs 'then:' (an outcome, or the steps to run while the condition holds)")
        if (px.mods.then === 'retry')
          throw new SpecError('FC198', [...px.where, 'then'], 'retry would test the same condition again at once; wait for it instead (wait_event: FLAG)')
        return [{ where: px.where, op: 'if', cond: readCond(px, px.raw, [...px.where, 'if']), else: px.outcome(px.mods.then, 'skip') }]
      },
    },
    {
      key: 'skip_if_exiting',
      doc: 'if the process is exiting, return at once (leave the path or the callback); the same as { if: exiting, then: skip }',
      bare: true,
      parse: (px) => [{ where: px.where, op: 'if', cond: { kind: 'exiting' }, else: 'skip' }],
    },
    setter('set_flag', 'set a per-object flag (the VMA is being destroyed, the queue is evicted, the BO is being moved)'),
    setter('clear_flag', 'clear a per-object flag'),
    setter('record_task', 'record the current task in a slot (WRITE_ONCE(p->svms.faulting_task, current))'),
    setter('clear_task', 'clear a task slot (WRITE_ONCE(p->svms.faulting_task, NULL))'),
  ],
  // conditions read flags and task slots any thread may set: not narrowed yet, so dependent on every rule (checker/por.ts)
  footprint: () => [{ all: true }],
  refs: {},
  cite: [
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_svm.c', fn: 'svm_range_validate_and_map' },
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_migrate.c', fn: 'svm_migrate_to_ram' },
    { path: 'include/linux/lockdep.h', fn: 'lockdep_is_held' },
    { path: 'drivers/gpu/drm/nouveau/nouveau_svm.c', fn: 'nouveau_svmm_invalidate_range_start' },
    { path: 'mm/mmap.c', fn: 'exit_mmap' },
  ],
  fields(b, d) {
    const out: Record<string, number> = {}
    for (const fl of designFlags(d)) out[`flag:${fl}`] = b.scalar(`flag.${fl}`, bool)
    for (const sl of designSlots(d)) out[`task:${sl}`] = b.scalar(`task.${sl}`, int(0, d.threads.length))
    return out
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    if (step.op !== 'if') {
      const isFlag = step.op === 'set_flag' || step.op === 'clear_flag'
      const f = isFlag ? flagField(cx, step.flag) : slotField(cx, step.slot)
      const v = step.op === 'set_flag' ? 1 : step.op === 'record_task' ? t + 1 : 0
      add(
        { name: step.op, ...base, [isFlag ? 'flag' : 'slot']: isFlag ? step.flag : step.slot },
        m(step.op),
        (s) => p.at_(s),
        (c) => {
          c.set(f, v)
          p.advance(c)
        },
      )
      return
    }
    const holds = evalCond(cx, step.cond, p)
    const o = step.else
    // skip_if_exiting keeps its action names and narration (the bundled traces read the same).
    const exitForm = step.cond.kind === 'exiting' && o === 'skip'
    const label = exitForm ? { name: 'process_exiting' } : { name: 'if', cond: condText(cx.design, step.cond) }
    add(
      { ...label, ...base, [exitForm ? 'exiting' : 'holds']: true, ...(exitForm ? {} : { then: o }) },
      m(exitForm ? 'exit_shortcut' : 'cond_true'),
      (s) => p.at_(s) && holds(s),
      (c) => cx.outcome(p, o, c),
    )
    add(
      { ...label, ...base, [exitForm ? 'exiting' : 'holds']: false },
      m(exitForm ? 'not_exiting' : 'cond_false'),
      (s) => p.at_(s) && !holds(s),
      (c) => p.advance(c),
    )
  },
  text(d, s) {
    switch (s.op) {
      case 'if':
        return s.cond.kind === 'exiting' && s.else === 'skip'
          ? 'if the process is exiting, return at once'
          : `if ${condText(d, s.cond)}: ${s.else === 'branch' ? 'run its then: steps' : outcomeText(s.else)}`
      case 'set_flag':
        return `set ${s.flag}`
      case 'clear_flag':
        return `clear ${s.flag}`
      case 'record_task':
        return `${s.slot} = current`
      case 'clear_task':
        return `${s.slot} = NULL`
    }
  },
}
