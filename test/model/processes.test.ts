/**
 * Processes (model/gpu/processes.ts), mm lifetime (ops/mm.ts) and hmm_range_fault on another
 * device's private page (ops/mirror.ts): declaration errors name their field, one declared process
 * changes nothing, a shared GPU address space is what makes a fault ambiguous, the last mmput runs
 * the release op in whichever thread puts last, and a walk that meets a foreign device page runs
 * the fault in the walking thread.
 */
import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { explore } from '../../checker/explore.js'
import type { Action, Invariant, Model, Reader } from '../../checker/model.js'
import type { GpuView } from '../../model/gpu/compile.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { usersField } from '../../model/gpu/ops/mm.js'
import type { Obj } from '../../model/gpu/parse.js'
import { buildDesign, type DesignInput, SpecError } from '../../model/gpu/spec.js'
import { PAGE } from '../../model/gpu/view.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { FAULT_ATTRIBUTION, PROGRESS } from '../../properties/hmm.js'
import { MM_LIFETIME } from '../../properties/process.js'
import { ROOT } from '../root.js'

const MEM = join(ROOT, 'scenarios', 'mem')
const yaml = (f: string): DesignInput & Obj => parse(readFileSync(join(MEM, f), 'utf8')) as DesignInput & Obj
const compile = (d: DesignInput): Model<Action> => compileGpu(buildDesign(d), 'test')
const view = (m: Model<Action>): GpuView => (m as unknown as { view: GpuView }).view
const violated = (m: Model<Action>): string | undefined => {
  const v = explore(m).verdict
  return v.status === 'violated' ? v.property.name : v.status
}
const specError = (d: DesignInput): SpecError => {
  try {
    buildDesign(d)
  } catch (e) {
    if (e instanceof SpecError) return e
    throw e
  }
  throw new Error('no error')
}
/** Is some state reachable where `holds` is true? (an invariant of its negation is violated) */
const reachable = (m: Model<Action>, holds: (s: Reader) => boolean): boolean => {
  const v = explore({ ...m, properties: [{ kind: 'invariant', name: 'probe', holds: (s) => !holds(s) } satisfies Invariant] }).verdict
  return v.status === 'violated'
}

test('one declared process changes nothing: the same states and transitions as the implicit one (M1, M10, M9c)', (t) => {
  for (const f of ['m1-notifier-zaps.yaml', 'm10-two-device-mirrors.yaml', 'm9c-nouveau-ref-before-trylock.yaml']) {
    const d = yaml(f)
    const a = explore(compile(d)).verdict
    const b = explore(compile({ ...d, processes: [{ name: 'app' }] })).verdict
    t.is(b.status, a.status, f)
    t.is(b.stats.distinctStates, a.stats.distinctStates, f)
    t.is(b.stats.transitions, a.stats.transitions, f)
  }
})

test('fault-attribution: two mirrors at one va are ambiguous only in one GPU address space (SVM, or a shared vm:)', (t) => {
  const svm = yaml('m7c-proxy-svm-language.yaml')
  const procs = svm.processes as Obj[]
  const ranges = svm.ranges as Obj[]
  t.is(violated(compile(svm)), FAULT_ATTRIBUTION)
  // no SVM: each mirror its own address space (M7d)
  t.is(violated(compile({ ...svm, processes: [{ name: 'proxy' }, ...procs.slice(1)] })), 'proved')
  // no SVM, but both mirrors in one named VM: ambiguous again
  t.is(violated(compile({ ...svm, processes: [{ name: 'proxy' }, ...procs.slice(1)], ranges: ranges.map((r) => ({ ...r, vm: 'vm0' })) })), FAULT_ATTRIBUTION)
  // SVM, different addresses: every fault has one owner
  t.is(violated(compile({ ...svm, ranges: ranges.map((r, i) => ({ ...r, va: `v${i}` })) })), 'proved')
})

test('process membership errors name the field (FC149, FC141)', (t) => {
  const m7 = yaml('m7c-proxy-svm-language.yaml')
  const twoMm = specError({ ...m7, notifiers: [{ name: 'n0', pages: ['a0', 'a1'], callback: ['set_seq'] }], ranges: [] })
  t.is(twoMm.code, 'FC149')
  t.deepEqual(twoMm.path, ['notifiers', 0, 'pages'])
  const noProcs = specError({ pages: [{ name: 'p0', process: 'app' }] })
  t.is(noProcs.code, 'FC149')
  t.deepEqual(noProcs.path, ['pages', 0, 'process'])
  const vmInSvm = specError({ ...m7, ranges: (m7.ranges as Obj[]).map((r) => ({ ...r, vm: 'x' })) })
  t.is(vmInSvm.code, 'FC149')
  t.deepEqual(vmInSvm.path, ['ranges', 0, 'vm'])
  const unknown = specError({ ...m7, threads: [{ name: 'x', process: 'nobody', steps: [{ mmput: 'proxy' }] }] })
  t.is(unknown.code, 'FC141')
  t.deepEqual(unknown.path, ['threads', 0, 'process'])
  const putInRelease = specError({
    processes: [{ name: 'app', release: [{ mmput: 'app' }] }],
    threads: [{ name: 'a', steps: [{ mmput: 'app' }] }],
  })
  t.is(putInRelease.code, 'FC149')
})

const lifetime = (worker: Obj[], users = 1): DesignInput => ({
  processes: [{ name: 'app', users, release: [{ lock: 'rel' }, { unlock: 'rel' }] }],
  locks: [{ name: 'rel', kind: 'mutex' }],
  pages: [{ name: 'p0', at: 'vram', process: 'app' }],
  threads: [
    { name: 'exit', steps: [{ mmput: 'app' }] },
    { name: 'worker', steps: worker },
  ],
})

test('mmput: the last put runs the release op and the unmap in its own thread, whichever thread that is', (t) => {
  const m = compile(lifetime([{ mmget_not_zero: 'app' }, { migrate_vma_setup: 'p0' }, { migrate_vma_finalize: 'p0' }, { mmput: 'app' }]))
  t.is(violated(m), 'proved')
  const v = view(m)
  const rel = v.design.locks.findIndex((l) => l.name === 'rel')
  // the release op's lock, held by each thread in some run: each ran the teardown
  for (const who of [0, 1])
    t.true(
      reachable(m, (s) => s.get(v.f.owner[rel]!) === who + 1),
      `thread ${who} runs the release op`,
    )
  // the unmap frees the page: after the teardown it is gone, in whichever run
  const users = usersField(v.extra, 0)
  t.true(reachable(m, (s) => s.get(users) === 0 && s.get(v.f.pageAt[0]!) === PAGE.none))
  // a put that is not the last runs nothing of it: while a user remains the page is never unmapped
  t.false(reachable(m, (s) => s.get(users) > 0 && s.get(v.f.pageAt[0]!) === PAGE.none))
})

test('mm-lifetime: a worker that migrates without mmget_not_zero is caught; one that pins, or finds the mm gone, is not', (t) => {
  t.is(violated(compile(lifetime([{ migrate_vma_setup: 'p0' }, { migrate_vma_finalize: 'p0' }]))), MM_LIFETIME)
  // mmget on a dead mm and an unbalanced put are the same bug
  t.is(violated(compile(lifetime([{ mmget: 'app' }, { mmput: 'app' }]))), MM_LIFETIME)
  t.is(violated(compile(lifetime([{ mmput: 'app' }]))), MM_LIFETIME)
  // with two users at start both puts are fine, and nothing is torn down twice
  t.is(violated(compile(lifetime([{ mmput: 'app' }], 2))), 'proved')
  // the worker that finds the mm gone leaves its path without touching the page
  const m = compile(lifetime([{ mmget_not_zero: 'app' }, { migrate_vma_setup: 'p0' }, { migrate_vma_finalize: 'p0' }, { mmput: 'app' }]))
  const v = view(m)
  t.true(reachable(m, (s) => s.get(v.f.pc[1]!) === v.design.threads[1]!.steps.length && s.get(v.f.pageAt[0]!) === PAGE.none))
})

test("get_pages else: the walk runs the fault on another device's page in its own thread and walks again; its own device's page is reported as is", (t) => {
  const d = yaml('m20b-hmm-range-fault-trylock-first.yaml')
  const one = { ...d, threads: [(d.threads as Obj[])[0]!] }
  const m = compile(one)
  const v = view(m)
  t.is(violated(m), 'proved')
  // the walk returns only once the page is in system memory: its pfn is then valid
  const pfn = v.f.pfn[0]![0]!
  t.false(reachable(m, (s) => s.get(v.f.pc[0]!) === v.design.threads[0]!.steps.length && s.get(v.f.pageAt[0]!) !== PAGE.system))
  t.true(reachable(m, (s) => s.get(pfn) === 1))
  // hmm_vma_handle_pte: the owner is compared. A range of gpu0, the page's own device, gets the
  // page as is and leaves it in VRAM, with or without else: (the fault branch is never taken)
  const onGpu0 = { ...one, ranges: [{ name: 'r1', engine: 'gpu0', pages: ['p0'] }] }
  for (const steps of [[{ get_pages: 'r1' }], one.threads[0]!.steps as Obj[]]) {
    const own = compile({ ...onGpu0, threads: [{ name: 'walk1', steps }] })
    const vo = view(own)
    t.false(reachable(own, (s) => s.get(vo.f.pageAt[0]!) !== PAGE.vram))
    t.true(reachable(own, (s) => s.get(vo.f.pc[0]!) === vo.design.threads[0]!.steps.length && s.get(vo.f.pfn[0]![0]!) === 1))
  }
  // a page in gpu2's VRAM is another owner's for gpu1's range too (not only the first device's)
  const onGpu2 = compile({ ...one, pages: [{ name: 'p0', at: 'vram', device: 'gpu2' }] })
  const v2 = view(onGpu2)
  t.false(reachable(onGpu2, (s) => s.get(v2.f.pc[0]!) === v2.design.threads[0]!.steps.length && s.get(v2.f.pageAt[0]!) !== PAGE.system))
  // without else: a walk that may meet another device's page is refused: the design must say
  // what the fault runs (its owner's migrate_to_ram)
  const foreign = specError({ ...one, threads: [{ name: 'walk1', steps: [{ get_pages: 'r1' }] }] })
  t.is(foreign.code, 'FC169')
  t.deepEqual(foreign.path, ['threads', 0, 'steps', 0, 'get_pages'])
  t.regex(foreign.message, /page p0 in the private memory of gpu0 \(it starts there.*add else:/)
  // ... also when a step migrates the page there
  const migrated = specError({
    ...onGpu0,
    pages: [{ name: 'p0', at: 'system' }],
    threads: [
      { name: 'walk1', steps: [{ get_pages: 'r1' }] },
      {
        name: 'mover',
        steps: [
          { migrate_vma_setup: 'p0', to: 'vram', device: 'gpu1' },
          { migrate_vma_finalize: 'p0', to: 'vram', device: 'gpu1' },
        ],
      },
    ],
  })
  t.is(migrated.code, 'FC169')
  t.regex(migrated.message, /of gpu1 \(the step at threads\.1\.steps\.1 migrates it there\)/)
  // the else: list must end in retry (the walk starts again after the fault)
  const e = specError({ ...one, threads: [{ name: 'w', steps: [{ get_pages: 'r1', else: [{ get_page: 'p0' }, { put_page: 'p0' }] }] }] })
  t.is(e.code, 'FC155')
  t.deepEqual(e.path, ['threads', 0, 'steps', 0, 'else'])
})

test('memory-progress covers a walker stuck in its walk-fault loop (M20): no job and no CPU access owes it anything else', (t) => {
  const d = yaml('m20-hmm-range-fault-two-devices-livelock.yaml')
  const m = compile(d)
  const x = explore(m)
  t.is(x.verdict.status, 'violated')
  t.is(x.verdict.status === 'violated' ? x.verdict.property.name : '', PROGRESS)
  // the obligation can only be the walkers': no job accesses a range, no thread has a cpu_fault
  const design = view(m).design
  t.is(design.jobs.length, 0)
  t.false(design.threads.some((th) => th.steps.some((s) => s.op === 'cpu_fault')))
  // and a lone walker (nobody holds a second reference) always gets its pfns
  t.is(violated(compile({ ...d, threads: [(d.threads as Obj[])[0]!] })), 'proved')
})

test("each mm counts its own invalidations: the last one in flight on B turns B's seq even while A's still runs", (t) => {
  const d = {
    processes: [{ name: 'A' }, { name: 'B' }],
    engines: [{ name: 'gpu', cus: 1 }],
    pages: [
      { name: 'a', process: 'A' },
      { name: 'b', process: 'B' },
    ],
    notifiers: [
      { name: 'nA', pages: ['a'], callback: ['set_seq'] },
      { name: 'nB', pages: ['b'], callback: ['set_seq'] },
    ],
    threads: [
      { name: 'invA', process: 'A', steps: [{ invalidate: 'a' }] },
      { name: 'invB', process: 'B', steps: [{ invalidate: 'b' }] },
    ],
  } as DesignInput
  const m = compile(d)
  const v = view(m)
  const [nA, nB] = v.f.inval
  const doneB = (s: Reader): boolean => s.get(v.f.pc[1]!) === 1
  const inA = (s: Reader): boolean => s.get(v.f.npc[0]!) > 0
  t.true(reachable(m, (s) => doneB(s) && inA(s) && s.get(nB!) === 0 && s.get(nA!) === 1))
  // and B's end never clears A's seq while A's invalidation runs past its callback
  t.false(reachable(m, (s) => inA(s) && s.get(v.f.npc[0]!) >= 2 && s.get(nA!) === 0))
  // an invalidation names pages of one mm
  const e = specError({ ...d, threads: [{ name: 'x', steps: [{ invalidate: ['a', 'b'] }] }] })
  t.is(e.code, 'FC149')
})

test('each mm has its own mmap_lock: blocking is per mm, lockdep order per class (M23, M23b)', (t) => {
  const d = yaml('m23b-guest-processes-own-mmap-locks.yaml')
  const m = compile(d)
  const { design } = view(m)
  // two rw_semaphores (mm_struct.mmap_lock), one lockdep class
  const mm = design.locks.flatMap((l, i) => (l.cls === 'mmap_lock' ? [i] : []))
  t.deepEqual(
    mm.map((i) => design.locks[i]!.name),
    ['guest0.mmap_lock', 'guest1.mmap_lock'],
  )
  const [a, b] = design.threads.map((th) => th.steps.find((s) => s.op === 'lock' && design.locks[s.lock]!.cls === 'mmap_lock'))
  t.deepEqual([a?.op === 'lock' && a.lock, b?.op === 'lock' && b.lock], mm)
  // the handler and the ioctl never block each other ...
  t.is(violated(m), 'proved')
  // ... but lockdep, keyed by class, records mmap_lock -> dev_lock -> mmap_lock
  t.is(violated(compile({ ...d, properties: ['lock-order'] })), PROPERTY_NAMES.lockOrder)
  // both paths on one mm: the ABBA deadlock (M23)
  const one = { ...d, threads: (d.threads as Obj[]).map((th) => ({ ...th, process: 'guest0' })) }
  t.is(violated(compile(one)), PROPERTY_NAMES.deadlock)
  // a path may name another mm's lock; a reclaim path, which has no mm, must
  const cross = { ...d, progress: [], threads: [{ ...(d.threads as Obj[])[1]!, steps: [{ lock: 'guest0.mmap_lock' }, { unlock: 'guest0.mmap_lock' }] }] }
  t.is(violated(compile(cross)), 'proved')
  const e = specError({ ...d, reclaim: [{ name: 'shrink', steps: [{ trylock_read: 'mmap_lock' }, { unlock: 'mmap_lock' }] }] })
  t.is(e.code, 'FC149')
  t.deepEqual(e.path, ['reclaim', 0, 'steps', 0, 'trylock_read'])
  t.regex(e.message, /guest0\.mmap_lock, guest1\.mmap_lock/)
})
