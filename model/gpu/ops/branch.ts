/**
 * Failure branches. A step that can fail (a trylock, an allocation, an eviction, a bounded wait that
 * times out, a collision) or an `if:` whose condition holds may run a list of steps of its own
 * before it goes on: `else: [ { unlock: a }, -EDEADLK ]`. The list is placed right after its step
 * (the step's success skips it) and ends in `else_end`, which does what its last item says: leave
 * the path (skip), fail it, return an error code (-EBUSY, -EAGAIN, -EDEADLK, -EINTR: the path
 * leaves failed and the trace names the code), try the step again (retry), or, with no outcome
 * written, go on after the step as its success would (holding the same locks).
 *
 * Kernel paths that lock what they can and then fail are written this way: drm_exec backs off on
 * -EDEADLK (drop every lock, relock the contended one first, start over), ttm_bo_evict_swapout and
 * ttm_bo_mem_space turn a busy buffer into -EBUSY, amdgpu_cs_ioctl returns -EAGAIN to userspace.
 */
import { SpecError } from '../errors.js'
import { type Outcome, type Step, type StepOf, isErrorCode } from '../types.js'
import type { Path } from '../parse.js'
import type { OpModule } from './op.js'

declare module '../types.js' {
  interface StepVariants {
    /**
     * the end of a branch: its outcome, how far back its step is, and what kind of branch it ends:
     * a failure branch (the default), an if's then: steps, the last mmput's teardown (ops/mm.ts),
     * or a fence's signaled op run by dma_fence_is_signaled (fenceOps.ts)
     */
    else_end: { readonly op: 'else_end'; readonly then: Outcome | 'continue'; readonly dist: number; readonly of?: BranchKind }
  }
}
type S = StepOf<'else_end'>

/** What a branch is: see else_end. */
export type BranchKind = 'failure' | 'then' | 'teardown' | 'signaled'

/** How a branch that goes on reads where its kind says more than "goes on". */
const CONTINUES: Partial<Record<BranchKind, string>> = {
  teardown: 'the caller goes on after its mmput',
  signaled: 'dma_fence_is_signaled returns',
}

/** How the end of each kind of branch reads, before its outcome. */
const ENDS: Record<BranchKind, string> = {
  failure: 'end of the failure branch',
  then: 'end of the then: steps',
  teardown: "exit_mmap returns (the end of the last put's teardown)",
  signaled: 'end of the signaled op',
}

/** what an outcome word reads as in traces */
const thenText = (o: Outcome | 'continue'): string =>
  o === 'continue'
    ? 'goes on'
    : o === 'retry'
      ? 'tries the step again'
      : o === 'skip'
        ? 'leaves the path'
        : o === 'fail'
          ? 'fails'
          : o === 'again'
            ? 'the callback returns false'
            : `returns ${o}`

/**
 * Place a failure branch after its step: `steps` is what the step's module parsed (one of them has
 * `else: 'branch'`, or is the `if`), `items` the list as written. The last item may be an outcome
 * word or error code; the others are steps, read by `parse`.
 */
export function attachBranch(
  steps: Step[],
  items: readonly unknown[],
  where: Path,
  parse: (raw: unknown[], base: Path) => Step[],
  outcomeOf: (v: unknown, path: Path) => Outcome,
): Step[] {
  const owner = steps.findIndex((s) => 'else' in s && s.else === 'branch')
  const at = owner >= 0 ? owner : steps.length - 1
  const last = items[items.length - 1]
  const word = typeof last === 'string' && (['skip', 'retry', 'fail', 'again'].includes(last) || isErrorCode(last) || last.startsWith('-'))
  const body = parse(word ? items.slice(0, -1) : [...items], where)
  const then: Outcome | 'continue' = word ? outcomeOf(last, [...where, items.length - 1]) : 'continue'
  if (!word && body.length === 0)
    throw new SpecError('FC155', where, 'an empty branch does nothing; write an outcome (skip, retry, fail, -EBUSY, ...) or steps')
  const n = body.length + 1
  const of: BranchKind = steps[at]!.op === 'if' ? 'then' : 'failure'
  const end: Step = { where: [...where, items.length - 1], op: 'else_end', then, dist: n, ...(of === 'then' ? { of } : {}) }
  return [...steps.slice(0, at), { ...steps[at]!, branch: n }, ...body, end, ...steps.slice(at + 1)]
}

export const branchOp: OpModule<S> = {
  ops: ['else_end'],
  doc:
    "Failure branches. `else:` (and an `if:`'s `then:`) may be a list of steps, optionally ending in an outcome: " +
    "`else: [ { unlock: a }, -EDEADLK ]`. The list runs right after its step (the step's success skips it), then " +
    'does its last item: `skip`, `fail`, an error code (`-EBUSY`, `-EAGAIN`, `-EDEADLK`, `-EINTR`: the path leaves ' +
    'failed, the trace names the code), `again` (callbacks), or `retry` (the step again, holding what it started ' +
    "with); without an outcome it goes on after the step holding what the step's success holds (FC197).",
  syntax: [],
  refs: {},
  cite: [
    { path: 'drivers/gpu/drm/drm_exec.c', fn: 'drm_exec_cleanup' },
    { path: 'drivers/gpu/drm/drm_exec.c', fn: 'drm_exec_lock_contended' },
    { path: 'drivers/gpu/drm/ttm/ttm_bo.c', fn: 'ttm_bo_evict_swapout_allowable' },
    { path: 'drivers/gpu/drm/ttm/ttm_bo.c', fn: 'ttm_bo_mem_space' },
    { path: 'drivers/gpu/drm/amd/amdgpu/amdgpu_cs.c', fn: 'amdgpu_cs_ioctl' },
  ],
  rules(k, step) {
    const { cx, p, base, m, add } = k
    const o = step.then
    add(
      { name: o === 'continue' ? 'branch_done' : 'branch_then', ...base, then: o === 'continue' ? 'go on' : o },
      m(o === 'retry' ? 'branch_retry' : 'branch_end'),
      (s) => p.at_(s),
      (c) => {
        if (o === 'continue') p.advance(c)
        else if (o === 'retry') {
          // Try the failing step again: back to it, dropping what the branch took since.
          const owner = p.at - step.dist
          p.jump(c, p.frame === 'reclaim' ? owner - cx.paths.reclaimSegStart[p.at]! : owner)
        } else cx.outcome(p, o, c)
      },
    )
  },
  text: (_d, s) => `${ENDS[s.of ?? 'failure']}: ${s.then === 'continue' && s.of !== undefined && s.of in CONTINUES ? CONTINUES[s.of] : thenText(s.then)}`,
}

/** How an outcome reads in a step's text ("on failure -EBUSY", "on failure run the else: steps"). */
export const outcomeText = (o: Outcome): string => (o === 'branch' ? 'run its else: steps' : o)
