/**
 * Reports for design reviews: Markdown to paste into a review (issue, merge request, wiki page)
 * and the same content as plain text for mail.
 *
 * The order is the reader's: first what was found and within which scope (equally prominent), the
 * design under review, then the counterexample as a story in kernel vocabulary and why its end is
 * a violation (the wait-for cycle). Everything a reviewer needs to see why the design fails comes
 * before the details: statistics, the rules checked with their sources, vacuity witnesses, notes,
 * graph sources, and the command that reproduces the result.
 */
import { basename, extname } from 'node:path'
import { fmtBytes } from '../checker/explore.js'
import type { Trace } from '../checker/trace.js'
import { boundsText, coverageLines, headline as verdictHeadline, scopeLine, type Verdict } from '../checker/verdict.js'
import { narrate, type NarrativeStep, type Report } from './render.js'

// ---------------------------------------------------------------------------------------------
// Shared content

/** A trace as a story in the model's words (as `makeReport` tells the primary trace). */
export function narrateTrace(r: Report, trace: Trace): NarrativeStep[] {
  return narrate(r.exploration.model, trace).narrative.map(({ graph: _graph, ...n }) => n)
}

const num = (x: number): string => x.toLocaleString('en-US')

/** The verdict and its scope, the two halves of the first line of every report. */
export function headline(v: Verdict): { verdict: string; scope: string } {
  const verdict = verdictHeadline(v)
  return { verdict, scope: scopeLine(v) }
}

/** What the last state (or step) of a counterexample means for the property it violates. */
function endSentence(v: Verdict): string | undefined {
  if (v.status !== 'violated') return undefined
  const p = v.property
  switch (p.kind) {
    case 'deadlock':
      return 'In the last state no action is enabled, and it is not a final state: the system is deadlocked.'
    case 'invariant':
      return p.name === 'deadlock' ? 'In the last state the system is deadlocked: nothing that is waited for can happen any more.' : `In the last state, "${p.name}" does not hold.`
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

function title(r: Report): string {
  const t = r.target
  if (t.scenario) return t.scenario.name
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(' ')
  return params ? `${t.model} (${params})` : t.model
}

function targetLine(r: Report): { file?: string; model: string } {
  const t = r.target
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(' ')
  return { ...(t.scenario ? { file: t.scenario.file } : {}), model: params ? `${t.model} ${params}` : t.model }
}

function explanationTitle(r: Report): string {
  if (r.explanation.some((l) => l.startsWith('cycle:'))) return 'Why: the lock-order cycle'
  if (r.explanation.some((l) => l.startsWith('wait-for cycle'))) return 'Why: the wait-for cycle'
  return 'Why'
}

/** File names the caller writes the rendered graphs to, as the Markdown refers to them. */
export function svgFileNames(r: Report, assetPrefix?: string): { waitFor: string; lockOrder: string } {
  const base = assetPrefix ?? (r.target.scenario ? basename(r.target.scenario.file, extname(r.target.scenario.file)) : r.target.model)
  return { waitFor: `${base}-waitfor.svg`, lockOrder: `${base}-lockorder.svg` }
}

function statRows(r: Report): [string, string][] {
  const v = r.verdict
  const s = v.stats
  const sc = v.scope
  return [
    ['search', `${sc.order.toUpperCase()}, bounds: ${boundsText(v.scope.bounds)}`],
    ['distinct states', num(s.distinctStates)],
    ['transitions', num(s.transitions)],
    ['max depth', String(s.maxDepth)],
    ...(sc.completeDepth >= 0 ? ([['complete to depth', `${sc.completeDepth} (every state this close to an initial state was checked)`]] as [string, string][]) : []),
    ['time', `${(s.timeMs / 1000).toFixed(2)} s (${num(s.statesPerSec)} states/s)`],
    ['peak memory', fmtBytes(s.peakMemoryBytes)],
    ['storage', `${fmtBytes(s.storageBytes)}; ${sc.storage}`],
    ['fingerprint collision probability', `${s.collisionProbability.toExponential(1)} (optimistic estimate ${s.collisionProbabilityOptimistic.toExponential(1)})`],
  ]
}


// ---------------------------------------------------------------------------------------------
// Markdown

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
    out.push(`No violation among the states explored${v.scope.completeDepth >= 0 ? `; every state up to depth ${v.scope.completeDepth} was checked` : ''}. This is not a proof.`)
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

  if (v.sometimes.length) {
    out.push('## Vacuity checks', '', 'Behaviour the model must be able to show (`sometimes` witnesses):', '', '| Witness | Reached |', '|---|---|')
    for (const w of v.sometimes) out.push(`| ${mdEscape(w.name)} | ${w.reached ? `yes, at depth ${w.depth}` : '**never**'} |`)
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

// ---------------------------------------------------------------------------------------------
// Plain text

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
    out.push(...wrap(`No violation among the states explored${v.scope.completeDepth >= 0 ? `; every state up to depth ${v.scope.completeDepth} was checked` : ''}. This is not a proof.`))
  }
  out.push(...wrap(`Checked: ${tl.file ? `${tl.file} (model ${tl.model})` : `model ${tl.model}`}.`), '')

  if (r.target.scenario) out.push(...heading('Design under review'), ...wrap(r.target.scenario.about), '')

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

  if (r.explanation.length) {
    out.push(...heading(explanationTitle(r)))
    for (const l of r.explanation) {
      const lead = /^\s*/.exec(l)![0]
      out.push(...wrap(l.trim(), '  ' + lead, '  ' + lead + '     '))
    }
    out.push('')
  }

  if (r.evidence.length) {
    out.push(...heading('Lock-order evidence'))
    out.push(...wrap('Each observed edge of the cycle, with the shortest run that establishes it:'), '')
    for (const e of r.evidence) {
      out.push(`Edge ${e.label} (${e.trace.steps.length} step${e.trace.steps.length === 1 ? '' : 's'}):`, ...textSteps(narrateTrace(r, e.trace)), '')
    }
  }

  out.push(...heading('Statistics'))
  const rows = statRows(r)
  const kw = Math.max(...rows.map(([k]) => k.length))
  for (const [k, x] of rows) out.push(...wrap(x, `  ${k.padEnd(kw)}  `, ' '.repeat(kw + 4)))
  out.push('')

  if (r.rules.length) {
    out.push(...heading('Rules checked'))
    for (const rule of r.rules) {
      const broken = v.status === 'violated' && v.property.name === rule.name
      out.push(...wrap(`${rule.name} [${rule.kind}]${broken ? ' (VIOLATED)' : ''}`, '  - ', '    '))
      if (rule.cite) out.push(...wrap(`source: ${rule.cite}`, '    ', '      '))
    }
    out.push('')
  }

  if (v.sometimes.length) {
    out.push(...heading('Vacuity checks (sometimes witnesses)'))
    for (const w of v.sometimes) out.push(...wrap(`${w.reached ? `reached at depth ${w.depth}` : 'NEVER REACHED'}: ${w.name}`, '  - ', '    '))
    out.push('')
  }

  if (v.notes.length || coverageLines(v).length) {
    out.push(...heading('Notes'))
    for (const n of [...coverageLines(v), ...v.notes]) out.push(...wrap(n, '  - ', '    '))
    out.push('')
  }

  out.push(...heading('Reproduce'), ...wrap(r.reproduce, '  ', '      '), '')
  return out.join('\n')
}
