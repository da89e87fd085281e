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

/** values below this index a node's child array; others go to a map */
const SMALL = 64

export class TrieNode<L> {
  /** the key read here (a field, or slots + field for the second state), or -1 at a leaf */
  key = -1
  small: (TrieNode<L> | undefined)[] = []
  big: Map<number, TrieNode<L>> | undefined = undefined
  leaf: L | undefined = undefined

  child(v: number): TrieNode<L> | undefined {
    return v >= 0 && v < SMALL ? this.small[v] : this.big?.get(v)
  }

  setChild(v: number, n: TrieNode<L>): void {
    if (v >= 0 && v < SMALL) this.small[v] = n
    else (this.big ??= new Map()).set(v, n)
  }
}

/** Nodes the memos of one model may still add. */
export class MemoBudget {
  constructor(public left = 1 << 21) {}
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

export class ReadMemo<L> {
  private root: TrieNode<L> | undefined
  /** a recorded path disagreed with the trie: the function is not a pure function of its reads */
  broken = false
  /** the path being recorded: key, value, key, value, ... */
  readonly path: number[] = []
  private readonly epoch = { n: 0 }
  /** Readers recording the first and the second state (their reads go to `path`) */
  readonly first: RecordingReader
  readonly second: RecordingReader

  constructor(
    /** slots of a decoded state: keys of the second state start here */
    readonly slots: number,
    readonly budget: MemoBudget,
  ) {
    const stamp = new Int32Array(2 * slots)
    this.first = new RecordingReader(this.path, stamp, this.epoch)
    this.second = new RecordingReader(this.path, stamp, this.epoch)
    this.second.offset = slots
  }

  /** Start a recording over `a` (and `b`); then call the function on `first` (and `second`) and `add` its result. */
  begin(a: Reader, b?: Reader): void {
    this.path.length = 0
    this.epoch.n++
    this.first.base = a
    if (b) this.second.base = b
  }

  /** The leaf for the state `a` (and `b`), or undefined if its path is not in the trie yet. */
  find(a: Reader, b?: Reader): TrieNode<L> | undefined {
    const slots = this.slots
    let n = this.root
    while (n !== undefined && n.key >= 0) {
      const k = n.key
      n = n.child(k < slots ? a.get(k) : b!.get(k - slots))
    }
    return n
  }

  /** find, over decoded values (the first state only). */
  findIn(values: Int32Array): TrieNode<L> | undefined {
    let n = this.root
    while (n !== undefined && n.key >= 0) n = n.child(values[n.key]!)
    return n
  }

  /** find, over two decoded states. */
  findIn2(a: Int32Array, b: Int32Array): TrieNode<L> | undefined {
    const slots = this.slots
    let n = this.root
    while (n !== undefined && n.key >= 0) {
      const k = n.key
      n = n.child(k < slots ? a[k]! : b[k - slots]!)
    }
    return n
  }

  /**
   * find, over a decoded first state and a packed second one, whose stored fields are read from
   * its words as the layout packs them. DECODE: the path reads a derived value of the second state,
   * which only a decode computes (decode it and use findIn2).
   */
  findPacked(a: Int32Array, words: Uint32Array, layout: StateLayout): TrieNode<L> | undefined | typeof DECODE {
    const slots = this.slots
    const { wordOf, shiftOf, maskOf, minOf } = layout
    const stored = slots + layout.fieldCount
    let n = this.root
    while (n !== undefined && n.key >= 0) {
      const k = n.key
      if (k < slots) n = n.child(a[k]!)
      else if (k < stored) {
        const f = k - slots
        n = n.child(((words[wordOf[f]!]! >>> shiftOf[f]!) & maskOf[f]!) + minOf[f]!)
      } else return DECODE
    }
    return n
  }

  /**
   * Add the path just recorded with its result. Returns false if the path disagrees with the trie
   * (the memo is then broken and serves nothing more).
   */
  add(leaf: L): boolean {
    if (this.broken) return false
    const path = this.path
    const budget = this.budget
    if (this.root === undefined) {
      if (budget.left <= 0) return true
      budget.left--
      this.root = new TrieNode<L>()
      if (path.length > 0) this.root.key = path[0]!
    }
    let n = this.root
    for (let i = 0; i < path.length; i += 2) {
      if (n.key !== path[i]) return this.fail()
      let c = n.child(path[i + 1]!)
      if (c === undefined) {
        if (budget.left <= 0) return true
        budget.left--
        c = new TrieNode<L>()
        if (i + 2 < path.length) c.key = path[i + 2]!
        n.setChild(path[i + 1]!, c)
      }
      n = c
    }
    if (n.key >= 0) return this.fail()
    n.leaf = leaf
    return true
  }

  private fail(): boolean {
    this.broken = true
    this.root = undefined
    return false
  }
}

/** A memoized predicate of one state: `holds(s)` as `fn(s)` would answer it. */
export function memoOfOne<R>(slots: number, budget: MemoBudget, fn: (s: Reader) => R): (s: Reader) => R {
  const memo = new ReadMemo<R>(slots, budget)
  return (s) => {
    const hit = s instanceof Values ? memo.findIn(s.values) : memo.find(s)
    if (hit !== undefined && hit.leaf !== undefined) return hit.leaf
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
    if (hit !== undefined && hit.leaf !== undefined) return hit.leaf
    if (memo.broken) return fn(a, b)
    memo.begin(a, b)
    const r = fn(memo.first, memo.second)
    memo.add(r)
    return r
  }
}
