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
