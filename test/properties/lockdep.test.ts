/**
 * Lockdep parity of the lock-order property (properties/gpu.ts): what lockdep records for an
 * allocation that may reclaim (might_alloc -> fs_reclaim_acquire, mm/page_alloc.c @ v6.12), per
 * gfp, and for an acquisition that blocks for ever (lock_acquire runs before the task sleeps).
 * Each case is derived by hand from those functions; the expected verdict is the kernel's.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { explore } from '../../checker/explore.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { reclaimPrimed } from '../../properties/gpuLockOrder.js'
import { CLI } from '../root.js'

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
const underShrinkerLock = (gfp: string, pool = 'system'): DesignInput => ({
  engines: [{ name: 'gpu0', cus: 1 }],
  memory: { vram: 1, system: 2 },
  locks: [{ name: 'L', kind: 'mutex' }],
  reclaim: [{ name: 'shrinker', steps: [{ lock: 'L' }, { free: 'system' }, { unlock: 'L' }] }],
  jobs: [],
  threads: [
    { name: 'user', steps: [{ lock: 'L' }, { alloc: gfp, pool, else: 'fail' }, { unlock: 'L' }] },
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
  // L -> mmu_notifier, fs_reclaim -> L, fs_reclaim -> mmu_notifier: no cycle. The user allocates
  // from a pool that never runs short, so its own allocation never enters reclaim: might_alloc's
  // edges are all it records.
  t.is(verdict(underShrinkerLock('NOFS', 'vram')).status, 'proved')
  t.is(verdict(underShrinkerLock('NOIO', 'vram')).status, 'proved')
  t.is(verdict(underShrinkerLock('KERNEL', 'vram')).status, 'violated')
})

test('GFP_NOFS under that lock, when it enters reclaim itself, runs the shrinker on the lock it holds: recursive locking', (t) => {
  // With system memory short the user's own allocation may direct-reclaim; the shrinker (which
  // does not test sc->gfp_mask for __GFP_FS here) then takes L, already held by the same task:
  // check_deadlock's "possible recursive locking detected" (kernel/locking/lockdep.c @ v6.12).
  const r = replayLog(underShrinkerLock('NOFS'))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.lockOrder)
  t.regex(r.log, /possible recursive locking detected: a lock of class L taken while a lock of that class is held/)
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

// ---- same-class recursion (kernel/locking/lockdep.c: check_deadlock @ v6.12) ---------------

const replayLog = (d: DesignInput): { status: string; property?: string; log: string } => {
  const m = compileGpu(buildDesign(d), 'lockdep case')
  const x = explore(m)
  if (x.verdict.status !== 'violated') return { status: x.verdict.status, log: '' }
  const r = replay(m, violationTrace(x)!, x.verdict.property, { evidence: evidenceTraces(x) })
  return { status: r.ok ? 'violated' : 'replay failed', property: x.verdict.property.name, log: r.log.join('\n') }
}

/** one thread that nests two dma_resv locks (both of class reservation_ww_class_mutex) */
const nestedResv = (second: Record<string, unknown>, ctx: boolean): DesignInput => ({
  engines: [{ name: 'gpu0', cus: 1 }],
  buffers: [
    { name: 'x', placement: 'system' },
    { name: 'y', placement: 'system' },
  ],
  jobs: [],
  threads: [
    {
      name: 'exec',
      steps: [
        ...(ctx ? ['ww_acquire_init', { lock: 'x.resv', ctx: true, else: '-EDEADLK' }] : [{ lock: 'x.resv' }]),
        second,
        { unlock: 'y.resv' },
        { unlock: 'x.resv' },
        ...(ctx ? ['ww_acquire_fini'] : []),
      ],
    },
  ],
  properties: ['lock-order'],
})

test('a second dma_resv taken without an acquire context is "possible recursive locking", even in one thread', (t) => {
  // check_deadlock finds a held lock of the same class and no nest lock: print_deadlock_bug. No
  // other thread is needed; lockdep reports the nesting, not a deadlock.
  const r = replayLog(nestedResv({ lock: 'y.resv' }, false))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.lockOrder)
  t.regex(r.log, /possible recursive locking detected/)
})

test('the same nesting under an acquire context is not: the context is the nest lock', (t) => {
  // ww_mutex_lock(lock, ctx) passes &ctx->dep_map as nest_lock; check_deadlock returns 2.
  t.is(replayLog(nestedResv({ lock: 'y.resv', ctx: true, else: [{ unlock: 'x.resv' }, '-EDEADLK'] }, true)).status, 'proved')
})

test('nor is a dma_resv_trylock of the second: lockdep runs check_deadlock only for blocking acquisitions', (t) => {
  // validate_chain: `if (!hlock->trylock && hlock->check && ...)` guards check_deadlock.
  t.is(replayLog(nestedResv({ trylock: 'y.resv', else: 'retry' }, false)).status, 'proved')
})

// ---- rule 4 through the lock order --------------------------------------------------------

/** a waiter holds A and waits on F; F's signaller takes B first; `order` says whether some other
 * thread takes A under B (an observed B -> A) */
const rule4 = (order: boolean): DesignInput => ({
  engines: [{ name: 'gpu0', cus: 1 }],
  locks: [
    { name: 'A', kind: 'mutex' },
    { name: 'B', kind: 'mutex' },
  ],
  fences: [{ name: 'F', kind: 'dma' }],
  jobs: [],
  threads: [
    { name: 'waiter', steps: [{ lock: 'A' }, { wait: 'F' }, { unlock: 'A' }] },
    { name: 'signaller', steps: [{ lock: 'B' }, { unlock: 'B' }, { signal: 'F' }] },
    ...(order ? [{ name: 'nester', steps: [{ lock: 'B' }, { lock: 'A' }, { unlock: 'A' }, { unlock: 'B' }] }] : []),
  ],
  properties: ['rule-4'],
})

test('rule 4: a signaller that takes a lock ordered before the waiter’s is a violation, with the order edge traced', (t) => {
  // A -> F (the waiter holds A at the wait), F -> B (the signalling path takes B), B -> A (nester):
  // a cycle, although the signaller never takes A itself.
  const r = replayLog(rule4(true))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.rule4)
  t.regex(r.log, /dma_fence F -> B/)
  t.regex(r.log, /B -> A: observed/)
  // Without an order between B and A, the signaller's B is unrelated to the waiter: rule 4 holds.
  t.is(replayLog(rule4(false)).status, 'proved')
})

test('rule 4 through the primed order: the signalling path takes mmap_lock while the waiter holds a dma_resv', (t) => {
  // dma_resv_lockdep primes mmap_lock -> dma_resv; the edge is not observed in any run.
  const r = replayLog({
    engines: [{ name: 'gpu0', cus: 1 }],
    buffers: [{ name: 'bo0', placement: 'system' }],
    fences: [{ name: 'F', kind: 'dma' }],
    jobs: [],
    threads: [
      { name: 'evict', steps: [{ lock: 'bo0.resv' }, { wait: 'F' }, { unlock: 'bo0.resv' }] },
      { name: 'completion', steps: [{ lock_read: 'mmap_lock' }, { unlock: 'mmap_lock' }, { signal: 'F' }] },
    ],
    properties: ['rule-4'],
  })
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.rule4)
  t.regex(r.log, /mmap_lock -> dma_resv: primed/)
})

// ---- reclaim paths prime fs_reclaim -> their locks ------------------------------------------

/** one thread that allocates (before or under L), and a shrinker that takes L as `take` says; no other allocator, so reclaim runs only if `system` is short */
const soleAllocator = (o: { gfp: string; under: boolean; take?: Record<string, unknown>; system?: number }): DesignInput => ({
  engines: [{ name: 'gpu0', cus: 1 }],
  memory: { vram: 0, system: o.system ?? 4 },
  locks: [{ name: 'L', kind: 'mutex' }],
  reclaim: [{ name: 'shrinker', steps: [o.take ?? { lock: 'L' }, { free: 'system' }, { unlock: 'L' }] }],
  jobs: [],
  threads: [
    {
      name: 'user',
      steps: o.under
        ? [{ lock: 'L' }, { alloc: o.gfp, pool: 'system', else: 'fail' }, { unlock: 'L' }]
        : [{ alloc: o.gfp, pool: 'system', else: 'fail' }, { lock: 'L' }, { unlock: 'L' }],
    },
  ],
  properties: ['lock-order'],
})

test('GFP_KERNEL under the lock a reclaim path takes is an inversion even when reclaim never runs in the search', (t) => {
  // Memory never runs short (4 pages, one allocation), so no state has the shrinker running: the
  // edge fs_reclaim -> L is lockdep's from the first reclaim of the boot (or from the driver's
  // priming, i915_gem_shrinker_taints_mutex), and might_alloc records L -> fs_reclaim at once.
  // the same design checked for deadlock only: reclaim is never reached
  const dl = explore(compileGpu(buildDesign({ ...soleAllocator({ gfp: 'KERNEL', under: true }), properties: ['deadlock'] }), 'lockdep case'))
  t.is(dl.verdict.status, 'proved')
  t.false(dl.verdict.sometimes.find((w) => w.name === 'reclaim runs')!.reached)
  const r = replayLog(soleAllocator({ gfp: 'KERNEL', under: true }))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.lockOrder)
  t.regex(r.log, /L -> fs_reclaim -> L/)
  t.regex(r.log, /fs_reclaim -> L: primed by reclaim path shrinker, which takes L/)
})

test('the same shrinker with the allocation before the lock, GFP_NOWAIT or GFP_NOFS under it, or a trylock in the shrinker: no inversion', (t) => {
  // before the lock: nothing is held at might_alloc; NOWAIT: no __GFP_DIRECT_RECLAIM, might_alloc
  // records nothing; NOFS: L -> mmu_notifier only (fs_reclaim needs __GFP_FS); a trylock records no
  // dependency, so the shrinker primes no edge.
  t.is(verdict(soleAllocator({ gfp: 'KERNEL', under: false })).status, 'proved')
  t.is(verdict(soleAllocator({ gfp: 'NOWAIT', under: true })).status, 'proved')
  t.is(verdict(soleAllocator({ gfp: 'NOFS', under: true })).status, 'proved')
  t.is(verdict(soleAllocator({ gfp: 'KERNEL', under: true, take: { trylock: 'L', else: 'skip' } })).status, 'proved')
})

test('reclaimPrimed: fs_reclaim -> each class a reclaim path takes by lock or spin_lock, once, and none for a trylock', (t) => {
  const d = buildDesign({
    engines: [{ name: 'gpu0', cus: 1 }],
    locks: [{ name: 'A' }, { name: 'B', kind: 'rwsem' }, { name: 'S', kind: 'spinlock' }, { name: 'T' }],
    reclaim: [
      { name: 'r1', steps: [{ lock: 'A' }, { unlock: 'A' }, { trylock: 'T', else: 'skip' }, { unlock: 'T' }] },
      { name: 'r2', steps: [{ lock: 'A' }, { spin_lock: 'S' }, { spin_unlock: 'S' }, { unlock: 'A' }, { lock_read: 'B' }, { unlock: 'B' }] },
    ],
    jobs: [],
    threads: [{ name: 'x', steps: [{ alloc: 'KERNEL', pool: 'system', else: 'fail' }] }],
  })
  t.deepEqual(
    reclaimPrimed(d).map(([from, to]) => `${from} -> ${to}`),
    ['fs_reclaim -> A', 'fs_reclaim -> S', 'fs_reclaim -> B'],
  )
})

test('GFP_NOFS with memory short: the shrinker in its own reclaim takes the lock the thread holds, and the report says recursion, not fs_reclaim', (t) => {
  // A correct self-edge: one task takes L, enters reclaim (no __GFP_FS: fs_reclaim is not
  // acquired), and the shrinker's mutex_lock(L) is check_deadlock's recursion, not an order between
  // two classes. The explanation must not claim fs_reclaim is held.
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-nofs-'))
  const file = join(dir, 'nofs.yaml')
  writeFileSync(
    file,
    stringify({ name: 'nofs', about: 'GFP_NOFS under the shrinker lock, memory short', ...soleAllocator({ gfp: 'NOFS', under: true, system: 0 }) }),
  )
  const r = spawnSync(process.execPath, [CLI, 'check', file, '--property', 'lock-order'], { encoding: 'utf8' })
  t.is(r.status, 1, r.stderr)
  t.regex(r.stdout, /cycle: L -> L\n/)
  t.regex(r.stdout, /enters direct reclaim \(mmu_notifier only: without __GFP_FS no fs_reclaim\) holding L/)
  t.regex(r.stdout, /it attempts mutex_lock\(L\), which it already holds: one lock taken twice by one thread/)
  t.notRegex(r.stdout, /holding L \(mutex\), fs_reclaim/)
})
