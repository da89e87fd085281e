/**
 * Processes (address spaces, mms) of a design: `processes:` declares them; pages, notifiers, ranges
 * and threads belong to one (`process:`, default the first). A page lives in one mm; an interval
 * notifier is inserted into the mm of the pages it covers (mmu_interval_notifier_insert); a range
 * (a GPU mirror) lives in the GPU address space of the process that registered it, which need not
 * be the mm of its pages (a proxy process acting for others).
 *
 * A process with `svm: true` has one process-wide shared virtual address space, as KFD keeps one
 * kfd_process per mm with one svm_range_list (drivers/gpu/drm/amd/amdkfd/kfd_process.c:
 * kfd_create_process @ v6.12; kfd_svm.c: svm_range_restore_pages @ v6.12 finds the process by the
 * fault's pasid and the range by the address alone): every mirror of the process on a device lives
 * in that device's one GPU address space. Otherwise each mirror is its own GPU address space (a VM
 * per device and mirror, as Christian König proposes in seed 002), unless ranges name a shared
 * `vm:`. A GPU fault names (address space, va): ranges that share both
 * claim the same fault (fault-attribution).
 *
 * Each mm has its own mmap_lock (include/linux/mm_types.h: struct mm_struct @ v6.12, its
 * `mmap_lock` rw_semaphore): with two or more processes the design has one lock P.mmap_lock per
 * process, all of one lockdep class (lockdep keys the rwsem by the class init_rwsem gives it in
 * mmap_init_lock, so orders are between classes while a thread blocks only on the instance it
 * takes). A bare `mmap_lock` names the path's own mm (declare.ts: a thread's process, a notifier
 * callback's pages' mm); a path without one (reclaim, a work item, a fence callback) names it.
 */
import { SpecError } from './errors.js'
import type { Obj, Path } from './parse.js'
import type { Page, Process, Range, Step } from './types.js'

export interface ProcessDecls {
  readonly names: readonly string[]
  readonly svm: readonly boolean[]
  readonly users: readonly number[]
  /** a name under `process:` at path, or the first process when none is written */
  readonly process: (name: unknown, path: Path) => number
}

export function declareProcesses(input: readonly Obj[] | undefined, claim: (name: string, what: string, path: Path) => void): ProcessDecls {
  const list = input ?? []
  list.forEach((p, i) => claim(p.name as string, `process #${i + 1}`, ['processes', i, 'name']))
  const names = list.map((p) => p.name as string)
  const ix = new Map(names.map((n, i) => [n, i]))
  return {
    names,
    svm: list.map((p) => p.svm === true),
    users: list.map((p) => (p.users as number | undefined) ?? 1),
    process: (name, path) => {
      if (name === undefined) return 0
      const i = ix.get(name as string)
      if (i === undefined)
        throw new SpecError(
          'FC141',
          path,
          `no process named '${typeof name === 'string' ? name : JSON.stringify(name)}' (processes: ${names.join(', ') || 'none; declare them under processes: [{ name: P }]'})`,
        )
      return i
    },
  }
}

/** Pages and ranges with their processes, GPU address spaces and addresses; notifiers checked to
 * cover pages of one mm. */
export function placeInProcesses(
  pr: ProcessDecls,
  input: { readonly pages?: Obj[]; readonly ranges?: Obj[]; readonly notifiers?: Obj[] },
  pages: readonly Page[],
  notifierPages: readonly (readonly number[])[],
  ranges: readonly Range[],
): { pages: Page[]; ranges: Range[] } {
  if (pr.names.length === 0) {
    for (const [key, list] of [
      ['pages', input.pages],
      ['ranges', input.ranges],
    ] as const)
      (list ?? []).forEach((x, i) => {
        for (const f of ['process', 'vm', 'va'])
          if (x[f] !== undefined) throw new SpecError('FC149', [key, i, f], `'${f}' needs processes: declared (processes: [{ name: P }])`)
      })
    return { pages: [...pages], ranges: [...ranges] }
  }
  const placed = pages.map((pg, i) => ({ ...pg, process: pr.process(input.pages?.[i]?.process, ['pages', i, 'process']) }))
  const oneMm = (ps: readonly number[], path: Path, what: string): number => {
    const mm = placed[ps[0]!]!.process
    const other = ps.find((p) => placed[p]!.process !== mm)
    if (other !== undefined)
      throw new SpecError(
        'FC149',
        path,
        `${what} covers pages of two processes (${placed[ps[0]!]!.name} of ${pr.names[mm]!}, ${placed[other]!.name} of ${pr.names[placed[other]!.process]!}); an mm's notifiers and mirrors cover its own pages: split it per process`,
      )
    return mm
  }
  notifierPages.forEach((ps, i) => oneMm(ps, ['notifiers', i, 'pages'], `notifier '${input.notifiers?.[i]?.name as string}'`))
  const placedRanges = ranges.map((r, i) => {
    const x = input.ranges?.[i] ?? {}
    const mm = oneMm(r.pages, ['ranges', i, 'pages'], `range '${r.name}'`)
    const process = x.process === undefined ? mm : pr.process(x.process, ['ranges', i, 'process'])
    if (pr.svm[process] && x.vm !== undefined)
      throw new SpecError(
        'FC149',
        ['ranges', i, 'vm'],
        `process '${pr.names[process]!}' has a process-wide SVM (svm: true): its mirrors share one GPU address space per device; remove vm:`,
      )
    const space = pr.svm[process]
      ? `svm:${process}:${r.engine}`
      : x.vm !== undefined
        ? `vm:${typeof x.vm === 'string' ? x.vm : JSON.stringify(x.vm)}:${r.engine}`
        : `range:${r.name}`
    return { ...r, process, space, va: (x.va as string | undefined) ?? r.name }
  })
  return { pages: placed, ranges: placedRanges }
}

/** An invalidation (munmap, migration, exit) runs on one mm: its pages are all of one process. */
export function checkInvalidations(pages: readonly Page[], names: readonly string[], steps: readonly Step[]): void {
  for (const s of steps) {
    if (s.op !== 'invalidate') continue
    const mm = pages[s.pages[0]!]!.process ?? 0
    const other = s.pages.find((p) => (pages[p]!.process ?? 0) !== mm)
    if (other !== undefined)
      throw new SpecError(
        'FC149',
        [...s.where, 'invalidate'],
        `invalidates pages of two processes (${pages[s.pages[0]!]!.name} of ${names[mm]!}, ${pages[other]!.name} of ${names[pages[other]!.process ?? 0]!}); an invalidation runs on one mm: split it`,
      )
  }
}

/** The design's processes, with their release ops read. */
export const processList = (pr: ProcessDecls, release: readonly (readonly Step[])[]): Process[] =>
  pr.names.map((name, i) => ({ name, svm: pr.svm[i]!, users: pr.users[i]!, release: release[i] ?? [] }))
