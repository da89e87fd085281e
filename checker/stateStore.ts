/**
 * Every distinct state, packed, in discovery order, with the index of the state it was first
 * reached from. Storage is chunked so growth never copies: chunk c holds states
 * [c * CHUNK, (c + 1) * CHUNK). Parent links turn any stored state into the path that reached it;
 * with breadth-first discovery that path is a shortest one.
 */
export const NO_PARENT = 0xffffffff
const CHUNK_BITS = 18
export const CHUNK = 1 << CHUNK_BITS
const CHUNK_MASK = CHUNK - 1
const EMPTY = new Uint32Array(0)

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
  private readonly ruleChunks: Uint16Array[] = []
  private released = 0
  /** released chunks' arrays, reused for the next chunks (a dropped array stays resident until a full collection) */
  private readonly spare: Uint32Array[] = []
  size = 0

  constructor(words: number, opts: { compact?: boolean } = {}) {
    this.words = words
    this.compact = opts.compact ?? false
  }

  get bytes(): number {
    const live = this.stateChunks.length - this.released + this.spare.length
    return live * CHUNK * this.words * 4 + this.parentChunks.length * CHUNK * (4 + (this.compact ? 2 : 0))
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

  /** Append a state (copied from `src` at `offset`) and return its index. Throws RangeError when out of memory. */
  append(src: Uint32Array, offset: number, parent: number, rule = 0): number {
    const index = this.size
    const c = index >>> CHUNK_BITS
    if (c === this.stateChunks.length) {
      this.stateChunks.push(this.spare.pop() ?? new Uint32Array(CHUNK * this.words))
      this.parentChunks.push(new Uint32Array(CHUNK))
      if (this.compact) this.ruleChunks.push(new Uint16Array(CHUNK))
    }
    if (this.compact) this.ruleChunks[c]![index & CHUNK_MASK] = rule
    const chunk = this.stateChunks[c]!
    const base = (index & CHUNK_MASK) * this.words
    for (let i = 0; i < this.words; i++) chunk[base + i] = src[offset + i]!
    this.parentChunks[c]![index & CHUNK_MASK] = parent
    this.size = index + 1
    return index
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
    return this.parentChunks[index >>> CHUNK_BITS]![index & CHUNK_MASK]!
  }

  /** The chain of indices from an initial state to `index`, inclusive. */
  path(index: number): number[] {
    const out: number[] = []
    for (let i = index; i !== NO_PARENT; i = this.parent(i)) out.push(i)
    return out.reverse()
  }
}
