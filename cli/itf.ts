/**
 * Traces in the Informal Trace Format (ITF, Apalache ADR-015), the JSON trace format Apalache and
 * Quint read and write, so a fencecheck counterexample can be loaded by Quint's tooling, the ITF
 * trace viewer, or a model-based test driver.
 *
 * What fencecheck writes is the strict profile Quint writes: every integer is `{"#bigint": "..."}`
 * (ADR-015 also admits plain JSON integers; `parseItf` accepts them, `itfShapeErrors` does not),
 * lists are JSON arrays, booleans JSON booleans, enum values strings. Each state carries the action
 * that led to it twice: in its `#meta` (with the actor, in the model's words) and in Quint's
 * model-based-testing variables `mbt::actionTaken` (the action's name, "init" for the initial state)
 * and `mbt::nondetPicks` (one field per action parameter of the model, `Some(value)` for the
 * parameters of the action taken, `None` for the others, as Quint does for its nondet picks).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { Action } from '../checker/model.js'
import { formatAction } from '../checker/model.js'
import type { Trace } from '../checker/trace.js'
import { headline, scopeLine, type Verdict } from '../checker/verdict.js'
import { narrate, type Report } from './render.js'

export const ITF_FORMAT_DESCRIPTION = 'https://apalache-mc.org/docs/adr/015adr-trace.html'
export const ACTION_TAKEN = 'mbt::actionTaken'
export const NONDET_PICKS = 'mbt::nondetPicks'

/** An ITF expression as written to JSON. */
export type ItfValue = boolean | string | ItfValue[] | { readonly [key: string]: ItfValue }

export interface ItfTrace {
  readonly '#meta': Record<string, unknown>
  readonly params?: string[]
  readonly vars: string[]
  readonly states: Record<string, unknown>[]
  readonly loop?: number
}

// ---------------------------------------------------------------------------------------------
// Writing

const bigint = (n: number): ItfValue => {
  if (!Number.isSafeInteger(n)) throw new RangeError(`ITF: ${n} is not an integer that can be written exactly`)
  return { '#bigint': String(n) }
}

/** A fencecheck state value (integer, boolean, enum string, list of those) as an ITF expression. */
export function itfValue(v: unknown): ItfValue {
  if (typeof v === 'number') return bigint(v)
  if (typeof v === 'boolean' || typeof v === 'string') return v
  if (Array.isArray(v)) return v.map(itfValue)
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, ItfValue> = {}
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('#')) throw new RangeError(`ITF: record field '${k}' starts with '#'`)
      out[k] = itfValue(x)
    }
    return out
  }
  throw new RangeError(`ITF: cannot write ${String(v)}`)
}

const some = (v: unknown): ItfValue => ({ tag: 'Some', value: itfValue(v) })
const NONE: ItfValue = { tag: 'None', value: { '#tup': [] } }

/** The Apalache type (ADR-002) of a JSON-ready fencecheck value. */
function typeOfValue(v: unknown): string {
  if (typeof v === 'number') return 'Int'
  if (typeof v === 'boolean') return 'Bool'
  if (typeof v === 'string') return 'Str'
  if (Array.isArray(v)) return `Seq(${v.length ? typeOfValue(v[0]) : 'Int'})`
  return 'Str'
}

/** Apalache types of the state variables, from the model's declared layout. */
function varTypesOf(r: Report, vars: readonly string[], sample: Record<string, unknown> | undefined): Record<string, string> {
  const layout = r.exploration.model.layout
  const elem: Record<string, string> = {}
  const scalar = new Set<string>()
  for (let f = 0; f < layout.fieldCount; f++) {
    const name = layout.name(f)
    const t = layout.type(f)
    const ty = t.kind === 'int' ? 'Int' : t.kind === 'bool' ? 'Bool' : 'Str'
    const m = /^(.*)\[\d+\]$/.exec(name)
    if (m && !scalar.has(name) && layout.groupNames().includes(m[1]!)) elem[m[1]!] ??= ty
    else {
      scalar.add(name)
      elem[name] = ty
    }
  }
  const out: Record<string, string> = {}
  for (const v of vars) {
    const isList = sample ? Array.isArray(sample[v]) : !scalar.has(v)
    out[v] = elem[v] !== undefined ? (isList ? `Seq(${elem[v]})` : elem[v]!) : typeOfValue(sample?.[v])
  }
  return out
}

/** The parameters of the model's actions, with their Apalache types, in first-seen order. */
function actionParams(r: Report): Map<string, string> {
  const out = new Map<string, string>()
  for (const rule of r.exploration.model.rules) {
    for (const [k, v] of Object.entries(rule.action)) if (k !== 'name' && !out.has(k)) out.set(k, typeOfValue(v))
  }
  return out
}

function statusOf(v: Verdict): string {
  return v.status === 'violated' ? 'violation' : v.status === 'proved' ? 'ok' : 'inconclusive'
}

function describe(r: Report): string {
  const v = r.verdict
  const what = r.target.scenario ? r.target.scenario.name : r.target.model
  const head = headline(v)
  return `fencecheck ${what}: ${head}; ${scopeLine(v)}`
}

interface TraceOptions {
  readonly loop?: number
  readonly description?: string
  /** the actor of each step (1-based index into the trace), when known */
  readonly actors?: readonly string[]
  readonly texts?: readonly string[]
}

function traceToItf(r: Report, trace: Trace | undefined, opts: TraceOptions): ItfTrace {
  const v = r.verdict
  const model = r.exploration.model
  const sample = trace?.initialState
  const vars = sample ? Object.keys(sample) : model.layout.groupNames()
  const picks = actionParams(r)
  const paramEntries = Object.entries(r.target.params).map(([k, x]) => [vars.includes(k) || k.startsWith('mbt::') ? `param::${k}` : k, x] as const)
  const varTypes: Record<string, string> = {
    ...varTypesOf(r, vars, sample),
    [ACTION_TAKEN]: 'Str',
    [NONDET_PICKS]: `{ ${[...picks].map(([k, t]) => `${k}: (Some(${t}) | None(UNIT))`).join(', ')} }`,
  }
  const states: Record<string, unknown>[] = []
  const nStates = trace ? trace.steps.length + 1 : 0
  if (opts.loop !== undefined && !(Number.isInteger(opts.loop) && opts.loop >= 0 && opts.loop < nStates)) {
    throw new RangeError(`ITF: loop index ${opts.loop} is not the index of a state (the trace has ${nStates})`)
  }
  if (trace) {
    const all = [trace.initialState, ...trace.steps.map((s) => s.state)]
    all.forEach((state, i) => {
      const action: Action | undefined = i === 0 ? undefined : trace.steps[i - 1]!.action
      const meta: Record<string, unknown> = { index: i }
      if (action) {
        meta.action = formatAction(action)
        const actor = opts.actors?.[i - 1]
        if (actor !== undefined) meta.actor = actor
        const text = opts.texts?.[i - 1]
        if (text !== undefined) meta.text = text
      }
      const s: Record<string, unknown> = { '#meta': meta }
      if (i === 0) for (const [k, x] of paramEntries) s[k] = itfValue(x)
      for (const k of vars) s[k] = itfValue(state[k])
      s[ACTION_TAKEN] = action ? action.name : 'init'
      const nd: Record<string, ItfValue> = {}
      for (const k of picks.keys()) nd[k] = action && action[k] !== undefined ? some(action[k]) : NONE
      s[NONDET_PICKS] = nd
      states.push(s)
    })
  }
  const meta: Record<string, unknown> = {
    format: 'ITF',
    'format-description': ITF_FORMAT_DESCRIPTION,
    source: r.target.scenario ? r.target.scenario.file : r.target.target,
    status: statusOf(v),
    description: opts.description ?? describe(r),
    ...(v.status === 'violated' ? { property: v.property.name } : {}),
    scope: scopeLine(v),
    timestamp: Date.now(),
    varTypes,
    ...(paramEntries.length ? { paramTypes: Object.fromEntries(paramEntries.map(([k, x]) => [k, typeOfValue(x)])) } : {}),
  }
  return {
    '#meta': meta,
    ...(paramEntries.length ? { params: paramEntries.map(([k]) => k) } : {}),
    vars: [...vars, ACTION_TAKEN, NONDET_PICKS],
    states,
    ...(opts.loop !== undefined ? { loop: opts.loop } : {}),
  }
}

/**
 * The report's trace (its counterexample) as an ITF trace. A report without a trace (a proof)
 * gives a trace with no states and status "ok". `loop` marks a lasso: the index of the state the
 * last state loops back to.
 */
export function toItf(r: Report, loop: number | undefined = r.trace?.loop): ItfTrace {
  return traceToItf(r, r.trace, {
    ...(loop !== undefined ? { loop } : {}),
    actors: r.narrative.map((n) => n.actor),
    texts: r.narrative.map((n) => n.text),
  })
}

/** The evidence traces of a report (one per observed edge of a lock-order cycle), each as ITF. */
export function evidenceItf(r: Report): { label: string; itf: ItfTrace }[] {
  return r.evidence.map((e) => {
    const story = narrate(r.exploration.model, r.narrator, e.trace).narrative
    return {
      label: e.label,
      itf: traceToItf(r, e.trace, {
        description: `${describe(r)}; evidence for the lock-order edge ${e.label}`,
        actors: story.map((n) => n.actor),
        texts: story.map((n) => n.text),
      }),
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Reading

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

// ---------------------------------------------------------------------------------------------
// Checking the shape

/**
 * The ITF trace shape (ADR-015) as a JSON Schema (draft-07), in the strict profile Quint writes:
 * integers only as `{"#bigint": "..."}`. What a schema cannot say (every state defines every var,
 * the initial state every param, `loop` indexes a state) `itfShapeErrors` checks besides.
 */
export const ITF_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Informal Trace Format (Apalache ADR-015), strict profile',
  type: 'object',
  required: ['vars', 'states'],
  additionalProperties: false,
  properties: {
    '#meta': {
      type: 'object',
      description: 'free-form metadata; Apalache reads varTypes',
      properties: {
        format: { type: 'string' },
        'format-description': { type: 'string' },
        source: { type: 'string' },
        status: { type: 'string' },
        description: { type: 'string' },
        timestamp: { type: 'number' },
        varTypes: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    params: { type: 'array', items: { $ref: '#/definitions/name' }, uniqueItems: true, description: 'names set in the initial state (constants)' },
    vars: { type: 'array', items: { $ref: '#/definitions/name' }, uniqueItems: true, description: 'names set in every state' },
    states: { type: 'array', items: { $ref: '#/definitions/state' } },
    loop: { type: 'integer', minimum: 0, description: 'index of the state the last state loops back to (a lasso)' },
  },
  definitions: {
    name: { type: 'string', minLength: 1, pattern: '^[^#]' },
    state: {
      type: 'object',
      properties: { '#meta': { type: 'object' } },
      propertyNames: { anyOf: [{ const: '#meta' }, { pattern: '^[^#]' }] },
      additionalProperties: { $ref: '#/definitions/expr' },
    },
    expr: {
      anyOf: [
        { type: 'boolean' },
        { type: 'string' },
        { type: 'array', items: { $ref: '#/definitions/expr' }, description: 'a list (sequence)' },
        { $ref: '#/definitions/bigint' },
        { $ref: '#/definitions/tup' },
        { $ref: '#/definitions/set' },
        { $ref: '#/definitions/map' },
        { $ref: '#/definitions/unserializable' },
        { $ref: '#/definitions/variant' },
        { $ref: '#/definitions/record' },
      ],
    },
    bigint: {
      type: 'object',
      required: ['#bigint'],
      additionalProperties: false,
      properties: { '#bigint': { type: 'string', pattern: '^-?[0-9]+$' } },
    },
    tup: { type: 'object', required: ['#tup'], additionalProperties: false, properties: { '#tup': { type: 'array', items: { $ref: '#/definitions/expr' } } } },
    set: { type: 'object', required: ['#set'], additionalProperties: false, properties: { '#set': { type: 'array', items: { $ref: '#/definitions/expr' } } } },
    map: {
      type: 'object',
      required: ['#map'],
      additionalProperties: false,
      properties: { '#map': { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: { $ref: '#/definitions/expr' } } } },
    },
    unserializable: { type: 'object', required: ['#unserializable'], additionalProperties: false, properties: { '#unserializable': { type: 'string' } } },
    variant: { type: 'object', required: ['tag', 'value'], additionalProperties: false, properties: { tag: { type: 'string' }, value: { $ref: '#/definitions/expr' } } },
    record: { type: 'object', propertyNames: { pattern: '^[^#]' }, additionalProperties: { $ref: '#/definitions/expr' } },
  },
} as const

let validator: ValidateFunction | undefined
function validate(obj: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(ITF_SCHEMA)
  return validator(obj) ? [] : [...(validator.errors ?? [])]
}

const ptr = (path: readonly (string | number)[]): string => path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('')

const FORMS = new Set(['#bigint', '#tup', '#set', '#map', '#unserializable'])

/** Precise messages for expressions that are not ITF, with JSON-pointer paths. */
function exprErrors(x: unknown, path: (string | number)[], out: string[]): void {
  const at = ptr(path)
  if (typeof x === 'boolean' || typeof x === 'string') return
  if (typeof x === 'number') {
    out.push(`${at}: plain JSON number ${x}; write integers as {"#bigint": "${Number.isInteger(x) ? x : '...'}"}`)
    return
  }
  if (Array.isArray(x)) return x.forEach((e, i) => exprErrors(e, [...path, i], out))
  if (!isObj(x)) {
    out.push(`${at}: ${x === null ? 'null' : typeof x} is not an ITF expression`)
    return
  }
  const keys = Object.keys(x)
  const hashed = keys.filter((k) => k.startsWith('#'))
  if (hashed.length > 0) {
    if (keys.length !== 1 || !FORMS.has(keys[0]!)) {
      out.push(`${at}: '${hashed[0]}' is not allowed here (a '#' key must be the only key of a #bigint, #tup, #set, #map or #unserializable form)`)
      return
    }
    const k = keys[0]!
    const v = x[k]
    if (k === '#bigint') {
      if (typeof v !== 'string' || !/^-?[0-9]+$/.test(v)) out.push(`${at}/#bigint: must be a string of decimal digits, got ${JSON.stringify(v)}`)
    } else if (k === '#unserializable') {
      if (typeof v !== 'string') out.push(`${at}/#unserializable: must be a string`)
    } else if (!Array.isArray(v)) {
      out.push(`${at}/${k}: must be an array`)
    } else if (k === '#map') {
      v.forEach((p, i) => {
        if (!Array.isArray(p) || p.length !== 2) out.push(`${at}/#map/${i}: must be a [key, value] pair`)
        else p.forEach((e, j) => exprErrors(e, [...path, '#map', i, j], out))
      })
    } else {
      v.forEach((e, i) => exprErrors(e, [...path, k, i], out))
    }
    return
  }
  for (const k of keys) exprErrors(x[k], [...path, k], out)
}

/**
 * Everything wrong with `obj` as an ITF trace (empty when it is one): the JSON Schema above
 * (validated with Ajv), and the rules a schema cannot state.
 */
export function itfShapeErrors(obj: unknown): string[] {
  const out: string[] = []
  if (!isObj(obj)) return ['/: an ITF trace is a JSON object']
  for (const k of Object.keys(obj)) {
    if (!['#meta', 'params', 'vars', 'states', 'loop'].includes(k)) out.push(`/${k}: not a field of an ITF trace${k.startsWith('#') ? " (the only '#' key of a trace is #meta)" : ''}`)
  }
  if (obj['#meta'] !== undefined && !isObj(obj['#meta'])) out.push('/#meta: must be an object')
  const names = (k: 'vars' | 'params'): string[] => {
    const a = obj[k]
    if (a === undefined) {
      if (k === 'vars') out.push('/vars: missing')
      return []
    }
    if (!Array.isArray(a)) {
      out.push(`/${k}: must be an array of names`)
      return []
    }
    const seen = new Set<string>()
    a.forEach((n, i) => {
      if (typeof n !== 'string') out.push(`/${k}/${i}: ${JSON.stringify(n)} is not a string`)
      else if (n === '' || n.startsWith('#')) out.push(`/${k}/${i}: '${n}' is not a name (empty or starting with '#')`)
      else if (seen.has(n)) out.push(`/${k}/${i}: '${n}' is listed twice`)
      else seen.add(n)
    })
    return [...seen]
  }
  const vars = names('vars')
  const params = names('params')
  for (const p of params) if (vars.includes(p)) out.push(`/params: '${p}' is also a var`)
  const meta = obj['#meta']
  if (isObj(meta) && meta.varTypes !== undefined) {
    if (!isObj(meta.varTypes)) out.push('/#meta/varTypes: must be an object')
    else for (const v of vars) if (typeof meta.varTypes[v] !== 'string') out.push(`/#meta/varTypes: no type string for var '${v}'`)
  }
  const states = obj.states
  if (!Array.isArray(states)) out.push('/states: must be an array of states')
  else {
    states.forEach((s, i) => {
      if (!isObj(s)) {
        out.push(`/states/${i}: a state is a JSON object`)
        return
      }
      if (s['#meta'] !== undefined && !isObj(s['#meta'])) out.push(`/states/${i}/#meta: must be an object`)
      for (const v of vars) if (!(v in s)) out.push(`/states/${i}: var '${v}' has no value`)
      if (i === 0) for (const p of params) if (!(p in s)) out.push(`/states/0: param '${p}' has no value in the initial state`)
      for (const [k, x] of Object.entries(s)) {
        if (k === '#meta') continue
        if (k.startsWith('#')) out.push(`/states/${i}/${k}: '#' keys other than #meta are not allowed in a state`)
        else if (!vars.includes(k) && !params.includes(k)) out.push(`/states/${i}/${k}: neither a var nor a param of the trace`)
        exprErrors(x, ['states', i, k], out)
      }
    })
  }
  const loop = obj.loop
  if (loop !== undefined) {
    const n = Array.isArray(states) ? states.length : 0
    if (typeof loop !== 'number' || !Number.isInteger(loop) || loop < 0 || loop >= n) {
      out.push(`/loop: ${JSON.stringify(loop)} is not the index of a state (0..${n - 1})`)
    }
  }
  // The schema, minus the per-branch noise of anyOf (its summary error stays), and minus what the
  // precise checks above already reported at the same place.
  const reported = out.map((e) => e.slice(0, e.indexOf(':')))
  for (const e of validate(obj)) {
    if (e.schemaPath.includes('/anyOf/')) continue
    const extra = e.keyword === 'additionalProperties' ? e.params.additionalProperty : e.keyword === 'required' ? e.params.missingProperty : undefined
    const at = typeof extra === 'string' ? `${e.instancePath}${ptr([extra])}` : e.instancePath || '/'
    if (reported.some((p) => at === p || at.startsWith(p + '/') || p.startsWith(at + '/'))) continue
    out.push(`${at}: ${e.message ?? 'does not match the ITF schema'} (schema ${e.schemaPath})`)
  }
  return out
}
