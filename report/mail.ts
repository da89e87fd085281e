/**
 * The report for mail: the Markdown report's content (see markdown.ts) as plain text, paragraphs
 * wrapped at 72 columns, graphs as textual cycles.
 */
import { coverageLines } from '../checker/verdict.js'
import type { Report } from './report.js'
import type { NarrativeStep } from './story.js'
import { endSentence, explanationTitle, headline, narrateTrace, notSoughtSentence, statRows, targetLine, title, witnesses } from './summary.js'

const WIDTH = 72

/** Fill `text` into lines of at most `width` columns (a longer single word stays whole). */
export function wrap(text: string, first = '', rest = first, width = WIDTH): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0)
  const lines: string[] = []
  let cur = first
  let has = false
  for (const w of words) {
    if (has && cur.length + 1 + w.length > width) {
      lines.push(cur)
      cur = rest + w
    } else {
      cur += (has ? ' ' : '') + w
    }
    has = true
  }
  lines.push(cur.trimEnd())
  return lines
}

const heading = (s: string): string[] => [s.toUpperCase(), '-'.repeat(Math.min(s.length, WIDTH))]

function textSteps(steps: readonly NarrativeStep[]): string[] {
  const out: string[] = []
  for (const n of steps) {
    const marker = `${String(n.step).padStart(3)}. `
    out.push(...wrap(`${n.actor}: ${n.text}`, marker, ' '.repeat(marker.length)))
    if (n.changes.length) out.push(...wrap(n.changes.join('; '), ' '.repeat(marker.length + 2), ' '.repeat(marker.length + 4)))
  }
  return out
}

/** The report for mail: plain text, paragraphs wrapped at 72 columns, graphs as textual cycles. */
export function toPlainText(r: Report): string {
  const v = r.verdict
  const h = headline(v)
  const tl = targetLine(r)
  const out: string[] = []
  const head = `fencecheck: ${title(r)}`
  out.push(...wrap(head), '='.repeat(Math.min(head.length, WIDTH)), '')
  out.push(...wrap(`${h.verdict} - ${h.scope}`, '', '    '), '')
  if (v.status === 'violated') {
    out.push(...wrap(`Broken rule: ${v.property.name}${v.property.cite ? ` (${v.property.cite})` : ''}.`))
  } else if (v.status === 'proved') {
    out.push(...wrap(`All ${r.rules.length} rules listed under "Rules checked" hold in every reachable state within these bounds.`))
    const unreached = v.sometimes.filter((w) => !w.reached)
    if (unreached.length) out.push(...wrap(`Warning FC500: the proof is vacuous for behaviour never reached: ${unreached.map((w) => w.name).join('; ')}.`))
  } else {
    out.push(
      ...wrap(
        `No violation among the states explored${v.scope.completeDepth >= 0 ? `; every state up to depth ${v.scope.completeDepth} was checked` : ''}. This is not a proof.`,
      ),
    )
  }
  out.push(...wrap(`Checked: ${tl.file ? `${tl.file} (model ${tl.model})` : `model ${tl.model}`}.`), '')

  // The splat first, as lockdep prints it: why the rule broke, then the run that breaks it.
  if (r.explanation.length) {
    out.push(...heading(explanationTitle(r)))
    for (const l of r.explanation) {
      const lead = /^\s*/.exec(l)![0]
      out.push(...wrap(l.trim(), '  ' + lead, '  ' + lead + '     '))
    }
    out.push('')
  }

  if (r.trace) {
    out.push(...heading(`Counterexample: ${r.trace.steps.length} step${r.trace.steps.length === 1 ? '' : 's'}`))
    if (r.initial.length) {
      out.push('Initial state:')
      for (const l of r.initial) out.push(...wrap(l, '  - ', '    '))
      out.push('')
    }
    out.push(...textSteps(r.narrative), '')
    const end = endSentence(v)
    if (end) out.push(...wrap(`End: ${end}`), '')
  }

  if (r.evidence.length) {
    out.push(...heading('Lock-order evidence'))
    out.push(...wrap('Each observed edge of the cycle, with the shortest run that establishes it:'), '')
    for (const e of r.evidence) {
      out.push(`Edge ${e.label} (${e.trace.steps.length} step${e.trace.steps.length === 1 ? '' : 's'}):`, ...textSteps(narrateTrace(r, e.trace)), '')
    }
  }

  if (r.target.scenario) out.push(...heading('Design under review'), ...wrap(r.target.scenario.about), '')

  const wit = witnesses(v)
  if (wit.listed.length || wit.notSought) {
    out.push(...heading('Vacuity checks (sometimes witnesses)'))
    for (const w of wit.listed) out.push(...wrap(`${w.reached ? `reached at depth ${w.depth}` : 'NEVER REACHED'}: ${w.name}`, '  - ', '    '))
    if (wit.notSought) out.push(...wrap(notSoughtSentence(wit.notSought), '  ', '  '))
    out.push('')
  }

  if (v.notes.length || coverageLines(v).length) {
    out.push(...heading('Notes'))
    for (const n of [...coverageLines(v), ...v.notes]) out.push(...wrap(n, '  - ', '    '))
    out.push('')
  }

  out.push(...heading('Statistics'))
  const rows = statRows(r)
  const kw = Math.max(...rows.map(([k]) => k.length))
  for (const [k, x] of rows) out.push(...wrap(x, `  ${k.padEnd(kw)}  `, ' '.repeat(kw + 4)))
  out.push('')

  out.push(...heading('Reproduce'), ...wrap(r.reproduce, '  ', '      '), '')

  // The list of rules comes last; after a violation the broken rule's source is already at the top.
  if (r.rules.length) {
    out.push(...heading('Rules checked'))
    for (const rule of r.rules) {
      const broken = v.status === 'violated' && v.property.name === rule.name
      out.push(...wrap(`${rule.name} [${rule.kind}]${broken ? ' (VIOLATED)' : ''}`, '  - ', '    '))
      if (rule.cite && v.status !== 'violated') out.push(...wrap(`source: ${rule.cite}`, '    ', '      '))
    }
    out.push('')
  }
  return out.join('\n')
}
