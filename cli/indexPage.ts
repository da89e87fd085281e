/**
 * The index page of a report folder: one self-contained HTML file listing every scenario with its
 * computed verdict, whether that meets the scenario's pinned expectation, and links to each
 * scenario's HTML trace and Markdown report.
 */
import { BASE_CSS, escapeHtml as esc } from './html.js'

export interface IndexRow {
  /** the scenario file, as shown */
  readonly file: string
  readonly name: string
  /** the pinned expectation, e.g. "violated: deadlock" */
  readonly expected: string
  /** the computed verdict, starting with violated, proved or inconclusive */
  readonly computed: string
  /** the computed verdict meets the expectation */
  readonly ok: boolean
  readonly states: number
  readonly timeMs: number
  /** relative links to this scenario's HTML trace and Markdown report */
  readonly reportHref?: string
  readonly markdownHref?: string
}

/** The status word a computed verdict starts with (for its color). */
function statusOf(computed: string): 'violated' | 'proved' | 'inconclusive' | 'other' {
  const m = /^\s*(violated|proved|inconclusive)\b/i.exec(computed)
  return m ? (m[1]!.toLowerCase() as 'violated' | 'proved' | 'inconclusive') : 'other'
}

/** Links may be relative paths or http(s)/file URLs; anything else (javascript:, data:) is dropped. */
function safeHref(href: string | undefined): string | undefined {
  if (href === undefined || href.trim() === '') return undefined
  const scheme = /^\s*([a-z][a-z0-9+.-]*):/i.exec(href)
  if (scheme && !['http', 'https', 'file'].includes(scheme[1]!.toLowerCase())) return undefined
  return href
}

export function indexHtml(rows: readonly IndexRow[], title = 'fencecheck: bundled scenarios'): string {
  const met = rows.filter((r) => r.ok).length
  const count = (s: string): number => rows.filter((r) => statusOf(r.computed) === s).length
  const totalMs = rows.reduce((a, r) => a + r.timeMs, 0)
  const totalStates = rows.reduce((a, r) => a + r.states, 0)
  const body = rows
    .map((r, i) => {
      const st = statusOf(r.computed)
      const report = safeHref(r.reportHref)
      const md = safeHref(r.markdownHref)
      const links = [
        report ? `<a class="link" data-kind="trace" href="${esc(report)}">trace</a>` : '',
        md ? `<a class="link" data-kind="markdown" href="${esc(md)}">markdown</a>` : '',
      ].filter(Boolean)
      const nameCell = report ? `<a class="name" href="${esc(report)}">${esc(r.name)}</a>` : `<span class="name">${esc(r.name)}</span>`
      return (
        `<tr class="row ${r.ok ? 'ok' : 'mismatch'}" data-status="${st}" data-ok="${r.ok}">` +
        `<td class="n">${i + 1}</td>` +
        `<td class="scenario">${nameCell}<div class="file">${esc(r.file)}</div></td>` +
        `<td class="expected">${esc(r.expected)}</td>` +
        `<td class="computed"><span class="verdict ${st}">${esc(r.computed)}</span></td>` +
        `<td class="match">${r.ok ? '<span class="yes">&#10003; meets</span>' : '<span class="no">&#10007; MISMATCH</span>'}</td>` +
        `<td class="num">${r.states.toLocaleString('en-US')}</td>` +
        `<td class="num">${(r.timeMs / 1000).toFixed(2)} s</td>` +
        `<td class="links">${links.length ? links.join(' ') : '<span class="muted">-</span>'}</td>` +
        `</tr>`
      )
    })
    .join('\n')
  const allOk = met === rows.length
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fencecheck">
<title>${esc(title)}</title>
<style>${BASE_CSS}${CSS}</style>
</head>
<body>
<header class="top">
<div class="brand">fencecheck</div>
<h1 id="title">${esc(title)}</h1>
<div class="summary">
<span class="badge ${allOk ? 'proved' : 'violated'}" id="summary">${met} of ${rows.length} scenario${rows.length === 1 ? '' : 's'} meet their expectation</span>
<span class="counts"><span class="verdict violated">${count('violated')} violated</span> <span class="verdict proved">${count('proved')} proved</span> <span class="verdict inconclusive">${count('inconclusive')} inconclusive</span></span>
<span class="muted">${totalStates.toLocaleString('en-US')} states in ${(totalMs / 1000).toFixed(2)} s</span>
</div>
<p class="muted small">A verdict is computed by exploring the scenario's model within its bounds; "violated" is the expected outcome for a design stated to show a bug. Open a trace to step through its counterexample.</p>
</header>
<main>
<div class="card">
<div class="tools"><input type="search" id="filter" placeholder="filter by name, file or verdict" aria-label="filter scenarios"><label><input type="checkbox" id="only-mismatch"> only mismatches</label></div>
<table class="index" id="index">
<thead><tr><th>#</th><th>scenario</th><th>expected</th><th>computed</th><th>expectation</th><th class="num">states</th><th class="num">time</th><th>reports</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
${rows.length === 0 ? '<p class="muted">No scenarios.</p>' : ''}
</div>
</main>
<footer>Generated by fencecheck. Verdicts hold within each scenario's bounds only.</footer>
<script>(${indexScript.toString()})();</script>
</body>
</html>
`
}

/** Inlined as source text: filtering the table. */
function indexScript(): void {
  const q = document.getElementById('filter') as HTMLInputElement | null
  const only = document.getElementById('only-mismatch') as HTMLInputElement | null
  const apply = (): void => {
    const words = (q?.value ?? '').toLowerCase().split(/\s+/).filter(Boolean)
    document.querySelectorAll<HTMLTableRowElement>('#index tbody tr').forEach((tr) => {
      const text = (tr.textContent ?? '').toLowerCase()
      const show = words.every((w) => text.includes(w)) && (!only?.checked || tr.dataset.ok === 'false')
      tr.hidden = !show
    })
  }
  q?.addEventListener('input', apply)
  only?.addEventListener('change', apply)
}

const CSS = `
.summary{display:flex;flex-wrap:wrap;align-items:center;gap:10px 16px;margin:10px 0 4px;font-size:15px}
.counts{display:flex;gap:6px}
.verdict{display:inline-block;font-size:12.5px;font-weight:600;border-radius:5px;padding:1px 8px;white-space:nowrap}
.verdict.violated{color:var(--red);background:var(--red-bg)}
.verdict.proved{color:var(--green);background:var(--green-bg)}
.verdict.inconclusive{color:var(--amber);background:var(--amber-bg)}
.verdict.other{color:var(--muted);background:#eef1f5}
.tools{display:flex;gap:16px;align-items:center;margin-bottom:10px;font-size:13px}
.tools input[type=search]{font:inherit;font-size:13px;padding:5px 10px;border:1px solid #c9d0da;border-radius:6px;min-width:280px}
table.index{border-collapse:collapse;width:100%;font-size:13px}
.index th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);border-bottom:1px solid var(--line);padding:6px 8px;white-space:nowrap}
.index td{padding:7px 8px;border-bottom:1px solid #f0f2f5;vertical-align:top}
.index tr:hover td{background:#f8fafc}
.index .n{color:var(--muted);font-variant-numeric:tabular-nums}
.index .name{font-weight:600;text-decoration:none}
.index a.name:hover{text-decoration:underline}
.index .file{font-family:var(--mono);font-size:11.5px;color:var(--muted)}
.index .expected{color:var(--muted)}
.index .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.index .yes{color:var(--green);font-weight:600;white-space:nowrap}
.index .no{color:var(--red);font-weight:700;white-space:nowrap}
.index tr.mismatch td{background:#fff8f7}
.index .links{white-space:nowrap}
.index .links a{margin-right:8px}
`
