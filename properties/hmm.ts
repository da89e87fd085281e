/**
 * Memory-side properties: the language's (properties/gpu.ts, properties/process.ts) and those of the
 * independent `hmm` reference the tests compare it with (test/reference/hmm/).
 * Rule numbers refer to the project's kernel-rules reference (sections G, H, J, L); each property
 * names the kernel text it encodes. The names are shared by every mechanism of the model, so one
 * scenario per property shows that it can fail.
 */
import { type Action, always, type Invariant, type Reader, step, type StepProperty } from '../checker/model.js'

export const STALE_ACCESS = 'M-safety: no GPU access through a stale or invalid PTE after the notifier returned (rules 33, 45)'
export const PAGE_CONSERVATION = 'no page lost or duplicated by migration (rule 39)'
export const DATA_SURVIVES = 'data survives migration: the mapped page holds the latest content version (rule 39)'
export const FAULT_ATTRIBUTION = 'a GPU fault is attributable to exactly one address space (seed 002)'
export const PROGRESS = 'progress under weak fairness: every fault or invalidation is eventually served (rules 34, 51, 53, 59, 73)'

/**
 * Rule 33 (mmu_notifier.h, struct mmu_interval_notifier_ops: "Upon return the caller must stop
 * using any SPTEs within this range") and rule 45 (drm-vm-bind-locking.rst: "When this invalidation
 * notifier returns, the GPU can no longer be accessing the old pages"). `page(a)` is the page a GPU
 * access action touches (-1 for other actions); `ok(pre, p)` says whether the GPU may touch page
 * p through its PTE in the pre-state: the PTE is valid, points at the page's current generation,
 * and no invalidation of p has had all its notifiers return.
 */
export function staleAccess(page: (a: Action) => number, ok: (pre: Reader, p: number) => boolean): StepProperty<Action> {
  return step<Action>(
    STALE_ACCESS,
    (pre, a) => {
      const p = page(a)
      return p < 0 || ok(pre, p)
    },
    { cite: 'rule 33: include/linux/mmu_notifier.h (mmu_interval_notifier_ops); rule 45: Documentation/gpu/drm-vm-bind-locking.rst' },
  )
}

/**
 * Rule 39 (Documentation/mm/hmm.rst, "Migration to and from device memory"): migration moves a
 * page; migrate_vma_finalize() replaces the migration entry by exactly one page and frees the
 * other. `holds` is the model's page count check (the CPU maps an allocated frame; no allocated
 * frame is orphaned).
 */
export function pageConservation(holds: (s: Reader) => boolean): Invariant {
  return always(PAGE_CONSERVATION, holds, { id: 'page-conservation', cite: 'rule 39: Documentation/mm/hmm.rst (migrate_vma_setup/pages/finalize)' })
}

/** Rule 39: the copy between migrate_vma_setup() and migrate_vma_pages() carries the data. */
export function dataSurvives(holds: (s: Reader) => boolean): Invariant {
  return always(DATA_SURVIVES, holds, { id: 'data-survives', cite: 'rule 39: Documentation/mm/hmm.rst (the driver copies before migrate_vma_pages commits)' })
}

/**
 * Seed 002 (Oak Zeng, C. König, "Making drm_gpuvm work across gpu devices"): "when gpu shader
 * access address C…D, a gpu page fault happens … Which guest process will this fault be directed
 * to?" `candidates(pre, a)` counts the address spaces that claim a fault being handled (-1 for
 * actions that handle no fault).
 */
export function faultAttribution(candidates: (pre: Reader, a: Action) => number): StepProperty<Action> {
  return step<Action>(
    FAULT_ATTRIBUTION,
    (pre, a) => {
      const n = candidates(pre, a)
      return n < 0 || n === 1
    },
    { id: 'fault-attribution', cite: 'seed 002; rule 54 (one notifier lock / range tree per GPU address space)' },
  )
}
