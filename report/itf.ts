/**
 * Writing traces in the Informal Trace Format (ITF, Apalache ADR-015), the JSON trace format
 * Apalache and Quint read and write, so a fencecheck counterexample can be loaded by Quint's
 * tooling, the ITF trace viewer, or a model-based test driver. Reading them is itfRead.ts; their
 * shape, as a schema and as precise checks, is itfSchema.ts.
 *
 * What fencecheck writes is the strict profile Quint writes: every integer is `{"#bigint": "..."}`
 * (ADR-015 also admits plain JSON integers; `parseItf` accepts them, `itfShapeErrors` does not),
 * lists are JSON arrays, booleans JSON booleans, enum values strings. Each state carries the action
 * that led to it twice: in its `#meta` (with the actor, in the model's words) and in Quint's
 * model-based-testing variables `mbt::actionTaken` (the action's name, "init" for the initial state)
 * and `mbt::nondetPicks` (one field per action parameter of the model, `Some(value)` for the
 * parameters of the action taken, `None` for the others, as Quint does for its nondet picks).
 */
import type { Action, Model } from '../checker/model.js'
import { formatAction } from '../checker/model.js'
import type { Trace } from '../checker/trace.js'
import { headline, scopeLine } from '../checker/verdict.js'
import type { Report } from './report.js'
import { narrate } from './story.js'

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
function varTypesOf(model: Model<Action>, vars: readonly string[], sample: Record<string, unknown> | undefined): Record<string, string> {
  const layout = model.layout
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
    out[v] = elem[v] !== undefined ? (isList ? `Seq(${elem[v]})` : elem[v]) : typeOfValue(sample?.[v])
  }
  return out
}

/** The parameters of the model's actions, with their Apalache types, in first-seen order. */
function actionParams(model: Model<Action>): Map<string, string> {
  const out = new Map<string, string>()
  for (const rule of model.rules) {
    for (const [k, v] of Object.entries(rule.action)) if (k !== 'name' && !out.has(k)) out.set(k, typeOfValue(v))
  }
  return out
}

/** What an ITF trace says of itself in its `#meta`, besides the types of its variables. */
export interface ItfHeader {
  /** the checked scenario file, or the built-in model's name */
  readonly source: string
  readonly status: 'violation' | 'ok' | 'inconclusive'
  readonly description: string
  /** the violated property */
  readonly property?: string
  readonly scope: string
  /** the model's parameters, written as the trace's params (set in the initial state) */
  readonly params: Readonly<Record<string, string | number>>
}

export interface TraceOptions {
  /** a lasso: the index of the state the last state loops back to */
  readonly loop?: number
  /** the actor of each step (1-based index into the trace), when known */
  readonly actors?: readonly string[]
  /** what each step does, in the model's words, when known */
  readonly texts?: readonly string[]
}

/**
 * A trace of `model` as ITF. Without a trace (a proof) the ITF trace has no states. The variable
 * types come from the model's layout, the `mbt::nondetPicks` fields from its rules' actions.
 */
export function traceToItf(model: Model<Action>, trace: Trace | undefined, header: ItfHeader, opts: TraceOptions = {}): ItfTrace {
  const sample = trace?.initialState
  const vars = sample ? Object.keys(sample) : model.layout.groupNames()
  const picks = actionParams(model)
  const paramEntries = Object.entries(header.params).map(([k, x]) => [vars.includes(k) || k.startsWith('mbt::') ? `param::${k}` : k, x] as const)
  const varTypes: Record<string, string> = {
    ...varTypesOf(model, vars, sample),
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
    source: header.source,
    status: header.status,
    description: header.description,
    ...(header.property !== undefined ? { property: header.property } : {}),
    scope: header.scope,
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

/** The ITF header of a report's traces: its source, and its verdict in one line. */
export function itfHeader(r: Report): ItfHeader {
  const v = r.verdict
  const what = r.target.scenario ? r.target.scenario.name : r.target.model
  return {
    source: r.target.scenario ? r.target.scenario.file : r.target.target,
    status: v.status === 'violated' ? 'violation' : v.status === 'proved' ? 'ok' : 'inconclusive',
    description: `fencecheck ${what}: ${headline(v)}; ${scopeLine(v)}`,
    ...(v.status === 'violated' ? { property: v.property.name } : {}),
    scope: scopeLine(v),
    params: r.target.params,
  }
}

/**
 * The report's trace (its counterexample) as an ITF trace. A report without a trace (a proof)
 * gives a trace with no states and status "ok". `loop` marks a lasso: the index of the state the
 * last state loops back to.
 */
export function toItf(r: Report, loop: number | undefined = r.trace?.loop): ItfTrace {
  return traceToItf(r.subject.model, r.trace, itfHeader(r), {
    ...(loop !== undefined ? { loop } : {}),
    actors: r.narrative.map((n) => n.actor),
    texts: r.narrative.map((n) => n.text),
  })
}

/** The evidence traces of a report (one per observed edge of a lock-order cycle), each as ITF. */
export function evidenceItf(r: Report): { label: string; itf: ItfTrace }[] {
  const header = itfHeader(r)
  return r.evidence.map((e) => {
    const story = narrate(r.subject, e.trace).narrative
    return {
      label: e.label,
      itf: traceToItf(
        r.subject.model,
        e.trace,
        { ...header, description: `${header.description}; evidence for the lock-order edge ${e.label}` },
        {
          actors: story.map((n) => n.actor),
          texts: story.map((n) => n.text),
        },
      ),
    }
  })
}
