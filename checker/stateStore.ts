/**
 * Every distinct state, packed, in discovery order, with the index of the state it was first
 * reached from. Storage is chunked so growth never copies: chunk c holds states
 * [c * CHUNK, (c + 1) * CHUNK). Parent links turn any stored state into the path that reached it;
 * with breadth-first discovery that path is a shortest one.
 *
 * A compact store (breadth-first only) keeps its parents as differences: the search expands
 * states in index order and appends each one's new successors as it goes, so after the initial
 * states (which have none) parents never decrease, and consecutive states mostly share a parent
 * or have adjacent ones. A byte a state holds the difference from the previous state's parent
 * (ESCAPE, for a difference of ESCAPE or more, says the parent is kept whole in a side list); every
 * BLOCK states the parent is also kept whole, so a lookup adds at most BLOCK - 1 bytes.
 */
export const NO_PARENT = 0xffffffff
const CHUNK_BITS = 18
export const CHUNK = 1 << CHUNK_BITS
const CHUNK_MASK = CHUNK - 1
const EMPTY = new Uint32Array(0)
const BLOCK_BITS = 8
const BLOCK = 1 << BLOCK_BITS
const ESCAPE = 0xff

export class StateStore {
  readonly words: number
  /**
   * Hash-compaction mode: a state's words are kept only until the breadth-first search has
   * expanded it (see release); what stays is its parent and the rule that reached it, and a trace
   * is rebuilt by re-executing those rules from the initial state.
   */
  readonly compact: boolean
  private readonly stateChunks: Uint32Array[] = []
  private readonly parentChunks: Uint32Array[] = []
  private readonly ruleChunks: (Uint8Array | Uint16Array)[] = []
  /** compact: the largest rule number (255: a byte a rule; else two) */
  private readonly maxRule: number
  /** compact: a byte a state, the parent's difference from the previous state's (see above) */
  private readonly deltaChunks: Uint8Array[] = []
  /** compact: the parent of every BLOCK-th state, whole (CHUNK / BLOCK a chunk) */
  private readonly blockChunks: Uint32Array[] = []
  /** compact: (index, parent) of the states whose difference was ESCAPE or more, in index order */
  private escapes = new Uint32Array(64)
  private escaped = 0
  /** compact: the initial states (the first `roots` states), and their positions among the model's */
  private roots = 0
  private readonly rootRules: number[] = []
  private lastParent = 0
  private released = 0
  /** released chunks' arrays, reused for the next chunks (a dropped array stays resident until a full collection) */
  private readonly spare: Uint32Array[] = []
  size = 0

  /** `rules`: in a compact store, how many rules the model has (at most 256 takes a byte a rule, else two) */
  constructor(words: number, opts: { compact?: boolean; rules?: number } = {}) {
    this.words = words
    this.compact = opts.compact ?? false
    this.maxRule = (opts.rules ?? 0x10000) <= 0x100 ? 0xff : 0xffff
  }

  get bytes(): number {
    const live = this.stateChunks.length - this.released + this.spare.length
    const links = this.compact
      ? this.deltaChunks.length * CHUNK * (1 + (this.maxRule === 0xff ? 1 : 2) + 4 / BLOCK) + this.escapes.byteLength
      : this.parentChunks.length * CHUNK * 4
    return live * CHUNK * this.words * 4 + links
  }

  /** Hash compaction: drop the words of every state below `index` (whole chunks only). */
  release(index: number): void {
    if (!this.compact) return
    const upTo = index >>> CHUNK_BITS
    while (this.released < upTo) {
      this.spare.push(this.stateChunks[this.released]!)
      this.stateChunks[this.released++] = EMPTY
    }
  }

  /** Hash compaction: the rule that first reached state `index` (for a root: its position among the initial states). */
  ruleOf(index: number): number {
    if (!this.compact) throw new Error('rules are recorded in hash-compaction mode only')
    if (index < this.roots) return this.rootRules[index]!
    return this.ruleChunks[index >>> CHUNK_BITS]![index & CHUNK_MASK]!
  }

  /** states that fit without allocating another chunk */
  get capacity(): number {
    return this.stateChunks.length * CHUNK
  }

  /** Bytes the next chunk allocates. */
  get growthBytes(): number {
    return CHUNK * (this.words + 1) * 4
  }

  /**
   * Append a state (copied from `src` at `offset`) and return its index. Throws RangeError when
   * out of memory. A compact store takes the initial states (NO_PARENT) first, then parents that
   * never decrease (breadth-first order), and rules up to its largest; it throws otherwise.
   */
  append(src: Uint32Array, offset: number, parent: number, rule = 0): number {
    const index = this.size
    const c = index >>> CHUNK_BITS
    if (c === this.stateChunks.length) {
      this.stateChunks.push(this.spare.pop() ?? new Uint32Array(CHUNK * this.words))
      if (!this.compact) this.parentChunks.push(new Uint32Array(CHUNK))
      else {
        this.deltaChunks.push(new Uint8Array(CHUNK))
        this.blockChunks.push(new Uint32Array(CHUNK / BLOCK))
        this.ruleChunks.push(this.maxRule === 0xff ? new Uint8Array(CHUNK) : new Uint16Array(CHUNK))
      }
    }
    const chunk = this.stateChunks[c]!
    const base = (index & CHUNK_MASK) * this.words
    for (let i = 0; i < this.words; i++) chunk[base + i] = src[offset + i]!
    if (this.compact) this.link(index, parent, rule)
    else this.parentChunks[c]![index & CHUNK_MASK] = parent
    this.size = index + 1
    return index
  }

  /** A compact store's parent and rule of state `index` (see append). */
  private link(index: number, parent: number, rule: number): void {
    const c = index >>> CHUNK_BITS
    const k = index & CHUNK_MASK
    if (parent === NO_PARENT) {
      if (index !== this.roots) throw new Error(`state ${index} has no parent, but an earlier state has one`)
      this.roots++
      this.rootRules.push(rule)
      return
    }
    if (rule > this.maxRule || rule < 0) throw new RangeError(`rule ${rule} of state ${index}: this store records rules up to ${this.maxRule}`)
    this.ruleChunks[c]![k] = rule
    const d = parent - this.lastParent
    if (d < 0 || parent >= index) throw new Error(`state ${index}: parent ${parent} after parent ${this.lastParent} (breadth-first order only)`)
    this.lastParent = parent
    if ((k & (BLOCK - 1)) === 0) this.blockChunks[c]![k >>> BLOCK_BITS] = parent
    if (d < ESCAPE) {
      this.deltaChunks[c]![k] = d
      return
    }
    this.deltaChunks[c]![k] = ESCAPE
    if (this.escaped * 2 === this.escapes.length) {
      const more = new Uint32Array(this.escapes.length * 2)
      more.set(this.escapes)
      this.escapes = more
    }
    this.escapes[this.escaped * 2] = index
    this.escapes[this.escaped * 2 + 1] = parent
    this.escaped++
  }

  /** A compact store's parent of state `index` (not an initial state): the block's, plus the differences since. */
  private linked(index: number): number {
    const c = index >>> CHUNK_BITS
    const k = index & CHUNK_MASK
    const first = k & ~(BLOCK - 1)
    // The block's first state: its parent whole, or (an initial state) 0, which the first parented state's difference is from.
    let p = first + c * CHUNK < this.roots ? 0 : this.blockChunks[c]![first >>> BLOCK_BITS]!
    const deltas = this.deltaChunks[c]!
    for (let j = Math.max(first + 1, this.roots - c * CHUNK); j <= k; j++) {
      const d = deltas[j]!
      p = d === ESCAPE ? this.escapeOf(c * CHUNK + j) : p + d
    }
    return p
  }

  /** The parent kept whole for state `index` (binary search of the side list). */
  private escapeOf(index: number): number {
    let lo = 0
    let hi = this.escaped - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const at = this.escapes[mid * 2]!
      if (at === index) return this.escapes[mid * 2 + 1]!
      if (at < index) lo = mid + 1
      else hi = mid - 1
    }
    throw new Error(`state ${index}: no parent recorded`)
  }

  /** Is state `index` an initial state (no parent)? */
  isRoot(index: number): boolean {
    return this.compact ? index < this.roots : this.parent(index) === NO_PARENT
  }

  /** The chunks, for checkpoints. */
  get chunks(): { readonly states: readonly Uint32Array[]; readonly parents: readonly Uint32Array[] } {
    return { states: this.stateChunks, parents: this.parentChunks }
  }

  /**
   * A store from a checkpoint's chunks. Refuses (RangeError) chunks that break the store's
   * invariants (see chunkProblem) rather than trusting them: a parent link that does not point to
   * an earlier state could make a trace walk loop for ever.
   */
  static resumed(words: number, states: Uint32Array[], parents: Uint32Array[], size: number): StateStore {
    if (!Number.isInteger(size) || size < 0 || states.length !== Math.ceil(size / CHUNK) || parents.length !== states.length) {
      throw new RangeError(
        `${size} states need ${Math.ceil(size / CHUNK)} chunks, the checkpoint has ${states.length} state and ${parents.length} parent chunks`,
      )
    }
    for (let c = 0; c < states.length; c++) {
      const problem = StateStore.chunkProblem(words, c, states[c]!, parents[c]!, size)
      if (problem !== undefined) throw new RangeError(`state store chunk ${c}, ${problem.of}: ${problem.why}`)
    }
    return StateStore.restore(words, states, parents, size)
  }

  /**
   * Why `states` and `parents` cannot be chunk c of a store of `size` states of `words` words, or
   * undefined if they can: full-size chunks, and every stored state's parent is an earlier state
   * (breadth-first discovery order) or none (an initial state). `of` says which part is wrong.
   */
  static chunkProblem(
    words: number,
    c: number,
    states: Uint32Array,
    parents: Uint32Array,
    size: number,
  ): { of: 'states' | 'parents'; why: string } | undefined {
    if (states.length !== CHUNK * words) return { of: 'states', why: `${states.length * 4} bytes, a chunk holds ${CHUNK * words * 4}` }
    if (parents.length !== CHUNK) return { of: 'parents', why: `${parents.length * 4} bytes, a chunk holds ${CHUNK * 4}` }
    const base = c * CHUNK
    const n = Math.min(CHUNK, size - base)
    for (let k = 0; k < n; k++) {
      const p = parents[k]!
      if (p !== NO_PARENT && p >= base + k) return { of: 'parents', why: `state ${base + k} names state ${p} as its parent, which was not found before it` }
    }
    return undefined
  }

  /** A store from chunks as they are (the caller vouches for them: see `resumed` for checkpoints). */
  static restore(words: number, states: Uint32Array[], parents: Uint32Array[], size: number): StateStore {
    const st = new StateStore(words)
    st.stateChunks.push(...states)
    st.parentChunks.push(...parents)
    st.size = size
    return st
  }

  /** Copy state `index` into `dst` (at offset 0). */
  read(index: number, dst: Uint32Array): void {
    const chunk = this.stateChunks[index >>> CHUNK_BITS]!
    if (chunk === EMPTY) throw new Error(`state ${index} was released (hash compaction keeps only the frontier)`)
    const base = (index & CHUNK_MASK) * this.words
    for (let i = 0; i < this.words; i++) dst[i] = chunk[base + i]!
  }

  parent(index: number): number {
    if (this.compact) return index < this.roots ? NO_PARENT : this.linked(index)
    return this.parentChunks[index >>> CHUNK_BITS]![index & CHUNK_MASK]!
  }

  /** The chain of indices from an initial state to `index`, inclusive. */
  path(index: number): number[] {
    const out: number[] = []
    for (let i = index; i !== NO_PARENT; i = this.parent(i)) out.push(i)
    return out.reverse()
  }
}
