import test from 'ava'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { instance } from '@viz-js/viz'
import type { Browser, Page } from 'playwright-core'
import { explore } from '../../checker/explore.js'
import { scopeLine } from '../../checker/verdict.js'
import { loadScenario } from '../../model/scenario.js'
import { toHtml } from '../../report/html.js'
import { indexHtml } from '../../report/indexPage.js'
import { findingsOf, makeReport, type Report } from '../../report/report.js'
import { ROOT } from '../root.js'

// The HTML report in a real browser (Debian's chromium, driven by playwright-core). Without
// /usr/bin/chromium the browser tests are skipped; the escaping checks below always run.

const CHROMIUM = '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
const S1 = 'scenarios/gpu/s01-fault-vs-reclaim-naive.yaml'
const S2 = 'scenarios/gpu/s02-cu-reservation.yaml'

function reportFor(rel: string): Report {
  const sc = loadScenario(join(ROOT, rel))
  const x = explore(sc.model, { order: sc.order, bounds: sc.bounds })
  return makeReport(
    { target: rel, model: sc.model.name, params: { ...sc.model.params }, scenario: { file: rel, name: sc.name, about: sc.about } },
    sc,
    findingsOf(x),
    'fencecheck check ' + rel,
  )
}

const INJECT = '</script><script>window.__pwned = 1</script><img id="inj" src="x" onerror="window.__pwned = 2">'

function injected(r: Report): Report {
  return { ...r, target: { ...r.target, scenario: { file: r.target.scenario!.file, name: `S1 ${INJECT}`, about: `about ${INJECT}` } } }
}

test('the HTML report escapes scenario text and embeds its data safely', (t) => {
  const html = toHtml(injected(reportFor(S1)))
  t.false(html.includes('<img id="inj"'))
  t.true(html.includes('&lt;img id=&quot;inj&quot;'))
  const data = /<script type="application\/json" id="fencecheck-data">([\s\S]*?)<\/script>/.exec(html)
  t.truthy(data)
  t.false(data![1]!.includes('</'), 'no closing tag inside the embedded JSON')
  t.is((JSON.parse(data![1]!) as { steps: unknown[] }).steps.length, 9)
  t.false(/(src|href)="(https?:)?\/\//.test(html), 'no external resources')
})

test('the page inlines the built viewer: the bundle of report/viewer/client.ts and the style sheets', (t) => {
  const html = toHtml(reportFor(S1))
  const viewer = join(ROOT, 'dist', 'report', 'viewer')
  const bundle = readFileSync(join(viewer, 'client.js'), 'utf8').trim()
  t.true(html.includes(`<script>${bundle}</script>`))
  t.true(bundle.includes('// report/viewer/client.ts'), 'bundled from the source file')
  const css = readFileSync(join(viewer, 'base.css'), 'utf8') + readFileSync(join(viewer, 'trace.css'), 'utf8')
  t.true(html.includes(`<style>${css}</style>`))
  const index = indexHtml([])
  t.true(index.includes(`<script>${readFileSync(join(viewer, 'indexFilter.js'), 'utf8').trim()}</script>`))
})

test('the index page drops unsafe links and escapes names', (t) => {
  const html = indexHtml([
    {
      file: 'a.yaml',
      name: '<b>x</b>',
      expected: 'proved',
      computed: 'proved',
      ok: true,
      states: 1,
      timeMs: 1,
      reportHref: 'javascript:alert(1)',
      markdownHref: 'a.md',
    },
  ])
  t.false(html.includes('javascript:alert'))
  t.false(html.includes('<b>x</b>'))
  t.true(html.includes('href="a.md"'))
})

const browserTest = HAVE_CHROMIUM ? test.serial : test.serial.skip
const skipNote = HAVE_CHROMIUM ? '' : ` (skipped: no ${CHROMIUM}; install the chromium package)`
if (!HAVE_CHROMIUM) console.log(`html.test: browser tests skipped: ${CHROMIUM} does not exist`)

let browser: Browser | undefined
let page: Page
let dir: string
const s1 = HAVE_CHROMIUM ? reportFor(S1) : undefined
const s2 = HAVE_CHROMIUM ? reportFor(S2) : undefined
const url = (f: string): string => pathToFileURL(join(dir, f)).href
// Screenshots go into the test's temporary folder, which is removed afterwards.
const screenshot = (name: string): string => join(dir, name)

if (HAVE_CHROMIUM) {
  test.before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fencecheck-html-'))
    const viz = await instance()
    const svg = (dot: string | undefined): string | undefined => (dot ? viz.renderString(dot, { format: 'svg' }) : undefined)
    const r = s1!
    const waitFor = svg(r.graphs.waitFor)
    writeFileSync(join(dir, 's01.html'), toHtml(r, { ...(waitFor !== undefined ? { waitFor } : {}), steps: r.narrative.map((n) => svg(n.graph)) }))
    writeFileSync(join(dir, 's01-dot.html'), toHtml(r))
    writeFileSync(join(dir, 's01-inject.html'), toHtml(injected(r)))
    writeFileSync(join(dir, 's02.html'), toHtml(s2!))
    writeFileSync(
      join(dir, 'index.html'),
      indexHtml(
        [
          {
            file: S1,
            name: 'S1 fault vs. reclaim, naive',
            expected: 'violated: deadlock',
            computed: 'violated: deadlock (9 steps)',
            ok: true,
            states: 35,
            timeMs: 5,
            reportHref: 's01.html',
            markdownHref: 's01.md',
          },
          {
            file: S2,
            name: 'S2 CUs reserved for dma_fence work',
            expected: 'proved',
            computed: 'violated: deadlock (9 steps)',
            ok: false,
            states: 40,
            timeMs: 7,
            reportHref: 's02.html',
          },
        ],
        'bundled scenarios',
      ),
    )
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  })
  test.after.always(async () => {
    await browser?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
}

const selectedStep = async (): Promise<number> => Number(await page.locator('li.step.selected').getAttribute('data-step'))
/** the lines of the state panel the step marks as changed (the step's changes, in the narrator's words) */
const changedLines = async (): Promise<string[]> => page.locator('#state .field.changed').evaluateAll((es) => es.map((e) => e.textContent))
/** a packed field and its encoded value, as `owner.submit_lock 0 → 2` or `pc.tdr 1` would show them */
const RAW_FIELD =
  /\b(owner|readers|pc|reclaim|reclaimed|resv|sig|signalling|failed|fault|faulted|placement|enabled|published|implicitDeps|job|fence|free|page|pte|pfn|seq|invalidating|invalidations|notifier|exiting)\.\w/

browserTest(`S1: the header shows the verdict and its scope, equally prominent${skipNote}`, async (t) => {
  await page.goto(url('s01.html'))
  const r = s1!
  const badge = page.locator('header #verdict-badge')
  const scope = page.locator('header #scope')
  t.true(await badge.isVisible())
  t.true(await scope.isVisible())
  t.is((await badge.textContent())?.trim(), 'VIOLATED: deadlock')
  t.is((await scope.textContent())?.trim(), scopeLine(r.verdict))
  const size = async (l: typeof badge): Promise<number> => l.evaluate((e) => parseFloat(getComputedStyle(e).fontSize))
  t.is(await size(badge), await size(scope))
  t.is(await page.locator('#title').textContent(), r.target.scenario!.name)
  t.true((await page.locator('#about').textContent())!.includes('hmm_fence deadlock'))
  t.is(await page.locator('#reproduce').textContent(), r.reproduce)
})

browserTest(`S1: steps, state panel in words, keyboard and the URL hash${skipNote}`, async (t) => {
  const r = s1!
  const steps = r.trace!.steps
  t.is(await page.locator('li.step').count(), steps.length + 1)
  t.is(steps.length, 9)
  // The page opens where the violation is: the last step, with its graph and the explanation.
  t.is(await selectedStep(), steps.length)
  t.true(await page.locator('#end-note').isVisible())

  await page.keyboard.press('Home')
  t.is(await selectedStep(), 0)
  t.deepEqual(await changedLines(), [])
  t.deepEqual(await page.locator('#state .field').evaluateAll((es, n) => es.slice(0, n).map((e) => e.textContent), r.initial.length), [...r.initial])

  await page.keyboard.press('ArrowRight')
  t.is(await selectedStep(), 1)
  t.deepEqual(await changedLines(), [...r.narrative[0]!.changes])
  t.true(new URL(page.url()).hash === '#step=1')
  t.true((await page.locator('#state').textContent())!.includes('g0 ready'))

  // every step marks exactly what it changed, in the trace's words, and shows no packed field
  for (let i = 2; i <= steps.length; i++) {
    await page.keyboard.press(i % 2 ? 'ArrowRight' : 'j')
    t.is(await selectedStep(), i)
    t.deepEqual(await changedLines(), [...r.narrative[i - 1]!.changes], `step ${i}`)
    t.false(RAW_FIELD.test((await page.locator('#state').textContent())!), `step ${i}: no packed field in the state panel`)
    t.is(new URL(page.url()).hash, `#step=${i}`)
  }
  await page.keyboard.press('ArrowRight') // stays at the end
  t.is(await selectedStep(), steps.length)

  await page.keyboard.press('ArrowLeft')
  t.is(await selectedStep(), steps.length - 1)
  t.is(new URL(page.url()).hash, `#step=${steps.length - 1}`)
  t.false(await page.locator('#end-note').isVisible())
  await page.keyboard.press('k')
  t.is(await selectedStep(), steps.length - 2)
  await page.keyboard.press('Home')
  t.is(await selectedStep(), 0)
  t.is(new URL(page.url()).hash, '#step=0')

  await page.keyboard.press('End')
  t.is(await selectedStep(), steps.length)
  t.is(new URL(page.url()).hash, `#step=${steps.length}`)
  const end = page.locator('#end-note')
  t.true(await end.isVisible())
  const text = (await end.textContent())!
  t.true(text.includes('wait-for cycle:'))
  for (const line of r.explanation) t.true(text.includes(line.trim()), line)
  t.true(await page.locator('#graph svg').isVisible(), 'the rendered wait-for graph of the last step')
  t.is(await page.locator('#current .current-text').textContent(), r.narrative[steps.length - 1]!.text)

  // buttons and clicks
  await page.locator('#btn-prev').click()
  t.is(await selectedStep(), steps.length - 1)
  await page.locator('#btn-first').click()
  t.is(await selectedStep(), 0)
  t.true(await page.locator('#btn-prev').isDisabled())
  await page.locator('li.step[data-step="4"]').click()
  t.is(await selectedStep(), 4)
  t.deepEqual(await changedLines(), [...r.narrative[3]!.changes])
  await page.locator('.chip[data-step="7"]').click()
  t.is(await selectedStep(), 7)
})

browserTest(`S1: the URL hash restores the step${skipNote}`, async (t) => {
  await page.goto(url('s01.html') + '#step=6')
  await page.reload()
  t.is(await selectedStep(), 6)
  t.deepEqual(await changedLines(), [...s1!.narrative[5]!.changes])
  await page.evaluate(() => (location.hash = '#step=3'))
  await page.waitForFunction(() => document.querySelector('li.step.selected')?.getAttribute('data-step') === '3')
  t.is(await selectedStep(), 3)
})

browserTest(`S1: one swim lane per actor, steps on their actor's lane${skipNote}`, async (t) => {
  const r = s1!
  const lanes = page.locator('#lanes .lane:not(.lane-head)')
  t.is(await lanes.count(), r.actors.length)
  t.deepEqual(await lanes.evaluateAll((es) => es.map((e) => (e as HTMLElement).dataset.actor)), [...r.actors])
  for (const n of r.narrative) {
    t.is(await page.locator(`#lanes .lane[data-actor="${n.actor}"] .chip[data-step="${n.step}"]`).count(), 1, `step ${n.step} on ${n.actor}`)
  }
  t.is(await page.locator('#lanes .chip').count(), r.narrative.length)
  await page.keyboard.press('End')
  t.is(await page.locator('#lanes .chip.selected').getAttribute('data-step'), String(r.narrative.length))
  await page.locator('#lanes-section').scrollIntoViewIfNeeded()
  await page.evaluate(() => window.scrollTo(0, 0))
  const shot = screenshot('s01-report.png')
  await page.screenshot({ path: shot, fullPage: true })
  const png = readFileSync(shot)
  t.true(statSync(shot).size > 10_000)
  t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
})

browserTest(`S1: a blocked actor shows as blocked in its lane and in the state panel${skipNote}`, async (t) => {
  const r = s1!
  const n = r.narrative.length
  const blocked = r.narrative[n - 1]!.blocked ?? []
  // At the deadlock every actor on the wait-for cycle is blocked (an independent reading: the cycle text).
  const onCycle = r.explanation.filter((l) => /^\s*(->\s*)?thread \S+ waits/.test(l)).map((l) => /thread (\S+)/.exec(l)![1]!)
  t.true(onCycle.length > 0)
  for (const a of onCycle)
    t.true(
      blocked.some((b) => b.actor === a),
      `${a} is blocked at the end`,
    )
  await page.goto(url('s01.html'))
  for (const b of blocked) {
    const cell = page.locator(`#lanes .lane[data-actor="${b.actor}"] .cell[data-col="${n}"]`)
    t.true(await cell.evaluate((e) => e.classList.contains('blocked')), `${b.actor}'s lane is marked blocked`)
  }
  for (const a of onCycle)
    t.true(
      (await page.locator('#state .field.blocked').allTextContents()).some((l) => l.startsWith(`thread ${a}: BLOCKED`)),
      a,
    )
})

browserTest(`S1 without SVG shows the DOT source; scenario text cannot inject markup${skipNote}`, async (t) => {
  await page.goto(url('s01-dot.html') + '#step=9')
  t.true((await page.locator('#graph pre.dot').textContent())!.startsWith('digraph waitfor'))
  await page.goto(url('s01-inject.html'))
  t.is(await page.locator('#inj').count(), 0)
  t.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined)
  t.is(await page.locator('#title').textContent(), `S1 ${INJECT}`)
  t.is(await page.locator('li.step').count(), 10, 'the page still works')
})

browserTest(`S2 (proved): verdict, scope, statistics and witnesses${skipNote}`, async (t) => {
  const r = s2!
  t.is(r.verdict.status, 'proved')
  await page.goto(url('s02.html'))
  t.is((await page.locator('#verdict-badge').textContent())?.trim(), 'PROVED')
  t.is((await page.locator('#scope').textContent())?.trim(), scopeLine(r.verdict))
  t.true(await page.locator('#scope').isVisible())
  t.true(await page.locator('#statistics').isVisible())
  t.true((await page.locator('#statistics').textContent())!.includes(r.verdict.stats.distinctStates.toLocaleString('en-US')))
  t.is(await page.locator('#sometimes li').count(), r.verdict.sometimes.length)
  t.is(await page.locator('li.step').count(), 0)
  await page.screenshot({ path: screenshot('s02-report.png'), fullPage: true })
})

browserTest(`index page: long rule titles wrap, and the report links stay inside a 1400 px window${skipNote}`, async (t) => {
  const long = 'violated: M-safety: no GPU access through a stale or invalid PTE after the notifier returned (rules 33, 45)'
  const rows = Array.from({ length: 3 }, (_, i) => ({
    file: `scenarios/mem/m${i}-a-scenario-file-with-a-long-name.yaml`,
    name: `M${i} notifier returns early when the process is exiting`,
    expected: long,
    computed: `${long} (9 steps)`,
    ok: true,
    states: 123_456,
    timeMs: 1234,
    reportHref: 's01.html',
    markdownHref: 's01.md',
  }))
  writeFileSync(join(dir, 'index-long.html'), indexHtml(rows, 'bundled scenarios'))
  const narrow = await browser!.newPage({ viewport: { width: 1400, height: 900 } })
  try {
    await narrow.goto(url('index-long.html'))
    t.true(await narrow.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling')
    for (const box of await narrow.locator('a[data-kind="markdown"]').evaluateAll((es) => es.map((e) => e.getBoundingClientRect().right))) t.true(box <= 1400)
  } finally {
    await narrow.close()
  }
})

browserTest(`index page: one row per scenario with verdicts and links${skipNote}`, async (t) => {
  await page.goto(url('index.html'))
  const rows = page.locator('#index tbody tr')
  t.is(await rows.count(), 2)
  t.deepEqual(await page.locator('a[data-kind="trace"]').evaluateAll((es) => es.map((e) => e.getAttribute('href'))), ['s01.html', 's02.html'])
  t.deepEqual(await page.locator('a[data-kind="markdown"]').evaluateAll((es) => es.map((e) => e.getAttribute('href'))), ['s01.md'])
  t.is(await rows.nth(0).getAttribute('data-ok'), 'true')
  t.is(await rows.nth(1).getAttribute('data-ok'), 'false')
  t.true((await rows.nth(1).textContent())!.includes('MISMATCH'))
  t.is(await rows.nth(0).locator('.verdict.violated').count(), 1)
  t.true((await page.locator('#summary').textContent())!.includes('1 of 2'))
  await page.screenshot({ path: screenshot('index.png'), fullPage: true })
  await rows.nth(0).locator('a[data-kind="trace"]').click()
  await page.waitForURL(/s01\.html/)
  t.is((await page.locator('#verdict-badge').textContent())?.trim(), 'VIOLATED: deadlock')
})
