/**
 * A GPU design as the model understands it, after a scenario file has been parsed and every
 * reference resolved to an index. Compile it with `compileGpu` (compile.ts).
 */

export type FenceKind = 'dma' | 'hmm' | 'preempt'
export type LockMode = 'write' | 'read'
export type Outcome = 'skip' | 'retry' | 'fail'
export type Gfp = 'KERNEL' | 'NOFS' | 'NOIO' | 'NOWAIT' | 'ATOMIC'
export type Pool = 'vram' | 'system'
/** dma_resv usages, ordered as include/linux/dma-resv.h orders them */
export const USAGES = ['kernel', 'write', 'read', 'bookkeep'] as const
export type Usage = (typeof USAGES)[number]
export const GFPS: readonly Gfp[] = ['KERNEL', 'NOFS', 'NOIO', 'NOWAIT', 'ATOMIC']
/** GFP_KERNEL, GFP_NOFS and GFP_NOIO may direct-reclaim (mm/page_alloc.c, fs_reclaim_acquire) */
export const reclaims = (g: Gfp): boolean => g === 'KERNEL' || g === 'NOFS' || g === 'NOIO'

/**
 * Thread contexts. notifier, fault-handler and shrinker are the kernel's wait-allowed contexts
 * (seed 000's "critical sections"); scheduler and worker paths are signalling paths when marked so.
 */
export const CONTEXTS = ['process', 'notifier', 'fault-handler', 'shrinker', 'scheduler', 'worker', 'userspace'] as const
export type Context = (typeof CONTEXTS)[number]

export interface Engine {
  readonly name: string
  readonly cus: number
  /** may dma_fence work preempt hmm work; 'faulting' also while a page fault is pending */
  readonly preempt: 'none' | 'hmm' | 'faulting'
  /** a design bug: hmm work may preempt dma_fence work (breaks rule 2) */
  readonly hmmPreemptsDma: boolean
  /** CUs compute (hmm) work may never take */
  readonly reserveForDma: number
  /** gang scheduling / engine flush (dma-buf.rst option (d)) */
  readonly flush: boolean
}

export interface Lock {
  readonly name: string
  readonly kind: 'mutex' | 'rwsem' | 'ww'
  /** lockdep class: every dma_resv is of class reservation_ww_class ("dma_resv") */
  readonly cls: string
}

export interface Fence {
  readonly name: string
  readonly kind: FenceKind
  /** the job whose completion signals it */
  readonly job?: number
  /** preempt/eviction fences: the job they take off the hardware */
  readonly of?: number
}

export interface Job {
  readonly name: string
  readonly engine: number
  readonly queue: 'kernel' | 'user'
  readonly fence: number
  readonly deps: readonly number[]
  /** buffers used: implicit dependencies through their dma_resv, and where its fence is installed */
  readonly uses: readonly { readonly bo: number; readonly usage: Usage }[]
  readonly faults: boolean
  readonly cus: number
  /** pushed to the scheduler before any thread runs */
  readonly submitted: boolean
  /** a design bug when false: the job's fence signals success although a dependency failed */
  readonly propagateErrors: boolean
  /** user-queue jobs: the GPU WAIT command on dma_fence dependencies (false is a bug, rule 7) */
  readonly waitsDeps: boolean
}

export interface Buffer {
  readonly name: string
  readonly placement: Pool
  /** fences in its dma_resv at start */
  readonly fences: readonly number[]
  readonly lock: number
}

export type Step = { readonly where: readonly (string | number)[]; readonly userFault?: boolean } & (
  | { readonly op: 'lock'; readonly lock: number; readonly mode: LockMode }
  | { readonly op: 'trylock'; readonly lock: number; readonly mode: LockMode; readonly else: Outcome }
  | { readonly op: 'unlock'; readonly lock: number }
  | { readonly op: 'wait'; readonly fence: number; readonly ifFaultPending?: 'skip' }
  | { readonly op: 'wait_resv'; readonly bo: number; readonly usage: Usage; readonly ifFaultPending?: 'skip' }
  | { readonly op: 'enable_signaling'; readonly fence: number }
  | { readonly op: 'signal'; readonly fence: number; readonly error: boolean }
  | { readonly op: 'alloc'; readonly gfp: Gfp; readonly pool: Pool; readonly else: Outcome }
  | { readonly op: 'free'; readonly pool: Pool }
  | { readonly op: 'evict'; readonly bo: number; readonly else: Outcome }
  | { readonly op: 'preempt'; readonly job: number }
  | { readonly op: 'resume'; readonly job: number }
  | { readonly op: 'arm'; readonly job: number }
  | { readonly op: 'push'; readonly job: number }
  | { readonly op: 'add_fence'; readonly bo: number; readonly fence: number; readonly usage: Usage }
  | { readonly op: 'begin_signalling' }
  | { readonly op: 'end_signalling' }
  | { readonly op: 'await_fault'; readonly job: number }
  | { readonly op: 'resolve_fault'; readonly job: number }
  | { readonly op: 'await_deps'; readonly job: number }
  | { readonly op: 'run'; readonly job: number }
  | { readonly op: 'syncobj_proxy'; readonly from: number; readonly to: number }
)

export interface Thread {
  readonly name: string
  readonly context: Context
  /** the whole path is a dma_fence signalling path (run_job, completion workers, preempt workers) */
  readonly signalling: boolean
  readonly steps: readonly Step[]
  /** where the path came from: a library path name, or 'custom' */
  readonly origin: string
}

export interface ReclaimPath {
  readonly name: string
  readonly steps: readonly Step[]
  readonly origin: string
}

export const PROPERTY_IDS = [
  'deadlock',
  'dma-fence-progress',
  'rule-1',
  'rule-2',
  'rule-4',
  'rule-5',
  'rule-6',
  'rule-7',
  'signalling',
  'lock-order',
  'fence-sanity',
] as const
export type PropertyId = (typeof PROPERTY_IDS)[number]

export interface GpuDesign {
  readonly engines: readonly Engine[]
  readonly memory: { readonly vram: number; readonly system: number }
  readonly locks: readonly Lock[]
  readonly fences: readonly Fence[]
  readonly jobs: readonly Job[]
  readonly buffers: readonly Buffer[]
  readonly threads: readonly Thread[]
  readonly reclaim: readonly ReclaimPath[]
  /** static usage of each (buffer, fence) pair in the buffer's dma_resv */
  readonly usageOf: ReadonlyMap<string, Usage>
  readonly properties: readonly PropertyId[]
  readonly policies: { readonly shrinker: string; readonly userptr: string; readonly syncobj: string }
  /** groups of interchangeable jobs (indices), declared by the scenario */
  readonly symmetry: readonly (readonly number[])[]
}

export const usageKey = (bo: number, fence: number): string => `${bo}:${fence}`
