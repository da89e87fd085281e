/**
 * Loading a YAML file against a JSON Schema, with errors that name the file, the line and the
 * field, say what is wrong and how to fix it. YAML parsing is the `yaml` package (it keeps source
 * positions); validation is Ajv. Scenario files are read with it (scenario.ts); the loader itself
 * knows no file kind: what a wrong top level should look like is the caller's hint.
 */
import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject } from 'ajv'
import { LineCounter, parseAllDocuments, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml'
import { FileError } from '../checker/params.js'
import type { ErrorCode } from '../errors/codes.js'

export interface LoadedYaml {
  readonly file: string
  /** the text read (or given) */
  readonly text: string
  readonly data: unknown
  /** 1-based line of the value at a JSON path like ['jobs', 2, 'deps'], or undefined */
  lineOf(path: readonly (string | number)[]): number | undefined
}

/** Read and parse `file`; given its `text` (as read before), parse that instead of reading it again. */
export function loadYaml(file: string, given?: string): LoadedYaml {
  let text: string
  try {
    text = given ?? readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new FileError('FC100', file, undefined, undefined, code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(e)})`)
  }
  return withinDepth(file, () => readYaml(file, text))
}

/** Run `f`; deep nesting (or aliases that expand into it) overflowing a recursion becomes FC106. */
export function withinDepth<T>(file: string, f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw depthError(file)
    throw e
  }
}

function depthError(file: string): FileError {
  return new FileError('FC106', file, undefined, undefined, 'the YAML nests too deeply to be read (write the structure out flat; no scenario needs that depth)')
}

function readYaml(file: string, text: string): LoadedYaml {
  const lc = new LineCounter()
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
  const all = Array.isArray(docs) ? docs : []
  if (all.length > 1) {
    const line = lc.linePos(all[1]!.range[0]).line
    throw new FileError('FC105', file, line, undefined, `holds ${all.length} YAML documents; a scenario is one (remove the '---' here, or split the file)`)
  }
  const doc = all[0] ?? parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!
    const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line
    if (e.code === 'DUPLICATE_KEY') {
      const lineText = text.split('\n')[line - 1] ?? ''
      const key = /^\s*-?\s*([^:#{]+?)\s*:/.exec(lineText)?.[1] ?? text.slice(e.pos[0], e.pos[1])
      throw new FileError('FC102', file, line, undefined, `invalid YAML: the key '${key}' appears twice in the same map (remove or rename one)`)
    }
    if (/call stack/i.test(e.message)) throw depthError(file)
    throw new FileError('FC101', file, line, undefined, `invalid YAML: ${e.message.split('\n')[0]} (fix the syntax at this line)`)
  }
  let data: unknown
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as unknown
  } catch (e) {
    if (e instanceof RangeError) throw e
    throw new FileError(
      'FC103',
      file,
      undefined,
      undefined,
      'its aliases (*name) expand into more than 100 copies, which no scenario needs; write the repeated parts out, or use a library path',
    )
  }
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    let node: unknown = doc.contents
    let last: Node | undefined = doc.contents ?? undefined
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key)
        if (!pair) break
        // The line of `key:` itself: where a reader looks for the field.
        last = (pair.key as Node | null) ?? (pair.value as Node)
        node = pair.value
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key]
        if (!node) break
        last = node as Node
      } else break
    }
    const start = last?.range?.[0]
    return start === undefined ? undefined : lc.linePos(start).line
  }
  return { file, text, data, lineOf }
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })

/**
 * Validate against a JSON Schema. The first error becomes a FileError naming the line and field
 * (errors in deeper fields are preferred; they are the more precise ones). `rootHint` is added to
 * a wrong type of the whole document, e.g. what its top-level map holds.
 */
export function validate(y: LoadedYaml, schema: object, what: string, rootHint?: string): void {
  const check = ajv.getSchema(what) ?? (ajv.addSchema(schema, what), ajv.getSchema(what)!)
  if (withinDepth(y.file, () => check(y.data))) return
  const errors = [...(check.errors ?? [])].sort((a, b) => depth(b) - depth(a))
  const e = pickError(errors)
  const path = pathOf(e)
  throw new FileError(codeOf(e), y.file, y.lineOf(path), path.length ? path.join('.') : undefined, explain(e, rootHint))
}

function depth(e: ErrorObject): number {
  return pathOf(e).length + (e.keyword === 'additionalProperties' ? 1 : 0)
}

function pickError(errors: ErrorObject[]): ErrorObject {
  // "oneOf/anyOf failed" is the least helpful message; prefer what the branches said.
  return errors.find((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if') ?? errors[0]!
}

function pathOf(e: ErrorObject): (string | number)[] {
  const parts = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
  if (e.keyword === 'additionalProperties') parts.push((e.params as { additionalProperty: string }).additionalProperty)
  return parts
}

/** The code of a schema error: one per kind of mistake `explain` tells apart. */
function codeOf(e: ErrorObject): ErrorCode {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'FC110'
    case 'required':
      return 'FC111'
    case 'type':
      return 'FC112'
    case 'enum':
    case 'const':
      return 'FC113'
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return 'FC114'
    case 'minItems':
    case 'minProperties':
      return 'FC115'
    case 'pattern': {
      const p = String((e.params as { pattern?: unknown }).pattern)
      return p.includes('KiB') ? 'FC116' : p.startsWith('^[A-Za-z_]') ? 'FC117' : p.includes('(ms|s|m|h)') ? 'FC127' : 'FC118'
    }
    default:
      return 'FC118'
  }
}

function explain(e: ErrorObject, rootHint: string | undefined): string {
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown field '${String(p.additionalProperty)}' (check the spelling; the schema allows only documented fields)`
    case 'required':
      return `missing required field '${String(p.missingProperty)}'`
    case 'type': {
      const types = String(p.type)
        .split(',')
        .map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'a map of fields' : t === 'array' ? 'a list' : `a ${t}`))
      return `must be ${types.join(' or ')}${e.instancePath === '' && rootHint !== undefined ? ` (${rootHint})` : ''}`
    }
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return `must be ${String(p.comparison)} ${String(p.limit)}`
    case 'minItems':
      return `must have at least ${String(p.limit)} item(s)`
    case 'minProperties':
      return `must not be empty`
    case 'pattern':
      return String(p.pattern).includes('KiB')
        ? 'must be a size such as 512MiB, 2GiB or a number of bytes'
        : String(p.pattern).startsWith('^[A-Za-z_]')
          ? 'must be a name: letters, digits, _ . or -, starting with a letter or _ (no spaces)'
          : String(p.pattern).includes('(ms|s|m|h)')
            ? 'must be a duration such as 90s, 10m, 2h or a number of seconds'
            : `must match ${String(p.pattern)}`
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`
    default:
      return e.message ?? 'is invalid'
  }
}
