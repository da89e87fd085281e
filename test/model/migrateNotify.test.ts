/**
 * migrate_vma_setup runs the MMU_NOTIFY_MIGRATE invalidation of its range, with the migration's
 * pgmap owner, in the migrating thread (mm/migrate_device.c: migrate_vma_collect @ v6.12:
 * mmu_notifier_range_init_owner(&range, MMU_NOTIFY_MIGRATE, 0, mm, start, end, pgmap_owner) and
 * mmu_notifier_invalidate_range_start/end around the walk), and a callback may test the range's
 * event and owner (nouveau_svm.c: nouveau_svmm_invalidate_range_start @ v6.12 skips
 * `update->event == MMU_NOTIFY_MIGRATE && update->owner == svmm->vmm->cli->drm->dev`). Each
 * expected verdict below is derived from the kernel by hand, as the comments say.
 */
import test from 'ava'
import { explore } from '../../checker/explore.js'
import type { Action, Model } from '../../checker/model.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { buildDesign, type DesignInput, type SpecError } from '../../model/gpu/spec.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'

type Steps = NonNullable<DesignInput['threads']>[number]['steps']
const compile = (d: DesignInput): Model<Action> => compileGpu(buildDesign(d), 'test')
const verdict = (d: DesignInput): string => {
  const m = compile(d)
  const x = explore(m)
  if (x.verdict.status !== 'violated') return x.verdict.status
  // every counterexample replays
  const name = x.verdict.property.name
  if (!replay(m, violationTrace(x)!, name).ok) return 'no replay'
  return name
}

/**
 * gpu0 mirrors system page p0 (PTE valid at start) and its job uses it; gpu0's driver registered
 * one notifier whose callback is `skip` and then zaps the PTE; `migrator` runs the steps given.
 * Only gpu-access is selected: gpu0 has no fault handler, so a zapped PTE leaves its job faulted
 * (that is what the zap is for), and the question is only whether the GPU touches a moved page.
 */
const design = (skip: Record<string, unknown> | undefined, migrator: Steps): DesignInput => ({
  engines: [
    { name: 'gpu0', cus: 1, xnack: 'on' },
    { name: 'gpu1', cus: 1 },
  ],
  pages: [{ name: 'p0', at: 'system' }],
  notifiers: [{ name: 'n0', pages: ['p0'], callback: [...(skip ? [{ if: skip, then: 'skip' }] : []), 'set_seq', { zap: 'r0' }] }],
  ranges: [{ name: 'r0', engine: 'gpu0', pages: ['p0'], notifiers: ['n0'], mapped: true }],
  jobs: [{ name: 'q0', engine: 'gpu0', queue: 'user', accesses: ['r0'] }],
  threads: [{ name: 'migrator', steps: migrator }],
  properties: ['gpu-access'],
})
const toVram = (dev: string): Steps => [
  { migrate_vma_setup: 'p0', to: 'vram', device: dev },
  { migrate_vma_finalize: 'p0', to: 'vram', device: dev },
]
const GPU_ACCESS = PROPERTY_NAMES.gpuAccess

test('migrate_vma_setup runs the covering notifiers: a callback that zaps keeps the GPU off the moved page', (t) => {
  // No filter: the callback runs in setup's invalidation and zaps r0 before finalize moves p0, so the
  // job can only fault after that (proved). Without the callbacks finalize would move p0 under a
  // valid PTE (the stale access of the next test).
  t.is(verdict(design(undefined, toVram('gpu1'))), 'proved')
  t.is(verdict(design(undefined, toVram('gpu0'))), 'proved')
})

test('a callback that skips every MMU_NOTIFY_MIGRATE leaves its PTE on the moved page', (t) => {
  // The callback returns before its zap whatever the owner: finalize moves p0 to gpu1's VRAM while
  // gpu0's PTE still names the system page, and the job touches it (M-safety, rule 33).
  t.is(verdict(design({ event: 'MMU_NOTIFY_MIGRATE' }, toVram('gpu1'))), GPU_ACCESS)
})

test("the owner filter skips only the device's own migrations", (t) => {
  const own = { event: 'MMU_NOTIFY_MIGRATE', owner: 'gpu0' }
  // gpu1's migration carries gpu1's pgmap owner: gpu0's callback zaps (proved).
  t.is(verdict(design(own, toVram('gpu1'))), 'proved')
  // gpu0's own migration is skipped, as nouveau does (its migration path handles its own PTEs):
  // here nothing else zaps r0, so the job touches the moved page.
  t.is(verdict(design(own, toVram('gpu0'))), GPU_ACCESS)
  // to system, the owner is the selected pgmap owner (device:); without one the range's owner is
  // NULL and the test is false: the callback zaps.
  const back: DesignInput = { ...design(own, []), pages: [{ name: 'p0', at: 'vram', device: 'gpu1' }] }
  const ram = (dev?: string): Steps => [
    { migrate_vma_setup: 'p0', to: 'system', ...(dev ? { device: dev } : {}) },
    { migrate_vma_finalize: 'p0', to: 'system', ...(dev ? { device: dev } : {}) },
  ]
  t.is(verdict({ ...back, threads: [{ name: 'migrator', steps: ram() }] }), 'proved')
  t.is(verdict({ ...back, threads: [{ name: 'migrator', steps: ram('gpu1') }] }), 'proved')
})

test('only migrate_vma runs MMU_NOTIFY_MIGRATE: a NUMA or compaction migration clears', (t) => {
  // try_to_migrate_one initialises its range with MMU_NOTIFY_CLEAR (mm/rmap.c @ v6.12): the filter
  // does not apply, the callback zaps before the CPU moves the page (proved); munmap unmaps.
  const numa = design({ event: 'MMU_NOTIFY_MIGRATE' }, [{ invalidate: 'p0', event: 'migrate' }])
  t.is(verdict(numa), 'proved')
  // a callback that skips MMU_NOTIFY_CLEAR skips it, and the GPU touches the moved page
  t.is(verdict(design({ event: 'MMU_NOTIFY_CLEAR' }, [{ invalidate: 'p0', event: 'migrate' }])), GPU_ACCESS)
  t.is(verdict(design({ event: 'MMU_NOTIFY_UNMAP' }, [{ invalidate: 'p0', event: 'unmap' }])), GPU_ACCESS)
})

test('a page no notifier covers keeps its one-step setup; with one, setup is start, callbacks, collect, end', (t) => {
  // A page no notifier covers: setup stays one step (collect), as before; with n0 it is start,
  // the callback's steps, collect, end.
  const bare = compile({ ...design(undefined, toVram('gpu1')), notifiers: [], ranges: [{ name: 'r0', engine: 'gpu0', pages: ['p0'], mapped: true }] })
  const rules = (m: Model<Action>): string[] => m.rules.map((r) => String((r.action as { name?: string }).name)).filter((n) => n.startsWith('migrate_vma_'))
  t.deepEqual(rules(bare), ['migrate_vma_setup', 'migrate_vma_setup', 'migrate_vma_finalize'])
  t.deepEqual(rules(compile(design(undefined, toVram('gpu1')))), [
    'migrate_vma_collect',
    'migrate_vma_collect',
    'migrate_vma_collect',
    'migrate_vma_setup',
    'migrate_vma_setup',
    'migrate_vma_finalize',
  ])
})

test('event and owner conditions are for callbacks, with kernel event names and an engine', (t) => {
  const code = (d: DesignInput): string | undefined => {
    try {
      buildDesign(d)
      return undefined
    } catch (e) {
      return (e as SpecError).code
    }
  }
  const base = design(undefined, toVram('gpu1'))
  t.is(code({ ...base, threads: [{ name: 'migrator', steps: [{ if: { event: 'MMU_NOTIFY_MIGRATE' }, then: 'skip' }] }] }), 'FC265')
  t.is(code(design({ event: 'migrate' }, toVram('gpu1'))), 'FC265')
  t.is(code(design({ event: 'MMU_NOTIFY_MIGRATE', owner: 3 }, toVram('gpu1'))), 'FC265')
  t.not(code(design({ event: 'MMU_NOTIFY_MIGRATE', owner: 'gpu7' }, toVram('gpu1'))), undefined)
  t.is(code(design({ not: { owner: 'gpu0' } }, toVram('gpu1'))), undefined)
})
