/**
 * A CPU-side invalidation of pages (munmap, migration, reclaim, the OOM reaper, exit):
 * mmu_notifier_invalidate_range_start makes the mm's seq odd, the callbacks of every notifier
 * covering a page run in the invalidating thread (mn_itree_invalidate), the pages change, and
 * range_end makes the seq even again when the last invalidation ends. set_seq is the callback's
 * mmu_interval_set_seq.
 *
 * The seq and the count of invalidations in flight are the mm's (struct mmu_notifier_subscriptions,
 * mm/mmu_notifier.c: mn_itree_inv_end @ v6.12): with several processes each mm counts its own, and
 * the last invalidation of an mm turns only its notifiers' seqs even. An invalidation names pages of
 * one mm.
 */
import { int, type LayoutBuilder } from '../../../checker/layout.js'
import type { Action, Cursor, Reader } from '../../../checker/model.js'
import type { StepCx } from '../context.js'
import { SpecError } from '../errors.js'
import { EVENTS, type GpuDesign, type MemEvent, type Step, type StepOf } from '../types.js'
import { PAGE, PTE, type Site } from '../view.js'
import { type OpModule, type Place } from './op.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    invalidate: {
      readonly op: 'invalidate'
      readonly pages: readonly number[]
      readonly event: MemEvent
      readonly nonblock: boolean
      /** mmu_notifier_range_init_owner's owner (the migrating device's pgmap owner); none: NULL */
      readonly owner?: number
    }
    set_seq: { readonly op: 'set_seq'; readonly notifier: number }
  }
}
type S = StepOf<'invalidate' | 'set_seq'>

/**
 * The MMU_NOTIFY_MIGRATE invalidation a migrate_vma_setup runs over its range, owned by the
 * migration's pgmap owner (mm/migrate_device.c: migrate_vma_collect @ v6.12:
 * mmu_notifier_range_init_owner(&range, MMU_NOTIFY_MIGRATE, 0, mm, start, end, pgmap_owner)): to
 * vram the receiving device, to system the selected owner (none selected: NULL). Blockable.
 */
export const migrateInvalidation = (s: Step): StepOf<'invalidate'> | undefined =>
  s.op === 'migrate_vma_setup'
    ? { where: s.where, op: 'invalidate', pages: [s.page], event: 'migrate', nonblock: false, ...(s.device >= 0 ? { owner: s.device } : {}) }
    : undefined

/** The enum mmu_notifier_event values a callback may test (include/linux/mmu_notifier.h @ v6.12). */
export const NOTIFY_EVENTS = ['MMU_NOTIFY_UNMAP', 'MMU_NOTIFY_CLEAR', 'MMU_NOTIFY_MIGRATE', 'MMU_NOTIFY_RELEASE'] as const
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number]
/**
 * The event a site's callbacks see in range->event: MMU_NOTIFY_MIGRATE only for migrate_vma's
 * collection; munmap and the OOM reaper unmap (mm/memory.c: unmap_vmas, mm/oom_kill.c:
 * __oom_reap_task_mm @ v6.12); NUMA/compaction migration and reclaim clear (mm/rmap.c:
 * try_to_migrate_one, try_to_unmap_one @ v6.12); exit releases (exit_mmap's mmu_notifier_release:
 * mm/mmu_notifier.c: mn_itree_release @ v6.12).
 */
export const notifyEvent = (x: Site): NotifyEvent =>
  x.caller.op === 'migrate_vma_setup'
    ? 'MMU_NOTIFY_MIGRATE'
    : x.step.event === 'migrate' || x.step.event === 'pressure'
      ? 'MMU_NOTIFY_CLEAR'
      : x.step.event === 'exit'
        ? 'MMU_NOTIFY_RELEASE'
        : 'MMU_NOTIFY_UNMAP'

/** The places an invalidation's start and end touch besides its thread: every notifier's seq, the
 * count of invalidations in flight and the mm's own count. */
export const invalidationFootprint = (d: GpuDesign, pages: readonly number[]): Place[] => [
  ...d.notifiers.map((_, n) => ({ field: 'inval', index: n }) as const),
  { field: 'active', index: 0 } as const,
  { extra: inFlightKey(mmOfPages(d, pages)) },
]

/** The mm an invalidation's pages belong to. */
export const mmOfPages = (d: Pick<GpuDesign, 'pages'>, pages: readonly number[]): number => d.pages[pages[0]!]!.process ?? 0
const inFlightKey = (p: number): string => `mmInvalidations.${p}`

/**
 * mmu_notifier_invalidate_range_start() at site x: the mm's seq becomes odd (rule 36) and stays odd
 * while any invalidation is in flight (rule 37); then the covering callbacks run, one step each.
 * The thread's notifier counter then stands at the callbacks' end + 1 (what the pages' change reads).
 */
export function invalidationStart(k: StepCx, x: Site, action: Action): void {
  const { cx, p, t, m, add } = k
  const L_ = x.steps.length
  const own = cx.fields.extra[inFlightKey(mmOfPages(cx.design, x.step.pages))] ?? -1
  const { active, npc } = cx.f
  add(action, m('invalidate_start'), p.at_, (c) => {
    c.set(active, c.get(active) + 1)
    if (own >= 0) c.set(own, c.get(own) + 1)
    c.set(npc[t]!, L_ > 0 ? 1 : L_ + 1)
  })
  for (let i = 0; i < L_; i++) cx.stepRules(cx.notifierPos(x, i), x.steps[i]!)
}

/**
 * mmu_notifier_invalidate_range_end() at site x, once the thread's notifier counter stands at the
 * callbacks' end + 2 (and `when.guard` holds; the rule then does `when.does`): when the mm's last
 * invalidation ends its notifiers' seqs turn even again; then `then` moves the path on.
 */
export function invalidationEnd(k: StepCx, x: Site, action: Action, then: (c: Cursor) => void, when?: { guard: (s: Reader) => boolean; does: string }): void {
  const { cx, t, m, add } = k
  const L_ = x.steps.length
  const mm = mmOfPages(cx.design, x.step.pages)
  const own = cx.fields.extra[inFlightKey(mm)] ?? -1
  const { active, npc, inval } = cx.f
  // the notifiers whose seqs this mm's last invalidation turns even
  const mine = own >= 0 ? inval.filter((_, n) => mmOfPages(cx.design, cx.design.notifiers[n]!.pages) === mm) : inval
  const g = cx.siteGuard(x)
  const w = when?.guard
  add(
    action,
    m(when?.does ?? 'invalidate_end', { site: x }),
    w ? (s) => s.get(npc[t]!) === L_ + 2 && g(s) && w(s) : (s) => s.get(npc[t]!) === L_ + 2 && g(s),
    (c) => {
      const left = own >= 0 ? c.get(own) - 1 : c.get(active) - 1
      c.set(active, c.get(active) - 1)
      if (own >= 0) c.set(own, left)
      if (left === 0) for (const fld of mine) c.set(fld, 0)
      c.set(npc[t]!, 0)
      then(c)
    },
  )
}

export const invalidateOp: OpModule<S> = {
  ops: ['invalidate', 'set_seq'],
  syntax: [
    {
      key: 'invalidate',
      doc: "invalidate pages: the covering notifiers' callbacks run, then the pages change",
      arg: { role: 'page', what: 'the pages', schema: { type: ['string', 'array'], items: { type: 'string' }, description: 'a page or a list of pages' } },
      modifiers: {
        event: { doc: 'unmap (default), migrate, pressure, oom or exit', schema: { enum: EVENTS } },
        nonblock: { doc: 'a non-blockable invalidation (the OOM reaper): callbacks must not sleep', schema: { type: 'boolean' } },
      },
      notInCallback: true,
      parse: (px) => {
        const event = (px.mods.event ?? 'unmap') as MemEvent
        if (!(EVENTS as readonly unknown[]).includes(event))
          throw new SpecError('FC155', [...px.where, 'event'], `must be one of ${EVENTS.join(', ')}, got ${JSON.stringify(px.mods.event)}`)
        if (px.mods.nonblock !== undefined && typeof px.mods.nonblock !== 'boolean')
          throw new SpecError('FC155', [...px.where, 'nonblock'], 'must be true or false')
        return [{ where: px.where, op: 'invalidate', pages: px.pageList(px.raw, [...px.where, px.key]), event, nonblock: px.mods.nonblock === true }]
      },
    },
    {
      key: 'set_seq',
      doc: "mmu_interval_set_seq: the callback's notifier takes the mm's odd seq (callbacks only)",
      arg: { role: 'notifier', what: 'the notifier', schema: NAME("the callback's own notifier (optional)") },
      bare: true,
      parse: (px) => {
        const inCallback = px.inCallback
        if (inCallback === undefined)
          throw new SpecError(
            'FC160',
            px.where,
            "set_seq (mmu_interval_set_seq) is called from a notifier's invalidate callback; move it under notifiers: [{ callback: [...] }]",
          )
        if (px.raw !== undefined && px.arg() !== inCallback) {
          throw new SpecError(
            'FC163',
            [...px.where, px.key],
            `the callback of notifier '${px.notifierNames[inCallback]!}' can only set its own seq (write set_seq without an argument)`,
          )
        }
        return [{ where: px.where, op: 'set_seq', notifier: inCallback }]
      },
    },
  ],
  // an invalidation counts the invalidations in flight and runs every notifier's callbacks: not narrowed yet, so dependent on every rule (checker/por.ts)
  // an invalidation counts itself in flight (the mm's count, or the global one) and turns its
  // notifiers' seqs even when the last one ends; only the CPU's change of the pages (its refs)
  // touches them
  footprint: (d, step, m) => (step.op === 'set_seq' || m.does === 'invalidate_pages' ? [] : invalidationFootprint(d, step.pages)),
  refAccess: (step, m) => (step.op === 'invalidate' && (m.does === 'invalidate_start' || m.does === 'invalidate_end') ? 'none' : undefined),
  refs: { invalidate: { pages: 'page' }, set_seq: { notifier: 'notifier' } },
  cite: [
    { path: 'mm/mmu_notifier.c', fn: '__mmu_notifier_invalidate_range_start' },
    { path: 'mm/mmu_notifier.c', fn: 'mn_itree_invalidate' },
    { path: 'mm/mmu_notifier.c', fn: '__mmu_notifier_invalidate_range_end' },
    { path: 'include/linux/mmu_notifier.h', fn: 'mmu_interval_set_seq' },
  ],
  // With several processes, each mm counts its invalidations in flight (one process: the global count).
  fields(b: LayoutBuilder, d: GpuDesign) {
    const P = d.processes ?? []
    if (P.length < 2) return {}
    const steps = [...d.threads.flatMap((th) => th.steps), ...d.reclaim.flatMap((r) => r.steps)]
    // a migrate_vma_setup's invalidation counts only where a notifier covers its page (it has a site)
    const covered = (x: StepOf<'invalidate'>): boolean => d.notifiers.some((n) => n.pages.includes(x.pages[0]!))
    const invs = steps.flatMap((s) => {
      const x = migrateInvalidation(s)
      return s.op === 'invalidate' ? [s] : x && covered(x) ? [x] : []
    })
    const mms = new Set(invs.map((s) => mmOfPages(d, s.pages)))
    return Object.fromEntries([...mms].map((p) => [inFlightKey(p), b.scalar(`invalidations.${P[p]!.name}`, int(0, d.threads.length))]))
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const { pages, notifiers, ranges } = cx.design
    const { pte, pfn, snap, inval, npc, pageAt } = cx.f
    const T = cx.T
    const { siteAt } = cx.paths
    const { siteGuard } = cx
    switch (step.op) {
      case 'invalidate': {
        const x = siteAt.get(`${t}:${p.frame}:${p.at}`)!
        const L_ = x.steps.length
        const pg = step.pages.map((q) => pages[q]!.name).join(',')
        invalidationStart(k, x, { name: step.nonblock ? 'invalidate_range_start_nonblock' : 'invalidate_range_start', ...base, pages: pg, event: step.event })
        // Every callback returned: the CPU side goes on and the pages change (a new generation):
        // unmap/exit/pressure free or swap them out, migrate moves them to a new frame.
        add(
          { name: 'cpu_pages_change', ...base, pages: pg, event: step.event },
          m('invalidate_pages', { site: x }),
          (s) => s.get(npc[t]!) === L_ + 1 && siteGuard(x)(s),
          (c) => {
            for (const q of step.pages) {
              ranges.forEach((r, ri) => {
                const k = r.pages.indexOf(q)
                if (k >= 0 && c.get(pte[ri]![k]!) === PTE.valid) c.set(pte[ri]![k]!, PTE.stale)
              })
              for (let u = 0; u < T; u++) if (pfn[u]![q]! >= 0) c.set(pfn[u]![q]!, 0)
              if (step.event !== 'migrate') c.set(pageAt[q]!, PAGE.none)
            }
            c.set(npc[t]!, L_ + 2)
          },
        )
        invalidationEnd(k, x, { name: 'invalidate_range_end', ...base, pages: pg }, (c) => p.advance(c))
        return
      }
      case 'set_seq': {
        const n = step.notifier
        // mmu_interval_set_seq(): the subscription takes the mm's odd seq, so every read_retry on a
        // seq read before now reports a collision, and read_begin waits until the seq is even.
        add(
          { name: 'mmu_interval_set_seq', ...base, notifier: notifiers[n]!.name },
          m('set_seq'),
          (s) => p.at_(s),
          (c) => {
            c.set(inval[n]!, 1)
            for (let u = 0; u < T; u++) if (snap[u]![n]! >= 0) c.set(snap[u]![n]!, 0)
            p.advance(c)
          },
        )
        return
      }
    }
  },
  text(d, s) {
    switch (s.op) {
      case 'invalidate':
        return `${s.event === 'exit' ? 'exit_mmap: unmap' : s.event === 'migrate' ? 'migrate (NUMA/compaction)' : s.event === 'pressure' ? 'reclaim (unmap under memory pressure)' : s.event === 'oom' ? 'OOM reaper: unmap' : 'munmap'} of page${s.pages.length > 1 ? 's' : ''} ${s.pages.map((p) => d.pages[p]!.name).join(', ')}: mmu_notifier_invalidate_range_start${s.nonblock ? '_nonblock' : ''}`
      case 'set_seq':
        return `mmu_interval_set_seq(${d.notifiers[s.notifier]!.name})`
    }
  },
}
