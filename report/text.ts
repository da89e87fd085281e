/**
 * The plain-text report for terminals (`fencecheck check`): the verdict and its scope first, what
 * was not checked, the trace as a story, why its end is a violation, then the statistics and the
 * command that reproduces it.
 */
import { fmtBytes } from '../checker/explore.js'
import { coverageLines, headline, scopeLine } from '../checker/verdict.js'
import { describeTarget, type Report } from './report.js'
import { narrateTrace, notSoughtSentence, witnesses } from './summary.js'

const n = (x: number): string => x.toLocaleString('en-US')

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
      else if (v.property.kind === 'liveness')
        lines.push(
          r.trace.loop === r.trace.steps.length
            ? `  end: nothing can move after step ${r.trace.steps.length}: the run stays in this state for ever`
            : `  end: back at the state after step ${r.trace.loop ?? 0}: steps ${(r.trace.loop ?? 0) + 1}-${r.trace.steps.length} repeat for ever`,
        )
      else lines.push(`  end: this step establishes an edge that closes a cycle in '${v.property.name}'`)
    }
  }
  if (r.explanation.length) {
    lines.push('', ...r.explanation)
  }
  for (const e of r.evidence) {
    lines.push('', `edge ${e.label}, first established by (${e.trace.steps.length} step${e.trace.steps.length === 1 ? '' : 's'}):`)
    for (const st of narrateTrace(r, e.trace)) {
      lines.push(`  ${String(st.step).padStart(2)}  ${st.actor}: ${st.text}`)
      if (st.changes.length) lines.push(`        ${st.changes.join('; ')}`)
    }
  }
  for (const note of v.notes) lines.push(`note: ${note}`)
  if (v.status === 'violated') lines.push(...coverageLines(v).filter((l) => !l.startsWith('not selected')))
  const unreached = v.sometimes.filter((x) => !x.reached)
  const wit = witnesses(v)
  if (wit.listed.length > 0 || wit.notSought > 0) {
    lines.push('', 'sometimes (vacuity checks):')
    for (const w of wit.listed) lines.push(`  ${w.reached ? 'reached' : 'NEVER REACHED'}  ${w.name}${w.reached ? ` (depth ${w.depth})` : ''}`)
    if (wit.notSought > 0) lines.push(`  ${notSoughtSentence(wit.notSought)}`)
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
