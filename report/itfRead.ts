/**
 * Reading ITF traces (Apalache ADR-015): fencecheck's, Quint's or Apalache's, in the strict
 * profile (integers as `{"#bigint": "..."}`) or with plain JSON integers, which ADR-015 admits.
 */

export interface ParsedItf {
  readonly vars: string[]
  readonly params?: string[]
  /** decoded states (without `#meta`): integers as numbers, tuples and sets as arrays, maps as Maps */
  readonly states: Record<string, unknown>[]
  /** each state's `#meta` ({} when absent) */
  readonly stateMeta: Record<string, unknown>[]
  readonly loop?: number
  readonly meta: Record<string, unknown>
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

/** Decode one ITF expression. Throws on integers outside the safe range and malformed forms. */
export function decodeItfValue(x: unknown, where = '$'): unknown {
  if (typeof x === 'boolean' || typeof x === 'string') return x
  if (typeof x === 'number') {
    if (!Number.isSafeInteger(x)) throw new RangeError(`${where}: ${x} is not an exact integer`)
    return x
  }
  if (Array.isArray(x)) return x.map((e, i) => decodeItfValue(e, `${where}[${i}]`))
  if (!isObj(x)) throw new TypeError(`${where}: ${x === null ? 'null' : typeof x} is not an ITF expression`)
  const keys = Object.keys(x)
  const only = (k: string): boolean => keys.length === 1 && keys[0] === k
  if (only('#bigint')) {
    const s = x['#bigint']
    if (typeof s !== 'string' || !/^-?[0-9]+$/.test(s)) throw new TypeError(`${where}: #bigint must be a string of digits, got ${JSON.stringify(s)}`)
    const b = BigInt(s)
    if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`${where}: integer ${s} is outside the range a JavaScript number holds exactly`)
    }
    return Number(b)
  }
  if (only('#tup') || only('#set')) {
    const a = x[keys[0]!]
    if (!Array.isArray(a)) throw new TypeError(`${where}: ${keys[0]} must hold an array`)
    return a.map((e, i) => decodeItfValue(e, `${where}.${keys[0]}[${i}]`))
  }
  if (only('#map')) {
    const a = x['#map']
    if (!Array.isArray(a)) throw new TypeError(`${where}: #map must hold an array of [key, value] pairs`)
    const m = new Map<unknown, unknown>()
    a.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`${where}.#map[${i}] is not a [key, value] pair`)
      m.set(decodeItfValue(p[0], `${where}.#map[${i}][0]`), decodeItfValue(p[1], `${where}.#map[${i}][1]`))
    })
    return m
  }
  if (only('#unserializable')) return { '#unserializable': x['#unserializable'] }
  // Apalache writes the unit value as { tag: "UNIT" }; Quint's unit is the empty tuple.
  if (only('tag') && x.tag === 'UNIT') return []
  if (keys.length === 2 && 'tag' in x && 'value' in x && typeof x.tag === 'string') {
    return { tag: x.tag, value: decodeItfValue(x.value, `${where}.value`) }
  }
  const out: Record<string, unknown> = {}
  for (const k of keys) {
    if (k.startsWith('#')) throw new TypeError(`${where}: unknown form '${k}'`)
    out[k] = decodeItfValue(x[k], `${where}.${k}`)
  }
  return out
}

/** Read an ITF trace (fencecheck's, Quint's or Apalache's) and decode its states. */
export function parseItf(text: string): ParsedItf {
  const doc: unknown = JSON.parse(text)
  if (!isObj(doc)) throw new TypeError('an ITF trace is a JSON object')
  const names = (k: string): string[] | undefined => {
    const a = doc[k]
    if (a === undefined) return undefined
    if (!Array.isArray(a) || a.some((n) => typeof n !== 'string')) throw new TypeError(`ITF: '${k}' must be an array of strings`)
    return a as string[]
  }
  const vars = names('vars')
  if (!vars) throw new TypeError("ITF: 'vars' is missing")
  const params = names('params')
  if (!Array.isArray(doc.states)) throw new TypeError("ITF: 'states' must be an array")
  const states: Record<string, unknown>[] = []
  const stateMeta: Record<string, unknown>[] = []
  doc.states.forEach((s, i) => {
    if (!isObj(s)) throw new TypeError(`ITF: states[${i}] is not an object`)
    const { '#meta': m, ...rest } = s
    stateMeta.push(isObj(m) ? m : {})
    const decoded: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(rest)) decoded[k] = decodeItfValue(x, `states[${i}].${k}`)
    states.push(decoded)
  })
  const loop = doc.loop
  if (loop !== undefined && !(Number.isInteger(loop) && (loop as number) >= 0 && (loop as number) < states.length)) {
    throw new RangeError(`ITF: loop ${JSON.stringify(loop)} is not the index of a state`)
  }
  return {
    vars,
    ...(params ? { params } : {}),
    states,
    stateMeta,
    ...(loop !== undefined ? { loop: loop as number } : {}),
    meta: isObj(doc['#meta']) ? doc['#meta'] : {},
  }
}
