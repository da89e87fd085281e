/**
 * The visited set: 64-bit fingerprints in open-addressing, linear-probing tables of Uint32 pairs
 * (8 bytes a slot). The all-zero fingerprint marks an empty slot, so a real zero is stored as 1.
 *
 * The set is partitioned by the fingerprint's top bits into SEGMENTS tables (as TLC's MultiFPSet
 * partitions by its most significant bits). Each grows on its own, doubling at 3/4 load, so a
 * growth step allocates 1/SEGMENTS of the set at a time: no moment holds the old and the new copy
 * of the whole table, which keeps peak memory close to what is stored.
 */
import { MIN_SEGMENT, SegmentedTable, SEGMENTS, SHIFT } from './segmentedTable.js'

export { SEGMENTS } from './segmentedTable.js'

export class VisitedSet extends SegmentedTable {
  protected home(hi: number, lo: number, mask: number): number {
    return home0(hi, lo, mask)
  }

  /** The raw tables and their member counts, for checkpoints. */
  get tables(): { readonly segments: readonly Uint32Array[]; readonly sizes: readonly number[] } {
    return { segments: this.segs, sizes: Array.from(this.sizes) }
  }

  /**
   * A set from checkpointed tables. Refuses (RangeError) tables that break the set's invariants
   * (see segmentProblem) rather than trusting them: a probe over a table with no empty slot, or
   * with a slot count that is not a power of two, would never end.
   */
  static restore(segments: readonly Uint32Array[], sizes: readonly number[]): VisitedSet {
    if (segments.length !== SEGMENTS || sizes.length !== SEGMENTS) {
      throw new RangeError(`a visited set has ${SEGMENTS} segments, the checkpoint ${segments.length} (with ${sizes.length} sizes)`)
    }
    const v = new VisitedSet(MIN_SEGMENT * SEGMENTS)
    segments.forEach((seg, s) => {
      const problem = VisitedSet.segmentProblem(s, seg, sizes[s]!)
      if (problem !== undefined) throw new RangeError(`visited set segment ${s}: ${problem}`)
      v.setSegment(s, seg)
      v.sizes[s] = sizes[s]!
      v.size += sizes[s]!
    })
    return v
  }

  /**
   * Why `slots` cannot be segment s holding `size` members, or undefined if it can: its slot count
   * must be a power of two (at least the minimum), `size` must be its count of occupied slots and
   * within the 3/4 load the set keeps, every member must belong to segment s, and every member
   * must be reachable by linear probing from its home slot (no empty slot between them). One pass.
   */
  static segmentProblem(s: number, slots: Uint32Array, size: number): string | undefined {
    const cap = slots.length / 2
    if (!Number.isInteger(cap) || cap < MIN_SEGMENT || (cap & (cap - 1)) !== 0)
      return `${slots.length * 4} bytes is not a table of 2^k slots of 8 bytes (k >= 6)`
    if (!Number.isInteger(size) || size < 0 || size > Math.floor((cap * 3) / 4)) return `${size} members do not fit the 3/4 load of ${cap} slots`
    const mask = cap - 1
    let empty = -1
    let occupied = 0
    for (let i = 0; i < cap; i++) {
      if (slots[i << 1] === 0 && slots[(i << 1) + 1] === 0) empty = i
      else occupied++
    }
    if (occupied !== size) return `${occupied} occupied slots, but ${size} members recorded`
    if (empty < 0) return 'no empty slot'
    // Walk once round from just after an empty slot: each run of occupied slots starts at `run`,
    // and every member of a run must have its home slot inside the run, at or before the member.
    let run = 0
    for (let k = 0; k < cap; k++) {
      const i = (empty + 1 + k) & mask
      const hi = slots[i << 1]!
      const lo = slots[(i << 1) + 1]!
      if (hi === 0 && lo === 0) {
        run = k + 1
        continue
      }
      if (hi >>> SHIFT !== s) return `slot ${i} holds a fingerprint of segment ${hi >>> SHIFT}`
      const home = (home0(hi, lo, mask) - empty - 1) & mask
      if (home < run || home > k) return `slot ${i} holds a fingerprint that probing from its home slot cannot reach`
    }
    return undefined
  }

  /** True if (hi, lo) is new and was inserted. Throws RangeError if a segment cannot grow. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1
    const s = hi >>> SHIFT
    const slots = this.segs[s]!
    const mask = this.masks[s]!
    let i = home0(hi, lo, mask)
    // Ends: a table always keeps an empty slot (3/4 load; restore refuses tables without one).
    for (;;) {
      const j = i << 1
      const h = slots[j]!
      const l = slots[j + 1]!
      if (h === 0 && l === 0) {
        slots[j] = hi
        slots[j + 1] = lo
        this.size++
        if (++this.sizes[s]! > this.limits[s]!) this.grow(s)
        return true
      }
      if (h === hi && l === lo) return false
      i = (i + 1) & mask
    }
  }

  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1
    const s = hi >>> SHIFT
    const slots = this.segs[s]!
    const mask = this.masks[s]!
    let i = home0(hi, lo, mask)
    for (let n = 0; n <= mask; n++) {
      const j = i << 1
      const h = slots[j]!
      const l = slots[j + 1]!
      if (h === 0 && l === 0) return false
      if (h === hi && l === lo) return true
      i = (i + 1) & mask
    }
    throw new Error(`visited set segment ${s} has no empty slot (its table is corrupt)`)
  }
}

/** The slot where probing for (hi, lo) starts in a table of mask + 1 slots. */
function home0(hi: number, lo: number, mask: number): number {
  return (lo ^ Math.imul(hi, 0x9e3779b1)) & mask
}

/**
 * A visited set that also maps each fingerprint to the index of its state: one probe per successor
 * where a search needs the index of every edge's target (a recorded graph), instead of a probe of
 * the set and another of a separate fingerprint -> index table. The same segments and probing as
 * VisitedSet; each segment has a parallel array of indices. Members are added by addOrGet only
 * (VisitedSet's add would leave a member without its index).
 */
export class VisitedIndex extends VisitedSet {
  private readonly idx: Uint32Array[] = []

  constructor(initialCapacity = 1 << 16) {
    super(initialCapacity)
    for (let s = 0; s < SEGMENTS; s++) this.idx[s] = new Uint32Array(this.segs[s]!.length >>> 1)
  }

  override get bytes(): number {
    let n = super.bytes
    for (const a of this.idx) n += a.byteLength
    return n
  }

  /** Bytes one growth step may allocate: a segment twice the largest, with its indices. */
  override get growthBytes(): number {
    return (super.growthBytes * 3) / 2
  }

  /** Add (hi, lo) as state `index` if new (then -1); otherwise the index it was added with. Throws RangeError if a segment cannot grow. */
  addOrGet(hi: number, lo: number, index: number): number {
    if (hi === 0 && lo === 0) lo = 1
    const s = hi >>> SHIFT
    const slots = this.segs[s]!
    const mask = this.masks[s]!
    let i = home0(hi, lo, mask)
    for (;;) {
      const j = i << 1
      const h = slots[j]!
      const l = slots[j + 1]!
      if (h === 0 && l === 0) {
        slots[j] = hi
        slots[j + 1] = lo
        this.idx[s]![i] = index
        this.size++
        if (++this.sizes[s]! > this.limits[s]!) this.grow(s)
        return -1
      }
      if (h === hi && l === lo) return this.idx[s]![i]!
      i = (i + 1) & mask
    }
  }

  /** The index of (hi, lo), or -1. */
  indexOf(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1
    const s = hi >>> SHIFT
    const slots = this.segs[s]!
    const mask = this.masks[s]!
    let i = home0(hi, lo, mask)
    for (let n = 0; n <= mask; n++) {
      const j = i << 1
      const h = slots[j]!
      const l = slots[j + 1]!
      if (h === 0 && l === 0) return -1
      if (h === hi && l === lo) return this.idx[s]![i]!
      i = (i + 1) & mask
    }
    throw new Error(`visited set segment ${s} has no empty slot (its table is corrupt)`)
  }

  protected override grow(s: number): void {
    const old = this.segs[s]!
    const oldIdx = this.idx[s]!
    const slots = new Uint32Array(old.length * 2)
    const idx = new Uint32Array(old.length)
    const mask = old.length - 1
    for (let j = 0; j < old.length; j += 2) {
      const w0 = old[j]!
      const w1 = old[j + 1]!
      if (w0 === 0 && w1 === 0) continue
      let i = home0(w0, w1, mask)
      while (slots[i << 1] !== 0 || slots[(i << 1) + 1] !== 0) i = (i + 1) & mask
      slots[i << 1] = w0
      slots[(i << 1) + 1] = w1
      idx[i] = oldIdx[j >>> 1]!
    }
    this.idx[s] = idx
    this.setSegment(s, slots)
  }
}
