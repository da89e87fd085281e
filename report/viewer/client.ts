/**
 * The trace viewer's script, bundled at build time (report/viewer/bundle.mjs) and inlined into
 * every HTML report. It reads the page data the report embeds (data.ts) and drives the step
 * selection: the step list, the swim lanes, the state panel with the fields the step changed, the
 * graph after each step, the keys and the `#step=N` address. It loads nothing from outside.
 */
import type { PageData } from './data.js'

function main(): void {
  const copy = document.getElementById('copy-repro')
  const repro = document.getElementById('reproduce')
  if (copy && repro) {
    copy.addEventListener('click', () => {
      const text = repro.textContent
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
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- absent outside secure contexts (a report opened from file://), whatever the DOM types say
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, fallback)
      else fallback()
    })
  }
  const dataEl = document.getElementById('fencecheck-data')
  const stepsEl = document.getElementById('steps')
  if (!dataEl || !stepsEl) return
  const data = JSON.parse(dataEl.textContent || '{}') as PageData
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
    Array.isArray(v)
      ? '[' + v.map(fmt).join(' ') + ']'
      : v === null || v === undefined
        ? '-'
        : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
          ? String(v)
          : JSON.stringify(v)
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
    // The state in the model's words when the narrator tells it: what this step changed, then the
    // whole state. The packed fields are shown only for a model without words for its states.
    const lines = i === 0 ? data.initialLines : data.steps[i - 1]!.stateLines
    if (lines) {
      const changes = i === 0 ? [] : data.steps[i - 1]!.changes
      for (const c of changes) {
        const row = el('div', 'field words changed', c)
        row.dataset.changed = 'true'
        box.append(row)
      }
      lines.forEach((l, k) => {
        const row = el('div', 'field words' + (/\bBLOCKED\b/.test(l) ? ' blocked' : ''), l)
        if (k === 0 && changes.length) row.classList.add('group-start')
        box.append(row)
      })
      return
    }
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
    const vb = svg.viewBox.baseVal
    const unit = /pt$/.test(svg.getAttribute('width') || '') ? 4 / 3 : 1
    const natural = w ? w * unit : vb.width
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
  select(start ?? data.openAt, start === undefined || start <= total)
}

main()
