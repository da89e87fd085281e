/**
 * The result document users script against (`--format json`, `--out`), and the versions `replay`
 * reads. Its published schema is resultSchema.ts; the tests hold the two together.
 */
import { scopeLine } from '../checker/verdict.js'
import type { Report } from './report.js'

/**
 * The version of the result document. 2 added `scenarioHash`; `replay` reads every version in
 * READABLE_FORMAT_VERSIONS and refuses the others.
 */
export const FORMAT_VERSION = 2
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2]

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
