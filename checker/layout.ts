/**
 * A declared state layout: named, typed fields packed into a fixed number of 32-bit words,
 * the way Murphi and SPIN lay out a state vector.
 *
 * Models name their fields once (`free: int 0..4`, `kst[k]: enum Q|RUN|...`); the explorer then
 * stores every state as `words` Uint32 values and fingerprints those words. Unused bits are always
 * zero, so equal states have equal words (the encoding is canonical).
 */
import type { ErrorCode } from '../errors/codes.js'

export type FieldType =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'bool' }

export const int = (min: number, max: number): FieldType => {
  if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
    throw new RangeError(`int field range ${min}..${max} is empty or not integral`)
  }
  return { kind: 'int', min, max }
}
export const enumOf = (...values: string[]): FieldType => {
  if (values.length === 0) throw new RangeError('an enum field needs at least one value')
  return { kind: 'enum', values }
}
export const bool: FieldType = { kind: 'bool' }

/** A field handle: an index into the layout's field tables. Plain numbers keep the hot path fast. */
export type Field = number

interface FieldInfo {
  readonly name: string
  /** group name for arrays (`kst` for `kst[2]`), the field name otherwise */
  readonly group: string
  /** position in the group, -1 for a scalar */
  readonly index: number
  readonly type: FieldType
}

const span = (t: FieldType): number => (t.kind === 'int' ? t.max - t.min + 1 : t.kind === 'enum' ? t.values.length : 2)

const bitsFor = (n: number): number => {
  if (n > 2 ** 30) return 31 // wider than any supported field; reported by the caller
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1)
}

export class LayoutBuilder {
  private readonly infos: FieldInfo[] = []
  private readonly derivedNames: string[] = []
  private readonly groups = new Set<string>()

  scalar(name: string, type: FieldType): Field {
    this.claim(name)
    this.noDerivedYet(name)
    this.infos.push({ name, group: name, index: -1, type })
    return this.infos.length - 1
  }

  array(name: string, length: number, type: FieldType): Field[] {
    this.claim(name)
    this.noDerivedYet(name)
    const out: Field[] = []
    for (let i = 0; i < length; i++) {
      this.infos.push({ name: `${name}[${i}]`, group: name, index: i, type })
      out.push(this.infos.length - 1)
    }
    return out
  }

  /**
   * A derived value: not stored, recomputed by the model's `derive` from the stored fields each
   * time a state is decoded (e.g. "CUs in use"), so guards read it like a field.
   * Declare derived values after all stored fields.
   */
  derived(name: string): Field {
    this.claim(name)
    this.derivedNames.push(name)
    return this.infos.length + this.derivedNames.length - 1
  }

  build(): StateLayout {
    return new StateLayout(this.infos, this.derivedNames)
  }

  private noDerivedYet(name: string): void {
    if (this.derivedNames.length > 0) throw new Error(`state field '${name}' is declared after a derived value; declare stored fields first`)
  }

  private claim(name: string): void {
    if (this.groups.has(name)) throw new Error(`state field '${name}' is declared twice`)
    this.groups.add(name)
  }
}

export class StateLayout {
  /** stored fields */
  readonly fieldCount: number
  /** stored fields plus derived values: the length of a decoded state */
  readonly slots: number
  readonly derivedNames: readonly string[]
  /** Uint32 words per packed state (at least 1). */
  readonly words: number
  readonly wordOf: Int32Array
  readonly shiftOf: Int32Array
  readonly maskOf: Int32Array
  readonly minOf: Int32Array
  readonly maxOf: Int32Array
  readonly bitsUsed: number
  private readonly infos: readonly FieldInfo[]

  constructor(infos: readonly FieldInfo[], derivedNames: readonly string[] = []) {
    this.infos = infos
    const n = infos.length
    this.fieldCount = n
    this.derivedNames = derivedNames
    this.slots = n + derivedNames.length
    this.wordOf = new Int32Array(n)
    this.shiftOf = new Int32Array(n)
    this.maskOf = new Int32Array(n)
    this.minOf = new Int32Array(n)
    this.maxOf = new Int32Array(n)
    let word = 0
    let used = 0
    let total = 0
    for (let f = 0; f < n; f++) {
      const t = infos[f]!.type
      const bits = bitsFor(span(t))
      if (bits > 30) throw new RangeError(`field '${infos[f]!.name}' needs ${bits} bits; at most 30 are supported`)
      // A field never straddles two words, so reading it is one shift and one mask.
      if (used + bits > 32) {
        word++
        used = 0
      }
      this.wordOf[f] = word
      this.shiftOf[f] = used
      this.maskOf[f] = bits === 0 ? 0 : (1 << bits) - 1
      this.minOf[f] = t.kind === 'int' ? t.min : 0
      this.maxOf[f] = t.kind === 'int' ? t.max : span(t) - 1
      used += bits
      total += bits
    }
    this.words = word + 1
    this.bitsUsed = total
    this.decoder = this.compileDecoder()
  }

  name(f: Field): string {
    return f < this.fieldCount ? this.infos[f]!.name : this.derivedNames[f - this.fieldCount]!
  }

  type(f: Field): FieldType {
    return this.infos[f]!.type
  }

  /** Unpack `words` (at `offset`) into one value per field. */
  decodeInto(words: Uint32Array, offset: number, out: Int32Array): void {
    this.decoder(words, offset, out)
  }

  /**
   * The decoder, specialised to this layout once: straight-line code with every word index,
   * shift, mask and offset a constant. It runs for every expanded and every new state, which makes
   * it part of the search loop; the generated text is only arithmetic on the three arguments.
   */
  private decoder: (words: Uint32Array, offset: number, out: Int32Array) => void = () => {}

  private compileDecoder(): (words: Uint32Array, offset: number, out: Int32Array) => void {
    const lines: string[] = []
    const used = new Set<number>()
    for (let f = 0; f < this.fieldCount; f++) used.add(this.wordOf[f]!)
    for (const w of used) lines.push(`const w${w} = words[offset + ${w}];`)
    for (let f = 0; f < this.fieldCount; f++) {
      const min = this.minOf[f]!
      lines.push(`out[${f}] = ((w${this.wordOf[f]} >>> ${this.shiftOf[f]}) & ${this.maskOf[f]})${min ? ` + (${min})` : ''};`)
    }
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated once per layout from its own constants (see above): the fastest decode there is
    return new Function('words', 'offset', 'out', lines.join('\n')) as (words: Uint32Array, offset: number, out: Int32Array) => void
  }

  /** Pack one value per field into a fresh word vector. Throws on an out-of-range value. */
  encode(values: ArrayLike<number>): Uint32Array {
    const out = new Uint32Array(this.words)
    for (let f = 0; f < this.fieldCount; f++) this.write(out, f, values[f]!)
    return out
  }

  /** Write one field of a packed state. Out-of-range values are a model bug, never silently wrapped. */
  write(words: Uint32Array, f: Field, value: number): void {
    if (!((value | 0) === value && value >= this.minOf[f]! && value <= this.maxOf[f]!)) {
      throw new ModelError('FC300', `value ${value} is outside the declared range of state field '${this.name(f)}'`)
    }
    const w = this.wordOf[f]!
    const m = this.maskOf[f]! << this.shiftOf[f]!
    words[w] = (words[w]! & ~m) | (((value - this.minOf[f]!) << this.shiftOf[f]!) & m)
  }

  /**
   * A readable, JSON-ready view of a decoded state: scalars by name, arrays as lists, enums by
   * value name, booleans as true/false. Used for traces and reports, never in the search loop.
   */
  toObject(values: ArrayLike<number>): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (let f = 0; f < this.fieldCount; f++) {
      const info = this.infos[f]!
      const v = this.show(f, values[f]!)
      if (info.index < 0) out[info.group] = v
      else ((out[info.group] ??= []) as unknown[]).push(v)
    }
    return out
  }

  /** Inverse of toObject, for traces read back from JSON. Returns an error message on mismatch. */
  fromObject(obj: unknown): Int32Array | string {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'a state must be a JSON object'
    const rec = obj as Record<string, unknown>
    const values = new Int32Array(this.slots)
    const groups = new Set(this.infos.map((i) => i.group))
    for (const key of Object.keys(rec)) {
      if (!groups.has(key)) return `unknown state field '${key}'`
    }
    for (let f = 0; f < this.fieldCount; f++) {
      const info = this.infos[f]!
      let raw: unknown = rec[info.group]
      if (info.index >= 0) {
        if (!Array.isArray(raw)) return `state field '${info.group}' must be a list`
        const len = this.infos.filter((x) => x.group === info.group).length
        if (raw.length !== len) return `state field '${info.group}' must have ${len} items, got ${raw.length}`
        raw = raw[info.index]
      }
      const v = this.parse(f, raw)
      if (typeof v === 'string') return `state field '${info.name}': ${v}`
      values[f] = v
    }
    return values
  }

  /** Field groups in declaration order (for tabular displays). */
  groupNames(): string[] {
    return [...new Set(this.infos.map((i) => i.group))]
  }

  show(f: Field, v: number): unknown {
    const t = this.infos[f]!.type
    if (t.kind === 'enum') return t.values[v]
    if (t.kind === 'bool') return v !== 0
    return v
  }

  private parse(f: Field, raw: unknown): number | string {
    const t = this.infos[f]!.type
    if (t.kind === 'enum') {
      const i = typeof raw === 'string' ? t.values.indexOf(raw) : -1
      return i >= 0 ? i : `expected one of ${t.values.join(', ')}, got ${JSON.stringify(raw)}`
    }
    if (t.kind === 'bool') return typeof raw === 'boolean' ? (raw ? 1 : 0) : `expected true or false, got ${JSON.stringify(raw)}`
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < t.min || raw > t.max) {
      return `expected an integer in ${t.min}..${t.max}, got ${JSON.stringify(raw)}`
    }
    return raw
  }
}

/**
 * A model broke its own contract (a value out of range, a non-total transition), or the search was
 * asked for what it does not do. Exit code 4; `code` names the kind (see errors/codes.ts).
 */
export class ModelError extends Error {
  override readonly name = 'ModelError'
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
  }
}
