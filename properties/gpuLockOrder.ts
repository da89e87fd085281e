/**
 * The lock-order property (lockdep's class graph over the explored transitions): what lockdep
 * records for each rule, from the op modules' lockdep facts. Held locks, fs_reclaim in direct
 * reclaim and the mmu_notifier map in a notifier callback order before every acquisition, every
 * allocation that may reclaim (might_alloc) and every dma_fence wait; an acquisition that blocks is
 * recorded when it is attempted.
 */
import type { Action, OrderProperty, PrimedEdge, Reader } from '../checker/model.js'
import { armedUnderLock } from '../model/gpu/mech/composite.js'
import { callbackHeld } from '../model/gpu/ops/callback.js'
import { opOf } from '../model/gpu/ops/index.js'
import { readerMayTake } from '../model/gpu/ops/lock.js'
import { stampFields, underCtx, WW_ACQUIRE_CLASS } from '../model/gpu/ops/ww.js'
import { heldMaps } from '../model/gpu/ops/work.js'
import type { GpuView, RuleMeta } from '../model/gpu/view.js'

/** mirrors dma_resv_lockdep(): mmap_lock -> the acquire context -> dma_resv -> fs_reclaim -> mmu_notifier -> dma_fence wait
 * (drivers/dma-buf/dma-resv.c: dma_resv_lockdep @ v6.12 takes mmap_read_lock, ww_acquire_init, dma_resv_lock, fs_reclaim_acquire) */
export const PRIMED_ORDER: readonly (readonly [string, string])[] = [
  ['mmap_lock', WW_ACQUIRE_CLASS],
  [WW_ACQUIRE_CLASS, 'dma_resv'],
  ['mmap_lock', 'dma_resv'],
  ['dma_resv', 'fs_reclaim'],
  ['fs_reclaim', 'mmu_notifier'],
  ['mmu_notifier', 'dma_fence_map'],
]

/**
 * fs_reclaim -> every lock class a declared reclaim path takes (a blocking lock or spin_lock; a
 * trylock records no dependency), whether or not reclaim runs in the search: once any reclaim has
 * run the path, lockdep holds the edge for the rest of the boot, and drivers record it at init so
 * that the first allocation under the lock is reported at once, with no memory pressure
 * (drivers/gpu/drm/i915/gem/i915_gem_shrinker.c: i915_gem_shrinker_taints_mutex @ v6.12, used by
 * gt/intel_gtt.c: i915_address_space_init for vm->mutex; drivers/dma-buf/dma-resv.c:
 * dma_resv_lockdep @ v6.12 takes i_mmap_rwsem under fs_reclaim "for unmap_mapping_range on trylocked
 * buffer objects in shrinkers").
 */
export function reclaimPrimed(design: GpuView['design']): PrimedEdge[] {
  const out = new Map<string, PrimedEdge>()
  for (const r of design.reclaim)
    for (const s of r.steps) {
      if (!((s.op === 'lock' && !s.nonblock) || s.op === 'spin_lock')) continue
      const to = design.locks[s.lock]!.cls
      if (!out.has(to))
        out.set(to, [
          'fs_reclaim',
          to,
          `primed by reclaim path ${r.name}, which takes ${to}: lockdep holds fs_reclaim -> ${to} once any reclaim has run it (i915_gem_shrinker_taints_mutex)`,
        ])
    }
  return [...out.values()]
}

/** Rule 4 through the lock order: the dma_fences thread t waits on, blocked, in a critical section. */
export interface Rule4Waits {
  (s: Reader, t: number): readonly number[]
}

/**
 * The lock-order graph (lockdep's edges, primed order included), with each fence a node of its
 * own when `rule4` says what the threads wait on: a thread that blocks on dma_fence F inside a
 * critical section orders what it holds before F, and every acquisition (or might_alloc) on F's
 * signalling path is ordered after F. A cycle A -> F -> B ->* A is rule 4 broken through the
 * order: the waiter holds A, F's signaller takes B, and B is ordered before A (observed or primed:
 * mmap_lock before dma_resv). Lockdep sees the same cycle through dma_fence_map only when the
 * signalling path is annotated (dma_fence_begin_signalling); rule 4 holds for every dma_fence
 * (drivers/dma-buf/dma-fence.c: DOC: fence cross-driver contract @ v6.12).
 */
export function lockOrderProperty(v: GpuView, name: string, rule4?: Rule4Waits): OrderProperty<Action> {
  const { design, f } = v
  const meta = (a: Action): RuleMeta => v.meta.get(a)!
  const cls = (l: number): string => design.locks[l]!.cls
  const inReclaim = (s: Reader, t: number): boolean => f.rpc[t]! >= 0 && s.get(f.rpc[t]!) > 0
  const inSignalling = (s: Reader, t: number): boolean => design.threads[t]!.signalling || s.get(f.sig[t]!) === 1
  const inNotifier = (s: Reader, t: number): boolean => f.npc[t]! >= 0 && s.get(f.npc[t]!) > 0
  const actor = (a: Action): number => {
    const m = meta(a)
    return m.actor.kind === 'thread' ? m.actor.index : -1
  }
  /** the lockdep classes thread t holds in state s: its locks, fs_reclaim and the mmu_notifier map
   * in direct reclaim (only when the allocation that entered it has __GFP_FS), the mmu_notifier map
   * in a notifier callback */
  const lockdepContexts = (s: Reader, t: number): string[] => {
    const th = design.threads[t]!
    // A fence callback runs inside its signaller: under the fence's lock and what the signaller holds.
    const out = [...heldMaps(design, f, s, t), ...(th.callbackOn !== undefined ? callbackHeld(v, s, t) : v.heldBy(s, t)).map(cls)]
    if (inReclaim(s, t)) {
      const at = th.steps[s.get(f.pc[t]!)]
      const may = at ? opOf(at).lockdep?.mightReclaim?.(at, { actor: { kind: 'thread', index: t }, does: 'enter_reclaim' }) : undefined
      // fs_reclaim_acquire() takes the notifier map and drops it at once: reclaim itself holds
      // only fs_reclaim; a notifier callback it runs holds the map (inNotifier below).
      if (may?.fs ?? true) out.push('fs_reclaim')
    }
    if (th.context === 'notifier' || inNotifier(s, t)) out.push('mmu_notifier')
    // ww_acquire_init holds the context's map until ww_acquire_fini.
    if (stamps[t]! >= 0 && s.get(stamps[t]!) > 0) out.push(WW_ACQUIRE_CLASS)
    return out
  }
  const stamps = stampFields(f)
  const sigAt = signalPathSteps(design)
  const fenceNode = (i: number): string => `dma_fence ${design.fences[i]!.name}`
  /** lockdep's check_deadlock (kernel/locking/lockdep.c @ v6.12): a blocking acquisition of a class
   * already held is "possible recursive locking detected", unless the acquisition names a nest
   * lock that is held: ww_mutex_lock under an acquire context passes &ctx->dep_map (a self-edge
   * class -> class records it; findCycle reports it as a cycle of one edge) */
  const recursion = (contexts: readonly string[], to: string, st: RuleMeta['step']): [string, string][] =>
    contexts.includes(to) && !(st && underCtx(st)) ? [[to, to]] : []
  const lockFree = (s: Reader, l: number, mode: 'read' | 'write'): boolean =>
    mode === 'read' ? readerMayTake(f, s, l) : s.get(f.owner[l]!) === 0 && (f.readers[l]! < 0 || s.get(f.readers[l]!) === 0)
  const order: OrderProperty<Action> = {
    kind: 'order',
    name,
    cite: 'dma-resv.c dma_resv_lockdep(); mm/page_alloc.c fs_reclaim_acquire(); dma-fence.c __dma_fence_might_wait()',
    primed: [...PRIMED_ORDER, ...reclaimPrimed(design)],
    ...(rule4 ? { through: (node: string) => node.startsWith('dma_fence ') } : {}),
    primedLabel: 'primed at boot (dma_resv_lockdep)',
    edges: (pre, a, post) => {
      const t = actor(a)
      const m = meta(a)
      // A dma_fence_array or chain arming its members under its own lock (mech/composite.ts).
      if (m.actor.kind === 'fence' && m.does === 'enable') {
        const own = design.fences[m.actor.index]!.lock
        if (own === undefined) return []
        return armedUnderLock(design, f, pre, m.actor.index).flatMap((x) => {
          const l = design.fences[x]!.lock
          return l !== undefined && cls(l) !== cls(own) ? [[cls(own), cls(l)] as [string, string]] : []
        })
      }
      if (t < 0) return []
      const out: [string, string][] = []
      const contexts = lockdepContexts(pre, t)
      /** the classes this rule acquires (or attempts, or touches): after F on F's signalling path */
      const took: { readonly cls: string; readonly s: Reader }[] = []
      // mmu_notifier_invalidate_range_start() acquires the lockdep map of the notifier context
      // (include/linux/mmu_notifier.h), so every held lock is ordered before it.
      if (m.does === 'invalidate_start') for (const c of contexts) if (c !== 'mmu_notifier') out.push([c, 'mmu_notifier'])
      // lockdep records no dependency for a trylock (the op says): it cannot block, so it cannot deadlock.
      if (m.acquires && (!m.step || (opOf(m.step).lockdep?.ordersAcquire?.(m.step) ?? true))) {
        const to = cls(m.acquires.lock)
        took.push({ cls: to, s: pre })
        for (const c of contexts) if (c !== to) out.push([c, to])
        out.push(...recursion(contexts, to, m.step))
        if (inSignalling(pre, t)) out.push(['dma_fence_map', to])
      }
      const st = m.step
      // might_alloc(): every attempt of an allocation that may reclaim, memory short or not; none
      // inside reclaim, which runs with PF_MEMALLOC (mm/page_alloc.c: __need_reclaim @ v6.12).
      const may = st && !inReclaim(pre, t) ? opOf(st).lockdep?.mightReclaim?.(st, m) : undefined
      if (may) {
        if (may.fs) took.push({ cls: 'fs_reclaim', s: pre })
        took.push({ cls: 'mmu_notifier', s: pre })
        if (may.fs) for (const c of contexts) if (c !== 'fs_reclaim') out.push([c, 'fs_reclaim'])
        if (may.fs) out.push(['fs_reclaim', 'mmu_notifier'])
        for (const c of contexts) if (c !== 'mmu_notifier') out.push([c, 'mmu_notifier'])
      }
      // Lockdep maps a rule acquires (a work item's queue then work map, nested; the maps a flush
      // touches, one after the other): each is ordered after every lock and map held, and a
      // nested one after those taken before it.
      const maps = st ? opOf(st).lockdep?.maps?.(design, st, m) : undefined
      maps?.names.forEach((x, k) => {
        took.push({ cls: x, s: pre })
        for (const c of [...contexts, ...(maps.nested ? maps.names.slice(0, k) : [])]) if (c !== x) out.push([c, x])
      })
      // Any dma_fence_wait() is annotated as a wait (__dma_fence_might_wait), blocking or not.
      if (st && opOf(st).lockdep?.fenceWait?.(st, m)) {
        for (const c of contexts) out.push([c, 'dma_fence_map'])
      }
      // lockdep records an acquisition when it is attempted, before the task sleeps on the lock:
      // a thread that now blocks on a taken lock has recorded held -> lock, even if it never gets it.
      const next = v.stepAt(post, t).step
      const blocks = next ? opOf(next).lockdep?.blocksOn?.(next) : undefined
      if (blocks && !lockFree(post, blocks.lock, blocks.mode)) {
        const to = cls(blocks.lock)
        took.push({ cls: to, s: post })
        const held = lockdepContexts(post, t)
        for (const c of held) if (c !== to) out.push([c, to])
        out.push(...recursion(held, to, next))
        if (inSignalling(post, t)) out.push(['dma_fence_map', to])
      }
      if (rule4) {
        for (const fe of rule4(post, t)) for (const c of lockdepContexts(post, t)) out.push([c, fenceNode(fe)])
        for (const x of took) for (const fe of sigAt[t]![x.s.get(f.pc[t]!)] ?? []) out.push([fenceNode(fe), x.cls])
      }
      // start_flush_work / __flush_workqueue touch the lockdep maps before the flush waits: a
      // thread that arrives at a flush records held -> map even if the flush never returns. The
      // touch is lock_map_acquire, an exclusive acquisition: a map the thread holds already (a
      // work item flushing itself, or its own ordered queue, from its callback) is lockdep's
      // "possible recursive locking detected" (kernel/workqueue.c: touch_work_lockdep_map,
      // touch_wq_lockdep_map @ v6.12; kernel/locking/lockdep.c: check_deadlock @ v6.12).
      const touched = next ? (opOf(next).lockdep?.touchesAt?.(design, f, post, next) ?? []) : []
      if (touched.length) {
        const held = lockdepContexts(post, t)
        for (const x of touched) for (const c of held) out.push([c, x])
      }
      return out
    },
  }
  return order
}

/** For each thread and step index, the fences whose signalling path the step is on (a scheduler
 * thread running a job: its whole path; a thread that signals: the steps before the signal), as
 * model/gpu/facts.ts reads them for rule 4. */
function signalPathSteps(design: GpuView['design']): (readonly number[] | undefined)[][] {
  return design.threads.map((th) => {
    const at: number[][] = th.steps.map(() => [])
    th.steps.forEach((x, k) => {
      const sp = opOf(x).signalPath?.(design, x)
      if (sp) for (let i = 0; i < (sp.whole ? th.steps.length : k); i++) if (!at[i]!.includes(sp.fence)) at[i]!.push(sp.fence)
    })
    return at
  })
}
