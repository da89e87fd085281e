/**
 * Properties of designs with several processes (address spaces): a GPU fault is attributable to
 * exactly one mirror (seed 002, the proxy process), and no driver touches an address space after
 * its last mmput (mm lifetime).
 */
import { type Action, step, type StepProperty } from '../checker/model.js'
import { mmUsed, mmUsers } from '../model/gpu/ops/mm.js'
import type { GpuView } from '../model/gpu/view.js'
import { faultAttribution } from './hmm.js'

export const MM_LIFETIME = 'mm lifetime: no use of an address space after its last mmput, and no mmget or mmput without a user'

/**
 * A GPU fault names its GPU address space and address only (KFD: svm_range_restore_pages(adev,
 * pasid, addr) finds the process by pasid and the range by address): when the fault handler takes a
 * fault of a job, every range in the same address space at the same va claims it. More than one is a
 * fault the handler cannot direct (seed 002: "Which guest process will this fault be directed to").
 */
export function processFaultAttribution(v: GpuView): StepProperty<Action> {
  const { design } = v
  const claimants = (r: number): number => {
    const x = design.ranges[r]!
    return design.ranges.filter((y) => y.space === x.space && y.va === x.va).length
  }
  return faultAttribution((_pre, a) => {
    const m = v.meta.get(a)!
    if (m.does !== 'fault_received' || m.step?.op !== 'await_fault') return -1
    const job = design.jobs[m.step.job]!
    return job.accesses.length === 0 ? -1 : Math.max(...job.accesses.map(claimants))
  })
}

/**
 * mm_users (include/linux/sched/mm.h: "mmget_not_zero() has to be used before" touching an mm that
 * may be going away): a step that walks, migrates or unmaps a process's pages while its mm_users is
 * zero runs on a torn-down address space (kernel/fork.c: mmput @ v6.12 has run exit_mmap); mmget on
 * zero resurrects it, and a put without a pin drops someone else's.
 */
export function mmLifetime(v: GpuView): StepProperty<Action> {
  const { design } = v
  return step(
    MM_LIFETIME,
    (pre, a) => {
      const m = v.meta.get(a)!
      const st = m.step
      if (!st || m.actor.kind !== 'thread') return true
      if (st.op === 'mmget' || st.op === 'mmput') return mmUsers(v.extra, pre, st.process) !== 0
      const p = mmUsed(design, st)
      return p < 0 || mmUsers(v.extra, pre, p) !== 0
    },
    {
      cite: 'include/linux/sched/mm.h: mmget_not_zero @ v6.12; kernel/fork.c: mmput @ v6.12; drivers/gpu/drm/amd/amdkfd/kfd_migrate.c: svm_migrate_to_ram @ v6.12 (mmget_not_zero before the migration)',
    },
  )
}

/** Does the design count any process's users (an mm step)? */
export const countsUsers = (v: GpuView): boolean => (v.design.processes ?? []).some((_, p) => v.extra[`mmUsers.${p}`] !== undefined)
