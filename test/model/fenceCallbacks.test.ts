/**
 * Fence callbacks, spinlocks, irq context and composite fences (ops/callback.ts, ops/spin.ts,
 * mech/composite.ts, properties/atomic.ts). Each expectation is derived by hand from the kernel's
 * rule, written beside the case; none is a number the model produced.
 */
import test from 'ava'
import { explore } from '../../checker/explore.js'
import { replay, violationTrace, evidenceTraces } from '../../checker/trace.js'
import { Cursor } from '../../checker/model.js'
import { compileGpu, FS } from '../../model/gpu/compile.js'
import { buildDesign, type DesignInput, type SpecError } from '../../model/gpu/spec.js'
import { noDeadlockCheck } from '../bare.js'

const ENGINE = [{ name: 'gfx', cus: 1 }]

const check = (d: DesignInput) => {
  const model = compileGpu(buildDesign({ engines: ENGINE, ...d }), 'case')
  const x = explore(model)
  return { x, v: x.verdict, model }
}
/** The wait-for graph's account of the violating state. */
const waitText = (r: ReturnType<typeof check>): string => {
  const { x, model } = r
  const c = new Cursor(model.layout)
  const w = new Uint32Array(model.layout.words)
  x.store.read(x.violation!.stateIndex, w)
  model.layout.decodeInto(w, 0, c.pre)
  return model.view.waitFor(c).describe().join('\n')
}
const violatedBy = (d: DesignInput): string | undefined => {
  const { v } = check(d)
  return v.status === 'violated' ? v.property.name : v.status === 'proved' ? undefined : `inconclusive: ${v.cutBy}`
}
const reached = (d: DesignInput, witness: string): boolean => check(d).v.sometimes.find((s) => s.name === witness)!.reached

/** The callback takes L; `signallers` signal F, some holding L. */
const takesL = (signallers: { name: string; steps: unknown[] }[], properties: string[]): DesignInput => ({
  locks: [{ name: 'L', kind: 'spinlock' }],
  fences: [{ name: 'F', kind: 'dma' }],
  callbacks: [{ name: 'cb', fence: 'F', steps: [{ spin_lock: 'L' }, { spin_unlock: 'L' }] }],
  threads: [{ name: 'waiter', steps: [{ add_callback: 'cb' }] }, ...signallers],
  properties,
})
const LOCKED = { name: 'locked', steps: [{ spin_lock: 'L' }, { signal: 'F' }, { spin_unlock: 'L' }] }
const PLAIN = { name: 'plain', steps: [{ signal: 'F' }] }

test('a callback that takes a lock the signaller holds deadlocks the signaller', (t) => {
  // dma_fence_signal() runs the callback inside the signaller, which holds L: the callback spins on
  // L for ever, and the signaller never returns from dma_fence_signal.
  const r = check(takesL([LOCKED], ['deadlock']))
  t.is(r.v.status, 'violated')
  const text = waitText(r)
  t.regex(text, /thread locked runs callback cb of dma_fence F in its own context/)
  t.regex(text, /thread cb spins on L/)
  t.regex(text, /lock L held by thread locked/)
})

test("lock-order shows the edge through the fence's lock", (t) => {
  // One signaller holds L when it takes F.lock (L -> F.lock); another signals F with nothing held,
  // and the callback takes L under F.lock (F.lock -> L). lockdep's graph has the cycle L -> F.lock -> L.
  const { x, v, model } = check(takesL([LOCKED, PLAIN], ['lock-order']))
  t.is(v.status, 'violated')
  t.deepEqual(x.violation?.graph?.cycle.map((e) => [e.from, e.to]).sort(), [
    ['F.lock', 'L'],
    ['L', 'F.lock'],
  ])
  const trace = violationTrace(x)!
  const r = replay(model, trace, v.status === 'violated' ? v.property : undefined!, { evidence: evidenceTraces(x) })
  t.true(r.ok, r.failure?.reason)
  // With no signaller holding L there is no such edge.
  t.is(violatedBy(takesL([PLAIN], ['lock-order', 'deadlock'])), undefined)
})

test('a sleeping step in a callback violates might-sleep; a spinlock does not', (t) => {
  const cb = (steps: unknown[]): DesignInput => ({
    locks: [{ name: 'M' }, { name: 'S', kind: 'spinlock' }],
    fences: [{ name: 'F', kind: 'dma' }],
    callbacks: [{ name: 'cb', fence: 'F', steps }],
    threads: [
      { name: 'waiter', steps: [{ add_callback: 'cb' }] },
      { name: 'sig', steps: [{ signal: 'F' }] },
    ],
    properties: ['might-sleep', 'deadlock'],
  })
  // mutex_lock() may sleep: under the fence's lock with irqs off it is "a sleeping function called
  // from invalid context".
  t.regex(violatedBy(cb([{ lock: 'M' }, { unlock: 'M' }])) ?? '', /^might_sleep/)
  t.is(violatedBy(cb([{ spin_lock: 'S' }, { spin_unlock: 'S' }])), undefined)
  // A GFP_KERNEL allocation may reclaim, and so sleep; GFP_ATOMIC does not.
  t.regex(violatedBy(cb([{ alloc: 'GFP_KERNEL', pool: 'system' }])) ?? '', /^might_sleep/)
  t.is(violatedBy(cb([{ alloc: 'GFP_ATOMIC', pool: 'system' }])), undefined)
})

test('a mutex or a fence wait under a spinlock, or in an irq handler, violates might-sleep', (t) => {
  const d = (context: string, steps: unknown[]): DesignInput => ({
    locks: [{ name: 'M' }, { name: 'S', kind: 'spinlock' }],
    jobs: [{ name: 'g0', engine: 'gfx', queue: 'kernel' }],
    threads: [{ name: 't', context, steps }],
    properties: ['might-sleep'],
  })
  t.regex(violatedBy(d('process', [{ spin_lock: 'S' }, { lock: 'M' }, { unlock: 'M' }, { spin_unlock: 'S' }])) ?? '', /^might_sleep/)
  t.regex(violatedBy(d('process', [{ spin_lock_irqsave: 'S' }, { wait: 'g0' }, { spin_unlock_irqrestore: 'S' }])) ?? '', /^might_sleep/)
  t.is(violatedBy(d('process', [{ lock: 'M' }, { spin_lock: 'S' }, { spin_unlock: 'S' }, { unlock: 'M' }])), undefined)
  t.regex(violatedBy(d('irq', [{ wait: 'g0' }])) ?? '', /^might_sleep/)
})

test('a spinlock taken in hard-irq context and elsewhere with irqs on is an irq inversion', (t) => {
  const d = (take: string, release: string, context = 'irq'): DesignInput => ({
    locks: [{ name: 'S', kind: 'spinlock' }],
    threads: [
      { name: 'handler', context, steps: [{ spin_lock: 'S' }, { spin_unlock: 'S' }] },
      { name: 'process', steps: [{ [take]: 'S' }, { [release]: 'S' }] },
    ],
    properties: ['irq-safety'],
  })
  t.regex(violatedBy(d('spin_lock', 'spin_unlock')) ?? '', /IN-HARDIRQ-W/)
  t.is(violatedBy(d('spin_lock_irq', 'spin_unlock_irq')), undefined)
  t.is(violatedBy(d('spin_lock_irqsave', 'spin_unlock_irqrestore')), undefined)
  // Two process-context users with irqs on: no irq usage at all.
  t.is(violatedBy(d('spin_lock', 'spin_unlock', 'process')), undefined)
})

test("a callback on a job's hardware fence runs in hard-irq context", (t) => {
  const d = (take: string, release: string): DesignInput => ({
    locks: [{ name: 'S', kind: 'spinlock' }],
    jobs: [{ name: 'g0', engine: 'gfx', queue: 'kernel' }],
    callbacks: [{ name: 'cb', fence: 'g0', steps: [{ spin_lock_irqsave: 'S' }, { spin_unlock_irqrestore: 'S' }] }],
    threads: [{ name: 'p', steps: [{ add_callback: 'cb' }, { [take]: 'S' }, { [release]: 'S' }] }],
    properties: ['irq-safety'],
  })
  t.regex(violatedBy(d('spin_lock', 'spin_unlock')) ?? '', /IN-HARDIRQ-W/)
  t.is(violatedBy(d('spin_lock_irq', 'spin_unlock_irq')), undefined)
})

test('a callback added after its fence signalled is not called, unless the caller calls it (-ENOENT)', (t) => {
  const d = (add: unknown): DesignInput => ({
    fences: [{ name: 'F', kind: 'dma' }],
    callbacks: [{ name: 'cb', fence: 'F', steps: [{ signal: 'G' }] }],
    threads: [{ name: 't', steps: [{ signal: 'F' }, add] }],
    properties: ['deadlock'],
  })
  const withG = (x: DesignInput): DesignInput => ({ ...x, fences: [...(x.fences ?? []), { name: 'G', kind: 'dma' }] })
  t.false(reached(withG(d({ add_callback: 'cb' })), 'thread cb completes its path'))
  t.true(reached(withG(d({ add_callback: 'cb', ifSignalled: 'call' })), 'thread cb completes its path'))
})

test('fence-on-fence cycles through callbacks are deadlocks (no lock is involved)', (t) => {
  // A's callback signals B; A's signaller waits for B first. Nothing holds a lock, so lockdep's
  // graph is empty; the wait-for graph has waiter -> B -> cb -> A -> waiter.
  const d: DesignInput = {
    fences: [
      { name: 'A', kind: 'dma' },
      { name: 'B', kind: 'dma' },
    ],
    callbacks: [{ name: 'cb', fence: 'A', steps: [{ signal: 'B' }] }],
    threads: [
      { name: 'adder', steps: [{ add_callback: 'cb', ifSignalled: 'call' }] },
      { name: 'sig', steps: [{ wait: 'B' }, { signal: 'A' }] },
    ],
    properties: ['deadlock', 'lock-order'],
  }
  const r = check(d)
  t.is(r.v.status === 'violated' ? r.v.property.name : r.v.status, 'deadlock')
  t.regex(waitText(r), /callback armed on dma_fence A/)
  // The signaller signals A first: no cycle (the callback is called even if added late).
  t.is(violatedBy({ ...d, threads: [d.threads![0]!, { name: 'sig', steps: [{ signal: 'A' }, { wait: 'B' }] }] }), undefined)
})

test('a dma_fence_array signals when all members have (any with signal_on_any); a chain point needs every earlier one', (t) => {
  // The thread waits on the container before it signals F, one of its members: with all-of that
  // is a cycle; with signal_on_any the job's fence g0 is enough.
  const arr = (any: boolean): DesignInput => ({
    jobs: [{ name: 'g0', engine: 'gfx', queue: 'kernel' }],
    fences: [
      { name: 'F', kind: 'dma' },
      { name: 'A', kind: 'array', members: ['g0', 'F'], signal_on_any: any },
    ],
    threads: [{ name: 't', steps: [{ wait: 'A' }, { signal: 'F' }] }],
    properties: ['deadlock', 'fence-sanity'],
  })
  t.is(violatedBy(arr(false)), 'deadlock')
  t.is(violatedBy(arr(true)), undefined)
  const chain = (wait: string): DesignInput => ({
    jobs: [{ name: 'g0', engine: 'gfx', queue: 'kernel' }],
    fences: [
      { name: 'F', kind: 'dma' },
      { name: 'C1', kind: 'chain', fence: 'F' },
      { name: 'C2', kind: 'chain', fence: 'g0', prev: 'C1' },
    ],
    threads: [{ name: 't', steps: [{ wait }, { signal: 'F' }] }],
    properties: ['deadlock', 'fence-sanity'],
  })
  // C2 needs g0 and C1, and C1 needs F, which the thread signals only after its wait.
  t.is(violatedBy(chain('C2')), 'deadlock')
  t.is(violatedBy(chain('g0')), undefined)
})

test('a dma_fence_array over an hmm_fence breaks rule 1 once it is armed', (t) => {
  const d = (wait: boolean): DesignInput => ({
    jobs: [
      { name: 'g0', engine: 'gfx', queue: 'kernel' },
      { name: 'u0', engine: 'gfx', queue: 'user' },
    ],
    fences: [{ name: 'A', kind: 'array', members: ['g0', 'u0'], signal_on_any: true }],
    threads: [{ name: 't', steps: wait ? [{ wait: 'A' }] : [{ wait: 'g0' }] }],
    properties: ['rule-1'],
  })
  // dma-buf.rst "Indefinite DMA Fences": a dma_fence may not depend on a userspace (hmm) fence.
  t.regex(violatedBy(d(true)) ?? '', /^rule 1/)
  t.is(violatedBy(d(false)), undefined)
})

test("an array takes a member's error; a chain point only its own fence's", (t) => {
  const d = (kind: 'array' | 'chain'): DesignInput => ({
    fences: [
      { name: 'E', kind: 'dma' },
      { name: 'P', kind: 'chain', fence: 'E' },
      kind === 'array' ? { name: 'X', kind: 'array', members: ['E', 'G'] } : { name: 'X', kind: 'chain', fence: 'G', prev: 'P' },
      { name: 'G', kind: 'dma' },
    ],
    threads: [
      { name: 'err', steps: [{ signal: 'E', error: true }] },
      { name: 'ok', steps: [{ signal: 'G' }] },
      { name: 'w', steps: [{ wait: 'X' }] },
    ],
    properties: ['deadlock'],
  })
  const errors = (kind: 'array' | 'chain'): boolean => {
    const m = compileGpu(buildDesign({ engines: ENGINE, ...d(kind) }), 'case')
    const x = explore({ ...noDeadlockCheck(m), properties: [] })
    const fx = m.view.f.fs[2]!
    const c = new Cursor(m.layout)
    const w = new Uint32Array(m.layout.words)
    for (let i = 0; i < x.store.size; i++) {
      x.store.read(i, w)
      m.layout.decodeInto(w, 0, c.pre)
      if (c.pre[fx] === FS.error) return true
    }
    return false
  }
  // dma_fence_array_set_pending_error: the first member error; v6.12's chain propagates none.
  t.true(errors('array'))
  t.false(errors('chain'))
})

test('mutex_trylock of a lock the thread holds answers false (ttm_lru_walk_trylock)', (t) => {
  // drivers/gpu/drm/ttm/ttm_bo_util.c: ttm_lru_walk_trylock @ v6.12 tries dma_resv_trylock first,
  // and only when that fails checks whether the resv is the one its caller already holds.
  const d = (steps: unknown[]): DesignInput => ({ buffers: [{ name: 'bo' }], threads: [{ name: 't', steps }], properties: ['deadlock'] })
  // held: the trylock fails, and the thread fails (else: fail), so it never completes its path.
  t.false(reached(d([{ lock: 'bo.resv' }, { trylock: 'bo.resv', else: 'fail' }, { unlock: 'bo.resv' }]), 'thread t completes its path'))
  // not held: it succeeds.
  t.true(reached(d([{ trylock: 'bo.resv', else: 'fail' }, { unlock: 'bo.resv' }]), 'thread t completes its path'))
  // A spinlock taken twice is still refused as recursive locking (a plain mutex_lock of a held
  // lock is checked instead: test/model/recursiveLock.test.ts).
  const e = t.throws(() =>
    buildDesign({
      engines: ENGINE,
      locks: [{ name: 's', kind: 'spinlock' }],
      threads: [{ name: 't', steps: [{ spin_lock: 's' }, { spin_lock: 's' }, { spin_unlock: 's' }] }],
    }),
  )
  t.is((e as SpecError).code, 'FC185')
})

test('wrong lock kinds and bad containers are input errors', (t) => {
  const code = (d: DesignInput): string | undefined => {
    try {
      buildDesign({ engines: ENGINE, ...d })
      return undefined
    } catch (e) {
      return (e as SpecError).code
    }
  }
  t.is(code({ locks: [{ name: 'M' }], threads: [{ name: 't', steps: [{ spin_lock: 'M' }, { spin_unlock: 'M' }] }] }), 'FC183')
  t.is(code({ locks: [{ name: 'M' }], fences: [{ name: 'F', kind: 'dma', lock: 'M' }] }), 'FC183')
  t.is(code({ fences: [{ name: 'A', kind: 'array' }] }), 'FC184')
  t.is(
    code({
      fences: [
        { name: 'F', kind: 'dma' },
        { name: 'A', kind: 'array', members: ['F'] },
        { name: 'B', kind: 'array', members: ['A'] },
      ],
    }),
    'FC184',
  )
  t.is(code({ fences: [{ name: 'F', kind: 'dma', members: ['F'] }] }), 'FC184')
  t.is(code({ fences: [{ name: 'F', kind: 'dma' }], callbacks: [{ name: 'cb', fence: 'F', steps: [] }] }), 'FC189')
  t.is(code({ threads: [{ name: 't', steps: [{ add_callback: 'nope' }] }] }), 'FC141')
  t.is(
    code({
      jobs: [
        { name: 'a', engine: 'gfx', queue: 'kernel' },
        { name: 'b', engine: 'gfx', queue: 'kernel' },
      ],
      callbacks: [{ name: 'cb', fence: 'a', steps: [{ spin_lock: 'a.lock' }, { spin_unlock: 'a.lock' }] }],
      symmetry: [['a', 'b']],
    }),
    'FC196',
  )
})

// A fence-on-fence cycle through a callback: the callback on array A signals F, a member of A.
// A signals only when F has, F only when A's callback runs: nobody can signal either. No lock is
// held anywhere on the cycle, so lockdep (lock-order) has nothing to report; the wait-for graph
// goes from the waiter to F, F's only signaller (the callback), the callback to A, A to F.
test('a fence-on-fence cycle through a callback on a dma_fence_array is a deadlock lockdep cannot see', (t) => {
  const d = (properties: string[]): DesignInput => ({
    fences: [
      { name: 'F', kind: 'dma' },
      { name: 'G', kind: 'dma' },
      { name: 'A', kind: 'array', members: ['F', 'G'] },
    ],
    callbacks: [{ name: 'done', fence: 'A', steps: [{ signal: 'F' }] }],
    threads: [
      { name: 'setup', steps: [{ add_callback: 'done' }, { signal: 'G' }] },
      { name: 'waiter', steps: [{ wait: 'F' }] },
    ],
    properties,
  })
  const r = check(d(['deadlock']))
  t.is(r.v.status, 'violated')
  const text = waitText(r)
  t.regex(text, /dma_fence_array: signals when all of dma_fence F/)
  t.regex(text, /dma_fence F signalled by thread done\n {2}-> thread done is a callback armed on dma_fence A/)
  t.true(replay(r.model, violationTrace(r.x)!, r.v.status === 'violated' ? r.v.property.name : '').ok)
  t.is(violatedBy(d(['lock-order'])), undefined)
})

// dma_fence_chain_enable_signaling arms the first contained fence not yet signalled under the
// chain's lock; a callback on that fence that takes the chain's lock (adds a callback to it)
// closes lockdep's cycle. Armed on a fence that is not a member, the same callback orders
// nothing against the chain. An array's members the same way.
test("lock order: a chain's enable_signaling takes its member's lock under its own", (t) => {
  const d = (on: string): DesignInput => ({
    fences: [
      { name: 'F', kind: 'dma' },
      { name: 'H', kind: 'dma' },
      { name: 'P', kind: 'chain', fence: 'F' },
    ],
    callbacks: [
      { name: 'inner', fence: on, steps: [{ add_callback: 'outer' }] },
      { name: 'outer', fence: 'P', steps: [{ signal: 'H' }] },
    ],
    threads: [
      { name: 'arm', steps: [{ add_callback: 'inner' }] },
      { name: 'sig', steps: [{ signal: 'F' }, ...(on === 'H' ? [] : [{ signal: 'H' }])] },
      { name: 'waiter', steps: [{ wait: 'P' }] },
    ],
    properties: ['lock-order'],
  })
  t.is(violatedBy(d('F')), 'lock order (lockdep)')
  t.is(violatedBy(d('H')), undefined)
  // dma_fence_array_enable_signaling arms every member that has not signalled, under the array's lock.
  const arr: DesignInput = {
    fences: [
      { name: 'F', kind: 'dma' },
      { name: 'G', kind: 'dma' },
      { name: 'H', kind: 'dma' },
      { name: 'A', kind: 'array', members: ['F', 'G'] },
    ],
    callbacks: [
      { name: 'inner', fence: 'G', steps: [{ add_callback: 'outer' }] },
      { name: 'outer', fence: 'A', steps: [{ signal: 'H' }] },
    ],
    threads: [
      { name: 'arm', steps: [{ add_callback: 'inner' }] },
      { name: 'sig', steps: [{ signal: 'G' }, { signal: 'F' }] },
      { name: 'waiter', steps: [{ wait: 'A' }] },
    ],
    properties: ['lock-order'],
  }
  t.is(violatedBy(arr), 'lock order (lockdep)')
})

// dma_fence_is_signaled tests DMA_FENCE_FLAG_SIGNALED_BIT before it calls ops->signaled: the op
// (a mutex here) runs under the caller's spinlock only while the fence has not signalled. A
// thread that signals F itself before the test never runs it; one that does not may.
test('is_signaled runs the signaled op only while the fence has not signalled; dma_fence_put runs release', (t) => {
  const d = (signalFirst: boolean): DesignInput => ({
    locks: [
      { name: 'S', kind: 'spinlock' },
      { name: 'M', kind: 'mutex' },
    ],
    fences: [{ name: 'F', kind: 'dma', ops: { signaled: [{ lock: 'M' }, { unlock: 'M' }] } }],
    threads: [{ name: 't', steps: [...(signalFirst ? [{ signal: 'F' }] : []), { spin_lock: 'S' }, { is_signaled: 'F' }, { spin_unlock: 'S' }] }],
    properties: ['might-sleep'],
  })
  t.is(violatedBy(d(false)), 'might_sleep: nothing sleeps under a spinlock, in an irq handler or in a fence callback')
  t.is(violatedBy(d(true)), undefined)
  // The op's witness: reached when the fence is still pending at the test, never when the thread
  // signalled it first (so a proof of the second design says the op never ran).
  const runs = 'thread t runs the signaled op of dma_fence F'
  t.true(reached({ ...d(false), properties: ['deadlock'] }, runs))
  t.false(reached({ ...d(true), properties: ['deadlock'] }, runs))
  // A signaller elsewhere: the op runs in the interleavings where the test comes first.
  const other = (d2: DesignInput): DesignInput => ({ ...d2, threads: [...d2.threads!, { name: 'irq', context: 'irq', steps: [{ signal: 'F' }] }] })
  t.true(
    reached(
      {
        ...other(d(false)),
        fences: [{ name: 'F', kind: 'dma', ops: { signaled: [{ spin_lock: 'S2' }, { spin_unlock: 'S2' }] } }],
        locks: [
          { name: 'S', kind: 'spinlock' },
          { name: 'S2', kind: 'spinlock' },
        ],
        properties: ['deadlock'],
      },
      runs,
    ),
  )
  // release runs at the put, in the putter's context: under a spinlock here.
  const put: DesignInput = {
    locks: [
      { name: 'S', kind: 'spinlock' },
      { name: 'M', kind: 'mutex' },
    ],
    fences: [{ name: 'F', kind: 'dma', ops: { release: [{ lock: 'M' }, { unlock: 'M' }] } }],
    threads: [{ name: 't', steps: [{ spin_lock: 'S' }, { dma_fence_put: 'F' }, { spin_unlock: 'S' }] }],
    properties: ['might-sleep'],
  }
  t.is(violatedBy(put), 'might_sleep: nothing sleeps under a spinlock, in an irq handler or in a fence callback')
  // A release that puts its own fence would recurse for ever: refused.
  const loop = (): unknown =>
    buildDesign({
      engines: ENGINE,
      fences: [{ name: 'F', kind: 'dma', ops: { release: [{ dma_fence_put: 'F' }] } }],
      threads: [{ name: 't', steps: [{ dma_fence_put: 'F' }] }],
    })
  const e = t.throws(loop)
  t.is((e as SpecError).code, 'FC189')
})
