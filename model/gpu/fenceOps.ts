/**
 * Driver fence ops `signaled` and `release` as step lists (include/linux/dma-fence.h: struct
 * dma_fence_ops @ v6.12). Both run in their caller's context, so their steps are placed inline in
 * the caller's path, after the step that calls them:
 *
 * - `is_signaled: F` is dma_fence_is_signaled(): if F has signalled (DMA_FENCE_FLAG_SIGNALED_BIT)
 *   it returns at once; otherwise it calls `ops->signaled` ("Peek whether the fence is signaled,
 *   as a fastpath optimization"). The op runs with whatever its caller holds: under a spinlock
 *   (drm_syncobj_fence_add_wait walks a timeline under syncobj->lock, dma_fence_chain_walk calls
 *   dma_fence_is_signaled on each point's fence) it is in atomic context. The op's answer (the
 *   hardware's seqno) is not modelled: the fence signals when its signaller signals it.
 * - `dma_fence_put: F` drops a reference; on the last one dma_fence_release() calls
 *   `ops->release` ("Can be called from irq context"), in whatever context drops it: a fence
 *   callback, an interrupt handler, another fence's release. References are not counted: every
 *   put may be the last, so `release` runs at each (a superset of the kernel's runs, which is what
 *   a check for sleeping in atomic context needs).
 *
 * `is_signaled` runs the op as its failure branch (ops/branch.ts): signalled, the step skips it.
 */
import { SpecError } from './errors.js'
import type { Path } from './parse.js'
import { StepReader } from './steps.js'
import type { Step } from './types.js'

type Obj = Record<string, unknown>
type OpName = 'signaled' | 'release'

interface OpDecl {
  readonly steps: unknown[]
  readonly where: Path
}

/** A StepReader that places each fence's signaled / release steps after the step that calls them. */
export class FenceOpsReader extends StepReader {
  private readonly decls = new Map<string, OpDecl>()
  private readonly open: string[] = []

  constructor(env: ConstructorParameters<typeof StepReader>[0], fencesIn: readonly Obj[], first: number) {
    super(env)
    fencesIn.forEach((fe, k) => {
      const ops = fe.ops as Obj | undefined
      if (!ops || typeof ops !== 'object') return
      for (const op of ['signaled', 'release'] as const) {
        const steps = ops[op]
        if (steps === undefined) continue
        const where: Path = ['fences', k, 'ops', op]
        if (!Array.isArray(steps) || steps.length === 0) throw new SpecError('FC189', where, `${op} needs its steps: [...]`)
        this.decls.set(`${first + k}:${op}`, { steps, where })
      }
    })
  }

  override read(raw: unknown[], base: Path, depth = 0): Step[] {
    // Nested lists (then:, else:) come back through here already inlined; `inlined` marks those.
    return super.read(raw, base, depth).flatMap((s) => this.inline(s, depth))
  }

  private inline(s: Step, depth: number): Step[] {
    if ((s.op !== 'is_signaled' && s.op !== 'fence_put') || s.inlined) return [s]
    const op: OpName = s.op === 'is_signaled' ? 'signaled' : 'release'
    const key = `${s.fence}:${op}`
    const decl = this.decls.get(key)
    if (!decl) return [s]
    if (this.open.includes(key))
      throw new SpecError('FC189', s.where, `the ${op} op of this fence calls itself (through ${this.open.join(' -> ')}); a fence op may not recurse`)
    this.open.push(key)
    const body = this.read(decl.steps, decl.where, depth + 1)
    this.open.pop()
    if (op === 'release') return [{ ...s, inlined: true }, ...body]
    // Signalled already: dma_fence_is_signaled returns before the op (the step's success skips it).
    const n = body.length + 1
    return [{ ...s, inlined: true, branch: n }, ...body, { where: decl.where, op: 'else_end', then: 'continue', dist: n, of: 'signaled' }]
  }
}
