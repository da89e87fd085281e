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
 * A page the caller already holds locked is collected without the trylock, as the fault page of a
 * do_swap_page() that locks it (mm/migrate: "Trylock device page in do_swap_page", after v6.12);
 * finalize then leaves the lock to the caller.
 */
import { SpecError } from '../errors.js'
import type { StepOf } from '../types.js'
import { PAGE, PTE } from '../view.js'
import { type OpModule } from './op.js'
import { pageState } from './page.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    migrate_vma_setup: { readonly op: 'migrate_vma_setup'; readonly page: number; readonly to: 'system' | 'vram' }
    migrate_vma_finalize: { readonly op: 'migrate_vma_finalize'; readonly page: number; readonly to: 'system' | 'vram' }
  }
}
type S = StepOf<'migrate_vma_setup' | 'migrate_vma_finalize'>

const TO = { doc: 'where the page goes: system (migrate_to_ram, eviction) or vram (the device; default system)', schema: { enum: ['system', 'vram'] } }
const parseTo = (v: unknown, where: readonly (string | number)[]): 'system' | 'vram' => {
  if (v === undefined || v === 'system' || v === 'vram') return v ?? 'system'
  throw new SpecError('FC155', [...where, 'to'], `must be system or vram, got ${JSON.stringify(v)}`)
}
const src = (to: 'system' | 'vram'): number => (to === 'system' ? PAGE.vram : PAGE.system)

export const migrateOp: OpModule<S> = {
  ops: ['migrate_vma_setup', 'migrate_vma_finalize'],
  syntax: [
    {
      key: 'migrate_vma_setup',
      doc: 'collect the page for migration: trylock it, install a migration entry, keep it only without foreign references (else it is not migrated)',
      arg: { role: 'page', what: 'the page', schema: NAME('a page') },
      modifiers: { to: TO },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'migrate_vma_setup', page: px.arg(), to: parseTo(px.mods.to, px.where) }],
    },
    {
      key: 'migrate_vma_finalize',
      doc: 'migrate_vma_pages + migrate_vma_finalize: a collected page moves to its destination, its migration entry goes, it is unlocked',
      arg: { role: 'page', what: 'the page', schema: NAME('a page') },
      modifiers: { to: TO },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'migrate_vma_finalize', page: px.arg(), to: parseTo(px.mods.to, px.where) }],
    },
  ],
  refs: { migrate_vma_setup: { page: 'page' }, migrate_vma_finalize: { page: 'page' } },
  cite: [
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_setup' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_collect_pmd' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_unmap' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_check_page' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_pages' },
    { path: 'mm/migrate_device.c', fn: 'migrate_vma_finalize' },
  ],
  notInReclaim: true,
  link(steps, k, who) {
    const s = steps[k] as S
    if (s.op === 'migrate_vma_finalize' && !steps.slice(0, k).some((x) => x.op === 'migrate_vma_setup' && x.page === s.page && x.to === s.to))
      throw new SpecError('FC158', s.where, `${who}: migrate_vma_finalize has no migrate_vma_setup of the same page and direction earlier in the path`)
    return s
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const pg = pageState(cx.fields.extra, cx.T, step.page)
    const at = cx.f.pageAt[step.page]!
    const mig = pg.mig[t]!
    const name = cx.design.pages[step.page]!.name
    if (step.op === 'migrate_vma_setup') {
      const from = src(step.to)
      const lockable = (s: { get(f: number): number }): boolean => s.get(pg.lock) === 0 || s.get(pg.lock) === t + 1
      const ok = (s: { get(f: number): number }): boolean => s.get(at) === from && lockable(s) && pg.othersRefs(s, t) === 0
      add(
        { name: 'migrate_vma_setup', ...base, page: name, collected: true },
        m('migrate_collect'),
        (s) => p.at_(s) && ok(s),
        (c) => {
          c.set(mig, c.get(pg.lock) === t + 1 ? 2 : 1)
          c.set(pg.lock, t + 1)
          p.advance(c)
        },
      )
      add(
        { name: 'migrate_vma_setup', ...base, page: name, collected: false },
        m('migrate_skip'),
        (s) => p.at_(s) && !ok(s),
        (c) => p.advance(c),
      )
      return
    }
    const dest = step.to === 'system' ? PAGE.system : PAGE.vram
    const ptes = cx.design.ranges.flatMap((r, ri) => r.pages.flatMap((q, j) => (q === step.page ? [cx.f.pte[ri]![j]!] : [])))
    add(
      { name: 'migrate_vma_finalize', ...base, page: name },
      m('migrate_finalize'),
      (s) => p.at_(s),
      (c) => {
        const how = c.get(mig)
        if (how > 0) {
          c.set(at, dest)
          // the old pfn no longer holds the data: a device PTE still naming it is stale
          for (const x of ptes) if (c.post(x) === PTE.valid) c.set(x, PTE.stale)
          if (how === 1) c.set(pg.lock, 0)
          c.set(mig, 0)
        }
        p.advance(c)
      },
    )
  },
  text(d, s) {
    const P = d.pages[s.page]!.name
    return s.op === 'migrate_vma_setup'
      ? `migrate_vma_setup(${P} to ${s.to}): trylock, migration entry, reference check (not migrated if busy)`
      : `migrate_vma_pages + migrate_vma_finalize(${P}): a collected page moves to ${s.to} and is unlocked`
  },
}
