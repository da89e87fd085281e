/**
 * Growable typed arrays for the graph recording (edges, per-state labels) and a growable map from
 * 64-bit fingerprints to state indices. No per-element allocation: a growth doubles the buffer.
 */
import { fingerprint, fp } from './fingerprint.js'

export class U32List {
  private a = new Uint32Array(1024)
  length = 0
  get bytes(): number {
    return this.a.byteLength
  }
  push(v: number): void {
    if (this.length === this.a.length) this.grow(this.length + 1)
    this.a[this.length++] = v
  }
  get(i: number): number {
    return this.a[i]!
  }
  /** A copy of the elements, as one array. */
  array(): Uint32Array {
    return this.a.slice(0, this.length)
  }
  /** Append every element of `values`. */
  pushAll(values: Uint32Array): void {
    if (this.length + values.length > this.a.length) this.grow(this.length + values.length)
    this.a.set(values, this.length)
    this.length += values.length
  }
  /** Set element i, growing (zero-filled) as needed. */
  set(i: number, v: number): void {
    if (i >= this.a.length) this.grow(i + 1)
    this.a[i] = v
    if (i >= this.length) this.length = i + 1
  }
  private grow(atLeast: number): void {
    let cap = Math.max(1024, this.a.length * 2)
    while (cap < atLeast) cap *= 2
    const b = new Uint32Array(cap)
    b.set(this.a)
    this.a = b
  }
}

export class U8List {
  private a = new Uint8Array(1024)
  get bytes(): number {
    return this.a.byteLength
  }
  /** 0 for elements never set */
  get(i: number): number {
    return i < this.a.length ? this.a[i]! : 0
  }
  /** Elements [0, values.length) become `values` (copied). */
  setAll(values: Uint8Array): void {
    if (values.length > this.a.length) {
      const b = new Uint8Array(values.length)
      b.set(this.a.subarray(0, Math.min(this.a.length, values.length)))
      this.a = b
    }
    this.a.set(values)
  }
  /** A copy of elements [0, n), 0 where never set. */
  array(n: number): Uint8Array {
    const out = new Uint8Array(n)
    out.set(this.a.subarray(0, Math.min(n, this.a.length)))
    return out
  }
  set(i: number, v: number): void {
    if (i >= this.a.length) {
      let cap = this.a.length * 2
      while (cap <= i) cap *= 2
      const b = new Uint8Array(cap)
      b.set(this.a)
      this.a = b
    }
    this.a[i] = v
  }
}

/** Fingerprint (hi, lo) -> state index, open addressing, grows at 3/4 load. */
export class IndexTable {
  private slots: Uint32Array
  private mask: number
  private size = 0

  constructor(capacity = 1024) {
    let cap = 1024
    while (cap < capacity * 2) cap <<= 1
    this.slots = new Uint32Array(cap * 3)
    this.mask = cap - 1
  }

  get bytes(): number {
    return this.slots.byteLength
  }

  private find(slots: Uint32Array, mask: number, hi: number, lo: number): number {
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask
    for (;;) {
      const j = i * 3
      const h = slots[j]!
      const l = slots[j + 1]!
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return j
      i = (i + 1) & mask
    }
  }

  /** Map (hi, lo) to `index` (a fingerprint already present keeps its first index). */
  set(hi: number, lo: number, index: number): void {
    if (hi === 0 && lo === 0) lo = 1
    const j = this.find(this.slots, this.mask, hi, lo)
    if (this.slots[j] === 0 && this.slots[j + 1] === 0) {
      this.slots[j] = hi
      this.slots[j + 1] = lo
      this.slots[j + 2] = index
      if (++this.size * 4 > (this.mask + 1) * 3) this.grow()
    }
  }

  /** The index of (hi, lo), or -1. */
  get(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1
    const j = this.find(this.slots, this.mask, hi, lo)
    return this.slots[j] === 0 && this.slots[j + 1] === 0 ? -1 : this.slots[j + 2]!
  }

  /** Map the fingerprint of `words` to `index`. */
  addWords(words: Uint32Array, index: number): void {
    fingerprint(words, 0, words.length)
    this.set(fp.hi, fp.lo, index)
  }

  private grow(): void {
    const old = this.slots
    const cap = (this.mask + 1) * 2
    const slots = new Uint32Array(cap * 3)
    const mask = cap - 1
    for (let j = 0; j < old.length; j += 3) {
      const hi = old[j]!
      const lo = old[j + 1]!
      if (hi === 0 && lo === 0) continue
      const k = this.find(slots, mask, hi, lo)
      slots[k] = hi
      slots[k + 1] = lo
      slots[k + 2] = old[j + 2]!
    }
    this.slots = slots
    this.mask = mask
  }
}
