/**
 * The report for design reviews as Markdown, to paste into a review (issue, merge request, wiki
 * page). The order is the reader's: first what was found and within which scope (equally
 * prominent), the design under review, then the counterexample as a story in kernel vocabulary and
 * why its end is a violation (the wait-for cycle). Everything a reviewer needs to see why the
 * design fails comes before the details: statistics, the rules checked with their sources,
 * vacuity witnesses, notes, graph sources, and the command that reproduces the result.
 */
import { basename, extname } from 'node:path'
import { coverageLines } from '../checker/verdict.js'
import type { Report } from './report.js'
import type { NarrativeStep } from './story.js'
import { endSentence, explanationTitle, headline, narrateTrace, statRows, targetLine, title, notSoughtSentence, witnesses } from './summary.js'

/** File names the caller writes the rendered graphs to, as the Markdown refers to them. */
export function svgFileNames(r: Report, assetPrefix?: string): { waitFor: string; lockOrder: string } {
  const base = assetPrefix ?? (r.target.scenario ? basename(r.target.scenario.file, extname(r.target.scenario.file)) : r.target.model)
  return { waitFor: `${base}-waitfor.svg`, lockOrder: `${base}-lockorder.svg` }
}

/**
 * Escape text so Markdown shows it as written. Underscores inside words (dma_resv_lock) and
 * brackets that cannot start a link stay as they are, so the source stays readable.
 */
export function mdEscape(s: string): string {
  return s
    .replace(/[\\`*|~]/g, (c) => `\\${c}`)
    .replace(/<(?=[A-Za-z/!?])/g, '\\<')
    .replace(/\](?=[([])/g, '\\]')
    .replace(/_+/g, (run: string, at: number, all: string) => {
      const word = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c)
      return word(all[at - 1]) && word(all[at + run.length]) ? run : run.replace(/_/g, '\\_')
    })
}

const fence = (lang: string, body: string): string[] => {
  const ticks = /```/.test(body) ? '````' : '```'
  return [ticks + lang, ...body.split('\n'), ticks]
}

function mdSteps(steps: readonly NarrativeStep[]): string[] {
  const out: string[] = []
  for (const n of steps) {
    const marker = `${n.step}. `
    out.push(`${marker}**${mdEscape(n.actor)}**: ${mdEscape(n.text)}`)
    if (n.changes.length) out.push(`${' '.repeat(marker.length)}- ${mdEscape(n.changes.join('; '))}`)
  }
  return out
}

/**
 * The report as Markdown. With SVG text for a graph, the report shows it as an image file named
 * by `svgFileNames(r, assetPrefix)` (the caller writes the files); the DOT source of every graph
 * is always included in a collapsed block.
 */
export function toMarkdown(r: Report, svg: { waitFor?: string; lockOrder?: string } = {}, assetPrefix?: string): string {
  const v = r.verdict
  const h = headline(v)
  const files = svgFileNames(r, assetPrefix)
  const tl = targetLine(r)
  const out: string[] = []
  out.push(`# fencecheck: ${mdEscape(title(r))}`, '')
  out.push(`**${mdEscape(h.verdict)}** — ${mdEscape(h.scope)}`, '')
  if (v.status === 'violated') {
    out.push(`Broken rule: **${mdEscape(v.property.name)}**${v.property.cite ? ` (${mdEscape(v.property.cite)})` : ''}.`)
  } else if (v.status === 'proved') {
    const unreached = v.sometimes.filter((w) => !w.reached)
    out.push(`All ${r.rules.length} rules listed under *Rules checked* hold in every reachable state within these bounds.`)
    if (unreached.length) out.push(`**Warning FC500:** the proof is vacuous for behaviour never reached: ${unreached.map((w) => mdEscape(w.name)).join('; ')}.`)
  } else {
    out.push(
      `No violation among the states explored${v.scope.completeDepth >= 0 ? `; every state up to depth ${v.scope.completeDepth} was checked` : ''}. This is not a proof.`,
    )
  }
  out.push(`Checked: ${tl.file ? `\`${tl.file}\` (model \`${tl.model}\`)` : `model \`${tl.model}\``}.`, '')

  if (r.target.scenario) out.push('## Design under review', '', mdEscape(r.target.scenario.about), '')

  if (r.trace) {
    out.push(`## Counterexample: ${r.trace.steps.length} step${r.trace.steps.length === 1 ? '' : 's'}`, '')
    if (r.initial.length) {
      out.push('Initial state:', '')
      for (const l of r.initial) out.push(`- ${mdEscape(l)}`)
      out.push('')
    }
    out.push(...mdSteps(r.narrative), '')
    const end = endSentence(v)
    if (end) out.push(`**End:** ${mdEscape(end)}`, '')
  }

  if (r.explanation.length) {
    out.push(`## ${explanationTitle(r)}`, '', ...fence('text', r.explanation.join('\n')), '')
  }
  if (svg.waitFor && r.graphs.waitFor) out.push(`![wait-for graph](${files.waitFor})`, '')

  if (r.evidence.length) {
    out.push('## Lock-order evidence', '', 'Each observed edge of the cycle, with the shortest run that establishes it:', '')
    for (const e of r.evidence) {
      out.push(`**Edge \`${e.label}\`** (${e.trace.steps.length} step${e.trace.steps.length === 1 ? '' : 's'}):`, '')
      out.push(...mdSteps(narrateTrace(r, e.trace)), '')
    }
  }
  if (svg.lockOrder && r.graphs.lockOrder) out.push(`![lock-order graph](${files.lockOrder})`, '')

  // Details
  out.push('## Statistics', '', '| Measure | Value |', '|---|---|')
  for (const [k, x] of statRows(r)) out.push(`| ${k} | ${mdEscape(x)} |`)
  out.push('')

  if (r.rules.length) {
    out.push('## Rules checked', '', '| Rule | Kind | Source |', '|---|---|---|')
    for (const rule of r.rules) {
      const broken = v.status === 'violated' && v.property.name === rule.name
      const name = broken ? `**${mdEscape(rule.name)}** (violated)` : mdEscape(rule.name)
      out.push(`| ${name} | ${rule.kind} | ${rule.cite ? mdEscape(rule.cite) : ''} |`)
    }
    out.push('')
  }

  const wit = witnesses(v)
  if (wit.listed.length || wit.notSought) {
    out.push('## Vacuity checks', '', 'Behaviour the model must be able to show (`sometimes` witnesses):', '')
    if (wit.listed.length) out.push('| Witness | Reached |', '|---|---|')
    for (const w of wit.listed) out.push(`| ${mdEscape(w.name)} | ${w.reached ? `yes, at depth ${w.depth}` : '**never**'} |`)
    if (wit.notSought) out.push(...(wit.listed.length ? [''] : []), notSoughtSentence(wit.notSought))
    out.push('')
  }

  if (v.notes.length || coverageLines(v).length) {
    out.push('## Notes', '')
    for (const n of [...coverageLines(v), ...v.notes]) out.push(`- ${mdEscape(n)}`)
    out.push('')
  }

  const graphs: [string, string | undefined][] = [
    ['wait-for graph at the end of the counterexample', r.graphs.waitFor],
    ['lock-order graph', r.graphs.lockOrder],
  ]
  if (graphs.some(([, d]) => d)) {
    out.push('## Graph sources', '')
    for (const [name, dot] of graphs) {
      if (!dot) continue
      out.push('<details>', `<summary>${name} (Graphviz DOT)</summary>`, '', ...fence('dot', dot), '', '</details>', '')
    }
  }

  out.push('## Reproduce', '', ...fence('sh', r.reproduce), '')
  return out.join('\n')
}
