/**
 * The HTML report: one self-contained file (inline CSS and script, no external URLs, opens from
 * file://) that lets a reviewer step through a counterexample. It shows the verdict with its scope,
 * the design under review, the trace as a step list and as swim lanes (one lane per actor), the full
 * state after the selected step with the fields that step changed highlighted, the wait-for graph
 * after each step, and at the end why the last state is bad. A proved or inconclusive result has
 * no trace: its page shows the verdict, the scope, the statistics and the vacuity witnesses.
 *
 * The caller renders graphs to SVG if it can (`svgs`); without SVG the page shows the DOT source.
 * All text from scenarios and models is escaped; the trace data is embedded as JSON.
 */
import { fmtBytes } from '../checker/explore.js'
import { formatAction } from '../checker/model.js'
import { coverageLines, headline, scopeLine, type Verdict } from '../checker/verdict.js'
import { escapeHtml as esc, inlineScript, inlineSvg, jsonForScript, pageHead, viewerAsset } from './page.js'
import type { Report } from './report.js'
import type { PageData, PageStep } from './viewer/data.js'
import { narrateTrace } from './summary.js'

/** SVG renderings supplied by the caller: `steps[k]` is the rendering of `narrative[k].graph`. */
export interface HtmlSvgs {
  readonly waitFor?: string
  readonly lockOrder?: string
  readonly steps?: readonly (string | undefined)[]
}

const PALETTE = ['#2563eb', '#c2410c', '#047857', '#7c3aed', '#be185d', '#0e7490', '#4d7c0f', '#b45309', '#4338ca', '#9f1239']

const num = (x: number): string => x.toLocaleString('en-US')

function badge(v: Verdict): { cls: string; text: string } {
  switch (v.status) {
    case 'violated':
      return { cls: 'violated', text: `VIOLATED: ${v.property.name}` }
    case 'proved':
      return { cls: 'proved', text: 'PROVED' }
    case 'inconclusive':
      return { cls: 'inconclusive', text: headline(v) }
  }
}

function endLine(v: Verdict): string {
  if (v.status !== 'violated') return ''
  switch (v.property.kind) {
    case 'deadlock':
      return 'No action is enabled and the state is not terminal.'
    case 'invariant':
      return `'${v.property.name}' does not hold in this state.`
    case 'step':
      return `This step breaks '${v.property.name}'.`
    case 'progress':
      return `From here, '${v.property.name}' can no longer be met.`
    case 'order':
      return `This step establishes an edge that closes a cycle in '${v.property.name}'.`
    case 'liveness':
      return `From the loop start, the steps repeat for ever and '${v.property.name}' never happens, although the run is weakly fair.`
  }
}

function graphBlock(title: string, svg: string | undefined, dot: string | undefined, idPrefix: string, cls = ''): string {
  if (!svg && !dot) return ''
  const body = svg ? `<div class="graph-svg">${inlineSvg(svg, idPrefix)}</div>` : `<pre class="dot">${esc(dot!)}</pre>`
  return `<div class="graph-block ${cls}"><h3>${esc(title)}</h3>${body}${svg ? '' : '<p class="muted small">DOT source (render with Graphviz: <code>dot -Tsvg</code>).</p>'}</div>`
}

function statsSection(r: Report): string {
  const v = r.verdict
  const s = v.stats
  const b = v.scope.bounds
  const bounds = [
    b.maxDepth !== undefined ? `depth &le; ${b.maxDepth}` : '',
    b.maxStates !== undefined ? `states &le; ${num(b.maxStates)}` : '',
    b.maxTimeMs !== undefined ? `time &le; ${b.maxTimeMs / 1000} s` : '',
    b.maxMemoryBytes !== undefined ? `memory &le; ${esc(fmtBytes(b.maxMemoryBytes))}` : '',
  ].filter(Boolean)
  const rows: [string, string][] = [
    ['distinct states', num(s.distinctStates)],
    ['transitions', num(s.transitions)],
    ['max depth', String(s.maxDepth)],
    ['complete to depth', v.scope.completeDepth >= 0 ? String(v.scope.completeDepth) : 'not known'],
    ['search order', v.scope.order.toUpperCase()],
    ['bounds', bounds.length ? bounds.join(', ') : 'none'],
    ['time', `${(s.timeMs / 1000).toFixed(2)} s (${num(s.statesPerSec)} states/s)`],
    ['peak memory', esc(fmtBytes(s.peakMemoryBytes))],
    ['storage', `${esc(fmtBytes(s.storageBytes))}; ${esc(v.scope.storage)}`],
    ['fingerprint collision probability', s.collisionProbability.toExponential(1)],
  ]
  return `<section class="card" id="statistics"><h2>Statistics</h2><dl class="stats">${rows
    .map(([k, x]) => `<div><dt>${k}</dt><dd>${x}</dd></div>`)
    .join('')}</dl></section>`
}

function sometimesSection(v: Verdict): string {
  if (v.sometimes.length === 0) return ''
  const unreached = v.sometimes.some((w) => !w.reached)
  const stopped = v.status === 'violated'
  const items = v.sometimes
    .map(
      (w) =>
        `<li class="${w.reached ? 'reached' : stopped ? 'unsought' : 'unreached'}"><span class="mark">${w.reached ? '&#10003;' : stopped ? '&#8211;' : '&#10007;'}</span>` +
        `<span>${esc(w.name)}</span><span class="muted">${w.reached ? `reached at depth ${w.depth ?? '?'}` : stopped ? 'not sought: the search stopped at the violation' : 'never reached'}</span>` +
        `${w.cite ? `<span class="cite">${esc(w.cite)}</span>` : ''}</li>`,
    )
    .join('')
  const warn = unreached && v.status === 'proved' ? '<p class="warn">FC500: a proof is vacuous for behaviour that is never reached.</p>' : ''
  return `<section class="card" id="sometimes"><h2>Sometimes (vacuity checks)</h2><ul class="witnesses">${items}</ul>${warn}</section>`
}

function rulesSection(r: Report): string {
  if (r.rules.length === 0) return ''
  const broken = r.verdict.status === 'violated' ? r.verdict.property.name : undefined
  const rows = r.rules
    .map(
      (x) =>
        `<tr${x.name === broken ? ' class="broken"' : ''}><td>${esc(x.name)}${x.name === broken ? ' <span class="tag">violated</span>' : ''}</td>` +
        `<td class="kind">${esc(x.kind)}</td><td class="cite">${esc(x.cite ?? '')}</td></tr>`,
    )
    .join('')
  return `<section class="card" id="rules"><h2>Properties checked</h2><table class="rules"><thead><tr><th>property</th><th>kind</th><th>source</th></tr></thead><tbody>${rows}</tbody></table></section>`
}

function notesSection(v: Verdict): string {
  const lines = [...coverageLines(v), ...v.notes]
  if (lines.length === 0) return ''
  return `<section class="card" id="notes"><h2>Notes</h2><ul class="notes">${lines.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></section>`
}

function evidenceSection(r: Report): string {
  if (r.evidence.length === 0) return ''
  const items = r.evidence
    .map(
      (e) =>
        `<div class="evidence"><h3>edge ${esc(e.label)}, first established by (${e.trace.steps.length} step${e.trace.steps.length === 1 ? '' : 's'})</h3>` +
        `<ol>${narrateTrace(r, e.trace)
          .map(
            (st) =>
              `<li><b>${esc(st.actor)}</b>: ${esc(st.text)}${st.changes.length ? ` <span class="muted">(${esc(st.changes.join('; '))})</span>` : ''}</li>`,
          )
          .join('')}</ol></div>`,
    )
    .join('')
  return `<section class="card" id="evidence"><h2>Evidence</h2>${items}</section>`
}

function header(r: Report): string {
  const v = r.verdict
  const t = r.target
  const b = badge(v)
  const name = t.scenario?.name ?? t.model
  const params = Object.entries(t.params)
    .map(([k, x]) => `${k}=${x}`)
    .join(' ')
  const meta = [
    t.scenario ? `<span>scenario <code>${esc(t.scenario.file)}</code></span>` : '',
    `<span>model <code>${esc(t.model)}${params ? ' ' + esc(params) : ''}</code></span>`,
    r.trace ? `<span>${r.trace.steps.length}-step trace</span>` : '',
  ].filter(Boolean)
  const cite =
    v.status === 'violated' && v.property.cite
      ? `<p class="property-cite"><span class="label">property</span> ${esc(v.property.name)} <span class="muted">(${esc(v.property.kind)})</span> &mdash; ${esc(v.property.cite)}</p>`
      : ''
  const covered =
    v.status === 'inconclusive' && v.scope.completeDepth >= 0 ? `<p class="covered">Every state up to depth ${v.scope.completeDepth} was explored.</p>` : ''
  const proved = v.status === 'proved' ? '<p class="covered">Proved within these bounds only.</p>' : ''
  return `<header class="top">
<div class="brand">fencecheck report</div>
<h1 id="title">${esc(name)}</h1>
<div class="meta">${meta.join('<span class="sep">&middot;</span>')}</div>
<div class="verdict-line" id="verdict"><span class="badge ${b.cls}" id="verdict-badge">${esc(b.text)}</span><span class="scope" id="scope">${esc(scopeLine(v))}</span></div>
${cite}${covered}${proved}
${t.scenario?.about ? `<p class="about" id="about">${esc(t.scenario.about)}</p>` : ''}
<div class="repro"><span class="label">reproduce</span><code id="reproduce">${esc(r.reproduce)}</code><button type="button" class="copy" id="copy-repro" title="copy the command">copy</button></div>
</header>`
}

function traceSections(r: Report, svgs: HtmlSvgs, data: PageData): string {
  const trace = r.trace!
  const n = trace.steps.length
  const actors = [...r.actors]
  for (const s of data.steps) if (!actors.includes(s.actor)) actors.push(s.actor)
  const color = (a: string): string => PALETTE[actors.indexOf(a) % PALETTE.length]!

  const lanesHead =
    `<div class="lane lane-head"><div class="lane-label">step</div>` +
    Array.from(
      { length: n + 1 },
      (_, i) =>
        `<button type="button" class="col-head" data-step="${i}" data-col="${i}" title="${i === 0 ? 'initial state' : `step ${i}`}">${i === 0 ? 'init' : i}</button>`,
    ).join('') +
    `</div>`
  const lanes = actors
    .map((a) => {
      const cells = Array.from({ length: n + 1 }, (_, i) => {
        const s = i > 0 ? data.steps[i - 1]! : undefined
        const chip =
          s && s.actor === a
            ? `<button type="button" class="chip" data-step="${i}" title="${esc(`${i}. ${a}: ${s.text}`)}"><span class="chip-n">${i}</span><span class="chip-t">${esc(s.text)}</span></button>`
            : ''
        const blocked = (i === 0 ? r.initialFull?.blocked : r.narrative[i - 1]?.blocked)?.find((b) => b.actor === a)
        const mark = !chip && blocked ? `<span class="blocked-mark" title="${esc(`${a} is blocked: ${blocked.why}`)}">blocked</span>` : ''
        return `<div class="cell${blocked ? ' blocked' : ''}" data-col="${i}">${chip}${mark}</div>`
      }).join('')
      return `<div class="lane" data-actor="${esc(a)}" style="--c:${color(a)}"><div class="lane-label" title="${esc(a)}">${esc(a)}</div>${cells}</div>`
    })
    .join('')

  const stepItems = [
    `<li class="step" data-step="0" role="option"><span class="num">0</span><div class="body"><div class="line"><span class="actor init">initial state</span></div>` +
      (r.initial.length ? `<ul class="chg">${r.initial.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : '') +
      `</div></li>`,
    ...data.steps.map(
      (s, k) =>
        `<li class="step" data-step="${k + 1}" role="option" style="--c:${s.color}"><span class="num">${k + 1}</span><div class="body"><div class="line"><span class="actor">${esc(s.actor)}</span><span class="text">${esc(s.text)}</span></div>` +
        (s.changes.length ? `<ul class="chg">${s.changes.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>` : '') +
        `</div></li>`,
    ),
  ].join('')

  const controls = `<div class="controls" role="toolbar" aria-label="step through the trace">
<button type="button" id="btn-first" title="first step (Home)" aria-keyshortcuts="Home">&laquo;</button>
<button type="button" id="btn-prev" title="previous step (&larr; or k)" aria-keyshortcuts="ArrowLeft k">&lsaquo; prev</button>
<span class="counter" id="counter">step 0 / ${n}</span>
<button type="button" id="btn-next" title="next step (&rarr; or j)" aria-keyshortcuts="ArrowRight j">next &rsaquo;</button>
<button type="button" id="btn-last" title="last step (End)" aria-keyshortcuts="End">&raquo;</button>
</div>`

  const graphPanel = data.hasGraphs
    ? `<section class="card" id="graph-panel"><div class="card-head"><h2 id="graph-title">Wait-for graph</h2><button type="button" class="zoom" id="graph-zoom" title="toggle between fit-to-width and actual size">actual size</button></div><div id="graph" class="graph"></div></section>`
    : ''

  const explanation = r.explanation.length
    ? `<div class="explain-block" id="explanation"><h3>${r.verdict.status === 'violated' ? esc(endLine(r.verdict)) : 'At the end'}</h3><pre class="explain">${r.explanation.map(esc).join('\n')}</pre></div>`
    : ''
  const lastGraph = data.steps.length ? data.steps[data.steps.length - 1]!.graph : undefined
  const finalWaitFor =
    r.graphs.waitFor && (svgs.waitFor || !data.hasGraphs || r.graphs.waitFor !== lastGraph)
      ? `<details class="final-graph"${data.hasGraphs ? '' : ' open'}><summary>Wait-for graph of the last state</summary>${graphBlock('', svgs.waitFor, r.graphs.waitFor, 'fc-final-')}</details>`
      : ''
  const lockOrder = graphBlock('Lock-order graph', svgs.lockOrder, r.graphs.lockOrder, 'fc-lock-', 'lock-order')
  const endSection =
    explanation || finalWaitFor || lockOrder
      ? `<section class="card end" id="end"><h2>At the end of the trace</h2>${explanation}${lockOrder}${finalWaitFor}</section>`
      : ''

  return `<section class="card" id="lanes-section"><div class="card-head"><h2>Swim lanes</h2><span class="muted small">one lane per actor; read left to right to see how the actors interleave</span></div>
<div class="lanes-scroll" id="lanes-scroll"><div class="lanes" id="lanes" style="--n:${n + 1}">${lanesHead}${lanes}</div></div></section>
${graphPanel}
<div class="workspace">
<section class="card steps-card" id="steps-panel"><div class="card-head"><h2>Trace</h2>${controls}</div>
<ol class="steps" id="steps" role="listbox" aria-label="trace steps">${stepItems}</ol>
<p class="keys muted small">Keys: <kbd>&rarr;</kbd>/<kbd>j</kbd> next, <kbd>&larr;</kbd>/<kbd>k</kbd> previous, <kbd>Home</kbd>, <kbd>End</kbd>. The address (<code>#step=N</code>) keeps the step.</p></section>
<div class="detail">
<section class="card current" id="current" aria-live="polite"></section>
<section class="card" id="state-panel"><div class="card-head"><h2 id="state-title">State</h2><span class="legend"><span class="swatch"></span>changed by this step</span></div><div class="state" id="state"></div></section>
</div>
</div>
${endSection}`
}

/** The HTML report for one result. */
export function toHtml(r: Report, svgs: HtmlSvgs = {}): string {
  const v = r.verdict
  const actors = [...r.actors]
  for (const s of r.narrative) if (!actors.includes(s.actor)) actors.push(s.actor)
  const color = (a: string): string => PALETTE[actors.indexOf(a) % PALETTE.length]!
  const trace = r.trace
  const steps: PageStep[] = trace
    ? trace.steps.map((st, k) => {
        const nar = r.narrative[k]
        const actor = nar?.actor ?? 'system'
        const svg = svgs.steps?.[k]
        return {
          actor,
          color: color(actor),
          text: nar?.text ?? formatAction(st.action),
          changes: nar?.changes ?? [],
          fields: Object.fromEntries(Object.entries(st.changes).map(([f, [a, b]]) => [f, [a, b] as const])),
          state: st.state,
          ...(nar?.state ? { stateLines: nar.state } : {}),
          ...(nar?.graph ? { graph: nar.graph } : {}),
          ...(svg ? { svg: inlineSvg(svg, `fc-s${k + 1}-`) } : {}),
        }
      })
    : []
  const data: PageData = {
    initialState: trace?.initialState ?? {},
    initial: r.initial,
    ...(r.initialFull?.state ? { initialLines: r.initialFull.state } : {}),
    // A violation opens where it happens: the last step, with its graph and the explanation.
    openAt: v.status === 'violated' ? steps.length : 0,
    steps,
    hasGraphs: steps.some((s) => s.graph || s.svg),
    ...(v.status === 'violated' ? { end: { line: endLine(v), explanation: r.explanation } } : {}),
  }
  const name = r.target.scenario?.name ?? r.target.model
  const b = badge(v)
  const body = trace
    ? traceSections(r, svgs, data)
    : `${r.explanation.length ? `<section class="card end" id="end"><h2>Explanation</h2><pre class="explain" id="explanation">${r.explanation.map(esc).join('\n')}</pre></section>` : ''}` +
      graphBlock('Lock-order graph', svgs.lockOrder, r.graphs.lockOrder, 'fc-lock-', 'card')
  const facts = `<div class="facts">${statsSection(r)}${sometimesSection(v)}${notesSection(v)}</div>${evidenceSection(r)}${rulesSection(r)}`
  return `${pageHead(`${b.text} - ${name} - fencecheck`, viewerAsset('base.css') + viewerAsset('trace.css'))}
<body class="${trace ? 'has-trace' : 'no-trace'} status-${v.status}">
${header(r)}
<main>
${body}
${facts}
</main>
<footer>Generated by fencecheck. Verdicts hold within the stated bounds only.</footer>
<script type="application/json" id="fencecheck-data">${jsonForScript(data)}</script>
<script>${inlineScript('client.js')}</script>
</body>
</html>
`
}
