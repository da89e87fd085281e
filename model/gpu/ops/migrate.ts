/**
 * migrate_vma: moving a page between system memory and a device's private memory (VRAM), as
 * mm/migrate_device.c does it. migrate_vma_setup collects the page if it sits at the source,
 * folio_trylock()s it (a page another thread has locked is skipped: migration is "only best effort
 * anyway", migrate_vma_collect_pmd), installs a migration entry, and keeps it only if
 * migrate_vma_check_page() finds no references beyond the expected ones (the caller's own: the
 * fault page's); otherwise the page is restored and not migrated. migrate_vma_finalize (with
 * migrate_vma_pages before it) moves a collected page to its destination, removes the migration
 * entry and unlocks the page. A page that was not collected is left where it is. While the entry
 * is installed, a CPU fault on the page waits for it (migration_entry_wait, cpuFault.ts).
 *
 * Residency is per device: a device-private page is in the VRAM of one device (its pgmap owner).
 * `device:` names it: to vram, the device whose VRAM receives the page (default the first engine);
 * to system, the pgmap owner whose pages the migration selects (MIGRATE_VMA_SELECT_DEVICE_PRIVATE
 * with pgmap_owner: migrate_vma_collect_pmd skips a device-private page of another owner; default
 * any owner, as the owning driver's migrate_to_ram). A page in another device's VRAM goes through
 * system memory (kfd_migrate.c: svm_migrate_vram_to_vram is vram -> ram -> vram).
 *
 * The copy is a job on a copy engine whose dma_fence signals when the data is there
 * (kfd_migrate.c: svm_migrate_copy_to_vram / svm_migrate_copy_memory_gart submit it on SDMA,
 * svm_migrate_copy_done waits for it before migrate_vma_finalize; nouveau_dmem.c:
 * nouveau_dmem_fence_done). `copy: JOB` on migrate_vma_finalize names that job: a finalize that
 * makes the destination visible while the copy's fence is still pending is a data-survives
 * violation (the CPU or GPU then sees a page the copy has not filled).
 *
 * migrate_vma_setup returns 0 even when it collected nothing; the driver decides what that means:
 * `else:` on migrate_vma_setup says what a page that was not collected does (skip: return, as
 * nouveau_dmem_migrate_to_ram's `if (!args.cpages) return 0`; -EBUSY: all-or-nothing, as
 * migrate_device_coherent_folio; retry); without it the path goes on and finalize leaves the page.
 *
 * A path may allocate the destination itself (migrate_alloc_dst, ops/migrateDst.ts): finalize then
 * moves the page only onto it, as migrate_vma_pages does, and frees the replaced page.
 *
 * Before the walk, migrate_vma_collect starts an MMU_NOTIFY_MIGRATE invalidation of the range with
 * the migration's pgmap owner (mmu_notifier_range_init_owner): the callbacks of the notifiers
 * covering the page run in the migrating thread, and the invalidation ends after the collection
 * (ops/invalidate.ts: invalidationStart/End). A page no notifier covers has no callbacks to run,
 * and its setup stays one step.
 *
 * A page the caller already holds locked is collected without the trylock, as the fault page of a
 * do_swap_page() that locks it (mm/migrate: "Trylock device page in do_swap_page", after v6.12);
 * finalize then leaves the lock to the caller.
 */
import { SpecError } from '../errors.js'
import type { StepOf } from '../types.js'
import { FS, isVram, PAGE, PTE, vramOf } from '../view.js'
import { invalidationFootprint, invalidationStart, invalidationEnd } from './invalidate.js'
import { type OpModule } from './op.js'
import { accountsDst, anyDst, DST, dstKey } from './migrateDst.js'
import { pageState } from './page.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    migrate_vma_setup: {
      readonly op: 'migrate_vma_setup'
      readonly page: number
      readonly to: 'system' | 'vram'
      /** to vram: the receiving device; to system: the selected pgmap owner, -1 any */
      readonly device: number
      /** what a page that was not collected does; none: the path goes on */
      readonly else?: Outcome
    }
    migrate_vma_finalize: {
      readonly op: 'migrate_vma_finalize'
      readonly page: number
      readonly to: 'system' | 'vram'
      readonly device: number
      /** the copy job whose dma_fence carries the data, if the design names it */
      readonly copy?: number
    }
  }
}
type S = StepOf<'migrate_vma_setup' | 'migrate_vma_finalize'>

const TO = { doc: 'where the page goes: system (migrate_to_ram, eviction) or vram (the device; default system)', schema: { enum: ['system', 'vram'] } }
const DEVICE = {
  doc: "to vram: the engine (device) whose VRAM receives the page (default the first); to system: the pgmap owner whose device-private pages are selected (default any, as the owner's migrate_to_ram)",
  schema: NAME('an engine'),
  role: 'engine',
} as const
const parseTo = (v: unknown, where: readonly (string | number)[]): 'system' | 'vram' => {
  if (v === undefined || v === 'system' || v === 'vram') return v ?? 'system'
  throw new SpecError('FC155', [...where, 'to'], `must be system or vram, got ${JSON.stringify(v)}`)
}
const device = (px: Parameters<OpModule['syntax'][number]['parse']>[0], to: 'system' | 'vram'): number =>
  px.mods.device !== undefined ? px.mod('device') : to === 'vram' ? 0 : -1
/** is the page, at residency v, a source of the migration */
const isSource = (step: { to: 'system' | 'vram'; device: number }, v: number): boolean =>
  step.to === 'vram' ? v === PAGE.system : step.device < 0 ? isVram(v) : v === vramOf(step.device)
const dest = (step: { to: 'system' | 'vram'; device: number }): number => (step.to === 'system' ? PAGE.system : vramOf(step.device))
const sameMigration = (a: S, b: S): boolean => a.page === b.page && a.to === b.to && a.device === b.device

export const migrateOp: OpModule<S> = {
  ops: ['migrate_vma_setup', 'migrate_vma_finalize'],
  doc:
    "Only the page's residency moves: a migration to VRAM takes no page from `memory: { vram }`, and one to system memory none from `system`, unless the path allocates its destination with `migrate_alloc_dst` (then finalize commits the page only onto that destination and frees the page it replaces). " +
    "`migrate_vma_setup` runs the MMU_NOTIFY_MIGRATE invalidation of migrate_vma_collect: the callbacks of every notifier covering the page run in the migrating thread (blockable), then the page is collected, then the invalidation ends. The range's owner is the migration's pgmap owner (`device:`; to system without `device:`, NULL); a callback tests it with `if: { event: MMU_NOTIFY_MIGRATE, owner: ENGINE }` (nouveau_svmm_invalidate_range_start skips its own device's migrations, whose PTEs its migration path handles). " +
    'While the migration entry is installed a `cpu_fault` on the page, and a `get_pages` with `else:` (the page of another owner), wait for it; a `get_pages` without `else:` does not (hmm_vma_handle_pte waits there too). ' +
    "`copy:` names the job whose dma_fence carries the data; finalize does not wait for it: finalizing while it is pending is a `data-survives` violation, so write the `wait:` before it (svm_migrate_copy_done; scenarios/mem/d03, d04). Any job may be the copy (an engine's `kind:` is documentation only); give it an engine of its own, as SDMA is, or it competes for CUs with the work it serves. " +
    'A page the caller already holds locked (`lock_page` before setup) is collected without the trylock, and finalize leaves the lock to the caller.',
  syntax: [
    {
      key: 'migrate_vma_setup',
      doc: 'collect the page for migration: trylock it, install a migration entry, keep it only without foreign references; else: what a page not collected does (default: go on, it is not migrated)',
      arg: { role: 'page', what: 'the page', schema: NAME('a page') },
      modifiers: {
        to: TO,
        device: DEVICE,
        else: {
          doc: 'what a page that was not collected does: skip, retry, fail or an error code such as -EBUSY (default: go on)',
          schema: { type: 'string' },
        },
      },
      notInCallback: true,
      parse: (px) => {
        const to = parseTo(px.mods.to, px.where)
        const o = px.mods.else !== undefined ? { else: px.outcome(px.mods.else, 'skip') } : {}
        return [{ where: px.where, op: 'migrate_vma_setup', page: px.arg(), to, device: device(px, to), ...o }]
      },
    },
    {
      key: 'migrate_vma_finalize',
      doc: 'migrate_vma_pages + migrate_vma_finalize: a collected page moves to its destination, its migration entry goes, it is unlocked; copy: the copy job whose dma_fence must have signalled',
      arg: { role: 'page', what: 'the page', schema: NAME('a page') },
      modifiers: {
        to: TO,
        device: DEVICE,
        copy: {
          doc: "the copy job whose dma_fence carries the page's data: it must have signalled before this step (finalize does not wait: wait: it first)",
          schema: NAME('a job'),
          role: 'job',
        },
      },
      notInCallback: true,
      parse: (px) => {
        const to = parseTo(px.mods.to, px.where)
        const copy = px.mods.copy !== undefined ? { copy: px.mod('copy') } : {}
        return [{ where: px.where, op: 'migrate_vma_finalize', page: px.arg(), to, device: device(px, to), ...copy }]
      },
    },
  ],
  refs: { migrate_vma_setup: { page: 'page', device: 'engine' }, migrate_vma_finalize: { page: 'page', device: 'engine', copy: 'job' } },
  cite: [
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_setup' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_collect' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_collect_pmd' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_unmap' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_check_page' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_pages' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_finalize' },
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_migrate.c', fn: 'svm_migrate_copy_done' },
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_migrate.c', fn: 'svm_migrate_vram_to_vram' },
  ],
  notInReclaim: true,
  // with notifiers covering the page, setup runs an invalidation: its start and end count it in
  // flight and turn the notifiers' seqs even, as an invalidate step's do (ops/invalidate.ts)
  // the setup's MMU_NOTIFY_MIGRATE invalidation touches the covering notifiers; an accounted finalize
  // frees the replaced page or the unused destination into a pool
  footprint: (d, step, m) => [
    ...(step.op === 'migrate_vma_setup' && (m.does === 'invalidate_start' || m.site) ? invalidationFootprint(d, [step.page]) : []),
    ...(anyDst(d) ? [{ pool: 'vram' as const }, { pool: 'system' as const }] : []),
  ],
  link(steps, k, who) {
    const s = steps[k] as S
    if (s.op === 'migrate_vma_finalize' && !steps.slice(0, k).some((x) => x.op === 'migrate_vma_setup' && sameMigration(x, s)))
      throw new SpecError('FC158', s.where, `${who}: migrate_vma_finalize has no migrate_vma_setup of the same page, direction and device earlier in the path`)
    return s
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const pg = pageState(cx.fields.extra, cx.T, step.page)
    const at = cx.f.pageAt[step.page]!
    const mig = pg.mig[t]!
    const name = cx.design.pages[step.page]!.name
    if (step.op === 'migrate_vma_setup') {
      const lockable = (s: { get(f: number): number }): boolean => s.get(pg.lock) === 0 || s.get(pg.lock) === t + 1
      const ok = (s: { get(f: number): number }): boolean => isSource(step, s.get(at)) && lockable(s) && pg.othersRefs(s, t) === 0
      const collect = (c: Parameters<Parameters<typeof add>[3]>[0]): void => {
        c.set(mig, c.get(pg.lock) === t + 1 ? 2 : 1)
        c.set(pg.lock, t + 1)
      }
      const o = step.else
      const notCollected = { name: 'migrate_vma_setup', ...base, page: name, collected: false, ...(o !== undefined ? { then: o } : {}) }
      const skip = m(o === 'retry' ? 'spin' : 'migrate_skip')
      const after = (c: Parameters<Parameters<typeof add>[3]>[0]): void => (o === undefined ? p.advance(c) : cx.outcome(p, o, c))
      const x = cx.paths.siteAt.get(`${t}:${p.frame}:${p.at}`)
      if (!x) {
        add(
          { name: 'migrate_vma_setup', ...base, page: name, collected: true },
          m('migrate_collect'),
          (s) => p.at_(s) && ok(s),
          (c) => (collect(c), p.advance(c)),
        )
        add(notCollected, skip, (s) => p.at_(s) && !ok(s), after)
        return
      }
      // migrate_vma_collect: the MMU_NOTIFY_MIGRATE invalidation starts and the notifiers covering
      // the page run their callbacks in this thread (blockable), then the walk collects the page,
      // then the invalidation ends; migrate_vma_setup returns (a page not collected: its else:).
      const L_ = x.steps.length
      const npc = cx.f.npc[t]!
      const g = cx.siteGuard(x)
      const owner = x.step.owner !== undefined ? { owner: cx.design.engines[x.step.owner]!.name } : {}
      invalidationStart(k, x, { name: 'migrate_vma_collect', ...base, page: name, invalidate_range_start: 'MMU_NOTIFY_MIGRATE', ...owner })
      add(
        { name: 'migrate_vma_collect', ...base, page: name, collected: true },
        m('migrate_collect', { site: x }),
        (s) => s.get(npc) === L_ + 1 && g(s) && ok(s),
        (c) => (collect(c), c.set(npc, L_ + 2)),
      )
      add(
        { name: 'migrate_vma_collect', ...base, page: name, collected: false },
        m('migrate_skip', { site: x }),
        (s) => s.get(npc) === L_ + 1 && g(s) && !ok(s),
        (c) => c.set(npc, L_ + 2),
      )
      // collected: the migration entry is installed (mig > 0); not collected: it is not
      invalidationEnd(k, x, { name: 'migrate_vma_setup', ...base, page: name, collected: true }, (c) => p.advance(c), {
        guard: (s) => s.get(mig) > 0,
        does: 'invalidate_end',
      })
      invalidationEnd(k, x, notCollected, after, { guard: (s) => s.get(mig) === 0, does: o === 'retry' ? 'spin' : 'invalidate_end' })
      return
    }
    const to = dest(step)
    const ptes = cx.design.ranges.flatMap((r, ri) => r.pages.flatMap((q, j) => (q === step.page ? [cx.f.pte[ri]![j]!] : [])))
    const copyFence = step.copy !== undefined ? cx.f.fs[cx.design.jobs[step.copy]!.fence]! : -1
    // An accounted destination (migrate_alloc_dst, ops/migrateDst.ts): the page moves only onto it.
    const dst = accountsDst(cx.design, t, step.page, step.to, step.device) ? cx.fields.extra[dstKey(t, step.page)]! : -1
    const { system, vram } = cx.f
    const give = (c: Parameters<Parameters<typeof add>[3]>[0], pool: number): void => c.set(pool, Math.min(c.get(pool) + 1, cx.layout.maxOf[pool]!))
    const finalize = (c: Parameters<Parameters<typeof add>[3]>[0]): void => {
      const how = c.get(mig)
      const held = dst >= 0 ? c.get(dst) : DST.none
      if (how > 0 && (dst < 0 || held !== DST.none)) {
        // migrate_device_finalize: folio_put(src) frees the page it replaces
        if (dst >= 0) give(c, isVram(c.get(at)) ? vram : system)
        c.set(at, to)
        // the old pfn no longer holds the data: a device PTE still naming it is stale
        for (const x of ptes) if (c.post(x) === PTE.valid) c.set(x, PTE.stale)
      } else if (held !== DST.none) give(c, held === DST.system ? system : vram) // unused destination: folio_put(dst)
      if (dst >= 0) c.set(dst, DST.none)
      if (how > 0) {
        if (how === 1) c.set(pg.lock, 0)
        c.set(mig, 0)
      }
      p.advance(c)
    }
    // svm_migrate_copy_done waits for the copy's dma_fence before migrate_vma_finalize: finalizing a
    // collected page before it signalled publishes a page the copy has not filled (data-survives).
    // A migration without its accounted destination publishes nothing (the source is restored).
    const copied = (s: { get(f: number): number }): boolean =>
      copyFence < 0 || s.get(mig) === 0 || (dst >= 0 && s.get(dst) === DST.none) || s.get(copyFence) !== FS.pending
    add({ name: 'migrate_vma_finalize', ...base, page: name }, m('migrate_finalize'), (s) => p.at_(s) && copied(s), finalize)
    if (copyFence >= 0)
      add({ name: 'migrate_vma_finalize', ...base, page: name, copy: 'pending' }, m('migrate_finalize_uncopied'), (s) => p.at_(s) && !copied(s), finalize)
  },
  text(d, s) {
    const P = d.pages[s.page]!.name
    const dev = s.device >= 0 && d.engines.length > 1 ? ` of ${d.engines[s.device]!.name}` : ''
    return s.op === 'migrate_vma_setup'
      ? `migrate_vma_setup(${P} to ${s.to}${s.to === 'vram' ? dev : dev ? `, from the VRAM${dev}` : ''}): trylock, migration entry, reference check (not migrated if busy${s.else !== undefined ? `: ${s.else}` : ''})`
      : `migrate_vma_pages + migrate_vma_finalize(${P}): a collected page moves to ${s.to}${s.to === 'vram' ? dev : ''} and is unlocked${s.copy !== undefined ? ` (its copy: job ${d.jobs[s.copy]!.name}'s dma_fence)` : ''}`
  },
}
