/**
 * A visited set that also maps each fingerprint to the index of its state, for a search that
 * needs every edge's target index (a recorded graph): one probe a successor, instead of a probe
 * of the visited set and another of a separate fingerprint -> index table. A slot is three Uint32
 * (hi, lo, index), so a probe that finds a member reads its index from the same cache line.
 *
 * Partitioned as the visited set is (segmentedTable.ts): SEGMENTS open-addressing, linear-probing
 * tables selected by the fingerprint's top bits, each doubling on its own at 3/4 load, so a growth
 * step allocates 1/SEGMENTS of the set at a time. The all-zero fingerprint marks an empty slot, so
 * a real zero is stored as (0, 1), as in VisitedSet.
 */
import { MIN_SEGMENT, Segments, SEGMENTS, SHIFT } from './segmentedTable.js'

const STRIDE = 3

export class VisitedIndex extends Segments {
  /** `initialCapacity` slots in all, spread over the segments. */
  constructor(initialCapacity = 1 << 16) {
    super()
    let cap = MIN_SEGMENT
    while (cap * SEGMENTS < initialCapacity) cap <<= 1
    for (let s = 0; s < SEGMENTS; s++) this.setSegment(s, new Uint32Array(cap * STRIDE))
  }

  /** Add (hi, lo) as state `index` if new (then -1); otherwise the index it was added with. Throws RangeError if a segment cannot grow. */
  addOrGet(hi: number, lo: number, index: number): number {
    if (hi === 0 && lo === 0) lo = 1
    const s = hi >>> SHIFT
    const slots = this.segs[s]!
    const mask = this.masks[s]!
    let i = home(hi, lo, mask)
    // Ends: a table always keeps an empty slot (3/4 load).
    for (;;) {
      const j = i * STRIDE
      const h = slots[j]!
      const l = slots[j + 1]!
      if (h === 0 && l === 0) {
        slots[j] = hi
        slots[j + 1] = lo
        slots[j + 2] = index
        this.size++
        if (++this.sizes[s]! > this.limits[s]!) this.grow(s)
        return -1
      }
      if (h === hi && l === lo) return slots[j + 2]!
      i = (i + 1) & mask
    }
  }

  private setSegment(s: number, slots: Uint32Array): void {
    const cap = slots.length / STRIDE
    this.segs[s] = slots
    this.masks[s] = cap - 1
    // Grow when the load would pass 3/4.
    this.limits[s] = Math.floor((cap * 3) / 4)
  }

  private grow(s: number): void {
    const old = this.segs[s]!
    const cap = (old.length / STRIDE) * 2
    const slots = new Uint32Array(cap * STRIDE)
    const mask = cap - 1
    for (let j = 0; j < old.length; j += STRIDE) {
      const hi = old[j]!
      const lo = old[j + 1]!
      if (hi === 0 && lo === 0) continue
      // The new table is twice as large as the old one, which was at most 3/4 full: this ends.
      let i = home(hi, lo, mask)
      while (slots[i * STRIDE] !== 0 || slots[i * STRIDE + 1] !== 0) i = (i + 1) & mask
      slots[i * STRIDE] = hi
      slots[i * STRIDE + 1] = lo
      slots[i * STRIDE + 2] = old[j + 2]!
    }
    this.setSegment(s, slots)
  }
}

/** The slot where probing for (hi, lo) starts in a table of mask + 1 slots (VisitedSet's). */
function home(hi: number, lo: number, mask: number): number {
  return (lo ^ Math.imul(hi, 0x9e3779b1)) & mask
}
