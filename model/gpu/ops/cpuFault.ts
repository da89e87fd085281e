/**
 * A CPU access that faults (do_swap_page). A page in system memory (or none yet) is mapped and the
 * access completes: the thread's path ends there. A device-private page (in VRAM) is a special
 * swap entry: do_swap_page calls the owning driver's migrate_to_ram, which the path's next steps
 * write out (get_page, migrate_vma_setup, ...); when they end, a repeating thread faults again. A
 * page whose migration entry is installed makes the fault wait for the migrator
 * (migration_entry_wait). A thread whose path has a cpu_fault is a CPU-side actor of
 * memory-progress: it must eventually complete its access.
 */
import type { Reader } from '../../../checker/model.js'
import type { StepOf } from '../types.js'
import { isVram, PAGE, nodeId } from '../view.js'
import { type OpModule, type WaitCx } from './op.js'
import { pageState } from './page.js'
import { NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    cpu_fault: { readonly op: 'cpu_fault'; readonly page: number }
  }
}
type S = StepOf<'cpu_fault'>

/**
 * A fault on a page whose migration entry is installed waits for the migrator
 * (migration_entry_wait): the CPU fault here, hmm_range_fault's walk in ops/mirror.ts.
 */
export function migrationEntryWait(w: WaitCx, page: number, who: string): void {
  const h = pageState(w.v.extra, w.v.design.threads.length, page).migrator(w.s)
  if (h >= 0) w.edge(nodeId.thread(h), `${who}(${w.v.design.pages[page]!.name}) waits on ${w.v.design.threads[h]!.name}'s migration entry${w.where}`)
}

/** Is no migration entry installed for the page (a fault may go on)? */
export const noMigrationEntry = (extra: Readonly<Record<string, number>>, T: number, page: number): ((s: Reader) => boolean) => {
  const pg = pageState(extra, T, page)
  return (s) => pg.migrator(s) < 0
}

export const cpuFaultOp: OpModule<S> = {
  ops: ['cpu_fault'],
  doc:
    'On a page in system memory (or not present) the access completes: the page is mapped, the locks the path holds are dropped and the path ends. ' +
    "On a device-private page the steps after it are the owner's migrate_to_ram, and when they end so does the path, whether the page moved or not: the CPU's retry of the access is written `repeat: true`, and such a thread faults again until the page is in system memory (a migrate_to_ram that never moves it is a `memory-progress` lasso, scenarios/mem/d05). " +
    "do_swap_page's page reference is not taken for the path: write `get_page` after the fault (and `put_page` at its end) where another thread's migrate_vma_setup must see it. " +
    'A page with a migration entry installed makes the fault wait (migration_entry_wait) until the migrator finalizes.',
  syntax: [
    {
      key: 'cpu_fault',
      doc: "a CPU access faults on the page: in system memory it completes (the path ends); device-private, the steps after it are the driver's migrate_to_ram",
      arg: { role: 'page', what: 'the page', schema: NAME('a page') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'cpu_fault', page: px.arg() }],
    },
  ],
  refs: { cpu_fault: { page: 'page' } },
  cite: [
    { path: 'mm/memory.c', fn: 'do_swap_page' },
    { path: 'include/linux/memremap.h', fn: 'dev_pagemap_ops.migrate_to_ram' },
    { path: 'mm/migrate.c', fn: 'migration_entry_wait' },
  ],
  notInReclaim: true,
  rules(k, step) {
    const { cx, p, t, th, base, m, add } = k
    const at = cx.f.pageAt[step.page]!
    const name = cx.design.pages[step.page]!.name
    const held = cx.paths.pathHeld[t]![p.at] ?? []
    const free = noMigrationEntry(cx.fields.extra, cx.T, step.page)
    add(
      { name: 'cpu_fault', ...base, page: name, mapped: true },
      m('cpu_access'),
      (s) => p.at_(s) && !isVram(s.get(at)) && free(s),
      (c) => {
        if (c.get(at) === PAGE.none) c.set(at, PAGE.system)
        for (const h of held) cx.dropLock(c, t, h.lock)
        c.set(cx.f.pc[t]!, th.steps.length)
      },
    )
    add(
      { name: 'cpu_fault', ...base, page: name, devicePrivate: true },
      m('migrate_to_ram'),
      (s) => p.at_(s) && isVram(s.get(at)) && free(s),
      (c) => p.advance(c),
    )
  },
  waitsOn: (w, step) => migrationEntryWait(w, step.page, 'cpu_fault'),
  text(d, s) {
    return `CPU access faults on ${d.pages[s.page]!.name} (do_swap_page: system page mapped, device-private page -> migrate_to_ram)`
  },
}
