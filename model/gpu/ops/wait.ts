/**
 * Fence waits: dma_fence_wait on one fence, and dma_resv_wait_timeout on every fence of a usage
 * (or a lower one) in a buffer's dma_resv. A wait first enables signalling, so preempt and eviction
 * fences only start acting here. In a non-blockable invalidation a `nonblock: again` wait is only a
 * test, and a pending fence makes the callback return false (rule 38).
 */
import type { Reader } from '../../../checker/model.js'
import { has, usageRank } from '../context.js'
import type { StepCx } from '../context.js'
import { type GpuDesign, type Step, type StepOf, usageKey } from '../types.js'
import { FS, type GpuView, nodeId, type RuleMeta } from '../view.js'
import { names, type OpModule } from './op.js'
import { FAULT_POLICY, NAME, NONBLOCK, USAGE } from './schema.js'
import { addTimeout, readTimeout, TIMEOUT, TIMEOUT_ELSE, timeoutText } from './timeout.js'

declare module '../types.js' {
  interface StepVariants {
    wait: {
      readonly op: 'wait'
      readonly fence: number
      readonly ifFaultPending?: 'skip'
      readonly nonblock?: 'again'
      readonly timeout?: true
      readonly else?: Outcome
    }
    wait_resv: {
      readonly op: 'wait_resv'
      readonly bo: number
      readonly usage: Usage
      readonly ifFaultPending?: 'skip'
      readonly nonblock?: 'again'
      readonly timeout?: true
      readonly else?: Outcome
    }
  }
}
type S = StepOf<'wait' | 'wait_resv'>

/** the fences of the buffer's dma_resv a wait_resv of this usage waits for (dma-resv.h usage order) */
const candidates = (k: StepCx, step: StepOf<'wait_resv'>): number[] =>
  k.cx.design.fences.map((_, i) => i).filter((i) => usageRank(k.cx.usageOf(step.bo, i)) <= usageRank(step.usage))

const waitRules = (k: StepCx, step: StepOf<'wait'>): void => {
  const { cx, p, base, m, add, F } = k
  const { fs, en, anyFault } = cx.f
  const fe = step.fence
  if (step.nonblock && p.site?.step.nonblock) {
    // Non-blockable invalidation: test the fence; return false if it has not signalled.
    add(
      { name: 'dma_fence_is_signaled', ...base, fence: F(fe), signaled: true },
      m('test_fence'),
      (s) => p.at_(s) && s.get(fs[fe]!) !== FS.pending,
      (c) => p.advance(c),
    )
    add(
      { name: 'dma_fence_is_signaled', ...base, fence: F(fe), signaled: false, then: 'again' },
      m('return_false'),
      (s) => p.at_(s) && s.get(fs[fe]!) === FS.pending,
      (c) => cx.outcome(p, 'again', c),
    )
    return
  }
  // dma_fence_wait() first enables signalling (include/linux/dma-fence.h, enable_signaling):
  // preempt and eviction fences only start acting here.
  add(
    { name: 'enable_signaling', ...base, fence: F(fe) },
    m('enable'),
    (s) => p.at_(s) && s.get(fs[fe]!) === FS.pending && s.get(en[fe]!) === 0,
    (c) => c.set(en[fe]!, 1),
  )
  add(
    { name: 'dma_fence_wait', ...base, fence: F(fe) },
    m('wait_return'),
    (s) => p.at_(s) && s.get(fs[fe]!) !== FS.pending,
    (c) => p.advance(c),
  )
  addTimeout(k, step, (s) => s.get(fs[fe]!) === FS.pending, F(fe))
  if (step.ifFaultPending === 'skip') {
    // Glisse's "can this fence deadlock?" (seed 000): back off while a GPU page fault is pending.
    add(
      { name: 'skip_fence', ...base, fence: F(fe) },
      m('skip'),
      (s) => p.at_(s) && s.get(fs[fe]!) === FS.pending && s.get(anyFault) === 1,
      (c) => p.abandon(c, false),
    )
  }
}

const resvRules = (k: StepCx, step: StepOf<'wait_resv'>): void => {
  const { cx, p, base, m, add, F } = k
  const { fs, en, resv, anyFault } = cx.f
  const { bo, usage } = step
  const bname = cx.design.buffers[bo]!.name
  // dma_resv_wait_timeout(usage): waits every fence of that usage or a lower one (dma-resv.h).
  const cands = candidates(k, step)
  const pendingIn = (s: Reader): boolean => {
    const mask = s.get(resv[bo]!)
    return cands.some((i) => has(mask, i) && s.get(fs[i]!) === FS.pending)
  }
  if (step.nonblock && p.site?.step.nonblock) {
    add(
      { name: 'dma_resv_test_signaled', ...base, bo: bname, signaled: true },
      m('test_fence'),
      (s) => p.at_(s) && !pendingIn(s),
      (c) => p.advance(c),
    )
    add(
      { name: 'dma_resv_test_signaled', ...base, bo: bname, signaled: false, then: 'again' },
      m('return_false'),
      (s) => p.at_(s) && pendingIn(s),
      (c) => cx.outcome(p, 'again', c),
    )
    return
  }
  for (const fe of cands) {
    add(
      { name: 'enable_signaling', ...base, fence: F(fe), bo: bname },
      m('enable'),
      (s) => p.at_(s) && has(s.get(resv[bo]!), fe) && s.get(fs[fe]!) === FS.pending && s.get(en[fe]!) === 0,
      (c) => c.set(en[fe]!, 1),
    )
  }
  add(
    { name: 'dma_resv_wait', ...base, bo: bname, usage },
    m('wait_return'),
    (s) => p.at_(s) && !pendingIn(s),
    (c) => p.advance(c),
  )
  addTimeout(k, step, pendingIn, bname)
  if (step.ifFaultPending === 'skip') {
    add(
      { name: 'skip_resv', ...base, bo: bname },
      m('skip'),
      (s) => p.at_(s) && pendingIn(s) && s.get(anyFault) === 1,
      (c) => p.abandon(c, false),
    )
  }
}

/** pending fences in the buffer's dma_resv (any usage: what the wait-for graph and the rules see) */
const pendingInResv = (v: GpuView, s: Reader, bo: number): number[] => {
  const mask = s.get(v.f.resv[bo]!)
  return v.design.fences.map((_, i) => i).filter((i) => has(mask, i) && s.get(v.f.fs[i]!) === FS.pending)
}

/** the rule tests the fence (or the buffer's fences) and moves on, or returns false */
const testsFence = (m: RuleMeta): boolean => m.does === 'wait_return' || m.does === 'test_fence' || m.does === 'return_false'

/** The fences a buffer's dma_resv may ever hold: those it starts with, those an add_fence step
 * adds, and the fences of the jobs that use it (pushed at submit); each is declared with its usage
 * (declare.ts setUsage), and no other rule writes a dma_resv. A rule that tests the resv reads no
 * other fence (the mask is tested first). */
const mayHold = (d: GpuDesign, bo: number): number[] =>
  d.fences.map((_, i) => i).filter((i) => d.usageOf.has(usageKey(bo, i)) || d.jobs.some((j) => j.fence === i && j.uses.some((u) => u.bo === bo)))

/** a wait_resv rule that only enables a fence's signalling, returns or tests (no timeout, skip or callback outcome) */
const resvOnly = (m: RuleMeta): boolean => m.does === 'enable' || m.does === 'wait_return' || m.does === 'test_fence'

const isWait = (step: Step, does: string): boolean => (step.op === 'wait' || step.op === 'wait_resv') && (does === 'wait_return' || does === 'enable')

export const waitOp: OpModule<S> = {
  ops: ['wait', 'wait_resv'],
  syntax: [
    {
      key: 'wait',
      doc: 'wait for a fence to signal (dma_fence_wait); signalling is enabled first',
      arg: { role: 'fence', what: 'the fence', schema: NAME("a fence (every job's fence is named after the job)") },
      modifiers: { ifFaultPending: FAULT_POLICY, nonblock: NONBLOCK, timeout: TIMEOUT, else: TIMEOUT_ELSE },
      parse: (px) => [{ where: px.where, op: 'wait', fence: px.arg(), ...px.faultPolicy(), ...px.nonblock(), ...readTimeout(px) }],
    },
    {
      key: 'wait_resv',
      doc: "wait for every fence of a usage (or a lower one) in a buffer's dma_resv (dma_resv_wait_timeout)",
      arg: { role: 'buffer', what: 'the buffer', schema: NAME('a buffer') },
      modifiers: { usage: USAGE('bookkeep'), ifFaultPending: FAULT_POLICY, nonblock: NONBLOCK, timeout: TIMEOUT, else: TIMEOUT_ELSE },
      parse: (px) => [
        {
          where: px.where,
          op: 'wait_resv',
          bo: px.arg(),
          usage: px.usage(px.mods.usage, 'bookkeep'),
          ...px.faultPolicy(),
          ...px.nonblock(),
          ...readTimeout(px),
        },
      ],
    },
  ],
  // a wait on a buffer's dma_resv waits on (and enables) any fence the resv may hold; skipping a
  // wait while a fault is pending reads every job's fault
  // (a wait on one fence: enabling its signalling sets its flag; testing it or returning reads its state)
  // (on a buffer's dma_resv, enabling signalling reads a fence's state and sets its flag, and
  // returning or testing reads the fences' states: neither looks at a job or a fence's other fields)
  footprint: (d, step, m) => [
    ...(step.op === 'wait_resv' && resvOnly(m)
      ? mayHold(d, step.bo).flatMap((i) => [
          { field: 'fs', index: i, read: true } as const,
          ...(m.does === 'enable' ? [{ field: 'en', index: i } as const] : []),
        ])
      : []),
    ...(step.op === 'wait_resv' && !resvOnly(m) ? d.fences.map((_, i) => ({ role: 'fence', index: i }) as const) : []),
    ...((step.op === 'wait_resv' && !resvOnly(m)) || step.ifFaultPending ? d.jobs.map((_, j) => ({ role: 'job', index: j, read: true }) as const) : []),
    ...(step.op === 'wait' && m.does === 'enable' ? [{ field: 'en', index: step.fence } as const] : []),
    ...(step.op === 'wait' && testsFence(m) ? [{ field: 'fs', index: step.fence, read: true } as const] : []),
  ],
  refAccess: (step, m) =>
    step.op === 'wait' ? (m.does === 'enable' ? 'read' : testsFence(m) ? 'none' : undefined) : testsFence(m) || resvOnly(m) ? 'read' : undefined,
  refs: { wait: { fence: 'fence' }, wait_resv: { bo: 'buffer' } },
  cite: [
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_wait_timeout' },
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_enable_sw_signaling' },
    { path: 'drivers/dma-buf/dma-resv.c', fn: 'dma_resv_wait_timeout' },
    { path: 'drivers/dma-buf/dma-resv.c', fn: 'dma_resv_test_signaled' },
    { path: 'include/linux/dma-fence.h', fn: 'dma_fence_is_signaled' },
  ],
  rules: (k, step) => (step.op === 'wait' ? waitRules(k, step) : resvRules(k, step)),
  waitsOn(w, step) {
    if (step.op === 'wait') w.edge(nodeId.fence(step.fence), `waits on ${w.fenceName(step.fence)}${w.where}`)
    else
      for (const i of pendingInResv(w.v, w.s, step.bo))
        w.edge(nodeId.fence(i), `waits on ${w.fenceName(i)} in ${w.v.design.buffers[step.bo]!.name}'s dma_resv${w.where}`)
  },
  pendingFences: (v, s, step) => (step.op === 'wait' ? (s.get(v.f.fs[step.fence]!) === FS.pending ? [step.fence] : []) : pendingInResv(v, s, step.bo)),
  waitsOnFences: () => true,
  lockdep: {
    // Any dma_fence_wait() is annotated as a wait (__dma_fence_might_wait), blocking or not.
    fenceWait: (step, m) => isWait(step, m.does),
    sleeps: (step, m) => isWait(step, m.does),
  },
  text(d, s) {
    const { F, B } = names(d)
    const skip = s.ifFaultPending ? ', skipped while a GPU page fault is pending' : ''
    if (s.op === 'wait')
      return `dma_fence_wait${s.timeout ? '_timeout' : ''}(${F(s.fence)})${skip}${s.nonblock ? ' (only a test if non-blockable)' : ''}${timeoutText(s)}`
    return `dma_resv_wait_timeout(${B(s.bo)}, ${s.usage.toUpperCase()})${skip}${timeoutText(s)}`
  },
}
