/**
 * How a GPU state is read: the value encodings of its fields, the layout fields a compiled design
 * has (GpuFields), what each rule is (RuleMeta), and the view properties, the wait-for graph and
 * reports interpret states through (GpuView). It depends on nothing but the design's types, so the
 * compiler, the op modules and the properties can all import it without importing each other.
 */
import type { Field, StateLayout } from '../../checker/layout.js'
import type { Action, Reader, Rule } from '../../checker/model.js'
import type { GpuDesign, LockMode, Step } from './types.js'

// Value encodings.
export const FS = { pending: 0, signalled: 1, error: 2 } as const
export const JS = { idle: 0, queued: 1, ready: 2, running: 3, preempted: 4, suspended: 5, done: 6 } as const
/** a buffer's placement; swapped: in swap (ttm_tt_swapout), its pages freed (ops/swap.ts) */
export const PLACE = { vram: 0, system: 1, swapped: 2 } as const
/** a page's residency: absent, system memory, or the VRAM of device (engine) e: PAGE.vram + e */
export const PAGE = { none: 0, system: 1, vram: 2 } as const
/** the residency value of device e's VRAM, and whether a value is device-private memory */
export const vramOf = (e: number): number => PAGE.vram + e
export const isVram = (v: number): boolean => v >= PAGE.vram
export const PTE = { invalid: 0, valid: 1, stale: 2 } as const

/** Which actor a rule belongs to, and what it does: metadata the properties and reports read. */
export interface RuleMeta {
  readonly actor: { readonly kind: 'thread' | 'job' | 'fence'; readonly index: number }
  /** the step being executed (thread rules) */
  readonly step?: Step
  /** 'path' step index, 'reclaim' step index in the flattened reclaim list, or 'notifier' step
   * index in the callback list of the invalidation the thread is running */
  readonly frame?: 'path' | 'reclaim' | 'notifier'
  readonly at?: number
  /** what the rule does, e.g. 'acquire', 'wait_return', 'signal', 'job_complete' */
  readonly does: string
  /** fences this rule signals or errors */
  readonly signals?: number
  /** lock acquired by this rule (with mode) */
  readonly acquires?: { readonly lock: number; readonly mode: LockMode }
  /** true for userspace's own choices (completing user-queue work); excluded from dma_fence progress */
  readonly userspace?: boolean
  /** notifier-frame rules: the invalidation they run in */
  readonly site?: Site
}

/** An invalidate step (in a path or in reclaim) and the notifier callbacks it calls, in order. */
export interface Site {
  readonly thread: number
  readonly frame: 'path' | 'reclaim'
  readonly at: number
  /** the invalidation: an invalidate step, or the MMU_NOTIFY_MIGRATE range a migrate_vma_setup opens */
  readonly step: Extract<Step, { op: 'invalidate' }>
  /** the step at the site's position: the invalidate step itself, or the migrate_vma_setup */
  readonly caller: Step
  /** the callbacks' steps, concatenated */
  readonly steps: readonly Step[]
  /** for each step, one past the end of its callback, and the notifier it belongs to */
  readonly segEnd: readonly number[]
  readonly segNotifier: readonly number[]
  /** locks held by the callback at each step (the outer frame's plus its own) */
  readonly held: readonly (readonly Held[])[]
}

/**
 * A field this design may lack: -1 when it is absent (test `>= 0` before reading it). It is a plain
 * number, as Field is, so the compiler does not tell the two apart: the name says which is meant.
 */
export type OptionalField = Field

export interface GpuFields {
  readonly pc: readonly Field[]
  readonly rpc: readonly OptionalField[]
  readonly rf: readonly OptionalField[]
  readonly sig: readonly Field[]
  readonly failed: readonly Field[]
  readonly owner: readonly Field[]
  readonly readers: readonly OptionalField[]
  readonly fs: readonly Field[]
  readonly en: readonly Field[]
  readonly pub: readonly Field[]
  readonly px: readonly OptionalField[]
  readonly js: readonly Field[]
  readonly pf: readonly OptionalField[]
  readonly fdone: readonly OptionalField[]
  readonly jd: readonly OptionalField[]
  readonly place: readonly Field[]
  readonly resv: readonly Field[]
  readonly vram: Field
  readonly system: Field
  // memory side
  readonly pageAt: readonly Field[]
  /** pte[range][k]: the PTE of the range's k-th page */
  readonly pte: readonly (readonly Field[])[]
  /** pfn[thread][page]: the pfn hmm_range_fault returned still names the page's generation */
  readonly pfn: readonly (readonly OptionalField[])[]
  /** snap[thread][notifier]: the seq read_begin returned is still the notifier's */
  readonly snap: readonly (readonly OptionalField[])[]
  /** set_seq was called during the current odd period of the mm's seq */
  readonly inval: readonly Field[]
  /** invalidations in flight (the mm's seq is odd while it is above zero) */
  readonly active: OptionalField
  readonly npc: readonly OptionalField[]
  readonly exiting: OptionalField
  /** fields op modules declared for themselves, by name (work.W, timer.W, pool.P) */
  readonly extra: Readonly<Record<string, number>>
  // derived
  readonly usedCU: readonly Field[]
  readonly hmmCU: readonly Field[]
  readonly anyFault: Field
}

/** Everything properties, the wait-for graph and reports need to interpret a state. */
export interface GpuView {
  readonly design: GpuDesign
  readonly f: GpuFields
  /** values in a decoded state (stored fields and derived values): the keys of memos over states (checker/readMemo.ts) */
  readonly slots: number
  /** each stored field's range, which sizes the nodes of those memos' tries */
  readonly ranges: Pick<StateLayout, 'fieldCount' | 'minOf' | 'maxOf'>
  /** fields op modules declared for themselves, by name (Fields.extra) */
  readonly extra: Readonly<Record<string, number>>
  readonly rules: readonly Rule<Action>[]
  readonly meta: ReadonlyMap<Action, RuleMeta>
  /** flattened reclaim steps; segment boundaries in reclaimSegEnd */
  readonly reclaimSteps: readonly Step[]
  /** for each flattened reclaim step, the index one past the end of its segment */
  readonly reclaimSegEnd: readonly number[]
  readonly reclaimSegName: readonly string[]
  /** locks held by thread t's path at each step (static), with modes */
  readonly pathHeld: readonly (readonly Held[])[][]
  readonly reclaimHeld: readonly (readonly Held[])[]
  /** rule indices per actor, for "is this actor blocked?" */
  readonly actorRules: { readonly thread: readonly number[][]; readonly job: readonly number[][]; readonly fence: readonly number[][] }
  /** dependencies (static) of each fence's signaller */
  readonly fenceDeps: readonly (readonly number[])[]
  /** the proxy source of a fence made by syncobj_proxy, or -1 */
  readonly proxyOf: readonly number[]
  /** locks a thread may hold at a fence wait (over all paths), for the signalling rules */
  readonly heldAtWait: ReadonlySet<number>
  /** locks taken on the signalling path of each fence (for rule 4) and whether it may reclaim */
  readonly signalPathLocks: readonly ReadonlySet<number>[]
  readonly signalPathReclaims: readonly boolean[]
  /** 0/1 per thread: does it wait on fences inside a wait-allowed context by its declaration */
  readonly criticalContext: readonly boolean[]
  /** preemptOff[t][i]: thread t runs step i with preemption off, keeping its CPU */
  readonly preemptOff: readonly (readonly boolean[])[]
  /** invalidation sites per thread, by frame and step index */
  readonly sites: readonly Site[]
  /** the step thread t is at (innermost frame), and a label for the frame */
  stepAt(s: Reader, t: number): { step: Step | undefined; where: string; site?: Site }
  /** a repeating worker waiting at its first step for work: idle, neither blocked nor running */
  idle(s: Reader, t: number): boolean
  heldBy(s: Reader, t: number): number[]
  depsOf(s: Reader, j: number): number[]
  /** timeouts: 'ignore' counts a thread whose only way on is a bounded wait's timeout as blocked (waitFor.ts) */
  waitFor(s: Reader, opts?: { readonly timeouts?: 'escape' | 'ignore' }): WaitForGraph
}

export interface Held {
  readonly lock: number
  readonly mode: LockMode
}

export type NodeId = string

export interface WaitNode {
  readonly id: NodeId
  readonly label: string
  mode: 'all' | 'any'
  readonly targets: NodeId[]
  /** why it waits on its targets, one phrase per target (same order) */
  readonly why: string[]
  /** actors only: it has an enabled rule */
  active: boolean
  /** actors only: it is waiting (not finished, nothing enabled) */
  blocked: boolean
  live: boolean
}

export interface WaitForGraph {
  readonly nodes: ReadonlyMap<NodeId, WaitNode>
  /** blocked actors that can never move again */
  readonly stuck: readonly NodeId[]
  /** the cycle (or chain to a dead end) starting at the first stuck actor */
  readonly cycle: readonly NodeId[]
  readonly cycleIsLoop: boolean
  describe(): string[]
  /** DOT source of the graph (stuck nodes and the cycle highlighted) */
  toDot(): string
}

/** a site's label in rule actions: its path step, or its reclaim step */
export const siteLabel = (x: Site): string => (x.frame === 'path' ? `${x.at + 1}` : `reclaim:${x.at + 1}`)

/** One id per index, made once (the graph is built in many states; its ids are the same in each). */
const ids = (kind: string): ((i: number) => NodeId) => {
  const made: NodeId[] = []
  return (i) => made[i] ?? (made[i] = `${kind}:${i}`)
}

/** Node ids of the wait-for graph. */
export const nodeId = {
  thread: ids('thread'),
  job: ids('job'),
  fence: ids('fence'),
  lock: ids('lock'),
  engine: ids('engine'),
}
