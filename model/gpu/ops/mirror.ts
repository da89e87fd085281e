/**
 * The GPU mirror of CPU pages (an SVM range or a userptr): the collision-retry loop
 * mmu_interval_read_begin / hmm_range_fault / mmu_interval_read_retry, programming the device's PTEs
 * from the pfns hmm_range_fault returned, and zapping them. read_retry jumps back to its range's
 * read_begin and map needs a get_pages of its range earlier in the path (spec.ts links them).
 *
 * hmm_range_fault reports a device-private page as is only when its pgmap owner is the range's
 * dev_private_owner, and faults one of another owner (mm/hmm.c: hmm_vma_handle_pte @ v6.12:
 * `pfn_swap_entry_to_page(entry)->pgmap->owner == range->dev_private_owner`, else `goto fault`):
 * handle_mm_fault -> do_swap_page (mm/memory.c: do_swap_page @ v6.12) runs the owning driver's
 * migrate_to_ram in the faulting thread, and hmm_vma_fault returns -EBUSY, so the walk starts
 * again. A range's owner is its device (its engine): a page in that device's VRAM is returned as
 * is, a page in another device's VRAM is faulted. `get_pages` with `else: [steps..., retry]` says
 * what that fault runs here (do_swap_page's reference and the owner's migrate_to_ram), and `retry`
 * is the new walk; a range whose page may be in another device's VRAM (at start, or migrated
 * there by some step) needs it (checkDevicePrivateOwners). A page whose migration entry is
 * installed makes every walk wait, with or without `else:` (hmm_vma_handle_pte: is_migration_entry
 * -> migration_entry_wait, then -EBUSY and the walk starts again), as a CPU fault does
 * (cpuFault.ts): it goes on once the migrator's migrate_vma_finalize removed the entry.
 *
 * Modelling choice: one owner per device. KFD gives the devices of one XGMI hive one owner
 * (kfd_svm.h: SVM_ADEV_PGMAP_OWNER) and passes NULL when a range's devices have different owners
 * (kfd_svm.c: svm_range_validate_and_map @ v6.12); neither is modelled.
 */
import type { Reader } from '../../../checker/model.js'
import { SpecError } from '../errors.js'
import type { Engine, Page, Range, Step, StepOf } from '../types.js'
import { isVram, PAGE, PTE, nodeId, vramOf } from '../view.js'
import { migrationEntryWait, noMigrationEntry } from './cpuFault.js'
import { mmapLockOf, mmUsed } from './mm.js'
import { names, type OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    read_begin: { readonly op: 'read_begin'; readonly range: number }
    /** else: 'branch': the range's VRAM pages are another owner's, and the branch is their fault */
    get_pages: { readonly op: 'get_pages'; readonly range: number; readonly else?: 'branch' }
    read_retry: { readonly op: 'read_retry'; readonly range: number; readonly else: Outcome; readonly back: number }
    map: { readonly op: 'map'; readonly range: number }
    zap: { readonly op: 'zap'; readonly range: number }
  }
}
type S = StepOf<'read_begin' | 'get_pages' | 'read_retry' | 'map' | 'zap'>

export const mirrorOp: OpModule<S> = {
  ops: ['read_begin', 'get_pages', 'read_retry', 'map', 'zap'],
  syntax: [
    {
      key: 'read_begin',
      doc: 'seq = mmu_interval_read_begin(range): waits while an invalidation is in flight',
      arg: { role: 'range', what: 'the range', schema: NAME('a range') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'read_begin', range: px.arg() }],
    },
    {
      key: 'get_pages',
      doc: "hmm_range_fault: fault the pages in and snapshot their pfns; waits while a migration entry is installed for one of them (migration_entry_wait); the thread must hold the mmap_lock of the range's mm, read or write (mmap_assert_locked: lock-held)",
      arg: { role: 'range', what: 'the range', schema: NAME('a range') },
      modifiers: {
        else: {
          doc: "what the walk does on a page in another device's VRAM (its pgmap owner is not the range's device; the range's own device's pages are returned as is): the steps its fault runs here (do_swap_page, the owner's migrate_to_ram), ending in retry (the walk starts again); needed when a page may be there",
          schema: { type: 'array' },
        },
      },
      notInCallback: true,
      parse: (px) => {
        if (px.mods.else === undefined) return [{ where: px.where, op: 'get_pages', range: px.arg() }]
        if (!Array.isArray(px.mods.else))
          throw new SpecError(
            'FC155',
            [...px.where, 'else'],
            "must be a list of steps: what the fault on another device's page runs here (do_swap_page, its migrate_to_ram), ending in retry",
          )
        return [{ where: px.where, op: 'get_pages', range: px.arg(), else: 'branch' }]
      },
    },
    {
      key: 'read_retry',
      doc: 'mmu_interval_read_retry: on a collision go back to read_begin (else: retry, the default)',
      arg: { role: 'range', what: 'the range', schema: NAME('a range') },
      modifiers: { else: ELSE('retry') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'read_retry', range: px.arg(), else: px.outcome(px.mods.else, 'retry'), back: -1 }],
    },
    {
      key: 'map',
      doc: "program the device's PTEs for the range from the snapshot",
      arg: { role: 'range', what: 'the range', schema: NAME('a range') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'map', range: px.arg() }],
    },
    {
      key: 'zap',
      doc: "zap the device's PTEs for the range",
      arg: { role: 'range', what: 'the range', schema: NAME('a range') },
      parse: (px) => [{ where: px.where, op: 'zap', range: px.arg() }],
    },
  ],
  refs: { read_begin: { range: 'range' }, get_pages: { range: 'range' }, read_retry: { range: 'range' }, map: { range: 'range' }, zap: { range: 'range' } },
  cite: [
    { path: 'mm/mmu_notifier.c', fn: 'mmu_interval_read_begin' },
    { path: 'include/linux/mmu_notifier.h', fn: 'mmu_interval_read_retry' },
    { path: 'mm/hmm.c', fn: 'hmm_range_fault' },
    { path: 'mm/hmm.c', fn: 'hmm_vma_handle_pte' },
    { path: 'mm/pagewalk.c', fn: 'walk_page_range' },
    { path: 'include/linux/mmap_lock.h', fn: 'mmap_assert_locked' },
  ],
  // hmm_range_fault: mmap_assert_locked(mm), mm = range->notifier->mm (mm/hmm.c @ v6.12), as
  // walk_page_range's process_mm_walk_lock does again (mm/pagewalk.c @ v6.12): a lockdep WARN
  // unless the walking task holds that mm's mmap_lock, for read or write
  assertsHeld(d, s) {
    if (s.op !== 'get_pages') return undefined
    const mm = mmUsed(d, s)
    const P = d.processes ?? []
    const whose = P.length > 1 ? `process ${P[mm]!.name}'s mm` : 'its mm'
    return { lock: mmapLockOf(d, mm), what: `hmm_range_fault(${d.ranges[s.range]!.name}) walks ${whose}: mmap_assert_locked(mm)` }
  },
  link(steps, k, who, d) {
    const s = steps[k] as S
    if (s.op === 'get_pages' && s.else === 'branch') {
      const end = steps[k + s.branch!]
      if (end?.op !== 'else_end' || end.then !== 'retry')
        throw new SpecError(
          'FC155',
          [...s.where, 'else'],
          `${who}: after the fault hmm_range_fault walks range '${d.ranges[s.range]!.name}' again (hmm_vma_fault returns -EBUSY): end the else: list with retry`,
        )
    }
    if (s.op === 'read_retry') {
      let back = -1
      for (let i = k - 1; i >= 0; i--) {
        const x = steps[i]!
        if (x.op === 'read_begin' && x.range === s.range) {
          back = i
          break
        }
      }
      if (back < 0)
        throw new SpecError(
          'FC158',
          s.where,
          `${who}: read_retry of range '${d.ranges[s.range]!.name}' has no read_begin of it earlier in the path (the collision-retry loop starts at mmu_interval_read_begin, rule 34)`,
        )
      return { ...s, back }
    }
    if (s.op === 'map' && !steps.slice(0, k).some((x) => x.op === 'get_pages' && x.range === s.range)) {
      throw new SpecError(
        'FC158',
        s.where,
        `${who}: map of range '${d.ranges[s.range]!.name}' has no get_pages of it earlier in the path (map programs the pfns hmm_range_fault returned)`,
      )
    }
    return s
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const { ranges } = cx.design
    const { pte, pfn, snap, inval, pageAt } = cx.f
    const { outcome } = cx
    switch (step.op) {
      case 'read_begin': {
        const ns = ranges[step.range]!.notifiers
        add(
          { name: 'mmu_interval_read_begin', ...base, range: ranges[step.range]!.name },
          m('read_begin'),
          (s) => p.at_(s) && ns.every((n) => s.get(inval[n]!) === 0),
          (c) => {
            for (const n of ns) c.set(snap[t]![n]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'get_pages': {
        const r = ranges[step.range]!
        const foreign = step.else === 'branch'
        // hmm_vma_handle_pte: a device-private page whose pgmap owner is not the range's device
        const own = vramOf(r.engine)
        const inVram = (s: Reader): boolean =>
          r.pages.some((q) => {
            const v = s.get(pageAt[q]!)
            return isVram(v) && v !== own
          })
        const entries = r.pages.map((q) => noMigrationEntry(cx.fields.extra, cx.T, q))
        const walkable = (s: Reader): boolean => entries.every((ok) => ok(s))
        if (foreign)
          // hmm_vma_handle_pte: a device-private entry of another owner faults (do_swap_page ->
          // migrate_to_ram, the branch), then the walk starts again (the branch ends in retry).
          add(
            { name: 'hmm_range_fault', ...base, range: r.name, devicePrivate: true },
            m('migrate_to_ram'),
            (s) => p.at_(s) && walkable(s) && inVram(s),
            (c) => cx.outcome(p, 'branch', c),
          )
        // hmm_range_fault(): faults missing pages in and returns their pfns (current generations).
        add(
          { name: 'hmm_range_fault', ...base, range: r.name },
          m('get_pages'),
          // hmm_vma_handle_pte: a migration entry makes every walk wait (migration_entry_wait,
          // then -EBUSY: the walk starts again once the migrator's finalize removed it).
          foreign ? (s) => p.at_(s) && walkable(s) && !inVram(s) : (s) => p.at_(s) && walkable(s),
          (c) => {
            for (const q of r.pages) {
              if (c.get(pageAt[q]!) === PAGE.none) c.set(pageAt[q]!, PAGE.system)
              c.set(pfn[t]![q]!, 1)
            }
            p.advance(c)
          },
        )
        return
      }
      case 'read_retry': {
        const r = ranges[step.range]!
        const fresh = (s: Reader): boolean => r.notifiers.every((n) => s.get(snap[t]![n]!) === 1)
        add(
          { name: 'mmu_interval_read_retry', ...base, range: r.name, collision: false },
          m('read_retry'),
          (s) => p.at_(s) && fresh(s),
          (c) => p.advance(c),
        )
        const o = step.else
        add(
          { name: 'mmu_interval_read_retry', ...base, range: r.name, collision: true, then: o },
          m('collision'),
          (s) => p.at_(s) && !fresh(s),
          (c) => {
            if (o === 'retry') p.jump(c, step.back)
            else outcome(p, o, c)
          },
        )
        return
      }
      case 'map': {
        const ri = step.range
        const r = ranges[ri]!
        // Program the GPU PTEs with the pfns get_pages returned: stale if the page changed since.
        add(
          { name: 'program_gpu_ptes', ...base, range: r.name },
          m('map'),
          (s) => p.at_(s),
          (c) => {
            r.pages.forEach((q, k) => c.set(pte[ri]![k]!, c.get(pfn[t]![q]!) === 1 ? PTE.valid : PTE.stale))
            p.advance(c)
          },
        )
        return
      }
      case 'zap': {
        const ri = step.range
        add(
          { name: 'zap_gpu_ptes', ...base, range: ranges[ri]!.name },
          m('zap'),
          (s) => p.at_(s),
          (c) => {
            for (const fld of pte[ri]!) c.set(fld, PTE.invalid)
            p.advance(c)
          },
        )
        return
      }
    }
  },
  waitsOn(wc, step) {
    if (step.op === 'get_pages') for (const q of wc.v.design.ranges[step.range]!.pages) migrationEntryWait(wc, q, 'hmm_range_fault')
    if (step.op !== 'read_begin') return
    const { v, s, t } = wc
    const { design, f } = v
    // mmu_interval_read_begin() sleeps until the mm's seq turns even: every invalidation in
    // flight on the range's mm must end (rule 37).
    const mm = design.pages[design.ranges[step.range]!.pages[0]!]!.process ?? 0
    const sameMm = (o: number): boolean => {
      const x = wc.v.stepAt(s, o).site
      return !x || (design.pages[x.step.pages[0]!]!.process ?? 0) === mm
    }
    design.threads.forEach((other, o) => {
      if (o !== t && f.npc[o]! >= 0 && s.get(f.npc[o]!) > 0 && sameMm(o))
        wc.edge(nodeId.thread(o), `mmu_interval_read_begin(${design.ranges[step.range]!.name}) waits for ${other.name}'s invalidation to end`)
    })
  },
  text(d, s) {
    const { R } = names(d)
    switch (s.op) {
      case 'read_begin':
        return `seq = mmu_interval_read_begin(${R(s.range)})`
      case 'get_pages':
        return `hmm_range_fault(${R(s.range)}): fault the pages in, snapshot their pfns${s.else === 'branch' ? " (a page in another device's memory: do_swap_page -> its migrate_to_ram, then walk again)" : ''}`
      case 'read_retry':
        return `mmu_interval_read_retry(${R(s.range)}, seq), on collision ${s.else === 'retry' ? 'go back to read_begin' : s.else}`
      case 'map':
        return `program ${d.engines[d.ranges[s.range]!.engine]!.name}'s PTEs for ${R(s.range)} from the snapshot`
      case 'zap':
        return `zap ${d.engines[d.ranges[s.range]!.engine]!.name}'s PTEs for ${R(s.range)}`
    }
  },
}

/**
 * A `get_pages` without `else:` states that the walk finds no device-private page of another
 * owner: refuse it when a page of its range may be in another device's VRAM, at start or migrated
 * there by some step (migrate_vma_finalize to vram is the only step that puts a page in VRAM).
 */
export function checkDevicePrivateOwners(
  d: { readonly pages: readonly Page[]; readonly ranges: readonly Range[]; readonly engines: readonly Engine[] },
  steps: readonly Step[],
): void {
  const where = d.pages.map((pg) => new Map<number, string>(pg.at === 'vram' ? [[pg.device, `it starts there (pages: ${pg.name}, at: vram)`]] : []))
  for (const s of steps)
    if (s.op === 'migrate_vma_finalize' && s.to === 'vram' && !where[s.page]!.has(s.device))
      where[s.page]!.set(s.device, `the step at ${s.where.join('.')} migrates it there`)
  for (const s of steps) {
    if (s.op !== 'get_pages' || s.else === 'branch') continue
    const r = d.ranges[s.range]!
    for (const q of r.pages)
      for (const [e, why] of where[q]!)
        if (e !== r.engine)
          throw new SpecError(
            'FC169',
            [...s.where, 'get_pages'],
            `hmm_range_fault of range '${r.name}' (device ${d.engines[r.engine]!.name}) may find page ${d.pages[q]!.name} in the private memory of ${d.engines[e]!.name} (${why}): ` +
              `it returns a device-private page as is only to its owner and faults another's back to system memory (mm/hmm.c: hmm_vma_handle_pte @ v6.12); ` +
              `add else: with what that fault runs here (do_swap_page, ${d.engines[e]!.name}'s migrate_to_ram: for example [ { get_page: ${d.pages[q]!.name} }, { migrate_vma_setup: ${d.pages[q]!.name} }, { migrate_vma_finalize: ${d.pages[q]!.name} }, { put_page: ${d.pages[q]!.name} }, retry ])`,
          )
  }
}
