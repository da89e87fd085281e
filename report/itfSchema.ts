/**
 * The shape of an ITF trace (Apalache ADR-015), in the strict profile fencecheck and Quint write:
 * the published JSON Schema (`fencecheck schema itf`) and `itfShapeErrors`, which also checks what
 * a schema cannot say.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

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
    variant: {
      type: 'object',
      required: ['tag', 'value'],
      additionalProperties: false,
      properties: { tag: { type: 'string' }, value: { $ref: '#/definitions/expr' } },
    },
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
    if (!['#meta', 'params', 'vars', 'states', 'loop'].includes(k))
      out.push(`/${k}: not a field of an ITF trace${k.startsWith('#') ? " (the only '#' key of a trace is #meta)" : ''}`)
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
    const params = e.params as { additionalProperty?: unknown; missingProperty?: unknown }
    const extra: unknown = e.keyword === 'additionalProperties' ? params.additionalProperty : e.keyword === 'required' ? params.missingProperty : undefined
    const at = typeof extra === 'string' ? `${e.instancePath}${ptr([extra])}` : e.instancePath || '/'
    if (reported.some((p) => at === p || at.startsWith(p + '/') || p.startsWith(at + '/'))) continue
    out.push(`${at}: ${e.message ?? 'does not match the ITF schema'} (schema ${e.schemaPath})`)
  }
  return out
}
