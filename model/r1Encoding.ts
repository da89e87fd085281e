/** R1's value encodings and state fields, shared by its rules (r1.ts) and its generated successors (r1Successors.ts). */
export const POLICIES = ['naive', 'reserve', 'preempt', 'skip'] as const
export type Policy = (typeof POLICIES)[number]

// Value encodings (indices into the enum declarations below).
export const GST = { Q: 0, R: 1, D: 2 } as const
export const BO = { RES: 0, EVI: 1 } as const
export const KST = { Q: 0, RUN: 1, FLT: 2, WAIT: 3, OK: 4, DONE: 5, FAIL: 6 } as const

export interface R1Fields {
  readonly free: number
  readonly gst: readonly number[]
  readonly bo: readonly number[]
  readonly kst: readonly number[]
  readonly cu: readonly number[]
  readonly wt: readonly number[]
  /** derived: #{g : gst[g] = R} + #{k : cu[k] = 1} */
  readonly usedC: number
  /** derived: #{k : cu[k] = 1} */
  readonly compC: number
  /** derived: ∃g: bo[g]=RES ∧ gst[g]=D (a signalled, still resident BO that eviction can take) */
  readonly evictable: number
  /** derived: ∃g: bo[g]=RES */
  readonly anyResident: number
}
