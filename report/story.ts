/**
 * A trace told in a model's words: per step the actor, what it does and what changed, the graph
 * the narrator draws of each state, and the initial state. Without a narrator member the plain
 * form is used (see narrator.ts), so every model's traces can be told.
 */
import { type Action, formatAction, fromValues, Values } from '../checker/model.js'
import type { Trace } from '../checker/trace.js'
import type { NarratedModel } from './narrator.js'

export interface NarrativeStep {
  readonly step: number
  readonly actor: string
  readonly text: string
  readonly changes: readonly string[]
  /** DOT of the model's explanatory graph after this step (e.g. its wait-for graph), when it has one */
  readonly graph?: string
  /** the state after this step in full, in the model's words (when the narrator tells states in full) */
  readonly state?: readonly string[]
  /** the actors blocked after this step, with what each waits for */
  readonly blocked?: readonly { readonly actor: string; readonly why: string }[]
}

export interface Story {
  readonly narrative: NarrativeStep[]
  /** DOT of the narrator's graph of the last state (the wait-for graph at the end) */
  readonly lastGraph?: string
  /** the initial state, in the model's words */
  readonly initial: string[]
  /** the initial state in full and its blocked actors, when the narrator tells them */
  readonly initialFull?: { readonly state?: readonly string[]; readonly blocked?: readonly { readonly actor: string; readonly why: string }[] }
}

/** A recorded state (field name -> value) as a Reader with derived values, or undefined if it does not fit the layout. */
export function readState(subject: NarratedModel<Action>, state: Record<string, unknown>): Values | undefined {
  const parsed = subject.model.layout.fromObject(state)
  return typeof parsed === 'string' ? undefined : new Values(fromValues(subject.model, parsed))
}

/** The last state of a trace (its initial state when it has no step). */
export function lastState(trace: Trace): Record<string, unknown> {
  return trace.steps.length ? trace.steps[trace.steps.length - 1]!.state : trace.initialState
}

/** Why the last state of a trace is bad, in the narrator's words; empty when it has none to say. */
export function explainEnd(subject: NarratedModel<Action>, trace: Trace): string[] {
  const narrator = subject.narrator
  if (!narrator.explain) return []
  const end = readState(subject, lastState(trace))
  return end ? narrator.explain(end) : []
}

/**
 * Why the trace violates the property, in the narrator's words (which clause broke, who holds
 * what across which wait); empty when the narrator has nothing to say or a state does not decode.
 */
export function explainViolation(subject: NarratedModel<Action>, property: { readonly name: string }, trace: Trace): string[] {
  const narrator = subject.narrator
  if (!narrator.explainViolation) return []
  const states = [trace.initialState, ...trace.steps.map((st) => st.state)].map((x) => readState(subject, x))
  if (states.some((x) => x === undefined)) return []
  const { properties, deadlock } = subject.model
  const id = properties.find((p) => p.name === property.name)?.id ?? (deadlock?.name === property.name ? deadlock.id : undefined) ?? property.name
  const read = { states: states as Values[], actions: trace.steps.map((st) => st.action), ...(trace.loop !== undefined ? { loop: trace.loop } : {}) }
  return narrator.explainViolation(id, read)
}

/** A trace told in the model's words. */
export function narrate(subject: NarratedModel<Action>, trace: Trace | undefined): Story {
  const { narrator } = subject
  const narrative: NarrativeStep[] = []
  if (!trace) return { narrative, initial: [] }
  const full = (x: Values | undefined): Pick<NarrativeStep, 'state' | 'blocked'> =>
    x ? { ...(narrator.stateLines ? { state: narrator.stateLines(x) } : {}), ...(narrator.blocked ? { blocked: narrator.blocked(x) } : {}) } : {}
  let prev = trace.initialState
  trace.steps.forEach((st, i) => {
    const pre = readState(subject, prev)
    const post = readState(subject, st.state)
    const d = narrator.describeStep && pre && post ? narrator.describeStep(pre, st.action, post) : { actor: actorOf(st.action), text: formatAction(st.action) }
    const changes = Object.entries(st.changes)
      .map(([k, [a, b]]) => (narrator.describeChange ? narrator.describeChange(k, a, b) : `${k}: ${fmtValue(a)} -> ${fmtValue(b)}`))
      .filter((c): c is string => c !== undefined)
    narrative.push({ step: i + 1, actor: d.actor, text: d.text, changes, ...(narrator.graph && post ? { graph: narrator.graph(post) } : {}), ...full(post) })
    prev = st.state
  })
  const last = readState(subject, prev)
  const init = readState(subject, trace.initialState)
  const initial =
    narrator.describeState && init
      ? narrator.describeState(init)
      : [
          Object.entries(trace.initialState)
            .map(([k, val]) => `${k}=${fmtValue(val)}`)
            .join(' '),
        ]
  return { narrative, ...(narrator.graph && last ? { lastGraph: narrator.graph(last) } : {}), initial, initialFull: full(init) }
}

/** Who acts, for a model without a narrator: the first actor-like parameter of the action. */
function actorOf(a: Action): string {
  const names: Record<string, string> = { thread: 'thread', t: 'thread', job: 'job', k: 'k', g: 'g', p: 'process', process: 'process' }
  for (const k of Object.keys(names)) if (a[k] !== undefined) return `${names[k]} ${String(a[k])}`
  return 'system'
}

/** A state value as text: lists in brackets, separated by spaces. */
export function fmtValue(v: unknown): string {
  return Array.isArray(v) ? `[${v.map(fmtValue).join(' ')}]` : String(v)
}

/** DOT of an order graph with the cycle's edges in red; primed edges dashed. */
export function orderDot(edges: readonly { from: string; to: string; observed: boolean }[], cycle: readonly { from: string; to: string }[]): string {
  const esc = (x: string): string => x.replace(/"/g, '\\"')
  const inCycle = (e: { from: string; to: string }): boolean => cycle.some((c) => c.from === e.from && c.to === e.to)
  const out = ['digraph lockorder {', '  rankdir=LR; node [fontname="Helvetica", shape=box, style=rounded]; edge [fontname="Helvetica", fontsize=10];']
  const nodes = new Set(edges.flatMap((e) => [e.from, e.to]))
  for (const n of nodes) out.push(`  "${esc(n)}"${cycle.some((c) => c.from === n) ? ' [color=red]' : ''};`)
  for (const e of edges) {
    const attrs = [e.observed ? 'label="observed"' : 'label="primed", style=dashed', ...(inCycle(e) ? ['color=red', 'penwidth=2'] : [])]
    out.push(`  "${esc(e.from)}" -> "${esc(e.to)}" [${attrs.join(', ')}];`)
  }
  out.push('}')
  return out.join('\n')
}
