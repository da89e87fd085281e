/**
 * The storage both visited sets share (visitedSet.ts: fingerprints; visitedStates.ts: the states
 * themselves): open-addressing, linear-probing tables of Uint32 pairs (8 bytes a slot), an all-zero
 * pair being the empty slot. The set is partitioned by a hash's top bits into SEGMENTS tables (as
 * TLC's MultiFPSet partitions by its most significant bits). Each grows on its own, doubling at 3/4
 * load, so a growth step allocates 1/SEGMENTS of the set at a time: no moment holds the old and the
 * new copy of the whole table, which keeps peak memory close to what is stored.
 *
 * A subclass keeps its own probes (`add`, `has`: the hottest code there is) and says where a pair's
 * probe starts (`home`), which growing needs.
 */
const SEGMENT_BITS = 6
export const SEGMENTS = 1 << SEGMENT_BITS
/** a 32-bit hash's segment: hash >>> SHIFT */
export const SHIFT = 32 - SEGMENT_BITS
export const MIN_SEGMENT = 64

/**
 * What every segmented table keeps per segment (its slots, mask, members and growth limit), and
 * the statistics read from them; visitedSet.ts and visitedStates.ts through SegmentedTable, and
 * visitedIndex.ts (three-word slots) directly. Each keeps its own probes and growth.
 */
export abstract class Segments {
  protected readonly segs: Uint32Array[] = []
  protected readonly masks = new Int32Array(SEGMENTS)
  protected readonly sizes = new Int32Array(SEGMENTS)
  protected readonly limits = new Int32Array(SEGMENTS)
  size = 0

  /** slots in all segments */
  get capacity(): number {
    let n = 0
    for (let s = 0; s < SEGMENTS; s++) n += this.masks[s]! + 1
    return n
  }

  get bytes(): number {
    let n = 0
    for (const seg of this.segs) n += seg.byteLength
    return n
  }

  /** Bytes one growth step may allocate: twice the largest segment. */
  get growthBytes(): number {
    let n = 0
    for (const seg of this.segs) n = Math.max(n, seg.byteLength)
    return n * 2
  }

  /** Members of segment s (for tests and statistics). */
  segmentLoad(s: number): { size: number; capacity: number } {
    return { size: this.sizes[s]!, capacity: this.masks[s]! + 1 }
  }
}

export abstract class SegmentedTable extends Segments {
  /** `initialCapacity` slots in all, spread over the segments. */
  constructor(initialCapacity = 1 << 16) {
    super()
    let cap = MIN_SEGMENT
    while (cap * SEGMENTS < initialCapacity) cap <<= 1
    for (let s = 0; s < SEGMENTS; s++) this.setSegment(s, new Uint32Array(cap * 2))
  }

  /** The slot where probing for the pair (w0, w1) starts in a table of mask + 1 slots. */
  protected abstract home(w0: number, w1: number, mask: number): number

  protected setSegment(s: number, slots: Uint32Array): void {
    const cap = slots.length / 2
    this.segs[s] = slots
    this.masks[s] = cap - 1
    // Grow when the load would pass 3/4.
    this.limits[s] = Math.floor((cap * 3) / 4)
  }

  protected grow(s: number): void {
    const old = this.segs[s]!
    const slots = new Uint32Array(old.length * 2)
    const mask = old.length - 1
    for (let j = 0; j < old.length; j += 2) {
      const w0 = old[j]!
      const w1 = old[j + 1]!
      if (w0 === 0 && w1 === 0) continue
      // The new table is twice as large as the old one, which was at most 3/4 full: this ends.
      let i = this.home(w0, w1, mask)
      while (slots[i << 1] !== 0 || slots[(i << 1) + 1] !== 0) i = (i + 1) & mask
      slots[i << 1] = w0
      slots[(i << 1) + 1] = w1
    }
    this.setSegment(s, slots)
  }
}
