/**
 * Typed model parameters (`--param C=2 --param POLICY=reserve`). Every model declares its
 * parameters; values are checked here so a typo is a clear error, never a silent default.
 * Bad input of any kind is an InputError (a FileError when it is located in a file).
 */
import type { ErrorCode } from '../errors/codes.js'

export type ParamSpec =
  | { readonly name: string; readonly kind: 'int'; readonly min: number; readonly max: number; readonly default?: number; readonly doc: string }
  | { readonly name: string; readonly kind: 'enum'; readonly values: readonly string[]; readonly default?: string; readonly doc: string }

export type ParamValues = Record<string, string | number>

/**
 * Bad input from the user: reported with exit code 2. `code` names the kind of mistake (see
 * errors/codes.ts); `where` names the file, flag or field.
 */
export class InputError extends Error {
  override readonly name = 'InputError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly where?: string,
  ) {
    super(message)
  }
}

/** An input error located in a file: `file:line: field: message`. */
export class FileError extends InputError {
  constructor(
    code: ErrorCode,
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    message: string,
  ) {
    super(code, `${file}${line !== undefined ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${message}`, file)
  }
}

export function describeParam(p: ParamSpec): string {
  const range = p.kind === 'int' ? `integer ${p.min}..${p.max}` : p.values.join('|')
  const def = p.default !== undefined ? `, default ${p.default}` : ', required'
  return `${p.name} (${range}${def}): ${p.doc}`
}

/**
 * Parse `NAME=VALUE` strings (or an already-split record) against the specs. Unknown names,
 * missing values, ill-typed or out-of-range values are InputErrors naming the parameter.
 */
/** A parameter value as the user wrote it: a string as is, anything else (a scenario file's number, list or map) as JSON. */
const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

export function parseParams(model: string, specs: readonly ParamSpec[], given: readonly string[] | Record<string, unknown>, where = '--param'): ParamValues {
  const raw = new Map<string, unknown>()
  if (Array.isArray(given)) {
    for (const item of given as readonly string[]) {
      const eq = String(item).indexOf('=')
      if (eq <= 0) throw new InputError('FC130', `'${item}' is not NAME=VALUE (for example --param C=2)`, where)
      const name = String(item).slice(0, eq).trim()
      const value = String(item)
        .slice(eq + 1)
        .trim()
      if (value === '') throw new InputError('FC131', `parameter ${name} has no value (write ${name}=VALUE)`, where)
      if (raw.has(name)) throw new InputError('FC132', `parameter ${name} is given twice`, where)
      raw.set(name, value)
    }
  } else {
    for (const [k, v] of Object.entries(given)) raw.set(k, v)
  }
  const known = new Set(specs.map((s) => s.name))
  for (const name of raw.keys()) {
    if (!known.has(name)) {
      const list = specs.map((s) => s.name).join(', ') || 'none'
      throw new InputError('FC133', `model '${model}' has no parameter '${name}' (its parameters: ${list})`, where)
    }
  }
  const out: ParamValues = {}
  for (const spec of specs) {
    const v = raw.get(spec.name)
    if (v === undefined || v === null) {
      if (spec.default === undefined) throw new InputError('FC134', `model '${model}' needs parameter ${describeParam(spec)}`, where)
      out[spec.name] = spec.default
      continue
    }
    if (spec.kind === 'int') {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN
      if (!Number.isInteger(n)) throw new InputError('FC135', `parameter ${spec.name} must be an integer, got '${shown(v)}'`, where)
      if (n < spec.min || n > spec.max) throw new InputError('FC136', `parameter ${spec.name} must be in ${spec.min}..${spec.max}, got ${n}`, where)
      out[spec.name] = n
    } else {
      const s = shown(v)
      if (!spec.values.includes(s)) throw new InputError('FC137', `parameter ${spec.name} must be one of ${spec.values.join(', ')}, got '${s}'`, where)
      out[spec.name] = s
    }
  }
  return out
}
