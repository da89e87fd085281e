/**
 * What one step primitive of the scenario language is, in one place: how it is written (its YAML
 * keys, their fields and JSON Schema), which names it references and in what role, the transition
 * rules it compiles to, what a blocked instance waits on, what lockdep records for it, whether it
 * may sleep, how it reads in traces, and the kernel function it models. Every module under ops/
 * exports one OpModule; ops/index.ts lists them, and the parser, compiler, wait-for graph,
 * symmetry, properties and docs iterate that list instead of switching on op names.
 *
 * A new primitive is one new file here plus one line in ops/index.ts. Its compiled step shape is
 * added to the Step union from its own file (declaration merging into StepVariants, types.ts).
 */
import type { LayoutBuilder } from '../../../checker/layout.js'
import type { Reader } from '../../../checker/model.js'
import type { StepCx } from '../context.js'
import type { ParseCx, Role } from '../parse.js'
import type { GpuDesign, Step } from '../types.js'
import type { GpuFields, GpuView, Held, RuleMeta, WaitNode } from '../view.js'

export type { Role } from '../parse.js'

/** A kernel function the primitive models, pinned to a release: `path: function @ v6.12`. */
export interface KernelCite {
  readonly path: string
  readonly fn: string
}
export const KERNEL = 'v6.12'
export const citeText = (c: KernelCite): string => `${c.path}: ${c.fn} @ ${KERNEL}`

/** A JSON Schema fragment (draft-07). */
export type Schema = Readonly<Record<string, unknown>>

/** One field a key takes besides its value (`else:`, `usage:`, `to:`). */
export interface Modifier {
  readonly doc: string
  readonly schema: Schema
  /** the modifier names something: resolved with ParseCx.mod */
  readonly role?: Role
}

/** One YAML key of the step language. */
export interface StepSyntax {
  readonly key: string
  readonly doc: string
  /** the key's value: what it names (role) and how an error calls it ('the lock'); none for a bare step */
  readonly arg?: { readonly role?: Role; readonly what: string; readonly schema: Schema }
  /** the step may be written as a bare name (`begin_signalling`) */
  readonly bare?: boolean
  readonly modifiers?: Readonly<Record<string, Modifier>>
  /** the step cannot run inside an MMU-notifier callback (it runs inside the CPU's invalidation) */
  readonly notInCallback?: boolean
  /** from the key's value and modifiers to compiled steps (a key may expand to several) */
  parse(px: ParseCx): Step[]
}

/** A later step of another thread that may unblock an actor: who submits, runs, resumes, signals. */
export type Provision =
  | { readonly kind: 'submit' | 'run' | 'serve_fault' | 'resume'; readonly job: number }
  | { readonly kind: 'signal'; readonly fence: number }
  /** frees a page of the pool (free, an eviction out of VRAM, a swap-out to disk) */
  | { readonly kind: 'free'; readonly pool: 'vram' | 'system' }
  | { readonly kind: 'queue'; readonly work: number }

/**
 * Something a step's rules may read or write besides its own thread's fields and the objects its
 * refs name: an object by role, a memory pool's free count, a field an op module declared for
 * itself (by its name in GpuFields.extra), the compute units of an engine (the jobs running on
 * it), or anything at all. Partial-order reduction (checker/por.ts) treats two rules that share
 * no place, or only read the places they share, as independent; test/checker/por.test.ts checks
 * every declared footprint against what the rules touch over whole state spaces.
 */
export type Place = (
  | { readonly role: Role; readonly index: number }
  | { readonly pool: 'vram' | 'system' }
  | { readonly extra: string }
  | { readonly engine: number }
  /** one field of an object: a fence's state (pending, signalled, error) or signalling-enabled
   * flag, a notifier's invalidation seq, a job's state, pending-fault or has-faulted flag, a
   * buffer's placement; or the
   * count of invalidations in flight (index 0) */
  | { readonly field: 'fs' | 'en' | 'inval' | 'js' | 'pf' | 'fdone' | 'place' | 'active'; readonly index: number }
  | { readonly all: true }
) & {
  /** only read, never written */
  readonly read?: true
}

/** The wait-for graph's view of one blocked thread at a step of this op. */
export interface WaitCx {
  readonly v: GpuView
  readonly s: Reader
  readonly t: number
  readonly n: WaitNode
  /** ' (in reclaim: ...)' or ' (in notifier ...)' or '' */
  readonly where: string
  edge: (to: string, why: string) => void
  fenceName: (i: number) => string
  /** does step x provide what is waited for (the registry answers) */
  provides: (x: Step, want: Provision) => boolean
  /** can thread o still run a step that provides it: a step at or after its pc (any step of a
   * repeating worker, which starts over), a reclaim step it may still enter, a notifier callback
   * of an invalidation it has still to run */
  willProvide: (o: number, want: Provision) => boolean
}

/** What lockdep and might_sleep() see of a rule of this op (properties/gpu.ts). */
export interface LockdepFacts<S extends Step = Step> {
  /** lockdep records acquire dependencies for this step's acquisitions (default yes; a trylock records none) */
  ordersAcquire?(step: S): boolean
  /** the rule is annotated as a dma_fence wait (__dma_fence_might_wait): held locks order before dma_fence_map */
  fenceWait?(step: S, m: RuleMeta): boolean
  /** the rule may sleep (might_sleep()): forbidden in a non-blockable invalidation */
  sleeps?(step: S, m: RuleMeta): boolean
  /** the rule makes a notifier callback return false: allowed only in a non-blockable invalidation */
  returnsFalse?(step: S, m: RuleMeta): boolean
  /** lockdep maps the rule acquires, in order: nested (each kept while the next is taken: a work
   * item's queue then work map, process_one_work) or touched one after the other (acquired and
   * released at once: touch_work_lockdep_map, then touch_wq_lockdep_map in start_flush_work) */
  maps?(d: GpuDesign, step: S, m: RuleMeta): { readonly names: readonly string[]; readonly nested: boolean }
  /** lockdep maps the thread touches when it arrives at this step, in the state it arrives in,
   * before it can block there: start_flush_work touches the work's map (and its queue's) only when
   * the work is queued or running, __flush_workqueue its queue's map always (kernel/workqueue.c) */
  touchesAt?(d: GpuDesign, f: GpuFields, s: Reader, step: S): readonly string[]
  /** the rule runs might_alloc(gfp) (mm/page_alloc.c: prepare_alloc_pages @ v6.12) with a gfp that may
   * direct-reclaim: lockdep acquires fs_reclaim (only with __GFP_FS) and the mmu_notifier map,
   * whether or not memory is short */
  mightReclaim?(step: S, m: RuleMeta): { readonly fs: boolean } | undefined
  /** a thread at this step blocks on the lock while it is taken; lockdep records the acquisition
   * when it is attempted (lock_acquire runs before the task sleeps), so even a wait that never ends
   * records its dependencies */
  blocksOn?(step: S): { readonly lock: number; readonly mode: 'read' | 'write' } | undefined
}

/** A top-level section of a GPU design that a module reads (workqueues:, work:, pools:, cpus:),
 * as the language reference documents it. */
export interface SectionDoc {
  readonly key: string
  readonly doc: string
  /** its fields (for a list of objects), each with what it means */
  readonly fields?: Readonly<Record<string, string>>
}

export interface OpModule<S extends Step = Step> {
  /** design sections the module's steps name things from, for the reference */
  readonly sections?: readonly SectionDoc[]
  /** the compiled ops this module owns (Step['op'] values) */
  readonly ops: readonly S['op'][]
  /** the YAML keys it reads; a key may expand to steps of other modules (submit, user_fault) */
  readonly syntax: readonly StepSyntax[]
  /** the fields of its compiled steps that name something, by role */
  readonly refs: Readonly<Record<string, Readonly<Record<string, Role>>>>
  readonly cite: readonly KernelCite[]
  /** layout fields the op needs beyond the core ones (declared once per design) */
  fields?(b: LayoutBuilder, d: GpuDesign): Readonly<Record<string, number>>
  /** what its rules touch beyond its thread and the objects its refs name (default: nothing
   * more); the refs themselves always count, read and written, so a new op cannot forget them */
  footprint?(d: GpuDesign, step: S, m: RuleMeta): readonly Place[]
  /** how one of the step's rules uses the objects its refs name: only reads them, or touches none
   * of them (default: reads and writes them); the footprint oracle (test/checker/por.test.ts)
   * checks it as it checks every footprint */
  refAccess?(step: S, m: RuleMeta): 'read' | 'none' | undefined
  /** the transition rules of one instance of the step */
  rules(k: StepCx, step: S): void
  /** a blocked instance: what it waits for (edges in the wait-for graph) */
  waitsOn?(w: WaitCx, step: S): void
  /** fences a blocked instance waits on (for the rules about waits in critical sections) */
  pendingFences?(v: GpuView, s: Reader, step: S): number[]
  /** locks it takes and releases along a straight-line path (static held sets) */
  takes?(step: S): Held | undefined
  releases?(step: S): number | undefined
  /** a step that takes a lock its path already holds blocks on itself for ever: the model runs it
   * and reports the self-deadlock and lockdep's recursion (a mutex is not recursive), instead of
   * the path check refusing it as recursive locking (FC185) */
  selfDeadlocks?(step: S): boolean
  /** it may enter direct reclaim */
  reclaims?(step: S): boolean
  /** what it does that another blocked actor may wait for */
  provides?(step: S): readonly Provision[]
  /** the step puts its thread on a fence's signalling path: the whole path (run_job of a job) or
   * the steps before it (a thread that signals the fence) */
  signalPath?(d: GpuDesign, step: S): { readonly fence: number; readonly whole: boolean } | undefined
  /** it creates a dma_fence (a later hmm wait under locks is then rule 6) */
  createsDma?(d: GpuDesign, step: S): boolean
  readonly lockdep?: LockdepFacts<S>
  /** its steps cannot run inside reclaim (they belong to a scheduler or fault handler) */
  readonly notInReclaim?: boolean
  /** a lock the path must hold at this step (TTM evicts under the buffer's dma_resv) */
  needsHeld?(d: Pick<GpuDesign, 'buffers'>, step: S): { readonly lock: number; readonly why: string } | undefined
  /** a lock the kernel function asserts its caller holds, in any mode (lockdep_assert_held: a WARN
   * when current does not hold it): running the step without it violates lock-held */
  assertsHeld?(d: GpuDesign, step: S): { readonly lock: number; readonly what: string } | undefined
  /** check the step against the earlier steps of its straight-line path (links, prerequisites);
   * returns the step as linked */
  link?(steps: readonly Step[], k: number, who: string, d: Pick<GpuDesign, 'ranges'>): S
  /** the step waits on fences (statically: locks held here are held at a fence wait) */
  waitsOnFences?(step: S): boolean
  /** what the module is, for the language reference (an op reached through other keys' fields, such as else_end) */
  readonly doc?: string
  /** the first step of a repeating worker: is the worker idle here (nothing queued for it)? default yes */
  idleAt?(f: GpuFields, s: Reader, step: S): boolean
  /** the step disables ('off': preempt_disable, spin_lock) or re-enables ('on') preemption */
  preempt?(step: S): 'off' | 'on' | undefined
  /** values of its own fields in the initial state (fields it declared with fields()) */
  init?(d: GpuDesign, extra: Readonly<Record<string, number>>, state: Int32Array): void
  /** how the step reads in traces and `explain` */
  text(d: GpuDesign, step: S): string
}

/** Name lookups a text needs. */
export const names = (d: GpuDesign) => ({
  L: (i: number): string => d.locks[i]!.name,
  F: (i: number): string => `${d.fences[i]!.kind === 'hmm' ? 'hmm_fence' : 'dma_fence'} ${d.fences[i]!.name}`,
  J: (i: number): string => d.jobs[i]!.name,
  B: (i: number): string => d.buffers[i]!.name,
  R: (i: number): string => `range ${d.ranges[i]!.name}`,
  uf: (s: Step): string => (s.userFault ? ' [copy_from_user]' : ''),
})
