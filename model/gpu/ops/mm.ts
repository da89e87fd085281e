/**
 * The lifetime of an address space (mm_users): mmget pins it, mmget_not_zero pins it only while it
 * still has users (include/linux/sched/mm.h: mmget, mmget_not_zero @ v6.12), and mmput drops a pin;
 * the last put tears the address space down in the caller's context (kernel/fork.c: mmput, __mmput
 * @ v6.12): exit_mmap (mm/mmap.c: exit_mmap @ v6.12) first runs mmu_notifier_release
 * (mm/mmu_notifier.c: __mmu_notifier_release @ v6.12), which calls the release op of every
 * mmu_notifier registered on the mm (mn_hlist_release: "the only way for the driver to flush all
 * existing sptes and stop the driver from establishing any more sptes before all the pages in the
 * mm are freed") and the interval notifiers' invalidate callbacks (mn_itree_release,
 * MMU_NOTIFY_RELEASE), then unmaps every page (unmap_vmas).
 *
 * `mmput` is compiled with the last put's work placed right after it as a branch (ops/branch.ts):
 * the process's `release:` steps, then an `invalidate` of all its pages with event exit (the
 * interval callbacks and the unmap; the model runs them after the release ops, the kernel runs
 * mn_itree_release just before them: both precede the freeing of the pages). A put that is not the
 * last skips the branch. A driver that touches the mm after its last put (hmm_range_fault, a
 * migration, an munmap: without mmget_not_zero first) violates mm-lifetime.
 */
import { int, type LayoutBuilder } from '../../../checker/layout.js'
import type { Reader } from '../../../checker/model.js'
import { SpecError } from '../errors.js'
import type { GpuDesign, Process, Step, StepOf } from '../types.js'
import { type OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    mmget: { readonly op: 'mmget'; readonly process: number }
    mmget_not_zero: { readonly op: 'mmget_not_zero'; readonly process: number; readonly else: Outcome }
    mmput: { readonly op: 'mmput'; readonly process: number }
  }
}
type S = StepOf<'mmget' | 'mmget_not_zero' | 'mmput'>

const MM_OPS = new Set(['mmget', 'mmget_not_zero', 'mmput'])
const allSteps = (d: GpuDesign): Step[] => [...d.threads.flatMap((th) => th.steps), ...d.reclaim.flatMap((r) => r.steps)]
export const usersKey = (p: number): string => `mmUsers.${p}`

/** The mm_users field of process p, or -1 when no step counts its users. */
export const usersField = (extra: Readonly<Record<string, number>>, p: number): number => extra[usersKey(p)] ?? -1

/** The last put's work after each mmput (the process's release op, then exit_mmap's unmap), as a branch. */
export function expandPuts(steps: readonly Step[], processes: readonly Process[], pagesOf: (p: number) => number[]): Step[] {
  const out: Step[] = []
  for (const s of steps) {
    if (s.op !== 'mmput' || s.branch !== undefined) {
      out.push(s)
      continue
    }
    const P = processes[s.process]!
    const pages = pagesOf(s.process)
    const body: Step[] = [...P.release]
    if (pages.length > 0) body.push({ where: s.where, op: 'invalidate', pages, event: 'exit', nonblock: false })
    const n = body.length + 1
    out.push({ ...s, branch: n }, ...body, { where: s.where, op: 'else_end', then: 'continue', dist: n, of: 'teardown' })
  }
  return out
}

/** What the last put of process p's mm runs (__mmput -> exit_mmap), in words. */
export function teardownText(d: GpuDesign, p: number): string {
  const P = d.processes?.[p]
  const release =
    P && P.release.length > 0 ? `mmu_notifier_release calls the release op of ${P.name}'s mmu_notifier` : 'mmu_notifier_release (no release op is declared)'
  return d.pages.some((pg) => (pg.process ?? 0) === p) ? `${release}, then unmap_vmas unmaps its pages` : release
}

/** The mmap_lock of process p's mm: the built-in one, or with several processes P.mmap_lock
 * (declare.ts: one rw_semaphore per mm_struct, locks[0] being the first process's). */
export const mmapLockOf = (d: Pick<GpuDesign, 'locks' | 'processes'>, p: number): number => {
  const P = d.processes ?? []
  return P.length > 1 ? d.locks.findIndex((l) => l.name === `${P[p]!.name}.mmap_lock`) : 0
}

/** Which process's mm a step touches (hmm_range_fault, migrate_vma, an munmap), or -1. */
export function mmUsed(d: GpuDesign, s: Step): number {
  const of = (pg: number): number => d.pages[pg]!.process ?? 0
  switch (s.op) {
    case 'get_pages':
      return of(d.ranges[s.range]!.pages[0]!)
    case 'migrate_vma_setup':
    case 'migrate_vma_finalize':
      return of(s.page)
    case 'invalidate':
      // exit_mmap's own unmap runs after mm_users reached zero: that is its job
      return s.event === 'exit' ? -1 : of(s.pages[0]!)
    default:
      return -1
  }
}

export const mmOp: OpModule<S> = {
  sections: [
    {
      key: 'processes',
      doc: "processes (address spaces): pages, ranges and threads belong to one (process:, default the first; a notifier is in its pages' mm); a range also takes va: (its GPU address, a fault names address space and va) and vm: (a GPU VM mirrors of a process without SVM share). With two or more processes each mm has its own mmap_lock, P.mmap_lock (one lockdep class): a bare mmap_lock in a thread's steps is its own process's, in a notifier callback its pages' mm's; a reclaim path, work item or fence callback names one",
      fields: {
        name: 'its name',
        svm: 'a process-wide SVM (KFD): all its mirrors on a device share one GPU address space',
        users: 'mm_users at start (default 1: the process itself)',
        release: "the release op of the mmu_notifier a driver registered on the mm: steps the last mmput runs in its caller's context",
      },
    },
  ],
  ops: ['mmget', 'mmget_not_zero', 'mmput'],
  syntax: [
    {
      key: 'mmget',
      doc: 'mmget: pin the address space (mm_users + 1); only legal while it has users',
      arg: { role: 'process', what: 'the process', schema: NAME('a process') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'mmget', process: px.arg() }],
    },
    {
      key: 'mmget_not_zero',
      doc: 'mmget_not_zero: pin the address space if it still has users; else: what to do when it is gone (default skip)',
      arg: { role: 'process', what: 'the process', schema: NAME('a process') },
      modifiers: { else: ELSE('skip') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'mmget_not_zero', process: px.arg(), else: px.outcome(px.mods.else, 'skip') }],
    },
    {
      key: 'mmput',
      doc: "mmput: drop a pin; the last one runs exit_mmap here: the process's release steps, then the unmap of all its pages",
      arg: { role: 'process', what: 'the process', schema: NAME('a process') },
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'mmput', process: px.arg() }],
    },
  ],
  refs: { mmget: { process: 'process' }, mmget_not_zero: { process: 'process' }, mmput: { process: 'process' } },
  cite: [
    { path: 'include/linux/sched/mm.h', fn: 'mmget' },
    { path: 'include/linux/sched/mm.h', fn: 'mmget_not_zero' },
    { path: 'kernel/fork.c', fn: 'mmput' },
    { path: 'kernel/fork.c', fn: '__mmput' },
    { path: 'mm/mmap.c', fn: 'exit_mmap' },
    { path: 'mm/mmu_notifier.c', fn: '__mmu_notifier_release' },
  ],
  notInReclaim: true,
  fields(b: LayoutBuilder, d: GpuDesign) {
    const steps = allSteps(d).filter((s) => MM_OPS.has(s.op)) as S[]
    const out: Record<string, number> = {}
    for (const [p, P] of (d.processes ?? []).entries()) {
      const gets = steps.filter((s) => s.process === p && s.op !== 'mmput').length
      if (steps.some((s) => s.process === p)) out[usersKey(p)] = b.scalar(`mm_users.${P.name}`, int(0, P.users + gets))
    }
    return out
  },
  init(d, extra, state) {
    for (const [p, P] of (d.processes ?? []).entries()) if (usersField(extra, p) >= 0) state[usersField(extra, p)] = P.users
  },
  rules(k, step) {
    const { cx, p, base, m, add } = k
    const u = usersField(cx.fields.extra, step.process)
    const P = cx.design.processes![step.process]!.name
    // the bound of the field: a thread that pins again and again without putting saturates it
    const max = cx.layout.maxOf[u]!
    const inc = (c: { get(f: number): number; set(f: number, v: number): void }): void => c.set(u, Math.min(c.get(u) + 1, max))
    switch (step.op) {
      case 'mmget':
        add(
          { name: 'mmget', ...base, process: P },
          m('mmget'),
          (s) => p.at_(s),
          (c) => {
            inc(c)
            p.advance(c)
          },
        )
        return
      case 'mmget_not_zero': {
        add(
          { name: 'mmget_not_zero', ...base, process: P, pinned: true },
          m('mmget'),
          (s) => p.at_(s) && s.get(u) > 0,
          (c) => {
            inc(c)
            p.advance(c)
          },
        )
        const o = step.else
        add(
          { name: 'mmget_not_zero', ...base, process: P, pinned: false, then: o },
          m('mmget_gone'),
          (s) => p.at_(s) && s.get(u) === 0,
          (c) => cx.outcome(p, o, c),
        )
        return
      }
      case 'mmput': {
        add(
          { name: 'mmput', ...base, process: P, last: false },
          m('mmput'),
          (s) => p.at_(s) && s.get(u) !== 1,
          (c) => {
            if (c.get(u) > 0) c.set(u, c.get(u) - 1)
            p.advance(c)
          },
        )
        // atomic_dec_and_test() reached zero: __mmput -> exit_mmap, here (the branch after the step)
        add(
          { name: 'mmput', ...base, process: P, last: true },
          m('mmput_last'),
          (s) => p.at_(s) && s.get(u) === 1,
          (c) => {
            c.set(u, 0)
            cx.outcome(p, 'branch', c)
          },
        )
        return
      }
    }
  },
  text(d, s) {
    const P = d.processes?.[s.process]?.name ?? '?'
    switch (s.op) {
      case 'mmget':
        return `mmget(${P}'s mm)`
      case 'mmget_not_zero':
        return `mmget_not_zero(${P}'s mm), if it is gone ${s.else === 'branch' ? 'run its else: steps' : s.else}`
      case 'mmput':
        return `mmput(${P}'s mm): drops a user; the last put runs exit_mmap here, in the caller's context: ${teardownText(d, s.process)}`
    }
  },
}

/** mm_users of process p in state s, or -1 when not counted. */
export const mmUsers = (extra: Readonly<Record<string, number>>, s: Reader, p: number): number => {
  const f = usersField(extra, p)
  return f >= 0 ? s.get(f) : -1
}

/** An mmput inside a release op would recurse into the teardown it is part of. */
export function checkRelease(steps: readonly Step[], where: readonly (string | number)[]): void {
  const bad = steps.find((s) => MM_OPS.has(s.op) && s.op !== 'mmget_not_zero')
  if (bad) throw new SpecError('FC149', bad.where.length ? bad.where : where, `a release op runs inside the last mmput: it cannot ${bad.op} (drop the step)`)
}
