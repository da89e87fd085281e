/**
 * What the review reports (Markdown and mail) share: the headline, the sentence that says why the
 * end of a counterexample is a violation, the title, the statistics rows, and traces told as
 * stories. Keeping them here keeps the two formats saying the same thing.
 */
import { fmtBytes } from '../checker/explore.js'
import type { Trace } from '../checker/trace.js'
import { boundsText, headline as verdictHeadline, scopeLine, type SometimesReport, type Verdict } from '../checker/verdict.js'
import type { Report } from './report.js'
import { narrate, type NarrativeStep } from './story.js'

/** A trace as a story in the model's words (as `makeReport` tells the primary trace). */
export function narrateTrace(r: Report, trace: Trace): NarrativeStep[] {
  return narrate(r.subject, trace).narrative.map(({ graph: _graph, state: _state, blocked: _blocked, ...n }) => n)
}

const num = (x: number): string => x.toLocaleString('en-US')

/** The verdict and its scope, the two halves of the first line of every report. */
export function headline(v: Verdict): { verdict: string; scope: string } {
  const verdict = verdictHeadline(v)
  return { verdict, scope: scopeLine(v) }
}

/** What the last state (or step) of a counterexample means for the property it violates. */
export function endSentence(v: Verdict): string | undefined {
  if (v.status !== 'violated') return undefined
  const p = v.property
  switch (p.kind) {
    case 'deadlock':
      return 'In the last state no action is enabled, and it is not a final state: the system is deadlocked.'
    case 'invariant':
      return p.name === 'deadlock'
        ? 'In the last state the system is deadlocked: nothing that is waited for can happen any more.'
        : `In the last state, "${p.name}" does not hold.`
    case 'step':
      return `The last step breaks "${p.name}".`
    case 'progress':
      return `From the last state, "${p.name}" can no longer be met.`
    case 'order':
      return `The last step adds the lock-order edge that closes a cycle in "${p.name}" (the deadlock need not happen in this run for the inversion to be real).`
    case 'liveness':
      return `The trace is a lasso: from its loop start the steps repeat for ever, every weakly fair actor keeps its turn, and "${p.name}" never happens (a livelock).`
  }
}

export function title(r: Report): string {
  const t = r.target
  if (t.scenario) return t.scenario.name
  const params = Object.entries(t.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  return params ? `${t.model} (${params})` : t.model
}

export function targetLine(r: Report): { file?: string; model: string } {
  const t = r.target
  const params = Object.entries(t.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  return { ...(t.scenario ? { file: t.scenario.file } : {}), model: params ? `${t.model} ${params}` : t.model }
}

/**
 * The vacuity witnesses a report lists. After a violation the search stopped, so a witness it did
 * not reach was not sought, not shown unreachable: those are counted, not listed as never reached.
 */
export function witnesses(v: Verdict): { listed: readonly SometimesReport[]; notSought: number } {
  if (v.status !== 'violated') return { listed: v.sometimes, notSought: 0 }
  return { listed: v.sometimes.filter((w) => w.reached), notSought: v.sometimes.filter((w) => !w.reached).length }
}

/** The sentence for the witnesses a violated run did not seek. */
export function notSoughtSentence(k: number): string {
  return `${k} other witness${k === 1 ? ' was' : 'es were'} not sought: the search stopped at the violation.`
}

export function explanationTitle(r: Report): string {
  if (r.explanation.some((l) => l.startsWith('cycle:'))) return 'Why: the lock-order cycle'
  if (r.explanation.some((l) => l.startsWith('wait-for cycle'))) return 'Why: the wait-for cycle'
  return 'Why'
}

export function statRows(r: Report): [string, string][] {
  const v = r.verdict
  const s = v.stats
  const sc = v.scope
  return [
    ['search', `${sc.order.toUpperCase()}, bounds: ${boundsText(v.scope.bounds)}`],
    ['distinct states', num(s.distinctStates)],
    ['transitions', num(s.transitions)],
    ['max depth', String(s.maxDepth)],
    ...(sc.completeDepth >= 0
      ? ([['complete to depth', `${sc.completeDepth} (every state this close to an initial state was checked)`]] as [string, string][])
      : []),
    ['time', `${(s.timeMs / 1000).toFixed(2)} s (${num(s.statesPerSec)} states/s)`],
    ['peak memory', fmtBytes(s.peakMemoryBytes)],
    ['storage', `${fmtBytes(s.storageBytes)}; ${sc.storage}`],
    [
      'fingerprint collision probability',
      `${s.collisionProbability.toExponential(1)} (optimistic estimate ${s.collisionProbabilityOptimistic.toExponential(1)})`,
    ],
  ]
}
