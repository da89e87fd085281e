/**
 * lock-held: hmm_range_fault asserts the walked mm's mmap_lock (mm/hmm.c: hmm_range_fault @ v6.12:
 * mmap_assert_locked(range->notifier->mm) -> rwsem_assert_held -> lockdep_assert_held, which WARNs
 * unless the calling task holds it, read or write). With several processes each mm has its own
 * mmap_lock, and only the walked mm's satisfies the assertion. Verdicts derived by hand.
 */
import test from 'ava'
import { explore } from '../../checker/explore.js'
import type { Action, Model } from '../../checker/model.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { gpuOmitted } from '../../properties/gpu.js'
import { LOCK_HELD } from '../../properties/lockHeld.js'

type Steps = NonNullable<DesignInput['threads']>[number]['steps']
const compile = (d: DesignInput): Model<Action> => compileGpu(buildDesign(d), 'test')
const check = (d: DesignInput): { verdict: string; length?: number } => {
  const m = compile(d)
  const x = explore(m)
  if (x.verdict.status !== 'violated') return { verdict: x.verdict.status }
  const trace = violationTrace(x)!
  if (!replay(m, trace, x.verdict.property.name).ok) return { verdict: 'no replay' }
  return { verdict: x.verdict.property.name, length: trace.steps.length }
}

const one = (steps: Steps): DesignInput => ({
  engines: [{ name: 'gpu0', cus: 1 }],
  pages: [{ name: 'p0', at: 'system' }],
  ranges: [{ name: 'r0', engine: 'gpu0', pages: ['p0'] }],
  threads: [{ name: 'walk', steps }],
  properties: ['lock-held'],
})

test('get_pages needs the mmap_lock, for read or for write', (t) => {
  // no lock: the walk is the first step and breaks the assertion (one step)
  t.deepEqual(check(one([{ get_pages: 'r0' }])), { verdict: LOCK_HELD, length: 1 })
  // mmap_read_lock (nouveau_range_fault, svm_range_restore_pages) and mmap_write_lock
  // (svm_range_list_lock_and_flush_work) both satisfy rwsem_assert_held
  t.deepEqual(check(one([{ lock_read: 'mmap_lock' }, { get_pages: 'r0' }, { unlock: 'mmap_lock' }])), { verdict: 'proved' })
  t.deepEqual(check(one([{ lock: 'mmap_lock' }, { get_pages: 'r0' }, { unlock: 'mmap_lock' }])), { verdict: 'proved' })
  // another lock is no substitute; the lock dropped before the walk is not held at it (3 steps)
  const other: DesignInput = { ...one([{ lock: 'L' }, { get_pages: 'r0' }, { unlock: 'L' }]), locks: [{ name: 'L' }] }
  t.deepEqual(check(other), { verdict: LOCK_HELD, length: 2 })
  t.deepEqual(check(one([{ lock_read: 'mmap_lock' }, { unlock: 'mmap_lock' }, { get_pages: 'r0' }])), { verdict: LOCK_HELD, length: 3 })
})

test("lockdep asks whether the walking task holds it: another thread's hold does not count", (t) => {
  // `holder` read-holds the mmap_lock while `walk` walks (the flags order them): the rwsem is
  // locked (rwsem_assert_held_nolockdep would pass), but lockdep_is_held looks at current's locks.
  // Hand count: holder's lock and set_flag, walk's wait_event and its walk.
  const d: DesignInput = {
    ...one([]),
    threads: [
      { name: 'holder', steps: [{ lock_read: 'mmap_lock' }, { set_flag: 'held' }, { wait_event: 'walked' }, { unlock: 'mmap_lock' }] },
      { name: 'walk', steps: [{ wait_event: 'held' }, { get_pages: 'r0' }, { set_flag: 'walked' }] },
    ],
  }
  t.deepEqual(check(d), { verdict: LOCK_HELD, length: 4 })
})

test("with several processes the walk needs the walked mm's mmap_lock, not its own process's", (t) => {
  const two = (steps: Steps): DesignInput => ({
    processes: [{ name: 'A' }, { name: 'B' }],
    engines: [{ name: 'gpu0', cus: 1 }],
    pages: [{ name: 'b0', process: 'B' }],
    ranges: [{ name: 'rb', process: 'B', engine: 'gpu0', pages: ['b0'] }],
    threads: [{ name: 'walk', process: 'A', steps }],
    properties: ['lock-held'],
  })
  // a thread of A: its bare mmap_lock is A's; it walks B's range (range->notifier->mm is B's)
  t.deepEqual(check(two([{ lock_read: 'mmap_lock' }, { get_pages: 'rb' }, { unlock: 'mmap_lock' }])), { verdict: LOCK_HELD, length: 2 })
  t.deepEqual(check(two([{ lock_read: 'A.mmap_lock' }, { get_pages: 'rb' }, { unlock: 'A.mmap_lock' }])), { verdict: LOCK_HELD, length: 2 })
  t.deepEqual(check(two([{ lock_read: 'B.mmap_lock' }, { get_pages: 'rb' }, { unlock: 'B.mmap_lock' }])), { verdict: 'proved' })
})

test('lock-held does not apply to a design that never walks a range', (t) => {
  const d = buildDesign({ engines: [{ name: 'gpu0', cus: 1 }], locks: [{ name: 'L' }], threads: [{ name: 't', steps: [{ lock: 'L' }, { unlock: 'L' }] }] })
  const o = gpuOmitted(d).find((x) => x.id === 'lock-held')
  t.truthy(o)
  t.regex(o!.reason, /does not apply: no step asserts a lock held/)
  // listed by name with nothing to check, it is requested: the run cannot be proved
  const listed = buildDesign({ ...one([]), threads: [{ name: 't', steps: [{ lock: 'mmap_lock' }, { unlock: 'mmap_lock' }] }] })
  t.true(gpuOmitted(listed).find((x) => x.id === 'lock-held')!.requested)
})
