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
import type { Report } from './render.js'

/** SVG renderings supplied by the caller: `steps[k]` is the rendering of `narrative[k].graph`. */
export interface HtmlSvgs {
  readonly waitFor?: string
  readonly lockOrder?: string
  readonly steps?: readonly (string | undefined)[]
}

/** The data the page script reads from `<script type="application/json" id="fencecheck-data">`. */
interface PageData {
  readonly initialState: Record<string, unknown>
  readonly initial: readonly string[]
  readonly steps: readonly PageStep[]
  /** the graph panel is shown only when some step has a graph */
  readonly hasGraphs: boolean
  /** shown when the last step is selected (violations only) */
  readonly end?: { readonly line: string; readonly explanation: readonly string[] }
}

interface PageStep {
  readonly actor: string
  readonly color: string
  readonly text: string
  /** what changed, in the model's words */
  readonly changes: readonly string[]
  /** the state fields this step changed: field -> [before, after] */
  readonly fields: Record<string, readonly [unknown, unknown]>
  readonly state: Record<string, unknown>
  readonly graph?: string
  readonly svg?: string
}

const PALETTE = ['#2563eb', '#c2410c', '#047857', '#7c3aed', '#be185d', '#0e7490', '#4d7c0f', '#b45309', '#4338ca', '#9f1239']

/** Escape text for HTML element content and (double- or single-quoted) attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

const esc = escapeHtml

/** JSON for a `<script type="application/json">` element: no `<` can close the element or open a comment. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

const num = (x: number): string => x.toLocaleString('en-US')

/**
 * Make caller-supplied SVG text safe to inline: drop the XML prolog, doctype and comments, any
 * script, foreign content and event handlers, and prefix ids so several graphs can share a page.
 */
export function inlineSvg(svg: string, idPrefix: string): string {
  let s = svg
    .replace(/<\?xml[\s\S]*?\?>/g, '')
    .replace(/<!DOCTYPE[^>]*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<script\b[\s\S]*?<\/script\s*>/gi, '')
    .replace(/<script\b[^>]*\/>/gi, '')
    .replace(/<foreignObject\b[\s\S]*?<\/foreignObject\s*>/gi, '')
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '')
    .replace(/(\s(?:xlink:)?href\s*=\s*)("|')\s*(?:javascript|data|vbscript):[^"']*\2/gi, '$1$2#$2')
  s = s.replace(/\sid="([^"]*)"/g, ` id="${idPrefix}$1"`).replace(/url\(#/g, `url(#${idPrefix}`).replace(/href="#(?!")/g, `href="#${idPrefix}`)
  const start = s.search(/<svg\b/i)
  return start < 0 ? '' : s.slice(start).trim()
}

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
  const items = v.sometimes
    .map(
      (w) =>
        `<li class="${w.reached ? 'reached' : 'unreached'}"><span class="mark">${w.reached ? '&#10003;' : '&#10007;'}</span>` +
        `<span>${esc(w.name)}</span><span class="muted">${w.reached ? `reached at depth ${w.depth ?? '?'}` : 'never reached'}</span>` +
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
        `<ol>${e.trace.steps.map((st) => `<li><code>${esc(formatAction(st.action))}</code></li>`).join('')}</ol></div>`,
    )
    .join('')
  return `<section class="card" id="evidence"><h2>Evidence</h2>${items}</section>`
}

function header(r: Report): string {
  const v = r.verdict
  const t = r.target
  const b = badge(v)
  const name = t.scenario?.name ?? t.model
  const params = Object.entries(t.params).map(([k, x]) => `${k}=${x}`).join(' ')
  const meta = [
    t.scenario ? `<span>scenario <code>${esc(t.scenario.file)}</code></span>` : '',
    `<span>model <code>${esc(t.model)}${params ? ' ' + esc(params) : ''}</code></span>`,
    r.trace ? `<span>${r.trace.steps.length}-step trace</span>` : '',
  ].filter(Boolean)
  const cite = v.status === 'violated' && v.property.cite ? `<p class="property-cite"><span class="label">property</span> ${esc(v.property.name)} <span class="muted">(${esc(v.property.kind)})</span> &mdash; ${esc(v.property.cite)}</p>` : ''
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
    Array.from({ length: n + 1 }, (_, i) => `<button type="button" class="col-head" data-step="${i}" data-col="${i}" title="${i === 0 ? 'initial state' : `step ${i}`}">${i === 0 ? 'init' : i}</button>`).join('') +
    `</div>`
  const lanes = actors
    .map((a) => {
      const cells = Array.from({ length: n + 1 }, (_, i) => {
        const s = i > 0 ? data.steps[i - 1]! : undefined
        const chip =
          s && s.actor === a
            ? `<button type="button" class="chip" data-step="${i}" title="${esc(`${i}. ${a}: ${s.text}`)}"><span class="chip-n">${i}</span><span class="chip-t">${esc(s.text)}</span></button>`
            : ''
        return `<div class="cell" data-col="${i}">${chip}</div>`
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
          ...(nar?.graph ? { graph: nar.graph } : {}),
          ...(svg ? { svg: inlineSvg(svg, `fc-s${k + 1}-`) } : {}),
        }
      })
    : []
  const data: PageData = {
    initialState: trace?.initialState ?? {},
    initial: r.initial,
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
  const script = `(${pageScript.toString()})();`
  if (/<\/script/i.test(script)) throw new Error('page script must not contain a closing script tag')
  return `${pageHead(`${b.text} - ${name} - fencecheck`, CSS)}
<body class="${trace ? 'has-trace' : 'no-trace'} status-${v.status}">
${header(r)}
<main>
${body}
${facts}
</main>
<footer>Generated by fencecheck. Verdicts hold within the stated bounds only.</footer>
<script type="application/json" id="fencecheck-data">${jsonForScript(data)}</script>
<script>${script}</script>
</body>
</html>
`
}

/**
 * The page script, inlined as source text: it must not refer to anything outside its own body.
 * It reads the embedded JSON and drives the step selection.
 */
function pageScript(): void {
  const copy = document.getElementById('copy-repro')
  const repro = document.getElementById('reproduce')
  if (copy && repro) {
    copy.addEventListener('click', () => {
      const text = repro.textContent ?? ''
      const done = (): void => {
        copy.textContent = 'copied'
        setTimeout(() => (copy.textContent = 'copy'), 1200)
      }
      const fallback = (): void => {
        const sel = window.getSelection()
        const range = document.createRange()
        range.selectNodeContents(repro)
        sel?.removeAllRanges()
        sel?.addRange(range)
      }
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, fallback)
      else fallback()
    })
  }
  const dataEl = document.getElementById('fencecheck-data')
  const stepsEl = document.getElementById('steps')
  if (!dataEl || !stepsEl) return
  interface Step {
    actor: string
    color: string
    text: string
    changes: string[]
    fields: Record<string, [unknown, unknown]>
    state: Record<string, unknown>
    graph?: string
    svg?: string
  }
  const data = JSON.parse(dataEl.textContent || '{}') as {
    initialState: Record<string, unknown>
    initial: string[]
    steps: Step[]
    hasGraphs: boolean
    end?: { line: string; explanation: string[] }
  }
  const total = data.steps.length
  let cur = -1
  let actualSize = false

  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag)
    if (cls) e.className = cls
    if (text !== undefined) e.textContent = text
    return e
  }
  const fmt = (v: unknown): string =>
    Array.isArray(v) ? '[' + v.map(fmt).join(' ') + ']' : v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  const valueSpan = (v: unknown, cls: string): HTMLElement => {
    const s = el('span', cls + ' v-' + (typeof v === 'boolean' ? String(v) : typeof v), fmt(v))
    return s
  }

  function renderCurrent(i: number): void {
    const box = document.getElementById('current')
    if (!box) return
    box.replaceChildren()
    const head = el('div', 'current-head')
    head.append(el('span', 'current-n', i === 0 ? 'Step 0' : 'Step ' + i + ' of ' + total))
    if (i === 0) {
      head.append(el('span', 'actor init', 'initial state'))
      box.append(head)
      if (data.initial.length) {
        const ul = el('ul', 'current-changes')
        for (const l of data.initial) ul.append(el('li', '', l))
        box.append(ul)
      }
      return
    }
    const s = data.steps[i - 1]!
    const actor = el('span', 'actor', s.actor)
    actor.style.setProperty('--c', s.color)
    head.append(actor)
    box.append(head, el('p', 'current-text', s.text))
    if (s.changes.length) {
      const ul = el('ul', 'current-changes')
      for (const c of s.changes) ul.append(el('li', '', c))
      box.append(ul)
    } else if (Object.keys(s.fields).length === 0) {
      box.append(el('p', 'muted small', 'No state field changes in this step.'))
    }
    if (i === total && data.end) {
      const note = el('div', 'end-note')
      note.id = 'end-note'
      note.append(el('strong', '', data.end.line))
      if (data.end.explanation.length) note.append(el('pre', 'explain', data.end.explanation.join('\n')))
      box.append(note)
    }
  }

  function renderState(i: number): void {
    const box = document.getElementById('state')
    const title = document.getElementById('state-title')
    if (!box) return
    if (title) title.textContent = i === 0 ? 'Initial state' : 'State after step ' + i
    const state = i === 0 ? data.initialState : data.steps[i - 1]!.state
    const fields = i === 0 ? {} : data.steps[i - 1]!.fields
    box.replaceChildren()
    let group = ''
    for (const key of Object.keys(state)) {
      const dot = key.indexOf('.')
      const pre = dot > 0 ? key.slice(0, dot) : ''
      const row = el('div', 'field')
      row.dataset.field = key
      const k = el('span', 'k')
      if (pre) k.append(el('span', 'k-pre', pre + '.'))
      k.append(document.createTextNode(dot > 0 ? key.slice(dot + 1) : key))
      row.append(k)
      const ch = fields[key]
      if (ch) {
        row.classList.add('changed')
        row.dataset.changed = 'true'
        const v = el('span', 'v')
        v.append(valueSpan(ch[0], 'old'), el('span', 'arrow', '\u2192'), valueSpan(state[key], 'new'))
        row.append(v)
      } else {
        const v = el('span', 'v')
        v.append(valueSpan(state[key], ''))
        row.append(v)
      }
      if (pre !== group && group !== '') row.classList.add('group-start')
      group = pre
      box.append(row)
    }
  }

  function fitGraph(): void {
    const box = document.getElementById('graph')
    const svg = box?.querySelector('svg')
    if (!box || !svg) return
    const w = parseFloat(svg.getAttribute('width') || '')
    const vb = svg.viewBox?.baseVal
    const unit = /pt$/.test(svg.getAttribute('width') || '') ? 4 / 3 : 1
    const natural = w ? w * unit : vb && vb.width ? vb.width : 0
    svg.removeAttribute('height')
    svg.style.height = 'auto'
    if (!natural) {
      svg.style.width = '100%'
      return
    }
    const avail = box.clientWidth - 2
    svg.style.width = (actualSize ? natural : Math.min(natural, Math.max(avail, natural * 0.5))) + 'px'
  }

  function renderGraph(i: number): void {
    const box = document.getElementById('graph')
    const title = document.getElementById('graph-title')
    if (!box) return
    box.replaceChildren()
    if (title) title.textContent = i === 0 ? 'Wait-for graph' : 'Wait-for graph after step ' + i
    const s = i === 0 ? undefined : data.steps[i - 1]
    const zoom = document.getElementById('graph-zoom')
    if (zoom) zoom.hidden = !s?.svg
    if (!s || (!s.svg && !s.graph)) {
      box.append(el('p', 'muted', i === 0 ? 'The graph is drawn after each step; step forward to see it.' : 'No graph for this step.'))
      return
    }
    if (s.svg) {
      const wrap = el('div', 'graph-svg')
      wrap.innerHTML = s.svg
      box.append(wrap)
      // keep the natural size available to fitGraph
      fitGraph()
    } else {
      box.append(el('pre', 'dot', s.graph), el('p', 'muted small dot-note', 'Graphviz DOT source of the graph (render it with dot -Tsvg).'))
    }
  }

  function scrollWithin(container: HTMLElement | null, item: Element | null, horizontal: boolean): void {
    if (!container || !item) return
    const c = container.getBoundingClientRect()
    const r = item.getBoundingClientRect()
    if (horizontal) {
      if (r.left < c.left + 150) container.scrollLeft += r.left - c.left - 150
      else if (r.right > c.right) container.scrollLeft += r.right - c.right + 16
    } else {
      if (r.top < c.top) container.scrollTop += r.top - c.top - 8
      else if (r.bottom > c.bottom) container.scrollTop += r.bottom - c.bottom + 8
    }
  }

  function select(i: number, fromHash: boolean): void {
    i = Math.max(0, Math.min(total, Math.floor(i)))
    if (i === cur) return
    cur = i
    document.querySelectorAll<HTMLElement>('[data-step]').forEach((e) => {
      const on = Number(e.dataset.step) === i
      e.classList.toggle('selected', on)
      if (e.getAttribute('role') === 'option') e.setAttribute('aria-selected', String(on))
    })
    document.querySelectorAll<HTMLElement>('[data-col]').forEach((e) => e.classList.toggle('cur', Number(e.dataset.col) === i))
    renderCurrent(i)
    renderState(i)
    renderGraph(i)
    const counter = document.getElementById('counter')
    if (counter) counter.textContent = 'step ' + i + ' / ' + total
    const dis = (id: string, on: boolean): void => {
      const b = document.getElementById(id) as HTMLButtonElement | null
      if (b) b.disabled = on
    }
    dis('btn-first', i === 0)
    dis('btn-prev', i === 0)
    dis('btn-next', i === total)
    dis('btn-last', i === total)
    scrollWithin(stepsEl, stepsEl!.querySelector('.step.selected'), false)
    scrollWithin(document.getElementById('lanes-scroll'), document.querySelector('.col-head.selected'), true)
    if (!fromHash) {
      const hash = '#step=' + i
      if (location.hash !== hash) {
        try {
          history.replaceState(null, '', hash)
        } catch {
          location.hash = hash
        }
      }
    }
  }

  const fromHash = (): number | undefined => {
    const m = /^#step=(\d+)$/.exec(location.hash)
    return m ? Number(m[1]) : undefined
  }

  document.addEventListener('click', (ev) => {
    const t = (ev.target as Element | null)?.closest<HTMLElement>('[data-step]')
    if (t && t.dataset.step !== undefined) select(Number(t.dataset.step), false)
  })
  const on = (id: string, f: () => void): void => document.getElementById(id)?.addEventListener('click', f)
  on('btn-first', () => select(0, false))
  on('btn-prev', () => select(cur - 1, false))
  on('btn-next', () => select(cur + 1, false))
  on('btn-last', () => select(total, false))
  on('graph-zoom', () => {
    actualSize = !actualSize
    const b = document.getElementById('graph-zoom')
    if (b) b.textContent = actualSize ? 'fit to width' : 'actual size'
    fitGraph()
  })
  document.addEventListener('keydown', (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return
    const tag = (ev.target as HTMLElement | null)?.tagName
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return
    const k = ev.key
    if (k === 'ArrowRight' || k === 'j') select(cur + 1, false)
    else if (k === 'ArrowLeft' || k === 'k') select(cur - 1, false)
    else if (k === 'Home') select(0, false)
    else if (k === 'End') select(total, false)
    else return
    ev.preventDefault()
  })
  window.addEventListener('hashchange', () => {
    const h = fromHash()
    if (h !== undefined) select(h, true)
  })
  window.addEventListener('resize', fitGraph)
  const start = fromHash()
  select(start ?? 0, start === undefined || start <= total)
}

/** Shared page styles (also used by the index page). */
/** The start of every page fencecheck writes: doctype, metadata, title and the inlined style. */
export function pageHead(title: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fencecheck">
<title>${esc(title)}</title>
<style>${css}</style>
</head>`
}

export const BASE_CSS = `
:root{--fg:#1c2430;--muted:#5b6676;--line:#dfe3ea;--bg:#f5f7fa;--card:#fff;--accent:#2563eb;
--red:#b42318;--red-bg:#fdecea;--green:#067647;--green-bg:#e6f6ec;--amber:#a15c07;--amber-bg:#fef3dc;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif}
*{box-sizing:border-box}
html{background:var(--bg)}
body{margin:0;color:var(--fg);font:14px/1.5 var(--sans);background:var(--bg)}
code,pre,kbd{font-family:var(--mono);font-size:12.5px}
code{background:#eef1f5;border-radius:4px;padding:1px 5px}
kbd{border:1px solid var(--line);border-bottom-width:2px;border-radius:4px;padding:0 4px;background:#fff}
a{color:var(--accent)}
h1{font-size:24px;line-height:1.25;margin:2px 0 6px}
h2{font-size:15px;margin:0 0 10px}
h3{font-size:13.5px;margin:14px 0 6px}
.muted{color:var(--muted)}
.small{font-size:12px}
.label{font-size:11px;font-weight:600;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
header.top{background:var(--card);border-bottom:1px solid var(--line);padding:18px 28px 16px}
.brand{font-size:11px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
.meta{color:var(--muted);font-size:12.5px;display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.meta .sep{color:#b5bcc8}
.badge{display:inline-block;font-weight:700;letter-spacing:.02em;border-radius:6px;padding:4px 12px;border:1px solid currentColor;white-space:nowrap}
.badge.violated{color:var(--red);background:var(--red-bg)}
.badge.proved{color:var(--green);background:var(--green-bg)}
.badge.inconclusive{color:var(--amber);background:var(--amber-bg)}
main{padding:18px 28px 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin-bottom:16px;min-width:0}
.card-head{display:flex;align-items:baseline;justify-content:space-between;gap:12px;flex-wrap:wrap;margin-bottom:8px}
.card-head h2{margin:0}
footer{color:var(--muted);font-size:12px;padding:4px 28px 24px}
`

const CSS =
  BASE_CSS +
  `
.verdict-line{display:flex;flex-wrap:wrap;align-items:center;gap:10px 14px;margin:12px 0 6px;font-size:16.5px}
.verdict-line .scope{font-weight:600}
.property-cite,.covered{margin:4px 0;color:var(--muted);font-size:12.5px}
.about{max-width:100ch;margin:10px 0;font-size:14px}
.repro{display:flex;align-items:center;gap:10px;flex-wrap:wrap;margin-top:8px}
.repro code{font-size:12.5px;padding:4px 8px}
button{font:inherit;font-size:12.5px;color:var(--fg);background:#fff;border:1px solid #c9d0da;border-radius:6px;padding:3px 10px;cursor:pointer}
button:hover:not(:disabled){border-color:var(--accent);color:var(--accent)}
button:disabled{opacity:.4;cursor:default}
.controls{display:flex;align-items:center;gap:6px}
.counter{font-variant-numeric:tabular-nums;color:var(--muted);font-size:12.5px;min-width:84px;text-align:center}
/* swim lanes */
.lanes-scroll{overflow-x:auto;padding-bottom:4px}
.lane{display:grid;grid-template-columns:150px repeat(var(--n),minmax(92px,1fr));align-items:stretch}
.lane+.lane{border-top:1px solid #edf0f4}
.lane-label{position:sticky;left:0;z-index:1;background:var(--card);font-weight:600;font-size:12.5px;padding:8px 10px 8px 10px;border-left:4px solid var(--c,transparent);white-space:nowrap;overflow:hidden;text-overflow:ellipsis;align-self:center}
.lane-head .lane-label{border-left-color:transparent;color:var(--muted);font-weight:500}
.col-head{border:0;background:none;border-radius:6px;color:var(--muted);font-variant-numeric:tabular-nums;padding:2px 0;margin:2px 3px}
.col-head.selected{background:var(--fg);color:#fff}
.cell{padding:5px 3px;min-height:46px;display:flex}
.cell.cur{background:#eef4ff}
.chip{flex:1;display:flex;gap:6px;align-items:flex-start;text-align:left;border:1px solid color-mix(in srgb,var(--c) 35%,#fff);background:color-mix(in srgb,var(--c) 9%,#fff);border-radius:6px;padding:4px 6px;min-width:0;color:var(--fg)}
.chip-n{font-weight:700;color:var(--c);font-variant-numeric:tabular-nums}
.chip-t{font-size:11.5px;line-height:1.3;overflow:hidden;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical}
.chip.selected{background:var(--c);border-color:var(--c);color:#fff;box-shadow:0 1px 4px rgba(0,0,0,.18)}
.chip.selected .chip-n{color:#fff}
/* workspace */
.workspace{display:grid;grid-template-columns:minmax(300px,400px) minmax(0,1fr);gap:16px;align-items:start}
.workspace .card{margin-bottom:16px}
.steps-card{position:sticky;top:12px}
.steps{list-style:none;margin:0;padding:0;max-height:calc(100vh - 170px);overflow-y:auto}
.step{display:flex;gap:10px;padding:7px 8px;border-radius:8px;cursor:pointer;border:1px solid transparent}
.step+.step{margin-top:2px}
.step:hover{background:#f3f5f9}
.step.selected{background:#eef4ff;border-color:#b9cdfa}
.step .num{flex:0 0 24px;height:24px;border-radius:12px;background:#eef1f5;color:var(--muted);font-weight:700;font-size:12px;display:flex;align-items:center;justify-content:center;font-variant-numeric:tabular-nums}
.step.selected .num{background:var(--accent);color:#fff}
.step .body{min-width:0}
.step .line{line-height:1.4}
.actor{font-weight:600;color:var(--c,var(--fg));margin-right:6px}
.actor::after{content:":"}
.actor.init{color:var(--muted)}
.actor.init::after{content:""}
.chg{list-style:none;margin:2px 0 0;padding:0;color:var(--muted);font-size:12px}
.chg li{font-family:var(--mono);font-size:11.5px}
.keys{margin:10px 0 0}
.current-head{display:flex;align-items:baseline;gap:10px}
.current-n{font-size:12px;font-weight:700;letter-spacing:.05em;text-transform:uppercase;color:var(--muted)}
.current .actor{font-size:15px}
.current .actor::after{content:""}
.current-text{font-size:16px;margin:4px 0 6px}
.current-changes{margin:6px 0 0;padding-left:18px;font-family:var(--mono);font-size:12.5px}
.end-note{margin-top:12px;border:1px solid #f4b4ad;background:var(--red-bg);border-radius:8px;padding:10px 12px;color:#7a1a12}
.end-note pre{margin:8px 0 0}
.explain{white-space:pre-wrap;font-size:12.5px;line-height:1.55;margin:0}
.graph{overflow:auto;max-height:60vh;border:1px solid #edf0f4;border-radius:8px;background:#fff;min-height:170px;padding:6px;display:flex;flex-direction:column;justify-content:center}
.graph>p{margin:0;text-align:center}
.graph>p.dot-note{text-align:left;margin-top:6px}
.graph-svg svg{display:block;max-width:none}
.graph-block .graph-svg{overflow:auto;border:1px solid #edf0f4;border-radius:8px;padding:6px}
.graph-block .graph-svg svg{max-width:100%;height:auto}
.dot{white-space:pre-wrap;word-break:break-word;background:#f7f8fa;border-radius:6px;padding:10px;margin:0;max-height:360px;overflow:auto;font-size:11.5px}
.zoom{font-size:12px}
/* state panel */
.state{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:0 18px}
.field{display:flex;justify-content:space-between;gap:12px;padding:3px 8px;border-bottom:1px solid #f0f2f5;font-family:var(--mono);font-size:12.5px;border-radius:4px}
.field .k{color:var(--fg);overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.field .k-pre{color:var(--muted)}
.field .v{white-space:nowrap;text-align:right}
.v-false{color:#98a2b3}
.v-true{color:#067647;font-weight:600}
.field.changed{background:#fff3c4;border-bottom-color:#f5d76e;box-shadow:inset 3px 0 0 #e0a800}
.field.changed .old{color:#8a6d1f;text-decoration:line-through}
.field.changed .new{font-weight:700;color:#5c3d00}
.field .arrow{color:#8a6d1f;margin:0 5px}
.legend{font-size:12px;color:var(--muted);display:flex;align-items:center;gap:6px}
.swatch{width:12px;height:12px;background:#fff3c4;border:1px solid #e0a800;border-radius:3px;display:inline-block}
/* end, facts */
.end h2{color:var(--red)}
.status-proved .end h2,.status-inconclusive .end h2{color:var(--fg)}
.explain-block h3{margin-top:0}
.explain-block .explain{background:#fbf4f3;border:1px solid #f1d2ce;border-radius:8px;padding:10px 12px}
details.final-graph{margin-top:12px}
details.final-graph summary{cursor:pointer;color:var(--muted);font-size:13px}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:0 16px;align-items:start}
.stats{display:grid;grid-template-columns:1fr;margin:0}
.stats div{display:flex;justify-content:space-between;gap:16px;padding:4px 0;border-bottom:1px solid #f0f2f5}
.stats dt{color:var(--muted)}
.stats dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
.witnesses{list-style:none;margin:0;padding:0}
.witnesses li{display:grid;grid-template-columns:20px 1fr auto;gap:2px 8px;padding:4px 0;border-bottom:1px solid #f0f2f5}
.witnesses .cite{grid-column:2/4;font-size:12px;color:var(--muted)}
.witnesses .reached .mark{color:var(--green);font-weight:700}
.witnesses .unreached .mark{color:var(--red);font-weight:700}
.warn{color:var(--amber);font-weight:600}
.rules{border-collapse:collapse;width:100%;font-size:13px}
.rules th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);border-bottom:1px solid var(--line);padding:4px 8px}
.rules td{padding:6px 8px;border-bottom:1px solid #f0f2f5;vertical-align:top}
.rules td.kind{color:var(--muted);white-space:nowrap}
.rules td.cite{color:var(--muted);font-size:12px}
.rules tr.broken td{background:var(--red-bg)}
.tag{font-size:10.5px;font-weight:700;text-transform:uppercase;color:var(--red);border:1px solid currentColor;border-radius:4px;padding:0 4px;margin-left:4px}
.evidence ol{margin:4px 0 8px;padding-left:22px}
@media (max-width:900px){.workspace{grid-template-columns:1fr}.steps-card{position:static}.steps{max-height:none}}
@media print{.controls,.zoom,.copy,.keys{display:none}.steps-card{position:static}.steps{max-height:none}}
`
