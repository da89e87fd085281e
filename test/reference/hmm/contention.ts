/**
 * Retry loops that can livelock (M8, M9): progress under weak fairness, not deadlock freedom.
 *
 * MECH=multidev (M8): two devices fault on one range and each wants it in its own VRAM. With
 *   ORDER=evict-retry a device migrates the range to its VRAM (evicting it from the other device's
 *   VRAM, whose PTEs the notifier zaps), then maps it only if it is still there, else retries:
 *   "A strict 'must be in VRAM' policy could livelock under concurrent CPU access" (rule 53), and
 *   drm_pagemap keeps data in device memory for a timeslice "to prevent a migration livelock"
 *   (rule 59). With ORDER=serialized the migration and the mapping happen under one per-range
 *   migration lock (KFD's prange->migrate_mutex, rule 73), so a device maps what it migrated.
 * MECH=cpufault (M9): THREADS CPU threads fault on the same device-private page; each runs
 *   migrate_to_ram. migrate_vma_setup() only migrates a source page it holds locked and that has
 *   no references beyond the expected ones (rule 39: source pages are locked and isolated;
 *   interpretation: an extra reference makes the page busy and it is skipped). With
 *   REFORDER=ref-first a thread takes a page reference, then trylocks (failing: drops the
 *   reference and refaults); the lock holder then sees the others' references, fails and
 *   refaults: "A driver-exclusive lock in migrate_to_ram produced a stable livelock if enough
 *   threads read the faulting page" (rule 51). With REFORDER=trylock-first a thread waits for the
 *   page lock before taking its reference, so the holder's migration sees only its own.
 */
import { LayoutBuilder, enumOf, int } from '../../../checker/layout.js'
import { type Action, type Cursor, leadsTo, type Model, type Reader, type Rule, sometimes } from '../../../checker/model.js'
import type { ParamValues } from '../../../checker/params.js'
import { PROGRESS } from '../../../properties/hmm.js'
import type { NarratedModel } from '../../../report/narrator.js'

export function multidev(params: ParamValues): NarratedModel<Action> {
  const order = params.ORDER as 'evict-retry' | 'serialized'
  const D = 2
  const b = new LayoutBuilder()
  const loc = b.scalar('loc', enumOf('system', 'vram0', 'vram1'))
  const st = b.array('dev', D, enumOf('faulting', 'migrated', 'served'))
  const owner = b.scalar('migrateLock', int(-1, D - 1))
  const layout = b.build()
  const rules: Rule<Action>[] = []
  const rule = (action: Action, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => void rules.push({ action, guard, apply })
  const serialized = order === 'serialized'
  for (let d = 0; d < D; d++) {
    // Migrate the range to this device's VRAM (migrate_vma_setup/pages/finalize as one step; the
    // other device's PTEs are zapped by its notifier on the way).
    rule(
      { name: 'migrate_to_vram', d },
      (s) => s.get(st[d]!) === 0 && (!serialized || s.get(owner) === -1),
      (s) => {
        s.set(loc, 1 + d)
        s.set(st[d]!, 1)
        if (serialized) s.set(owner, d)
      },
    )
    rule(
      { name: 'map_or_retry', d },
      (s) => s.get(st[d]!) === 1,
      (s) => {
        s.set(st[d]!, s.get(loc) === 1 + d ? 2 : 0)
        if (serialized) s.set(owner, -1)
      },
    )
  }
  const initial = new Int32Array(layout.fieldCount)
  initial[owner] = -1
  const allServed = (s: Reader): boolean => st.every((f) => s.get(f) === 2)
  const model: Model<Action> = {
    name: 'hmm',
    params: { MECH: 'multidev', ORDER: order },
    about: `two devices migrating one range (${order})`,
    layout,
    init: () => [initial],
    rules,
    properties: [
      leadsTo(
        PROGRESS,
        { goal: allServed, fairness: (a) => a.d as number, groups: ['device 0 fault handler', 'device 1 fault handler'] },
        { id: 'memory-progress', cite: 'rules 53, 59, 73' },
      ),
      sometimes('a device maps the range from its own VRAM', (s) => st.some((f) => s.get(f) === 2)),
      sometimes('both devices have their faults served', allServed),
    ],
  }
  return {
    model,
    narrator: {
      actors: () => ['device 0 fault handler', 'device 1 fault handler'],
      describeStep: (_pre, a, post) => ({
        actor: `device ${String(a.d)} fault handler`,
        text:
          a.name === 'migrate_to_vram'
            ? `migrates the range to vram${String(a.d)} (evicting it from the other device)`
            : post.get(st[a.d as number]!) === 2
              ? 'the range is still in its VRAM: maps it, the fault is served'
              : 'the range was migrated away meanwhile: retries the fault',
      }),
    },
  }
}

export function cpufault(params: ParamValues): NarratedModel<Action> {
  const order = params.REFORDER as 'ref-first' | 'trylock-first'
  const T = params.THREADS as number
  const b = new LayoutBuilder()
  const loc = b.scalar('loc', enumOf('device', 'system'))
  const refs = b.scalar('extraRefs', int(0, T))
  const lock = b.scalar('pageLock', int(-1, T - 1))
  // faulting -> (ref-first: reffed -> locked) (trylock-first: locked -> reffed) -> done
  const th = b.array('thread', T, enumOf('faulting', 'reffed', 'locked', 'ready', 'done'))
  const layout = b.build()
  const rules: Rule<Action>[] = []
  const rule = (action: Action, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => void rules.push({ action, guard, apply })
  const TH = { faulting: 0, reffed: 1, locked: 2, ready: 3, done: 4 } as const
  for (let t = 0; t < T; t++) {
    // The page is already in system memory: the fault maps it and is done.
    rule(
      { name: 'fault_maps_system_page', t },
      (s) => s.get(th[t]!) === TH.faulting && s.get(loc) === 1,
      (s) => s.set(th[t]!, TH.done),
    )
    if (order === 'ref-first') {
      rule(
        { name: 'get_page', t },
        (s) => s.get(th[t]!) === TH.faulting && s.get(loc) === 0,
        (s) => {
          s.set(refs, s.get(refs) + 1)
          s.set(th[t]!, TH.reffed)
        },
      )
      rule(
        { name: 'trylock_page', t },
        (s) => s.get(th[t]!) === TH.reffed,
        (s) => {
          if (s.get(lock) === -1) {
            s.set(lock, t)
            s.set(th[t]!, TH.ready)
          } else {
            s.set(refs, s.get(refs) - 1) // put_page, refault
            s.set(th[t]!, TH.faulting)
          }
        },
      )
    } else {
      // trylock_page; on failure wait for the unlock and refault (no reference held meanwhile).
      rule(
        { name: 'lock_page', t },
        (s) => s.get(th[t]!) === TH.faulting && s.get(loc) === 0 && s.get(lock) === -1,
        (s) => {
          s.set(lock, t)
          s.set(th[t]!, TH.locked)
        },
      )
      rule(
        { name: 'get_page', t },
        (s) => s.get(th[t]!) === TH.locked,
        (s) => {
          s.set(refs, s.get(refs) + 1)
          s.set(th[t]!, TH.ready)
        },
      )
    }
    // migrate_to_ram: migrate_vma_setup() isolates the page only if no one else holds a reference.
    rule(
      { name: 'migrate_to_ram', t },
      (s) => s.get(th[t]!) === TH.ready,
      (s) => {
        const ok = s.get(refs) === 1
        if (ok) s.set(loc, 1)
        s.set(refs, s.get(refs) - 1)
        s.set(lock, -1)
        s.set(th[t]!, ok ? TH.done : TH.faulting)
      },
    )
  }
  const initial = new Int32Array(layout.fieldCount)
  initial[lock] = -1
  const allDone = (s: Reader): boolean => th.every((f) => s.get(f) === TH.done)
  const model: Model<Action> = {
    name: 'hmm',
    params: { MECH: 'cpufault', REFORDER: order, THREADS: T },
    about: `CPU threads faulting one device-private page (${order})`,
    layout,
    init: () => [initial],
    rules,
    properties: [
      leadsTo(
        PROGRESS,
        { goal: allDone, fairness: (a) => a.t as number, groups: Array.from({ length: T }, (_, t) => `CPU thread ${t}`) },
        { id: 'memory-progress', cite: 'rules 39, 51' },
      ),
      sometimes('the page migrates to system memory', (s) => s.get(loc) === 1),
    ],
  }
  return {
    model,
    narrator: {
      actors: () => Array.from({ length: T }, (_, t) => `CPU thread ${t}`),
      describeStep: (pre, a, post) => {
        const t = a.t as number
        const text: Record<string, string> = {
          fault_maps_system_page: 'the page is in system memory: maps it, done',
          get_page: 'takes a page reference',
          lock_page: 'takes the page lock',
          trylock_page: post.get(lock) === t && pre.get(lock) !== t ? 'trylock succeeds' : 'trylock fails: drops its reference and refaults',
          migrate_to_ram:
            post.get(loc) === 1 && pre.get(loc) === 0
              ? 'migrate_to_ram: the page moves to system memory'
              : 'migrate_to_ram: extra references, the page is busy: unlock, put, refault',
        }
        return { actor: `CPU thread ${t}`, text: text[a.name] ?? a.name }
      },
    },
  }
}
