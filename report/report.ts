/**
 * What every report is made of: the target that was checked, the checker's findings (verdict,
 * trace, evidence traces, the violation's own explanation) and the model's narrator, which tells
 * them in the model's words. Every renderer (text, JSON, Markdown, mail, HTML, ITF) reads a Report.
 */
import type { Exploration } from '../checker/explore.js'
import type { Action } from '../checker/model.js'
import { evidenceTraces, type Trace, violationTrace } from '../checker/trace.js'
import type { Verdict } from '../checker/verdict.js'
import type { NarratedModel } from './narrator.js'
import { explainEnd, explainViolation, narrate, type NarrativeStep, orderDot, type Story } from './story.js'

/** What identifies the checked system, enough for `replay` to rebuild it. */
export interface Target {
  /** a built-in model name or a scenario file path, as given on the command line */
  readonly target: string
  readonly model: string
  readonly params: Record<string, string | number>
  readonly scenario?: { readonly file: string; readonly name: string; readonly about: string }
  /** for scenario targets: a hash of the scenario file's text, so `replay` can tell it changed */
  readonly scenarioHash?: string
}

/** A trace that belongs to the evidence, with what it shows (e.g. the lock-order edge it establishes). */
export interface EvidenceTrace {
  readonly label: string
  readonly trace: Trace
}

/** What the checker found, in its own terms. */
export interface Findings {
  readonly verdict: Verdict
  /** the counterexample (or lasso) of a violation */
  readonly trace?: Trace
  /** further traces that are part of the evidence (one per observed edge of a lock-order cycle) */
  readonly evidence: readonly EvidenceTrace[]
  /** the checker's explanation of the violation (the cycle, the obligation), one line each */
  readonly detail: readonly string[]
  /** for an order property: its graph and the cycle */
  readonly orderGraph?: { readonly edges: readonly { from: string; to: string; observed: boolean }[]; readonly cycle: readonly { from: string; to: string }[] }
}

/** The findings of a search: its verdict and the traces rebuilt from its stored states. */
export function findingsOf(x: Exploration<Action>): Findings {
  const trace = violationTrace(x)
  return {
    verdict: x.verdict,
    ...(trace ? { trace } : {}),
    evidence: evidenceTraces(x),
    detail: [...(x.violation?.detail ?? [])],
    ...(x.violation?.graph ? { orderGraph: x.violation.graph } : {}),
  }
}

export interface Report {
  readonly target: Target
  /** the model that was checked and its narrator */
  readonly subject: NarratedModel<Action>
  readonly verdict: Verdict
  readonly trace?: Trace
  readonly evidence: readonly EvidenceTrace[]
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
  /** the initial state in full and its blocked actors, when the narrator tells them (the HTML state panel) */
  readonly initialFull?: Story['initialFull']
  /** the properties checked, with their sources */
  readonly rules: readonly { readonly name: string; readonly kind: string; readonly cite?: string }[]
  readonly reproduce: string
}

export function makeReport(target: Target, subject: NarratedModel<Action>, f: Findings, reproduce: string): Report {
  const { model, narrator } = subject
  const trace = f.trace
  // The rule's own reading of the violation first (which clause broke, who holds what), then the
  // checker's (the cycle, the obligation), then why the end state is stuck.
  const why = trace && f.verdict.status === 'violated' ? explainViolation(subject, f.verdict.property, trace) : []
  const explanation = [...why, ...f.detail, ...(trace ? explainEnd(subject, trace) : [])]
  const { narrative, lastGraph, initial, initialFull } = narrate(subject, trace)
  const graphs = {
    ...(lastGraph !== undefined ? { waitFor: lastGraph } : {}),
    ...(f.orderGraph ? { lockOrder: orderDot(f.orderGraph.edges, f.orderGraph.cycle) } : {}),
  }
  const actors = narrator.actors ? [...narrator.actors()] : [...new Set(narrative.map((n) => n.actor))]
  const deadlock = model.deadlock
  const rules = [
    ...model.properties.filter((p) => p.kind !== 'sometimes').map((p) => ({ name: p.name, kind: p.kind, ...(p.cite ? { cite: p.cite } : {}) })),
    ...(deadlock && !model.properties.some((p) => p.name === deadlock.name)
      ? [{ name: deadlock.name, kind: 'deadlock', ...(deadlock.cite ? { cite: deadlock.cite } : {}) }]
      : []),
  ]
  return {
    target,
    subject,
    verdict: f.verdict,
    ...(trace ? { trace } : {}),
    evidence: f.evidence,
    explanation,
    narrative,
    actors,
    graphs,
    initial,
    ...(initialFull ? { initialFull } : {}),
    rules,
    reproduce,
  }
}

/** The target in one line: the scenario's name and file, or the model, with the parameters. */
export function describeTarget(t: Target): string {
  const params = Object.entries(t.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  const head = t.scenario ? `${t.scenario.name} (${t.scenario.file})` : t.model
  return params ? `${head} [${t.model} ${params}]` : head
}
