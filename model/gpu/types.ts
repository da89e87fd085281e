/**
 * A GPU design as the model understands it, after a scenario file has been parsed and every
 * reference resolved to an index. Compile it with `compileGpu` (compile.ts).
 */

/** array and chain are composite dma_fences (mech/composite.ts) */
export type FenceKind = 'dma' | 'hmm' | 'preempt' | 'array' | 'chain'
export type LockMode = 'write' | 'read'
/** what a failing step does: leave the path (skip), stay and try again (retry), fail the thread, or
 * (notifier callbacks only) return false, which aborts a non-blockable invalidation (rule 38) */
export type Outcome = 'skip' | 'retry' | 'fail' | 'again' | ErrorCode | 'branch'
/** error codes a failing path may return (the path leaves failed, the code named in the trace):
 * ttm_bo_wait_ctx's -EBUSY, amdgpu_cs's -EAGAIN, a ww_mutex's -EDEADLK, an interrupted wait's -EINTR.
 * 'branch' (compiled only): the step's `else:` is a list of steps placed right after it (ops/branch.ts). */
export const ERROR_CODES = ['-EBUSY', '-EAGAIN', '-EDEADLK', '-EINTR', '-EALREADY'] as const
export type ErrorCode = (typeof ERROR_CODES)[number]
export const isErrorCode = (o: unknown): o is ErrorCode => (ERROR_CODES as readonly unknown[]).includes(o)
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
 * irq is a hard interrupt handler: atomic, irqs off (ops/spin.ts). A fence callback (ops/callback.ts)
 * is a thread of context 'callback', made from the scenario's callbacks: list, never declared as one.
 */
export type ThreadContext = Context | 'callback'
export const CONTEXTS = ['process', 'notifier', 'fault-handler', 'shrinker', 'scheduler', 'worker', 'userspace', 'irq'] as const
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
  /** recoverable page faults (XNACK on): an invalid PTE faults; off: no fault path at all */
  readonly xnack: boolean
}

/** CPU events that invalidate pages (rule 37: several may overlap), and what each does to the page. */
export const EVENTS = ['unmap', 'migrate', 'pressure', 'oom', 'exit'] as const
export type MemEvent = (typeof EVENTS)[number]
export type PageAt = 'none' | 'system' | 'vram'

/** A CPU page. Its generation is kept as what the properties need of it: whether a reference (a
 * GPU PTE, a pfn returned by hmm_range_fault) still names the page's current generation. */
export interface Page {
  readonly name: string
  readonly at: PageAt
  /** at: vram: the device (engine index) whose VRAM holds it, its pgmap owner (default the first engine) */
  readonly device: number
  /** the process (mm) whose address space maps it: an index in design.processes (0 without processes:) */
  readonly process?: number
}

/** An mmu_interval_notifier: the pages its interval covers and its invalidate callback. */
export interface Notifier {
  readonly name: string
  readonly pages: readonly number[]
  readonly callback: readonly Step[]
  readonly origin: string
}

/** A GPU mirror of CPU pages (an SVM range or a userptr): the device's PTEs for them, kept
 * coherent through the listed notifiers (their seqs are what read_begin/read_retry compare). */
export interface Range {
  readonly name: string
  /** the engine (device) whose page tables hold the PTEs */
  readonly engine: number
  readonly pages: readonly number[]
  readonly notifiers: readonly number[]
  /** PTEs valid at start */
  readonly mapped: boolean
  /** the process whose GPU address space holds the mirror (0 without processes:) */
  readonly process?: number
  /** the GPU address space (VM) the mirror lives in: a process-wide SVM's per device, else its own or a named vm: */
  readonly space?: string
  /** its GPU virtual address, as written (va:); a fault names (space, va) */
  readonly va?: string
}

/** A process (an mm): its address space's users (mm_users), and the release op of the mmu_notifier a
 * driver registered on it (mmu_notifier_ops.release), run by the last mmput in the caller's context. */
export interface Process {
  readonly name: string
  /** a process-wide SVM (KFD's kfd_process): one GPU address space per device for all its mirrors */
  readonly svm: boolean
  /** mm_users at start */
  readonly users: number
  /** the release op's steps (mn_hlist_release) */
  readonly release: readonly Step[]
}

export interface Lock {
  readonly name: string
  /** spinlock: a spinning lock (spin_lock and its irq forms, ops/spin.ts): atomic context while held */
  readonly kind: 'mutex' | 'rwsem' | 'ww' | 'spinlock'
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
  /** the spinlock fence->lock points at (dma_fence_init's lock); callbacks run under it */
  readonly lock?: number
  /** array: its fences (dma_fence_array_create); chain: [its fence, the previous point] (dma_fence_chain_init) */
  readonly members?: readonly number[]
  /** array: signal when any member signals (signal_on_any) */
  readonly any?: boolean
}

/** A dma_fence callback (dma_fence_add_callback): the fence it is added to; its steps run as a thread
 * of context 'callback' (ops/callback.ts). */
export interface Callback {
  readonly name: string
  readonly fence: number
  /** the thread that runs its steps */
  readonly thread: number
  /** signal: a callback (dma_fence_add_callback); enable: the fence's enable_signaling op, run once
   * when signalling is first enabled (__dma_fence_enable_signaling) */
  readonly trigger: 'signal' | 'enable'
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
  /** ranges the job's GPU work touches through the device's PTEs */
  readonly accesses: readonly number[]
  /** the GPU hangs on this job: it never completes on its own; only a reset (drm_sched's timeout handler) ends it */
  readonly hangs: boolean
}

export interface Buffer {
  readonly name: string
  readonly placement: Pool
  /** fences in its dma_resv at start */
  readonly fences: readonly number[]
  readonly lock: number
}

/**
 * The compiled step shapes, by op. Each op module (ops/) states its own shape here by declaration
 * merging (`declare module '../types.js' { interface StepVariants { ... } }`), so a new primitive
 * is one new file and one registry line (ops/index.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StepVariants {}
/** `branch`: the number of steps placed right after this one that only its failure (its `else:` list,
 * or the `then:` of an `if:`) runs; the last of them is the branch's `else_end` (ops/branch.ts). */
export type Step = { readonly where: readonly (string | number)[]; readonly userFault?: boolean; readonly branch?: number } & StepVariants[keyof StepVariants]
export type StepOf<K extends Step['op']> = Extract<Step, { readonly op: K }>

export interface Thread {
  readonly name: string
  readonly context: ThreadContext
  /** a fence callback's steps (context 'callback'): the fence it runs on */
  readonly callbackOn?: number
  /** the whole path is a dma_fence signalling path (run_job, completion workers, preempt workers) */
  readonly signalling: boolean
  readonly steps: readonly Step[]
  /** where the path came from: a library path name, or 'custom' */
  readonly origin: string
  /** a worker re-armed for every event: after its last step it starts over (fault handlers,
   * restore workers); it exits when what it waits for can no longer happen */
  readonly repeat: boolean
  /** the path is the body of work item `work` (design.works), run by a worker of its queue */
  readonly work?: number
  /** the CPU the thread runs on (pinned: a per-CPU kthread, an interrupt handler); none: any CPU */
  readonly cpu?: number /** the process it belongs to (0 without processes:) */
  readonly process?: number
}

/** A workqueue (alloc_workqueue / alloc_ordered_workqueue, include/linux/workqueue.h). */
export interface Workqueue {
  readonly name: string
  /** how many of its work items may run at once (1: an ordered queue); 0: no bound */
  readonly maxActive: number
  /** WQ_MEM_RECLAIM: it has a rescuer thread (flush_work then touches the queue's lockdep map) */
  readonly memReclaim: boolean
}

/** A work item (INIT_WORK / INIT_DELAYED_WORK): its queue, and the thread that is its body. */
export interface Work {
  readonly name: string
  readonly queue: number
  /** index in design.threads of the path its callback runs */
  readonly thread: number
  /** queue_work_on(cpu, ...): every run of it is on this CPU */
  readonly cpu?: number
  /** some step queues it with a delay (queue_delayed_work): it has a timer */
  readonly delayed: boolean
}

/** A counting resource: N slots (ring space, event slots, IDs, a semaphore's count). */
export interface SlotPool {
  readonly name: string
  readonly slots: number
  /** slots free at start (default: all) */
  readonly free: number
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
  'gpu-access',
  'notifier-nonblock',
  'memory-progress',
  'might-sleep',
  'irq-safety',
  'hang-until-timeout',
  'data-survives',
  'page-conservation',
  'flush-dependency',
  'fault-attribution',
  'mm-lifetime',
  'lock-held',
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
  /** fence callbacks (their steps are threads of context 'callback') */
  readonly callbacks: readonly Callback[]
  readonly reclaim: readonly ReclaimPath[]
  /** static usage of each (buffer, fence) pair in the buffer's dma_resv */
  readonly usageOf: ReadonlyMap<string, Usage>
  readonly properties: readonly PropertyId[]
  /** the scenario listed its properties (otherwise every property that applies is checked) */
  readonly propertiesListed: boolean
  readonly policies: { readonly shrinker: string; readonly userptr: string; readonly syncobj: string }
  readonly pages: readonly Page[]
  readonly notifiers: readonly Notifier[]
  readonly ranges: readonly Range[]
  /** groups of interchangeable jobs (indices), declared by the scenario */
  readonly symmetry: readonly (readonly number[])[]
  /** the scenario's `progress:` goals: each a liveness property checked under weak fairness */
  readonly goals: readonly Goal[]
  /** violations the scenario accepts by policy (`policies: { timeout: accept }` accepts hang-until-timeout) */
  readonly accepted: readonly PropertyId[]
  readonly workqueues: readonly Workqueue[]
  readonly works: readonly Work[]
  readonly pools: readonly SlotPool[]
  /** CPUs (design level): 0 is unbounded, every actor always finds one */
  readonly cpus: number
  /** the declared processes (processes:); none: one implicit process */
  readonly processes?: readonly Process[]
}

/** A user-stated progress goal: an actor's event that must happen on every weakly fair run. */
export type Goal = { readonly kind: 'thread' | 'job' | 'fence' | 'work'; readonly index: number }

export const usageKey = (bo: number, fence: number): string => `${bo}:${fence}`
