/**
 * Turning an exploration into output: the stable JSON document users script against, and the
 * plain-text report for terminals and mail.
 */
import type { Exploration } from '../checker/explore.js'
import { fmtBytes } from '../checker/explore.js'
import { formatAction, fromValues, type Action, Values } from '../checker/model.js'
import { evidenceTraces, type Trace, violationTrace } from '../checker/trace.js'
import { coverageLines, headline, scopeLine, type Verdict } from '../checker/verdict.js'

/**
 * The version of the result document. 2 added `scenarioHash`; `replay` reads every version in
 * READABLE_FORMAT_VERSIONS and refuses the others.
 */
export const FORMAT_VERSION = 2
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2]

/** What identifies the checked system, enough for `replay` to rebuild it. */
export interface Target {
  /** a built-in model name or a scenario file path, as given on the command line */
  readonly target: string
  readonly model: string
  readonly params: Record<string, string | number>
  readonly scenario?: { readonly file: string; readonly name: string; readonly about: string }
  /** for scenario targets: hashText of the scenario file's text, so `replay` can tell it changed */
  readonly scenarioHash?: string
}

export interface Report {
  readonly target: Target
  readonly exploration: Exploration<Action>
  readonly verdict: Verdict
  readonly trace?: Trace
  /** further traces that are part of the evidence (one per observed edge of a lock-order cycle) */
  readonly evidence: readonly { label: string; trace: Trace }[]
  /** why the last state is stuck, or what the violation means, in the model's vocabulary */
  readonly explanation: readonly string[]
  /** the trace as a story: per step, the actor, what it does, and what changed, in the model's words */
  readonly narrative: readonly NarrativeStep[]
  /** the actors (swim lanes), in display order */
  readonly actors: readonly string[]
  /** DOT sources: the wait-for graph at the last state of the trace; the lock-order graph */
  readonly graphs: { readonly waitFor?: string; readonly lockOrder?: string }
  /** the initial state of the trace, in the model's words */
  readonly initial: readonly string[]
  /** the properties checked, with their sources */
  readonly rules: readonly { readonly name: string; readonly kind: string; readonly cite?: string }[]
  readonly reproduce: string
}

export interface NarrativeStep {
  readonly step: number
  readonly actor: string
  readonly text: string
  readonly changes: readonly string[]
  /** DOT of the model's explanatory graph after this step (e.g. its wait-for graph), when it has one */
  readonly graph?: string
}

export function makeReport(target: Target, x: Exploration<Action>, reproduce: string): Report {
  const trace = violationTrace(x)
  const explanation: string[] = [...(x.violation?.detail ?? [])]
  if (trace && x.model.explain) {
    const last = trace.steps.length ? trace.steps[trace.steps.length - 1]!.state : trace.initialState
    const parsed = x.model.layout.fromObject(last)
    if (typeof parsed !== 'string') explanation.push(...x.model.explain(new Values(fromValues(x.model, parsed))))
  }
  const model = x.model
  const { narrative, graphs, initial } = narrate(model, trace)
  const g = x.violation?.graph
  if (g) graphs.lockOrder = orderDot(g.edges, g.cycle)
  const actors = model.actors ? [...model.actors()] : [...new Set(narrative.map((n) => n.actor))]
  const rules = [
    ...model.properties.filter((p) => p.kind !== 'sometimes').map((p) => ({ name: p.name, kind: p.kind, ...(p.cite ? { cite: p.cite } : {}) })),
    ...(model.deadlock && !model.properties.some((p) => p.name === model.deadlock!.name) ? [{ name: model.deadlock.name, kind: 'deadlock', ...(model.deadlock.cite ? { cite: model.deadlock.cite } : {}) }] : []),
  ]
  return { target, exploration: x, verdict: x.verdict, ...(trace ? { trace } : {}), evidence: evidenceTraces(x), explanation, narrative, actors, graphs, initial, rules, reproduce }
}

/** A trace told in the model's words: per step the actor, the action and the changes; the graphs. */
export function narrate(
  model: Exploration<Action>['model'],
  trace: Trace | undefined,
): { narrative: NarrativeStep[]; graphs: { waitFor?: string; lockOrder?: string }; initial: string[] } {
  const decodeObj = (o: Record<string, unknown>): Values | undefined => {
    const parsed = model.layout.fromObject(o)
    return typeof parsed === 'string' ? undefined : new Values(fromValues(model, parsed))
  }
  const narrative: NarrativeStep[] = []
  const graphs: { waitFor?: string; lockOrder?: string } = {}
  if (!trace) return { narrative, graphs, initial: [] }
  let prev = trace.initialState
  trace.steps.forEach((st, i) => {
    const pre = decodeObj(prev)
    const post = decodeObj(st.state)
    const d = model.describeStep && pre && post ? model.describeStep(pre, st.action, post) : { actor: actorOf(st.action), text: formatAction(st.action) }
    const changes = Object.entries(st.changes)
      .map(([k, [a, b]]) => (model.describeChange ? model.describeChange(k, a, b) : `${k}: ${fmtValue(a)} -> ${fmtValue(b)}`))
      .filter((c): c is string => c !== undefined)
    narrative.push({ step: i + 1, actor: d.actor, text: d.text, changes, ...(model.graph && post ? { graph: model.graph(post) } : {}) })
    prev = st.state
  })
  const last = decodeObj(prev)
  if (model.graph && last) graphs.waitFor = model.graph(last)
  const init = decodeObj(trace.initialState)
  const initial =
    model.describeState && init ? model.describeState(init) : [Object.entries(trace.initialState).map(([k, val]) => `${k}=${fmtValue(val)}`).join(' ')]
  return { narrative, graphs, initial }
}

function actorOf(a: Action): string {
  const names: Record<string, string> = { thread: 'thread', t: 'thread', job: 'job', k: 'k', g: 'g', p: 'process', process: 'process' }
  for (const k of Object.keys(names)) if (a[k] !== undefined) return `${names[k]} ${String(a[k])}`
  return 'system'
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

/**
 * The JSON document (`--format json`). Stable keys: verdict, property, distinctStates,
 * transitions, maxDepth, timeMs, statesPerSec, peakMemoryBytes, collisionProbability, scope,
 * sometimes, traceLength, initialState, trace[{step, action, state, changes}], reproduce.
 */
export function toJson(r: Report): Record<string, unknown> {
  const v = r.verdict
  return {
    format: 'fencecheck-result',
    formatVersion: FORMAT_VERSION,
    target: r.target.target,
    model: { name: r.target.model, params: r.target.params },
    ...(r.target.scenario ? { scenario: r.target.scenario } : {}),
    ...(r.target.scenarioHash ? { scenarioHash: r.target.scenarioHash } : {}),
    verdict: v.status,
    ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}),
    ...(v.status === 'inconclusive' ? { cutBy: v.cutBy, detail: v.detail } : {}),
    checked: v.checked,
    unchecked: v.unchecked,
    notSelected: v.notSelected,
    scopeSummary: scopeLine(v),
    scope: v.scope,
    ...v.stats,
    sometimes: v.sometimes,
    ...(r.trace
      ? {
          initialState: r.trace.initialState,
          trace: r.trace.steps.map((s, i) => ({ step: i + 1, action: s.action, state: s.state, changes: s.changes })),
          ...(r.trace.loop !== undefined ? { loop: r.trace.loop } : {}),
        }
      : {}),
    ...(r.explanation.length ? { explanation: r.explanation } : {}),
    ...(r.evidence.length
      ? {
          evidence: r.evidence.map((e) => ({
            label: e.label,
            initialState: e.trace.initialState,
            trace: e.trace.steps.map((s, i) => ({ step: i + 1, action: s.action, state: s.state, changes: s.changes })),
          })),
        }
      : {}),
    notes: v.notes,
    ...(v.status === 'violated' ? { reproduce: r.reproduce } : {}),
  }
}

const n = (x: number): string => x.toLocaleString('en-US')

export function fmtValue(v: unknown): string {
  return Array.isArray(v) ? `[${v.map(fmtValue).join(' ')}]` : String(v)
}

export function describeTarget(t: Target): string {
  const params = Object.entries(t.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  const head = t.scenario ? `${t.scenario.name} (${t.scenario.file})` : t.model
  return params ? `${head} [${t.model} ${params}]` : head
}

export function toText(r: Report): string {
  const v = r.verdict
  const s = v.stats
  const lines: string[] = []
  lines.push(`fencecheck: ${describeTarget(r.target)}`)
  lines.push(`verdict: ${headline(v).replace(': ', ' - ')}${v.status === 'violated' && v.property.cite ? ` (${v.property.cite})` : ''}`)
  lines.push(`scope: ${scopeLine(v)}`)
  // What was not checked comes first after a proof or an inconclusive run: it limits the verdict.
  if (v.status !== 'violated') lines.push(...coverageLines(v))
  if (v.status === 'inconclusive' && v.scope.completeDepth >= 0) {
    lines.push(`covered: every state up to depth ${v.scope.completeDepth} was explored`)
  }
  if (r.trace) {
    lines.push('', `trace (${r.trace.steps.length} step${r.trace.steps.length === 1 ? '' : 's'}):`)
    lines.push(`   0  initial state: ${r.initial[0] ?? ''}`)
    for (const l of r.initial.slice(1)) lines.push(`        ${l}`)
    for (const n of r.narrative) {
      lines.push(`  ${String(n.step).padStart(2)}  ${n.actor}: ${n.text}`)
      if (n.changes.length) lines.push(`        ${n.changes.join('; ')}`)
    }
    if (v.status === 'violated') {
      if (v.property.kind === 'deadlock') lines.push('  end: no action is enabled and the state is not terminal')
      else if (v.property.kind === 'invariant') lines.push(`  end: '${v.property.name}' does not hold in this state`)
      else if (v.property.kind === 'step') lines.push(`  end: the last step breaks '${v.property.name}'`)
      else if (v.property.kind === 'progress') lines.push(`  end: from here, '${v.property.name}' can no longer be met`)
      else if (v.property.kind === 'liveness') lines.push(`  end: back at the state after step ${r.trace.loop ?? 0}: steps ${(r.trace.loop ?? 0) + 1}-${r.trace.steps.length} repeat for ever`)
      else lines.push(`  end: this step establishes an edge that closes a cycle in '${v.property.name}'`)
    }
  }
  if (r.explanation.length) {
    lines.push('', ...r.explanation)
  }
  for (const e of r.evidence) {
    lines.push('', `edge ${e.label}, first established by (${e.trace.steps.length} steps):`)
    e.trace.steps.forEach((st, i) => lines.push(`  ${String(i + 1).padStart(2)} ${formatAction(st.action)}`))
  }
  for (const note of v.notes) lines.push(`note: ${note}`)
  if (v.status === 'violated') lines.push(...coverageLines(v).filter((l) => !l.startsWith('not selected')))
  const unreached = v.sometimes.filter((x) => !x.reached)
  if (v.sometimes.length > 0) {
    lines.push('', 'sometimes (vacuity checks):')
    for (const w of v.sometimes) lines.push(`  ${w.reached ? 'reached' : 'NEVER REACHED'}  ${w.name}${w.reached ? ` (depth ${w.depth})` : ''}`)
    if (unreached.length > 0 && v.status === 'proved') lines.push('  FC500 warning: a proof is vacuous for behaviour that is never reached')
  }
  lines.push(
    '',
    `statistics: ${n(s.distinctStates)} distinct states, ${n(s.transitions)} transitions, max depth ${s.maxDepth}, ` +
      `${(s.timeMs / 1000).toFixed(2)} s, ${n(s.statesPerSec)} states/s, peak memory ${fmtBytes(s.peakMemoryBytes)} ` +
      `(storage ${fmtBytes(s.storageBytes)}), fingerprint collision probability ${s.collisionProbability.toExponential(1)}`,
  )
  if (v.status === 'violated') lines.push(`reproduce: ${r.reproduce}`)
  return lines.join('\n')
}
