/**
 * Page-frame conservation for the scenario language (rule 39, Documentation/mm/hmm.rst "Migration
 * to and from device memory": migrate_vma_finalize() replaces the migration entry by exactly one
 * page and frees the other). It reads what the language's state holds about a migrating page:
 * its residency (page.P, the frame the CPU page table maps), each thread's migration entry
 * (migrating.T.P, ops/page.ts: the source frame, locked and unmapped by migrate_vma_setup) and each
 * thread's destination (migrateDst.T.P, ops/migrateDst.ts: the frame the driver allocated, named
 * in migrate->dst). A frame in a free pool is counted there; one the CPU maps is the page's.
 *
 * What a migration holds is accounted while its thread can still release it: a migration entry
 * until the path's migrate_vma_finalize of the page (mm/migrate_device.c: migrate_device_finalize
 * removes it and unlocks the source), a destination until that finalize or a migrate_put_dst
 * (finalize frees an unused one: `folio_put(dst)`; svm_migrate_copy_to_ram's out_oom puts it).
 * A thread holding either at a position from which its path no longer reaches such a step (it
 * went past them, left the path with skip, fail or an error code, or started over) has lost the
 * frame: allocated, unreachable, never freed (the M5b outcome: an orphaned destination). Two
 * threads' migration entries on one page at once are a duplication: both would commit a
 * destination for one source (M5b's race; migrate_vma_collect_pmd's folio_trylock and
 * migrate_vma_check_page's reference count exclude it, so a design reaches it only through a
 * primitive that does not honour them). The state holds one residency per page, so a virtual page
 * mapped to two frames cannot be represented; a page the design takes with `alloc:` has no owner
 * in the state and is outside this accounting.
 */
import { always, type Invariant, type Reader } from '../checker/model.js'
import { accountsDst, dstKey } from '../model/gpu/ops/migrateDst.js'
import { pageState } from '../model/gpu/ops/page.js'
import type { GpuDesign, Step } from '../model/gpu/types.js'
import type { GpuView } from '../model/gpu/view.js'
import { PAGE_CONSERVATION } from './hmm.js'

export interface ConservationFault {
  readonly kind: 'lost' | 'duplicated'
  readonly page: string
  readonly what: string
}

/** Positions of a path at which a holding is accounted: after one of its `opens` steps and at or
 * before one of its `closes` steps (a failure branch sits between its step and the next, so a
 * branch that releases and one that goes on to the path's own finalize both stay inside). */
function windows(steps: readonly Step[], opens: (x: Step) => boolean, closes: (x: Step) => boolean): boolean[] {
  const first = steps.findIndex(opens)
  const last = steps.reduce((n, x, i) => (closes(x) ? i : n), -1)
  return Array.from({ length: steps.length + 1 }, (_, i) => first >= 0 && first < i && i <= last)
}

/** Does the design migrate (migrate_vma_setup anywhere): the property applies. */
export const migrates = (d: Pick<GpuDesign, 'threads'>): boolean => d.threads.some((th) => th.steps.some((s) => s.op === 'migrate_vma_setup'))

/** The conservation check over states of one compiled design: the first fault, or undefined. */
export function pageAccounting(v: Pick<GpuView, 'design' | 'extra' | 'f'>): (s: Reader) => ConservationFault | undefined {
  const { design, extra, f } = v
  const T = design.threads.length
  const checks: ((s: Reader) => ConservationFault | undefined)[] = []
  design.pages.forEach((pg, p) => {
    const st = pageState(extra, T, p)
    if (st.mig.every((x) => x < 0)) return
    design.threads.forEach((th, t) => {
      const pc = f.pc[t]!
      const mig = st.mig[t]!
      const dst = extra[dstKey(t, p)]
      if (dst !== undefined) {
        const ok = windows(
          th.steps,
          (x) => x.op === 'migrate_alloc_dst' && x.page === p,
          (x) => (x.op === 'migrate_put_dst' && x.page === p) || (x.op === 'migrate_vma_finalize' && x.page === p && accountsDst(design, t, p, x.to, x.device)),
        )
        checks.push((s) =>
          s.get(dst) > 0 && !ok[s.get(pc)]
            ? {
                kind: 'lost',
                page: pg.name,
                what: `thread ${th.name} holds the destination page of ${pg.name} and no migrate_vma_finalize or migrate_put_dst of it is ahead in its path: the page is allocated and never freed (migrate_device_finalize would free a destination it does not keep)`,
              }
            : undefined,
        )
      }
      if (mig >= 0) {
        const ok = windows(
          th.steps,
          (x) => x.op === 'migrate_vma_setup' && x.page === p,
          (x) => x.op === 'migrate_vma_finalize' && x.page === p,
        )
        // a setup whose MMU_NOTIFY_MIGRATE invalidation is still in flight (ops/migrate.ts: the
        // collection runs before invalidate_range_end) holds its entry at its own position
        const npc = f.npc[t] ?? -1
        const setupAt = th.steps.map((x) => x.op === 'migrate_vma_setup' && x.page === p)
        const collecting = (s: Reader): boolean => npc >= 0 && s.get(npc) > 0 && setupAt[s.get(pc)] === true
        checks.push((s) =>
          s.get(mig) > 0 && !ok[s.get(pc)] && !collecting(s)
            ? {
                kind: 'lost',
                page: pg.name,
                what: `thread ${th.name} left the migration entry of ${pg.name} installed: no migrate_vma_finalize of it is ahead in its path, so the source page stays locked and unmapped for ever (migrate_device_finalize removes the entry)`,
              }
            : undefined,
        )
      }
    })
    checks.push((s) => {
      const who = st.mig.flatMap((x, t) => (x >= 0 && s.get(x) > 0 ? [design.threads[t]!.name] : []))
      return who.length > 1
        ? {
            kind: 'duplicated',
            page: pg.name,
            what: `threads ${who.join(' and ')} both hold a migration entry of ${pg.name}: each would commit its own destination for one source`,
          }
        : undefined
    })
  })
  return (s) => {
    for (const c of checks) {
      const x = c(s)
      if (x) return x
    }
    return undefined
  }
}

/** The property: no migration loses or duplicates a page frame (rule 39). */
export function pageConservationProperty(v: Pick<GpuView, 'design' | 'extra' | 'f'>): Invariant {
  const fault = pageAccounting(v)
  return always(PAGE_CONSERVATION, (s) => fault(s) === undefined, {
    id: 'page-conservation',
    cite: 'rule 39: Documentation/mm/hmm.rst (migrate_vma_setup/pages/finalize); mm/migrate_device.c: migrate_vma_collect_pmd, __migrate_device_pages, migrate_device_finalize @ v6.12; drivers/gpu/drm/amd/amdkfd/kfd_migrate.c: svm_migrate_copy_to_ram @ v6.12',
  })
}
