/**
 * Memoization of pure functions of a state by what they read. A guard, an effect or a property
 * reads a few fields of a state through a Reader, each read deciding which field it reads next; so
 * the fields it reads, and their values, form a path that determines its result. A ReadMemo keeps
 * those paths in a trie: each inner node names the next field read, its children are indexed by
 * the value read there, and a leaf holds the result. A look-up walks the trie reading only those
 * fields; a miss runs the function once with a recording Reader and adds its path.
 *
 * This is sound for functions that read states only through the Readers they are given and are
 * otherwise deterministic (every guard, effect and property of a model is: STYLE §2); a model says
 * so with Model.readsOnlyThroughReaders, and its memoized forms are tested against the plain ones
 * (test/model/memoRules.test.ts). Where a recording disagrees with the trie (another field read
 * after the same values) the memo stops serving and calls the function every time; a hit cannot
 * tell, so purity is the caller's to guarantee.
 * Functions of two states (a step property: pre and post) read both through one trie: keys of the
 * second state are offset by `slots`.
 *
 * Memory is bounded by a budget of nodes shared by every memo of one model: once it is spent,
 * misses are computed without being added (hits are still served).
 */
import type { StateLayout } from './layout.js'
import { Cursor, type Reader, Values } from './model.js'

/** findPacked met a derived value of the packed state */
export const DECODE = Symbol('decode')

/** children a node keeps in its own slots (values min..min+SPAN-1 of its key); others go to a map */
const SPAN = 64

/** What the memos sharing it may still add, in 32-bit words of trie (a node is 3 words and its slots). */
export class MemoBudget {
  constructor(public left = 1 << 22) {}
}

/**
 * A Reader that records the fields read (each once, in order) with their values, as the keys of a
 * ReadMemo: `offset` is added to each field (0 for a first state, slots for a second).
 */
export class RecordingReader implements Reader {
  base: Reader = { get: () => 0 }
  offset = 0
  constructor(
    /** the path being recorded: key, value, key, value, ... */
    readonly path: number[],
    /** per key, the recording in which it was last read (so each is recorded once) */
    private readonly stamp: Int32Array,
    private readonly epoch: { n: number },
  ) {}

  get(f: number): number {
    const v = this.base.get(f)
    const k = this.offset + f
    if (this.stamp[k] !== this.epoch.n) {
      this.stamp[k] = this.epoch.n
      this.path.push(k, v)
    }
    return v
  }
}

/**
 * The trie lives in one Int32Array, so a walk is a few dependent loads in a compact block rather
 * than a pointer chase through objects. A node at offset o holds its key, the least value its slots
 * cover, their count, then one slot per value: 0 (no child), a child node's offset, or -(i + 1)
 * for leaf i. Values outside the slots go to a map (masks wider than SPAN values, say).
 */
export class ReadMemo<L> {
  private nodes = new Int32Array(1 << 10)
  /** the first free offset (0 is never a node, so a slot of 0 means none) */
  private top = 1
  /** the root: 0 (empty), a node's offset, or a leaf */
  private root = 0
  private readonly leaves: L[] = []
  private readonly over = new Map<number, Map<number, number>>()
  /** a recorded path disagreed with the trie: the function is not a pure function of its reads */
  broken = false
  /** the path being recorded: key, value, key, value, ... */
  readonly path: number[] = []
  private readonly epoch = { n: 0 }
  /** Readers recording the first and the second state (their reads go to `path`) */
  readonly first: RecordingReader
  readonly second: RecordingReader
  /** per key, the least value and the number of slots its nodes get */
  private readonly lo: Int32Array
  private readonly span: Int32Array

  constructor(
    /** slots of a decoded state: keys of the second state start here */
    readonly slots: number,
    readonly budget: MemoBudget,
    /** the layout, for each field's range (absent: every key gets SPAN slots from 0) */
    layout?: Pick<StateLayout, 'fieldCount' | 'minOf' | 'maxOf'>,
  ) {
    const stamp = new Int32Array(2 * slots)
    this.first = new RecordingReader(this.path, stamp, this.epoch)
    this.second = new RecordingReader(this.path, stamp, this.epoch)
    this.second.offset = slots
    this.lo = new Int32Array(2 * slots)
    this.span = new Int32Array(2 * slots).fill(SPAN)
    if (layout)
      for (let k = 0; k < 2 * slots; k++) {
        const f = k % slots
        if (f >= layout.fieldCount) continue
        this.lo[k] = layout.minOf[f]!
        this.span[k] = Math.min(SPAN, layout.maxOf[f]! - layout.minOf[f]! + 1)
      }
  }

  /** Start a recording over `a` (and `b`); then call the function on `first` (and `second`) and `add` its result. */
  begin(a: Reader, b?: Reader): void {
    this.path.length = 0
    this.epoch.n++
    this.first.base = a
    if (b) this.second.base = b
  }

  /** the slot of node o for value v: its child entry */
  private child(o: number, v: number): number {
    const nodes = this.nodes
    const d = v - nodes[o + 1]!
    return d >= 0 && d < nodes[o + 2]! ? nodes[o + 3 + d]! : (this.over.get(o)?.get(v) ?? 0)
  }

  private leafOf(e: number): L | undefined {
    return e < 0 ? this.leaves[-e - 1] : undefined
  }

  /** The leaf for the state `a` (and `b`), or undefined if its path is not in the trie yet. */
  find(a: Reader, b?: Reader): L | undefined {
    const slots = this.slots
    const nodes = this.nodes
    let e = this.root
    while (e > 0) {
      const k = nodes[e]!
      e = this.child(e, k < slots ? a.get(k) : b!.get(k - slots))
    }
    return this.leafOf(e)
  }

  /** find, over decoded values (the first state only). */
  findIn(values: Int32Array): L | undefined {
    const nodes = this.nodes
    let e = this.root
    while (e > 0) e = this.child(e, values[nodes[e]!]!)
    return this.leafOf(e)
  }

  /** find, over two decoded states. */
  findIn2(a: Int32Array, b: Int32Array): L | undefined {
    const slots = this.slots
    const nodes = this.nodes
    let e = this.root
    while (e > 0) {
      const k = nodes[e]!
      e = this.child(e, k < slots ? a[k]! : b[k - slots]!)
    }
    return this.leafOf(e)
  }

  /**
   * find, over a decoded first state and a packed second one, whose stored fields are read from
   * its words as the layout packs them. DECODE: the path reads a derived value of the second state,
   * which only a decode computes (decode it and use findIn2).
   */
  findPacked(a: Int32Array, words: Uint32Array, layout: StateLayout): L | undefined | typeof DECODE {
    const slots = this.slots
    const { wordOf, shiftOf, maskOf, minOf } = layout
    const stored = slots + layout.fieldCount
    const nodes = this.nodes
    let e = this.root
    while (e > 0) {
      const k = nodes[e]!
      if (k < slots) e = this.child(e, a[k]!)
      else if (k < stored) {
        const f = k - slots
        e = this.child(e, ((words[wordOf[f]!]! >>> shiftOf[f]!) & maskOf[f]!) + minOf[f]!)
      } else return DECODE
    }
    return this.leafOf(e)
  }

  /** A new node reading key k; its offset (0 if the budget is spent). */
  private alloc(k: number): number {
    const size = 3 + this.span[k]!
    if (this.budget.left < size) return 0
    this.budget.left -= size
    if (this.top + size > this.nodes.length) {
      const bigger = new Int32Array(Math.max(this.nodes.length * 2, this.top + size))
      bigger.set(this.nodes)
      this.nodes = bigger
    }
    const o = this.top
    this.top += size
    this.nodes[o] = k
    this.nodes[o + 1] = this.lo[k]!
    this.nodes[o + 2] = this.span[k]!
    return o
  }

  private setChild(o: number, v: number, e: number): void {
    const d = v - this.nodes[o + 1]!
    if (d >= 0 && d < this.nodes[o + 2]!) this.nodes[o + 3 + d] = e
    else {
      let m = this.over.get(o)
      if (!m) this.over.set(o, (m = new Map<number, number>()))
      m.set(v, e)
    }
  }

  /**
   * Add the path just recorded with its result (never undefined). Returns false if the path
   * disagrees with the trie (the memo is then broken and serves nothing more).
   */
  add(leaf: L): boolean {
    if (this.broken) return false
    const path = this.path
    const newLeaf = (): number => {
      this.leaves.push(leaf)
      return -this.leaves.length
    }
    if (this.root === 0) {
      if (path.length === 0) {
        this.root = newLeaf()
        return true
      }
      const o = this.alloc(path[0]!)
      if (o === 0) return true
      this.root = o
    }
    let e = this.root
    for (let i = 0; i < path.length; i += 2) {
      if (e <= 0 || this.nodes[e] !== path[i]) return this.fail()
      const last = i + 2 >= path.length
      let c = this.child(e, path[i + 1]!)
      if (c === 0) {
        c = last ? newLeaf() : this.alloc(path[i + 2]!)
        if (c === 0) return true
        this.setChild(e, path[i + 1]!, c)
      } else if (last && c > 0) return this.fail()
      e = c
    }
    if (path.length === 0 && e > 0) return this.fail()
    return true
  }

  private fail(): boolean {
    this.broken = true
    this.root = 0
    return false
  }
}

/** A memoized predicate of one state: `holds(s)` as `fn(s)` would answer it. */
export function memoOfOne<R>(
  slots: number,
  budget: MemoBudget,
  fn: (s: Reader) => R,
  layout?: Pick<StateLayout, 'fieldCount' | 'minOf' | 'maxOf'>,
): (s: Reader) => R {
  const memo = new ReadMemo<R>(slots, budget, layout)
  return (s) => {
    const hit = s instanceof Values ? memo.findIn(s.values) : memo.find(s)
    if (hit !== undefined) return hit
    if (memo.broken) return fn(s)
    memo.begin(s)
    const r = fn(memo.first)
    memo.add(r)
    return r
  }
}

/** The decoded values behind a Reader, when it is one of the checker's own (a Cursor's pre-state, a Values). */
export const valuesOf = (s: Reader): Int32Array | undefined => (s instanceof Values ? s.values : s instanceof Cursor ? s.pre : undefined)

/** A memoized function of two states (pre and post of a transition). */
export function memoOfTwo<R>(slots: number, budget: MemoBudget, fn: (a: Reader, b: Reader) => R): (a: Reader, b: Reader) => R {
  const memo = new ReadMemo<R>(slots, budget)
  return (a, b) => {
    const hit = memo.find(a, b)
    if (hit !== undefined) return hit
    if (memo.broken) return fn(a, b)
    memo.begin(a, b)
    const r = fn(memo.first, memo.second)
    memo.add(r)
    return r
  }
}
