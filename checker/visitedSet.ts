/**
 * The visited set: 64-bit fingerprints in an open-addressing, linear-probing table of Uint32 pairs
 * (8 bytes a slot). The all-zero fingerprint marks an empty slot, so a real zero is stored as 1.
 * The table doubles at 3/4 load. Allocation failure is reported, not thrown, so the explorer can
 * stop at its memory bound with an inconclusive verdict instead of crashing.
 */
export class VisitedSet {
  private slots: Uint32Array
  private mask: number
  size = 0

  constructor(initialCapacity = 1 << 16) {
    let cap = 1 << 10
    while (cap < initialCapacity) cap <<= 1
    this.slots = new Uint32Array(cap * 2)
    this.mask = cap - 1
  }

  get capacity(): number {
    return this.mask + 1
  }

  /** the size at which the next insertion doubles the table */
  get growAt(): number {
    return Math.floor(((this.mask + 1) * 3) / 4) + 1
  }

  get bytes(): number {
    return this.slots.byteLength
  }

  /** Bytes the next growth step would allocate (the old table lives on while rehashing). */
  get growthBytes(): number {
    return this.slots.byteLength * 2
  }

  /** The raw table, for checkpoints. */
  get table(): Uint32Array {
    return this.slots
  }

  /** A set from a checkpointed table (its length a power of two times 2) and its member count. */
  static restore(slots: Uint32Array, size: number): VisitedSet {
    const v = new VisitedSet(1024)
    v.slots = slots
    v.mask = slots.length / 2 - 1
    v.size = size
    return v
  }

  /** True if (hi, lo) is new and was inserted. Throws RangeError if growing fails. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1
    const slots = this.slots
    const mask = this.mask
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    for (;;) {
      const j = i << 1
      const h = slots[j]!
      const l = slots[j + 1]!
      if (h === 0 && l === 0) {
        slots[j] = hi
        slots[j + 1] = lo
        if (++this.size * 4 > (mask + 1) * 3) this.grow()
        return true
      }
      if (h === hi && l === lo) return false
      i = (i + 1) & mask
    }
  }

  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1
    const slots = this.slots
    const mask = this.mask
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    for (;;) {
      const j = i << 1
      const h = slots[j]!
      const l = slots[j + 1]!
      if (h === 0 && l === 0) return false
      if (h === hi && l === lo) return true
      i = (i + 1) & mask
    }
  }

  private grow(): void {
    const old = this.slots
    const cap = (this.mask + 1) * 2
    const slots = new Uint32Array(cap * 2)
    const mask = cap - 1
    for (let j = 0; j < old.length; j += 2) {
      const hi = old[j]!
      const lo = old[j + 1]!
      if (hi === 0 && lo === 0) continue
      let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
      while (slots[i << 1] !== 0 || slots[(i << 1) + 1] !== 0) i = (i + 1) & mask
      slots[i << 1] = hi
      slots[(i << 1) + 1] = lo
    }
    this.slots = slots
    this.mask = mask
  }
}
