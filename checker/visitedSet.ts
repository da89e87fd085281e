/**
 * The visited set: 64-bit fingerprints in open-addressing, linear-probing tables of Uint32 pairs
 * (8 bytes a slot). The all-zero fingerprint marks an empty slot, so a real zero is stored as 1.
 *
 * The set is partitioned by the fingerprint's top bits into SEGMENTS tables (as TLC's MultiFPSet
 * partitions by its most significant bits). Each grows on its own, doubling at 3/4 load, so a
 * growth step allocates 1/SEGMENTS of the set at a time: no moment holds the old and the new copy
 * of the whole table, which keeps peak memory close to what is stored.
 */
const SEGMENT_BITS = 6
export const SEGMENTS = 1 << SEGMENT_BITS
const SHIFT = 32 - SEGMENT_BITS
const MIN_SEGMENT = 64

export class VisitedSet {
  private readonly segs: Uint32Array[] = []
  private readonly masks = new Int32Array(SEGMENTS)
  private readonly sizes = new Int32Array(SEGMENTS)
  private readonly limits = new Int32Array(SEGMENTS)
  size = 0

  /** `initialCapacity` slots in all, spread over the segments. */
  constructor(initialCapacity = 1 << 16) {
    let cap = MIN_SEGMENT
    while (cap * SEGMENTS < initialCapacity) cap <<= 1
    for (let s = 0; s < SEGMENTS; s++) this.setSegment(s, new Uint32Array(cap * 2))
  }

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

  /** The raw tables and their member counts, for checkpoints. */
  get tables(): { readonly segments: readonly Uint32Array[]; readonly sizes: readonly number[] } {
    return { segments: this.segs, sizes: Array.from(this.sizes) }
  }

  /** A set from checkpointed tables. */
  static restore(segments: readonly Uint32Array[], sizes: readonly number[]): VisitedSet {
    if (segments.length !== SEGMENTS) throw new RangeError(`a visited set has ${SEGMENTS} segments, the checkpoint ${segments.length}`)
    const v = new VisitedSet(MIN_SEGMENT * SEGMENTS)
    segments.forEach((seg, s) => {
      v.setSegment(s, seg)
      v.sizes[s] = sizes[s]!
      v.size += sizes[s]!
    })
    return v
  }

  /** True if (hi, lo) is new and was inserted. Throws RangeError if a segment cannot grow. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1
    const s = hi >>> SHIFT
    const slots = this.segs[s]!
    const mask = this.masks[s]!
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask
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
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask
    for (;;) {
      const j = i << 1
      const h = slots[j]!
      const l = slots[j + 1]!
      if (h === 0 && l === 0) return false
      if (h === hi && l === lo) return true
      i = (i + 1) & mask
    }
  }

  /** Members of segment s (for tests and statistics). */
  segmentLoad(s: number): { size: number; capacity: number } {
    return { size: this.sizes[s]!, capacity: this.masks[s]! + 1 }
  }

  private setSegment(s: number, slots: Uint32Array): void {
    const cap = slots.length / 2
    this.segs[s] = slots
    this.masks[s] = cap - 1
    // Grow when the load would pass 3/4.
    this.limits[s] = Math.floor((cap * 3) / 4)
  }

  private grow(s: number): void {
    const old = this.segs[s]!
    const cap = old.length
    const slots = new Uint32Array(cap * 2)
    const mask = cap - 1
    for (let j = 0; j < old.length; j += 2) {
      const hi = old[j]!
      const lo = old[j + 1]!
      if (hi === 0 && lo === 0) continue
      let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask
      while (slots[i << 1] !== 0 || slots[(i << 1) + 1] !== 0) i = (i + 1) & mask
      slots[i << 1] = hi
      slots[(i << 1) + 1] = lo
    }
    this.setSegment(s, slots)
  }
}
