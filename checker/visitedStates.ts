/**
 * The visited set of a search whose states fit in 63 bits (the layouts `exactFingerprints`
 * accepts: one word, or two words whose second leaves its top bit unused): the states themselves,
 * not fingerprints of them, in open-addressing, linear-probing tables of Uint32 pairs (8 bytes a
 * slot, as VisitedSet's). A slot holds (word 0, word 1 | 0x80000000); the set top bit marks it
 * occupied, so no state needs a special case and the all-zero slot is the empty one.
 *
 * What this saves over fingerprinting a state and storing the fingerprint: the three mixing
 * rounds of `fingerprint` per successor. The slot is found from one cheap 32-bit hash instead,
 * whose quality matters for probe lengths only: membership compares the whole state, so the set
 * is exact whatever the hash.
 *
 * As VisitedSet, the set is partitioned by the hash's top bits into SEGMENTS tables that grow on
 * their own, doubling at 3/4 load, so a growth step allocates 1/SEGMENTS of the set at a time.
 */
import { SegmentedTable, SHIFT } from './segmentedTable.js'

const OCCUPIED = 0x80000000

/** The 32-bit hash of a state (a, b): murmur3's finalizer of a + b * golden ratio. */
function hash(a: number, b: number): number {
  let h = (a + Math.imul(b, 0x9e3779b1)) | 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

export class VisitedStates extends SegmentedTable {
  protected home(a: number, t: number, mask: number): number {
    return hash(a, (t & ~OCCUPIED) >>> 0) & mask
  }

  /**
   * True if the state (a, b) is new and was inserted (b: the second word, 0 for a one-word state;
   * its top bit must be clear). Throws RangeError if a segment cannot grow.
   */
  add(a: number, b: number): boolean {
    const h = hash(a, b)
    const s = h >>> SHIFT
    const slots = this.segs[s]!
    const mask = this.masks[s]!
    const tag = (b | OCCUPIED) >>> 0
    let i = h & mask
    // Ends: a table always keeps an empty slot (3/4 load).
    for (;;) {
      const j = i << 1
      const t = slots[j + 1]!
      if (t === 0) {
        slots[j] = a
        slots[j + 1] = tag
        this.size++
        if (++this.sizes[s]! > this.limits[s]!) this.grow(s)
        return true
      }
      if (t === tag && slots[j] === a) return false
      i = (i + 1) & mask
    }
  }

  has(a: number, b: number): boolean {
    const h = hash(a, b)
    const s = h >>> SHIFT
    const slots = this.segs[s]!
    const mask = this.masks[s]!
    const tag = (b | OCCUPIED) >>> 0
    let i = h & mask
    for (let n = 0; n <= mask; n++) {
      const j = i << 1
      const t = slots[j + 1]!
      if (t === 0) return false
      if (t === tag && slots[j] === a) return true
      i = (i + 1) & mask
    }
    return false
  }
}
