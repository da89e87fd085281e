/**
 * The visited set of a search whose states fit in 63 bits (the layouts `exactFingerprints`
 * accepts: one word, or two words whose second leaves its top bit unused): the states themselves,
 * not fingerprints of them, in a quotient table. Membership compares whole states, so the set is
 * exact whatever the hash.
 *
 * A state (a, b) (b: word 1, of `bBits` bits; 0 for one-word states) is first sent through a
 * bijection, x = fmix32(a ^ b * golden ratio), b unchanged. The top 6 bits of x choose one of
 * SEGMENTS tables, the next log2(capacity) bits the home slot in it; a slot stores only what the
 * position does not imply (the rest of x and all of b, the remainder) and how far the entry sits
 * past its home slot (linear probing, Robin Hood order: an entry never passes one closer to its
 * home, which keeps displacements short and ends a miss early). From a slot and its position the
 * whole (x, b) is rebuilt, and so the state, as the bijection is invertible.
 *
 * Two slot formats, chosen per table from its size: narrow (one Uint32: displacement + 1 in the
 * bits above the remainder) when the remainder has at most 26 bits, so at least 6 are left for
 * the displacement; wide (two Uint32s: b, then displacement + 1 in the top 16 bits and the rest
 * of x below) otherwise. R1's 50-bit states take 4 bytes a slot from 2^24 slots on, where a
 * fingerprint or a state pair took 8. A displacement that would not fit its field grows the table
 * (it is never truncated).
 *
 * Each table grows on its own, doubling at 3/4 load, so a growth step allocates 1/SEGMENTS of the
 * set at a time (as TLC's MultiFPSet partitions by its most significant bits).
 */
import { Segments, SEGMENTS } from './segmentedTable.js'

/** x >>> SEG_SHIFT is the table; the home slot takes the bits below. */
const SEG_SHIFT = 26
const MIN_BITS = 10
/** a table of 2^26 slots stores no bit of x */
const MAX_BITS = 26
/** the largest remainder a narrow slot holds */
const NARROW_REM = 26
const WIDE_UNIT = 0x10000
const WIDE_MAX = 0xffff
/** the entries of one home a one-pass doubling holds back */
const HELD = 256

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** A table's shape: 2^bits slots, narrow or wide. */
interface Shape {
  readonly bits: number
  readonly mask: number
  /** bits of x stored in a slot */
  readonly xb: number
  /** remainder bits: xb + bBits */
  readonly rb: number
  readonly narrow: boolean
  /** largest displacement + 1 a slot holds */
  readonly maxD1: number
  /** where displacement + 1 starts in the slot word (narrow: rb; wide: 16) */
  readonly shift: number
}

export class VisitedStates extends Segments {
  /** bits of word 1 (0 for one-word states) */
  readonly bBits: number
  private readonly bMask: number
  /** the same tables as Int32Arrays: the probe compares int32 words (no word past 2^31 becomes a double) */
  private readonly ints: Int32Array[] = []
  private readonly shapes: Shape[] = []
  // The hot path's copy of each table's shape.
  private readonly xbs = new Int32Array(SEGMENTS)
  private readonly rbs = new Int32Array(SEGMENTS)
  private readonly maxD1s = new Int32Array(SEGMENTS)
  private readonly narrow = new Uint8Array(SEGMENTS)

  /** `bBits`: the bits word 1 uses (0..31); `initialCapacity` slots in all, spread over the tables. */
  constructor(bBits = 31, initialCapacity = 1 << 16) {
    super()
    if (!Number.isInteger(bBits) || bBits < 0 || bBits > 31) throw new RangeError(`word 1 of a state has 0 to 31 bits, not ${bBits}`)
    this.bBits = bBits
    this.bMask = 2 ** bBits - 1
    let bits = MIN_BITS
    while ((1 << bits) * SEGMENTS < initialCapacity && bits < MAX_BITS) bits++
    for (let s = 0; s < SEGMENTS; s++) this.setSegment(s, this.shapeOf(bits))
  }

  private shapeOf(bits: number): Shape {
    const xb = SEG_SHIFT - bits
    const rb = xb + this.bBits
    const narrow = rb <= NARROW_REM
    return { bits, mask: (1 << bits) - 1, xb, rb, narrow, maxD1: narrow ? 2 ** (32 - rb) - 1 : WIDE_MAX, shift: narrow ? rb : 16 }
  }

  /**
   * A zeroed table of `length` words: the table a growth step last dropped if it has that length
   * (a dropped typed array stays resident until a full collection, and where narrow slots take
   * over from wide ones each table's successor has its predecessor's size), else a new one.
   */
  private table(length: number): Uint32Array {
    const spare = this.spare
    if (spare === undefined || spare.length !== length) return new Uint32Array(length)
    this.spare = undefined
    return spare.fill(0)
  }

  /** the last table a growth step dropped, if no growth has taken it since */
  private spare: Uint32Array | undefined

  private setSegment(s: number, shape: Shape, slots?: Uint32Array): void {
    const cap = 1 << shape.bits
    if (this.segs[s] !== undefined) this.spare = this.segs[s]
    this.segs[s] = slots ?? new Uint32Array(shape.narrow ? cap : cap * 2)
    this.ints[s] = new Int32Array(this.segs[s].buffer, this.segs[s].byteOffset, this.segs[s].length)
    this.shapes[s] = shape
    this.masks[s] = shape.mask
    this.xbs[s] = shape.xb
    this.rbs[s] = shape.rb
    this.maxD1s[s] = shape.maxD1
    this.narrow[s] = shape.narrow ? 1 : 0
    // Grow when the load would pass 3/4.
    this.limits[s] = Math.floor((cap * 3) / 4)
  }

  /** the tables, and the spare one a doubling dropped */
  override get bytes(): number {
    return super.bytes + (this.spare?.byteLength ?? 0)
  }

  /** Members and slots of table s, and its slot size in bytes (for tests and statistics). */
  override segmentLoad(s: number): { size: number; capacity: number; slotBytes: number } {
    return { ...super.segmentLoad(s), slotBytes: this.narrow[s] ? 4 : 8 }
  }

  /**
   * True if the state (a, b) is new and was inserted (b: the second word, 0 for a one-word state,
   * below 2^bBits). Throws RangeError if a table cannot grow, or if b has more bits than declared.
   */
  add(a: number, b: number): boolean {
    if (b > this.bMask || b < 0) this.tooWide(b)
    const x = fmix(a ^ Math.imul(b, 0x9e3779b1))
    const s = x >>> SEG_SHIFT
    const slots = this.ints[s]!
    const mask = this.masks[s]!
    const xb = this.xbs[s]!
    let i = (x >>> xb) & mask
    const low = x & ((1 << xb) - 1)
    const maxD1 = this.maxD1s[s]!
    let d1 = 1
    // Slot words as int32 (displacement + 1 in the top bits; d1 counts it, so no sum wraps further).
    if (this.narrow[s] === 1) {
      const rb = this.rbs[s]!
      const unit = 1 << rb
      let want = (unit + ((low << this.bBits) | b)) | 0
      // Ends: a table always keeps an empty slot (3/4 load), and displacements are bounded.
      for (;;) {
        const v = slots[i]!
        if (v === want) return false
        if (v === 0) {
          slots[i] = want
          break
        }
        if (v >>> rb < d1) {
          if (this.carry(s, i, want >>> 0)) return this.counted(s, true)
          break
        }
        i = (i + 1) & mask
        want = (want + unit) | 0
        if (++d1 > maxD1) return this.counted(s, this.rebuild(s, x, b))
      }
    } else {
      let want = WIDE_UNIT + low
      for (;;) {
        const j = i << 1
        const v = slots[j + 1]!
        if (v === want && slots[j] === b) return false
        if (v === 0) {
          slots[j] = b
          slots[j + 1] = want
          break
        }
        if (v >>> 16 < d1) {
          if (this.carry(s, i, want >>> 0, b)) return this.counted(s, true)
          break
        }
        i = (i + 1) & mask
        want = (want + WIDE_UNIT) | 0
        if (++d1 > maxD1) return this.counted(s, this.rebuild(s, x, b))
      }
    }
    return this.counted(s, false)
  }

  private tooWide(b: number): never {
    throw new RangeError(`word 1 of a state is ${b}, over the ${this.bBits} bits the visited set was made for`)
  }

  /** One more member; `rebuilt`: table s was rebuilt with it (and counted it), else it may grow now. */
  private counted(s: number, rebuilt: boolean): boolean {
    this.size++
    if (!rebuilt && ++this.sizes[s]! > this.limits[s]!) this.rebuild(s)
    return true
  }

  has(a: number, b: number): boolean {
    if (b > this.bMask || b < 0) return false
    const x = fmix(a ^ Math.imul(b, 0x9e3779b1))
    const s = x >>> SEG_SHIFT
    const { mask, xb, narrow, maxD1, shift } = this.shapes[s]!
    const slots = this.segs[s]!
    const unit = 2 ** shift
    const low = x & ((1 << xb) - 1)
    const first = unit + (narrow ? ((low << this.bBits) | b) >>> 0 : low)
    let i = (x >>> xb) & mask
    for (let d1 = 1; d1 <= maxD1; d1++) {
      const v = narrow ? slots[i]! : slots[(i << 1) + 1]!
      // An empty slot, or an entry closer to its home than the state would be: not a member.
      if (v === 0 || v >>> shift < d1) return false
      if (v === first + (d1 - 1) * unit && (narrow || slots[i << 1] === b)) return true
      i = (i + 1) & mask
    }
    return false
  }

  /**
   * Robin Hood insertion from slot i on: `want` (with word `b` in a wide table) takes slot i, and
   * the entry it displaces moves on until it finds an empty slot or one closer to its home.
   * Returns true if an entry's displacement outgrew its field, so the table was rebuilt larger
   * (with every entry, the new one included, and its count).
   */
  private carry(s: number, i: number, want: number, b = 0): boolean {
    const shape = this.shapes[s]!
    const slots = this.segs[s]!
    const { mask, narrow, shift } = shape
    const unit = 2 ** shift
    let cv: number
    let cb = 0
    if (narrow) {
      cv = slots[i]!
      slots[i] = want
    } else {
      cv = slots[(i << 1) + 1]!
      cb = slots[i << 1]!
      slots[i << 1] = b
      slots[(i << 1) + 1] = want
    }
    for (;;) {
      i = (i + 1) & mask
      cv += unit
      // Past 2^32 the displacement has outgrown its field (maxD1 is the largest that fits).
      if (cv > 0xffffffff) {
        // cv has overflowed its field: take the entry as it was one slot back.
        this.decode(s, (i - 1) & mask, cv - unit, cb)
        return this.rebuild(s, this.kx, this.kb)
      }
      const cd1 = cv >>> shift
      const j = narrow ? i : (i << 1) + 1
      const v = slots[j]!
      if (v === 0 || v >>> shift < cd1) {
        slots[j] = cv
        if (!narrow) {
          const vb = slots[i << 1]!
          slots[i << 1] = cb
          cb = vb
        }
        if (v === 0) return false
        cv = v
      }
    }
  }

  // decode's result
  private kx = 0
  private kb = 0

  /** The (x, b) of the entry whose slot word is v at slot i of table s (w0: a wide slot's word 0), into kx and kb. */
  private decode(s: number, i: number, v: number, w0: number): void {
    const { xb, mask, narrow, shift } = this.shapes[s]!
    const home = (i - (v >>> shift) + 1) & mask
    const key = v & ((1 << shift) - 1)
    const low = narrow ? key >>> this.bBits : key
    this.kb = narrow ? key & this.bMask : w0
    this.kx = ((s << SEG_SHIFT) | (home << xb) | low) >>> 0
  }

  /**
   * Rebuild table s at twice its size or more, with every entry and (x, b) if given (a
   * member not yet in the table); its member count is set to what it holds. A plain doubling is
   * one pass (see doubled); a displacement that outgrows its field falls back to insertions.
   */
  private rebuild(s: number, x?: number, b?: number): true {
    const old = this.segs[s]!
    const shape = this.shapes[s]!
    const cap = shape.mask + 1
    if (x === undefined && shape.bits < MAX_BITS) {
      const next = this.shapeOf(shape.bits + 1)
      const slots = this.doubled(s, next)
      if (slots !== undefined) {
        this.setSegment(s, next, slots)
        return true
      }
    }
    for (let bits = shape.bits + 1; ; bits++) {
      if (bits > MAX_BITS) throw new RangeError(`visited set table ${s} cannot grow past 2^${MAX_BITS} slots`)
      const next = this.shapeOf(bits)
      const slots = this.table(next.narrow ? 1 << bits : 2 << bits)
      let n = 0
      let ok = true
      for (let i = 0; i < cap && ok; i++) {
        const v = shape.narrow ? old[i]! : old[(i << 1) + 1]!
        if (v === 0) continue
        this.decode(s, i, v, shape.narrow ? 0 : old[i << 1]!)
        ok = place(slots, next, this.bBits, this.kx, this.kb)
        n++
      }
      if (ok && x !== undefined) {
        ok = place(slots, next, this.bBits, x, b!)
        n++
      }
      if (!ok) continue
      this.setSegment(s, next, slots)
      this.sizes[s] = n
      return true
    }
  }

  /**
   * Table s in `next` (twice its slots) in one pass, or undefined if a displacement would
   * outgrow its field there. Robin Hood order keeps each run of entries sorted by home slot, so
   * walking the table round from an empty slot meets the homes in order; home h becomes 2h or
   * 2h + 1 (the top stored bit of x), and each entry goes to its new home or just after the one
   * before, whichever is later. (Entries of one old home are taken in two passes, 2h's first.)
   */
  private doubled(s: number, next: Shape): Uint32Array | undefined {
    // (Everything the loop reads is a local: code no run has reached yet, optimized for the
    // growth of one table, would otherwise throw the optimized loop away when first reached.)
    const old = this.segs[s]!
    const { mask, narrow, shift, xb } = this.shapes[s]!
    const cap = mask + 1
    const wide = narrow ? 0 : 1
    let e = 0
    while (old[(e << wide) + wide] !== 0) e++
    const slots = this.table(next.narrow ? cap * 2 : cap * 4)
    const origin = 2 * (e + 1)
    const nmask = next.mask
    const nnarrow = next.narrow
    const nunit = 2 ** next.shift
    const maxD1 = next.maxD1
    const keyMask = 2 ** shift - 1
    const bBits = this.bBits
    const bMask = this.bMask
    const top = 1 << (xb - 1)
    // The entries of the current home bound for 2h + 1, as (low, b) pairs, placed when the home
    // changes. (More than HELD of them at one home, as only a hash attack would put there: the
    // caller inserts one by one.)
    const held = this.scratch
    let nheld = 0
    let group = -1
    let last = -1
    for (let k = 0; k <= cap; k++) {
      const i = (e + 1 + k) & mask
      const v = k < cap - 1 ? old[(i << wide) + wide]! : 0
      const home = (i - (v >>> shift) + 1) & mask
      if (v === 0 || home !== group) {
        // Place the held entries of the home just left (2h + 1's, after 2h's).
        const u = ((group << 1) + 1 - origin) & nmask
        for (let h = 0; h < nheld; h++) {
          const at = u > last ? u : last + 1
          last = at
          const d1 = at - u + 1
          if (d1 > maxD1) return undefined
          const pos = (at + origin) & nmask
          const lo = held[h << 1]!
          const hb = held[(h << 1) + 1]!
          if (nnarrow) slots[pos] = d1 * nunit + (((lo << bBits) | hb) >>> 0)
          else {
            slots[pos << 1] = hb
            slots[(pos << 1) + 1] = d1 * nunit + lo
          }
        }
        nheld = 0
        group = v === 0 ? -1 : home
        if (v === 0) continue
      }
      const key = v & keyMask
      const low = narrow ? key >>> bBits : key
      const b = narrow ? key & bMask : old[i << 1]!
      if ((low & top) !== 0) {
        if (nheld === HELD) return undefined
        held[nheld << 1] = low & (top - 1)
        held[(nheld << 1) + 1] = b
        nheld++
        continue
      }
      const u = ((home << 1) - origin) & nmask
      const at = u > last ? u : last + 1
      last = at
      const d1 = at - u + 1
      if (d1 > maxD1) return undefined
      const pos = (at + origin) & nmask
      if (nnarrow) slots[pos] = d1 * nunit + (((low << bBits) | b) >>> 0)
      else {
        slots[pos << 1] = b
        slots[(pos << 1) + 1] = d1 * nunit + low
      }
    }
    return slots
  }

  /** doubled's held pairs */
  private readonly scratch = new Uint32Array(HELD * 2)
}

/** Robin Hood insertion of (x, b) into a table of `shape` that does not hold it; false if a displacement outgrows its field. */
function place(slots: Uint32Array, shape: Shape, bBits: number, x: number, b: number): boolean {
  const { mask, xb, narrow, maxD1, shift } = shape
  const low = x & ((1 << xb) - 1)
  const unit = 2 ** shift
  let i = (x >>> xb) & mask
  let cv = unit + (narrow ? ((low << bBits) | b) >>> 0 : low)
  let cb = b
  for (let d1 = 1; ;) {
    const j = narrow ? i : (i << 1) + 1
    const v = slots[j]!
    if (v === 0 || v >>> shift < d1) {
      slots[j] = cv
      if (!narrow) {
        const vb = slots[i << 1]!
        slots[i << 1] = cb
        cb = vb
      }
      if (v === 0) return true
      cv = v
      d1 = v >>> shift
    }
    i = (i + 1) & mask
    cv += unit
    if (++d1 > maxD1) return false
  }
}
