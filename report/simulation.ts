/**
 * The result of `fencecheck simulate`: its JSON document (mode "simulation", read by `merge` and
 * `replay`) and its text. A simulation proves nothing; both say what its walks covered, and a
 * violation it found comes with its trace told in the model's words.
 */
import type { Action } from '../checker/model.js'
import type { SimulationResult } from '../checker/simulate.js'
import { FORMAT_VERSION } from './json.js'
import type { NarratedModel } from './narrator.js'
import type { Target } from './report.js'
import { lastState, narrate, readState } from './story.js'

/** A simulation run: what was walked, how, and what the walks found. */
export interface Simulation {
  readonly target: Target
  readonly subject: NarratedModel<Action>
  readonly result: SimulationResult
  /** the seed the walks used (a swarm member's own seed) */
  readonly seed: number
  readonly walks: number
  readonly depth: number
  /** this member of a swarm, and the swarm's base seed */
  readonly swarm?: { readonly index: number; readonly count: number; readonly baseSeed: number }
  readonly reproduce: string
}

/** The scope of a simulation in one line: where it found its violation, or what it saw. */
function scopeSummary(s: Simulation): string {
  const res = s.result
  const c = res.coverage
  return res.status === 'violated'
    ? `found by random walk ${res.walk! + 1} (seed ${s.seed}); a simulation trace is not necessarily a shortest one`
    : `simulation proves nothing: ${c.walks} walks of at most ${s.depth} steps saw ${c.distinctStates} distinct states (stopped by ${res.stoppedBy})`
}

/** The JSON document of a simulation (`simulate --format json`, `--out`). */
export function simulationJson(s: Simulation): Record<string, unknown> {
  const { target: t, result: res } = s
  return {
    format: 'fencecheck-result',
    formatVersion: FORMAT_VERSION,
    mode: 'simulation',
    target: t.target,
    model: { name: t.model, params: t.params },
    ...(t.scenario ? { scenario: t.scenario } : {}),
    ...(t.scenarioHash ? { scenarioHash: t.scenarioHash } : {}),
    verdict: res.status,
    ...(res.property ? { property: res.property, traceLength: res.trace!.steps.length, walk: res.walk } : {}),
    scopeSummary: scopeSummary(s),
    seed: s.seed,
    walks: s.walks,
    depth: s.depth,
    ...(s.swarm ? { swarm: s.swarm } : {}),
    coverage: res.coverage,
    unchecked: res.unchecked,
    ...(res.trace
      ? {
          initialState: res.trace.initialState,
          trace: res.trace.steps.map((st, i) => ({ step: i + 1, action: st.action, state: st.state, changes: st.changes })),
        }
      : {}),
    reproduce: s.reproduce,
  }
}

/** The text of a simulation: the verdict (violated, or inconclusive), the trace, the coverage. */
export function simulationText(s: Simulation): string {
  const { target: t, result: res } = s
  const c = res.coverage
  const lines = [`fencecheck simulate: ${t.scenario ? `${t.scenario.name} (${t.scenario.file})` : t.model}`]
  lines.push(res.status === 'violated' ? `verdict: VIOLATED - ${res.property!.name}` : 'verdict: INCONCLUSIVE (simulation)')
  lines.push(`scope: ${scopeSummary(s)}`)
  for (const u of res.unchecked) lines.push(`not checked: ${u.name} (${u.reason})`)
  if (res.trace) {
    const { narrative, initial } = narrate(s.subject, res.trace)
    lines.push('', `trace (${res.trace.steps.length} steps):`, `   0  initial state: ${initial[0] ?? ''}`, ...initial.slice(1).map((l) => `        ${l}`))
    for (const n of narrative) {
      lines.push(`  ${String(n.step).padStart(2)}  ${n.actor}: ${n.text}`)
      if (n.changes.length) lines.push(`        ${n.changes.join('; ')}`)
    }
    const narrator = s.subject.narrator
    const end = narrator.explain ? readState(s.subject, lastState(res.trace)) : undefined
    if (narrator.explain && end) lines.push('', ...narrator.explain(end))
  }
  const acts = Object.entries(c.actions)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
  lines.push(
    '',
    `coverage: ${c.walks} walks, ${c.steps} steps, ${c.distinctStates} distinct states, deepest walk ${c.maxDepth}, ${(c.timeMs / 1000).toFixed(2)} s`,
  )
  lines.push(`actions fired: ${acts}`)
  if (c.neverFired.length) lines.push(`never fired: ${c.neverFired.join(', ')}`)
  lines.push(`reproduce: ${s.reproduce}`)
  return lines.join('\n')
}
