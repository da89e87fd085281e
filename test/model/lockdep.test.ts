/**
 * Lock kinds as the kernel implements them: rwsem readers queue behind a waiting writer
 * (kernel/locking/rwsem.c: rwsem_down_read_slowpath @ v6.12), and dma_resv is a Wait-Die ww_mutex
 * taken under an acquire context (kernel/locking/ww_mutex.h: __ww_mutex_check_kill @ v6.12). Each
 * expected verdict is derived by hand from those functions, in the comment above the case.
 */
import test from 'ava'
import { explore } from '../../checker/explore.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { SpecError } from '../../model/gpu/errors.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { Cursor, type Invariant, type Reader } from '../../checker/model.js'
import type { GpuView } from '../../model/gpu/compile.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'

/** a step as written in a scenario */
type Step = unknown
type Steps = Step[]

const run = (d: DesignInput) => {
  const m = compileGpu(buildDesign(d), 'lock kinds case')
  const x = explore(m)
  if (x.verdict.status !== 'violated') return { status: x.verdict.status, m, x }
  const trace = violationTrace(x)!
  const replays = replay(m, trace, x.verdict.property.name, { evidence: evidenceTraces(x) }).ok
  return { status: 'violated', property: x.verdict.property.name, replays, m, x, trace }
}

// ---- rwsem: readers queue behind a waiting writer --------------------------------------------

/** a reads L then needs M; b holds M then reads L; w (optional) writes L. */
const readerWriterReader = (opts: { writer: boolean; second?: Step }): DesignInput => ({
  engines: [{ name: 'gfx', cus: 1 }],
  locks: [
    { name: 'L', kind: 'rwsem' },
    { name: 'M', kind: 'mutex' },
  ],
  jobs: [],
  threads: [
    { name: 'a', steps: [{ lock_read: 'L' }, { lock: 'M' }, { unlock: 'M' }, { unlock: 'L' }] },
    { name: 'b', steps: [{ lock: 'M' }, opts.second ?? { lock_read: 'L' }, { unlock: 'L' }, { unlock: 'M' }] },
    ...(opts.writer ? [{ name: 'w', steps: [{ lock: 'L' }, { unlock: 'L' }] }] : []),
  ],
  properties: ['deadlock'],
})

test('reader, waiting writer, reader: deadlock, and the cycle says the reader waits behind the writer', (t) => {
  // a holds L for read and waits for M; b holds M. w finds L read-held and queues
  // (rwsem_down_write_slowpath). b's down_read then finds L reader-owned with a waiter: the fast
  // path fails on RWSEM_FLAG_WAITERS (rwsem_read_trylock) and the slow path goes to `queue`
  // (rcnt > 1, reader-owned). b waits for w, w for a, a for b.
  const r = run(readerWriterReader({ writer: true }))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.deadlock)
  t.true(r.replays)
  const c = new Cursor(r.m.layout)
  const w = new Uint32Array(r.m.layout.words)
  r.x.store.read(r.x.violation!.stateIndex, w)
  r.m.layout.decodeInto(w, 0, c.pre)
  const text = r.m.view.waitFor(c).describe().join('\n')
  t.regex(text, /thread b waits behind w, queued to write L/)
  t.regex(text, /thread w waits for lock L/)
  t.regex(text, /lock L read-held by thread a/)
})

test('the same readers without a writer cannot deadlock: readers share the rwsem', (t) => {
  // With no waiter, b's down_read succeeds on the fast path while a reads; b releases M after.
  t.is(run(readerWriterReader({ writer: false })).status, 'proved')
})

test('down_read_trylock fails while a writer is queued: a retry loop holding M then spins for ever', (t) => {
  // __down_read_trylock tests RWSEM_READ_FAILED_MASK, which includes RWSEM_FLAG_WAITERS: with w
  // queued, b's trylock fails every time and b keeps M, which a needs before it drops L.
  const r = run(readerWriterReader({ writer: true, second: { trylock_read: 'L', else: 'retry' } }))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.deadlock)
  // Without the writer the trylock succeeds at once.
  t.is(run(readerWriterReader({ writer: false, second: { trylock_read: 'L', else: 'retry' } })).status, 'proved')
})

test('a writer queued on a free rwsem takes it when the readers are gone (no deadlock for one reader)', (t) => {
  // a reads L and releases it; w queues while a holds it and gets it once a is done.
  const r = run({
    engines: [{ name: 'gfx', cus: 1 }],
    locks: [{ name: 'L', kind: 'rwsem' }],
    jobs: [],
    threads: [
      { name: 'a', steps: [{ lock_read: 'L' }, { unlock: 'L' }] },
      { name: 'w', steps: [{ lock: 'L' }, { unlock: 'L' }] },
    ],
    properties: ['deadlock'],
  })
  t.is(r.status, 'proved')
})

// ---- dma_resv: Wait-Die under an acquire context --------------------------------------------

/** two transactions lock x and y in opposite orders; `second` is how each takes its second lock */
const opposite = (second: (mine: string, other: string) => Step, ctx = true): DesignInput => {
  const path = (first: string, then: string): Steps => [
    ...(ctx ? ['ww_acquire_init'] : []),
    ctx ? { lock: `${first}.resv`, ctx: true, else: '-EDEADLK' } : { lock: `${first}.resv` },
    second(first, then),
    { unlock: `${then}.resv` },
    { unlock: `${first}.resv` },
    ...(ctx ? ['ww_acquire_fini'] : []),
  ]
  return {
    engines: [{ name: 'gfx', cus: 1 }],
    buffers: [
      { name: 'x', placement: 'system' },
      { name: 'y', placement: 'system' },
    ],
    jobs: [],
    threads: [
      { name: 'a', steps: path('x', 'y') },
      { name: 'b', steps: path('y', 'x') },
    ],
    properties: ['deadlock', 'lock-order'],
  }
}

/** drm_exec's backoff: drop the first lock, dma_resv_lock_slow the contended one, relock the first */
const backoff = (mine: string, other: string): Step => ({
  lock: `${other}.resv`,
  ctx: true,
  else: [{ unlock: `${mine}.resv` }, { lock_slow: `${other}.resv` }, { lock: `${mine}.resv`, ctx: true, else: [{ unlock: `${other}.resv` }, '-EDEADLK'] }],
})

test('two resvs in opposite order under contexts with the backoff: proved (deadlock and lock order)', (t) => {
  // Wait-Die: a context waits only for a younger holder or while it holds nothing, so no
  // wait-for cycle among contexts; every second dma_resv has the context as its nest lock.
  t.is(run(opposite(backoff)).status, 'proved')
})

test('two resvs in opposite order, -EDEADLK retried holding the first lock: deadlock', (t) => {
  // The younger holds its first buffer and gets -EDEADLK on the older's; it retries without
  // dropping it, and the older sleeps on that buffer for ever.
  const r = run(opposite((_m, other) => ({ lock: `${other}.resv`, ctx: true, else: 'retry' })))
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.deadlock)
  t.true(r.replays)
})

test('two resvs in opposite order without contexts: the ABBA deadlock, and lockdep reports the nesting', (t) => {
  const r = run(opposite((_m, other) => ({ lock: `${other}.resv` }), false))
  t.is(r.status, 'violated')
  t.true(r.property === PROPERTY_NAMES.deadlock || r.property === PROPERTY_NAMES.lockOrder)
  const lo = run({ ...opposite((_m, other) => ({ lock: `${other}.resv` }), false), properties: ['lock-order'] })
  t.is(lo.property, PROPERTY_NAMES.lockOrder)
})

test('a context never gets -EDEADLK from a holder without a context: it sleeps (mixing deadlocks undetected)', (t) => {
  // __ww_mutex_check_kill: hold_ctx is NULL for dma_resv_lock(obj, NULL), so the context sleeps;
  // ww_acquire_init's comment: mixing "can result in undetected deadlocks".
  const r = run({
    engines: [{ name: 'gfx', cus: 1 }],
    buffers: [
      { name: 'x', placement: 'system' },
      { name: 'y', placement: 'system' },
    ],
    jobs: [],
    threads: [
      {
        name: 'a',
        steps: [
          'ww_acquire_init',
          { lock: 'x.resv', ctx: true, else: '-EDEADLK' },
          { lock: 'y.resv', ctx: true, else: [{ unlock: 'x.resv' }, '-EDEADLK'] },
          { unlock: 'y.resv' },
          { unlock: 'x.resv' },
          'ww_acquire_fini',
        ],
      },
      { name: 'b', steps: [{ lock: 'y.resv' }, { trylock: 'x.resv', else: 'retry' }, { unlock: 'x.resv' }, { unlock: 'y.resv' }] },
    ],
    properties: ['deadlock'],
  })
  t.is(r.status, 'violated')
  t.is(r.property, PROPERTY_NAMES.deadlock)
})

const specError = (d: DesignInput): string | undefined => {
  try {
    buildDesign(d)
    return undefined
  } catch (e) {
    return e instanceof SpecError ? e.code : String(e)
  }
}

test('context steps are checked: a ctx lock needs ww_acquire_init and an else:, and only a dma_resv takes one', (t) => {
  const one = (steps: Steps, locks: DesignInput['locks'] = []): DesignInput => ({
    engines: [{ name: 'gfx', cus: 1 }],
    buffers: [{ name: 'x', placement: 'system' }],
    locks,
    jobs: [],
    threads: [{ name: 'a', steps }],
  })
  t.is(specError(one([{ lock: 'x.resv', ctx: true, else: '-EDEADLK' }, { unlock: 'x.resv' }])), 'FC259')
  t.is(specError(one(['ww_acquire_init', { lock: 'x.resv', ctx: true }, { unlock: 'x.resv' }, 'ww_acquire_fini'])), 'FC156')
  t.is(
    specError(one(['ww_acquire_init', { lock: 'm', ctx: true, else: '-EDEADLK' }, { unlock: 'm' }, 'ww_acquire_fini'], [{ name: 'm', kind: 'mutex' }])),
    'FC155',
  )
  t.is(specError(one(['ww_acquire_fini'])), 'FC259')
  t.is(specError(one(['ww_acquire_init', 'ww_acquire_init'])), 'FC259')
  t.is(specError(one(['ww_acquire_init', { lock_slow: 'x.resv' }, { unlock: 'x.resv' }, 'ww_acquire_fini'])), undefined)
})

// ---- a blocking lock of a lock the path holds ------------------------------------------------

/** thread a takes M (a mutex, or a buffer's dma_resv), then `second` while holding it */
const again = (second: Steps, lock = 'M'): DesignInput => ({
  engines: [{ name: 'gfx', cus: 1 }],
  locks: [{ name: 'M', kind: 'mutex' }],
  buffers: [{ name: 'x', placement: 'system' }],
  jobs: [],
  threads: [{ name: 'a', steps: [{ lock }, ...second, { unlock: lock }] }],
})

test('mutex_lock of a mutex the path holds: checked, not refused; a self-deadlock and lockdep recursion on its first step', (t) => {
  // __mutex_lock_common: the owner is the task itself, so it sleeps for ever; lockdep's
  // check_deadlock sees the class held when the second acquisition is attempted. By hand: the
  // first lock is the one step, after it the thread waits for itself.
  const twice = [{ lock: 'M' }, { unlock: 'M' }]
  const dl = run({ ...again(twice), properties: ['deadlock'] })
  t.is(dl.property, PROPERTY_NAMES.deadlock)
  t.is(dl.trace!.steps.length, 1)
  t.true(dl.replays)
  const lo = run({ ...again(twice), properties: ['lock-order'] })
  t.is(lo.property, PROPERTY_NAMES.lockOrder)
  t.is(lo.trace!.steps.length, 1)
  t.true(lo.replays)
  // the same for a buffer's dma_resv taken without an acquire context
  const resv = run({ ...again([{ lock: 'x.resv' }, { unlock: 'x.resv' }], 'x.resv'), properties: ['lock-order'] })
  t.is(resv.property, PROPERTY_NAMES.lockOrder)
  // the recursion test drivers write instead: a trylock of the held lock fails and skips
  // (it cannot succeed here, so the path has no second unlock)
  t.is(run({ ...again([{ trylock: 'M', else: 'skip' }]), properties: ['deadlock', 'lock-order'] }).status, 'proved')
  // and { if: { holds: M } } goes on under the lock it has
  t.is(run({ ...again([{ if: { holds: 'M' }, then: [{ alloc: 'NOWAIT', else: 'skip' }] }]), properties: ['deadlock', 'lock-order'] }).status, 'proved')
})

test('recursion the model does not run stays refused: an rwsem read, a spinlock, a nonblock lock (FC185)', (t) => {
  const d = (steps: Steps, locks: NonNullable<DesignInput['locks']>): DesignInput => ({
    engines: [{ name: 'gfx', cus: 1 }],
    locks,
    jobs: [],
    threads: [{ name: 'a', steps }],
  })
  t.is(specError(d([{ lock_read: 'R' }, { lock_read: 'R' }, { unlock: 'R' }, { unlock: 'R' }], [{ name: 'R', kind: 'rwsem' }])), 'FC185')
  t.is(specError(d([{ spin_lock: 'S' }, { spin_lock: 'S' }, { spin_unlock: 'S' }, { spin_unlock: 'S' }], [{ name: 'S', kind: 'spinlock' }])), 'FC185')
  t.is(
    specError({
      ...d([], [{ name: 'M', kind: 'mutex' }]),
      pages: [{ name: 'p0' }],
      notifiers: [{ name: 'n0', pages: ['p0'], callback: [{ lock: 'M' }, { lock: 'M', nonblock: 'again' }, { unlock: 'M' }, { unlock: 'M' }] }],
      threads: [{ name: 'a', steps: [{ invalidate: 'p0' }] }],
    }),
    'FC185',
  )
  // the bounded form is run: lockdep's recursion, then the signal (below)
  t.is(specError(d([{ lock: 'M' }, { lock: 'M', timeout: true }, { unlock: 'M' }, { unlock: 'M' }], [{ name: 'M', kind: 'mutex' }])), undefined)
  // a mutex taken twice and released twice is a valid path (the model reports its deadlock)
  t.is(specError(d([{ lock: 'M' }, { lock: 'M' }, { unlock: 'M' }, { unlock: 'M' }], [{ name: 'M', kind: 'mutex' }])), undefined)
})

// ---- a lock step with its own else: of a lock the path holds ------------------------------------

test('the bounded form of a held lock (mutex_lock_interruptible): lockdep reports the recursion, the signal ends the wait', (t) => {
  // __mutex_lock_common @ v6.12: mutex_acquire_nest (lockdep's check_deadlock: "possible recursive
  // locking detected") before the task sleeps; the owner is the task itself, so only the signal
  // (timeout: true) ends the wait, with -EINTR. By hand: lock-order breaks on the first step (the
  // thread then stands at the attempt), hang-until-timeout on the second (the timeout fires in a
  // wait nothing else ends), and it is no deadlock (the signal is an escape).
  for (const [lock, steps] of [
    ['M', [{ lock: 'M', timeout: true, else: '-EINTR' }, { unlock: 'M' }]],
    ['x.resv', [{ lock: 'x.resv', timeout: true, else: '-EINTR' }, { unlock: 'x.resv' }]],
  ] as const) {
    const lo = run({ ...again([...steps], lock), properties: ['lock-order'] })
    t.is(lo.property, PROPERTY_NAMES.lockOrder, lock)
    t.is(lo.trace!.steps.length, 1)
    t.true(lo.replays)
    const hang = run({ ...again([...steps], lock), properties: ['hang-until-timeout'] })
    t.is(hang.property, PROPERTY_NAMES.hang, lock)
    t.is(hang.trace!.steps.length, 2)
    t.true(hang.replays)
    t.is(run({ ...again([...steps], lock), properties: ['deadlock'] }).status, 'proved', lock)
  }
  // down_write_killable of an rwsem the path write-holds: the same
  const rw: DesignInput = { ...again([{ lock: 'R', timeout: true, else: '-EINTR' }, { unlock: 'R' }], 'R'), locks: [{ name: 'R', kind: 'rwsem' }] }
  t.is(run({ ...rw, properties: ['lock-order'] }).property, PROPERTY_NAMES.lockOrder)
  // an else: list runs too: here it releases M and fails
  const branch = run({ ...again([{ lock: 'M', timeout: true, else: [{ unlock: 'M' }, 'fail'] }]), properties: ['deadlock'] })
  t.is(branch.status, 'proved')
})

test('a trylock of a held lock fails and records nothing: its else: runs (mutex_trylock, down_*_trylock, dma_resv_trylock)', (t) => {
  // mutex_trylock @ v6.12 calls mutex_acquire only when it got the lock, and validate_chain skips
  // check_deadlock for a trylock: no recursion, whatever the outcome. Proved for both properties.
  const both = ['deadlock', 'lock-order'] as const
  for (const o of ['skip', '-EBUSY', 'fail']) {
    t.is(run({ ...again([{ trylock: 'M', else: o }]), properties: [...both] }).status, 'proved', o)
    t.is(run({ ...again([{ trylock: 'x.resv', else: o }], 'x.resv'), properties: [...both] }).status, 'proved', o)
  }
  // it never succeeds, so a retry loop on it spins for ever holding M: the holder is the spinner
  const spin = run({ ...again([{ trylock: 'M', else: 'retry' }]), properties: ['deadlock'] })
  t.is(spin.property, PROPERTY_NAMES.deadlock)
  t.true(spin.replays)
  // rwsems: a write trylock of a read-held one and a read trylock of a write-held one fail
  const rw = (first: string, second: Step): DesignInput => ({
    engines: [{ name: 'gfx', cus: 1 }],
    locks: [{ name: 'R', kind: 'rwsem' }],
    jobs: [],
    threads: [{ name: 'a', steps: [{ [first]: 'R' }, second, { unlock: 'R' }] }],
    properties: [...both],
  })
  t.is(run(rw('lock_read', { trylock: 'R', else: 'skip' })).status, 'proved')
  t.is(run(rw('lock', { trylock_read: 'R', else: 'skip' })).status, 'proved')
  t.is(run(rw('lock', { trylock_read: 'R', else: 'retry' })).property, PROPERTY_NAMES.deadlock)
  // a read trylock of a read-held rwsem succeeds again (__down_read_trylock adds a reader): a
  // recursive read hold the model does not count is refused
  t.is(specError(rw('lock_read', { trylock_read: 'R', else: 'skip' })), 'FC266')
})

// ---- -EALREADY: a context lock of a lock the context holds ------------------------------------

/** a holds x and y under its context and locks x again (with `extra`); b (optional) contends for x */
const relock = (extra: Record<string, unknown>, contender: boolean): DesignInput => ({
  engines: [{ name: 'gfx', cus: 1 }],
  buffers: [
    { name: 'x', placement: 'system' },
    { name: 'y', placement: 'system' },
  ],
  jobs: [],
  threads: [
    {
      name: 'a',
      steps: [
        'ww_acquire_init',
        { lock: 'x.resv', ctx: true, else: '-EDEADLK' },
        { lock: 'y.resv', ctx: true, else: [{ unlock: 'x.resv' }, '-EDEADLK'] },
        { lock: 'x.resv', ctx: true, else: [{ unlock: 'y.resv' }, { unlock: 'x.resv' }, '-EDEADLK'], ...extra },
        { unlock: 'y.resv' },
        { unlock: 'x.resv' },
        'ww_acquire_fini',
      ],
    },
    ...(contender ? [{ name: 'b', steps: ['ww_acquire_init', { lock: 'x.resv', ctx: true, else: '-EDEADLK' }, { unlock: 'x.resv' }, 'ww_acquire_fini'] }] : []),
  ],
  properties: ['deadlock', 'lock-order'],
  progress: [{ thread: 'a' }],
})

test('-EALREADY comes before Wait-Die: the context that holds x gets it even while an older context waits on x', (t) => {
  // __mutex_lock_common tests ww_ctx == ww->ctx first. Without that test the third lock would
  // find x held while b, older when it started first, waits on it: a holds locks, so it would die
  // (-EDEADLK), or sleep on itself. With it, a goes on holding x once and always completes.
  const r = run(relock({ already: 'continue' }, true))
  t.is(r.status, 'proved')
  const failed = (r.m as unknown as { view: GpuView }).view.f.failed[0]!
  const probe = { kind: 'invariant', name: 'a never fails', holds: (s: Reader) => s.get(failed) === 0 } satisfies Invariant
  t.is(explore({ ...r.m, properties: [probe] }).verdict.status, 'proved')
  // without DRM_EXEC_IGNORE_DUPLICATES the caller fails: a never completes
  const fails = run(relock({ already: '-EALREADY' }, false))
  t.is(fails.status, 'violated')
  t.is(fails.property, 'progress: thread a completes its path')
  t.true(fails.replays)
})

test('-EALREADY records no lockdep dependency: it returns before mutex_acquire_nest', (t) => {
  // a holds x.resv, then mutex m, then locks x.resv again: lockdep saw dma_resv -> m only. An
  // attempt recorded as a blocking acquisition would add m -> dma_resv, a cycle.
  const d = relock({ already: 'continue' }, false)
  const steps = [...(d.threads![0]!.steps as Steps)]
  steps.splice(3, 0, { lock: 'm' })
  steps.splice(5, 0, { unlock: 'm' })
  t.is(run({ ...d, locks: [{ name: 'm', kind: 'mutex' }], threads: [{ name: 'a', steps }] }).status, 'proved')
})

test('-EALREADY is stated: a context lock of a held lock needs already:; one of a lock taken without the context sleeps on itself', (t) => {
  const d = relock({}, false)
  t.is(specError(d), 'FC156')
  // x taken without the context: ww->ctx is NULL, not ctx, so the context lock sleeps on the
  // thread itself (it holds locks, but its own hold is no older context: no -EDEADLK either)
  const plain = (relock({ already: 'continue' }, false).threads![0]!.steps as Steps).map((s, i) => (i === 1 ? { lock: 'x.resv' } : s))
  const self = run({ ...d, threads: [{ name: 'a', steps: plain }] })
  t.is(self.status, 'violated')
  t.is(self.property, PROPERTY_NAMES.deadlock)
  // already: needs ctx: true, and cannot retry
  t.is(specError({ ...d, threads: [{ name: 'a', steps: [{ lock: 'x.resv', already: 'continue' }, { unlock: 'x.resv' }] }] }), 'FC155')
  t.is(specError(relock({ already: 'retry' }, false)), 'FC155')
  // a branch that starts from before the first lock does not hold it: no -EALREADY there
  t.is(specError(relock({ already: 'continue' }, false)), undefined)
})
