/**
 * Lockdep parity of the lock-order property (properties/gpu.ts): what lockdep records for an
 * allocation that may reclaim (might_alloc -> fs_reclaim_acquire, mm/page_alloc.c @ v6.12), per
 * gfp, and for an acquisition that blocks for ever (lock_acquire runs before the task sleeps).
 * Each case is derived by hand from those functions; the expected verdict is the kernel's.
 */
import test from 'ava'
import { explore } from '../../checker/explore.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'

const verdict = (d: DesignInput): { status: string; property?: string; replays?: boolean } => {
  const m = compileGpu(buildDesign(d), 'lockdep case')
  const x = explore(m)
  if (x.verdict.status !== 'violated') return { status: x.verdict.status }
  const trace = violationTrace(x)!
  return { status: 'violated', property: x.verdict.property.name, replays: replay(m, trace, x.verdict.property.name, { evidence: evidenceTraces(x) }).ok }
}

// A notifier callback that takes notifier_lock (mmu_notifier map -> notifier_lock), and a thread
// that allocates under notifier_lock with memory FREE: the allocation never enters reclaim.
const underNotifierLock = (gfp: string): DesignInput => ({
  engines: [{ name: 'gpu0', cus: 1 }],
  memory: { vram: 0, system: 2 },
  locks: [{ name: 'notifier_lock', kind: 'mutex' }],
  pages: [{ name: 'p0', at: 'system' }],
  notifiers: [{ name: 'n0', pages: ['p0'], callback: [{ lock: 'notifier_lock' }, { unlock: 'notifier_lock' }] }],
  jobs: [],
  threads: [
    { name: 'handler', steps: [{ lock: 'notifier_lock' }, { alloc: gfp, pool: 'system', else: 'fail' }, { unlock: 'notifier_lock' }] },
    { name: 'cpu', steps: [{ invalidate: 'p0' }] },
  ],
  properties: ['lock-order'],
})

test('GFP_KERNEL under the notifier lock with memory free is a lock-order violation (might_alloc records it)', (t) => {
  // notifier_lock -> fs_reclaim -> mmu_notifier (fs_reclaim_acquire) and mmu_notifier -> notifier_lock.
  const r = verdict(underNotifierLock('KERNEL'))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.lockOrder)
  t.true(r.replays)
})

test('GFP_NOFS under the notifier lock is still an inversion: fs_reclaim_acquire takes the notifier map without __GFP_FS', (t) => {
  // __need_reclaim(GFP_NOFS) is true (__GFP_DIRECT_RECLAIM): notifier_lock -> mmu_notifier.
  const r = verdict(underNotifierLock('NOFS'))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.lockOrder)
})

test('GFP_NOWAIT under the notifier lock records nothing (no __GFP_DIRECT_RECLAIM)', (t) => {
  t.is(verdict(underNotifierLock('NOWAIT')).status, 'proved')
})

// A shrinker that takes L inside reclaim (fs_reclaim -> L), and a thread that allocates under L
// with memory free.
const underShrinkerLock = (gfp: string): DesignInput => ({
  engines: [{ name: 'gpu0', cus: 1 }],
  memory: { vram: 0, system: 2 },
  locks: [{ name: 'L', kind: 'mutex' }],
  reclaim: [{ name: 'shrinker', steps: [{ lock: 'L' }, { free: 'system' }, { unlock: 'L' }] }],
  jobs: [],
  threads: [
    { name: 'user', steps: [{ lock: 'L' }, { alloc: gfp, pool: 'system', else: 'fail' }, { unlock: 'L' }] },
    {
      name: 'other',
      steps: [
        { alloc: 'KERNEL', pool: 'system', else: 'fail' },
        { alloc: 'KERNEL', pool: 'system', else: 'fail' },
        { alloc: 'KERNEL', pool: 'system', else: 'fail' },
      ],
    },
  ],
  properties: ['lock-order'],
})

test('GFP_KERNEL under a lock the shrinker takes is an inversion even when memory is free', (t) => {
  // L -> fs_reclaim (might_alloc) and fs_reclaim -> L (the shrinker, in another thread's reclaim).
  const r = verdict(underShrinkerLock('KERNEL'))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.lockOrder)
  t.true(r.replays)
})

test('GFP_NOFS under a lock the shrinker takes is not: fs_reclaim is acquired only with __GFP_FS', (t) => {
  // L -> mmu_notifier, fs_reclaim -> L, fs_reclaim -> mmu_notifier: no cycle.
  t.is(verdict(underShrinkerLock('NOFS')).status, 'proved')
  t.is(verdict(underShrinkerLock('NOIO')).status, 'proved')
})

test('an acquisition that blocks for ever records its edge: the shrinker blocking on a resv its thread holds', (t) => {
  // test/fixtures/known-wrong/shrinker-blocks-lock-order.yaml, reduced: fs_reclaim -> dma_resv is
  // recorded on the attempt, against the primed dma_resv -> fs_reclaim.
  const r = verdict({
    engines: [{ name: 'gpu', cus: 1 }],
    memory: { vram: 0, system: 0 },
    buffers: [{ name: 'bo0', placement: 'system' }],
    reclaim: [{ name: 'purge bo0', steps: [{ lock: 'bo0.resv' }, { free: 'system' }, { unlock: 'bo0.resv' }] }],
    jobs: [],
    threads: [{ name: 'pin', steps: [{ lock: 'bo0.resv' }, { alloc: 'KERNEL', pool: 'system', else: 'fail' }, { unlock: 'bo0.resv' }] }],
    properties: ['lock-order'],
  })
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.lockOrder)
  t.true(r.replays)
})
