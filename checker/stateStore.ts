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

export class StateStore {
  readonly words: number
  private readonly stateChunks: Uint32Array[] = []
  private readonly parentChunks: Uint32Array[] = []
  size = 0

  constructor(words: number) {
    this.words = words
  }

  get bytes(): number {
    return this.stateChunks.length * CHUNK * (this.words + 1) * 4
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
  append(src: Uint32Array, offset: number, parent: number): number {
    const index = this.size
    const c = index >>> CHUNK_BITS
    if (c === this.stateChunks.length) {
      this.stateChunks.push(new Uint32Array(CHUNK * this.words))
      this.parentChunks.push(new Uint32Array(CHUNK))
    }
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

  /** A store from checkpointed chunks. */
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
