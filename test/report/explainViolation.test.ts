/**
 * Every kind of GPU property explains its violation in kernel terms: which clause broke, who holds
 * which lock across which fence wait, who signals the fence. Each case is a bundled scenario; the
 * names asserted are read off the scenario file by hand (its threads, locks and fences), not taken
 * from the checker's output.
 */
import test from 'ava'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { loadScenario } from '../../model/scenario.js'
import { findingsOf, makeReport, type Report } from '../../report/report.js'
import { toPlainText } from '../../report/mail.js'
import { toText } from '../../report/text.js'
import { ROOT } from '../root.js'

function reportOf(file: string, shown = file): Report {
  const sc = loadScenario(file)
  const x = explore(sc.model, { order: sc.order, bounds: sc.bounds })
  return makeReport(
    { target: shown, model: sc.model.name, params: { ...sc.model.params }, scenario: { file: shown, name: sc.name, about: sc.about } },
    sc,
    findingsOf(x),
    'fencecheck check ' + shown,
  )
}
const bundled = (rel: string): Report => reportOf(join(ROOT, rel), rel)

/** The explanation's own lines (before the checker's cycle and wait-for text), as one string. */
function why(r: Report): string {
  t0(r)
  return r.explanation.join('\n')
}
function t0(r: Report): void {
  if (r.verdict.status !== 'violated') throw new Error(`${r.target.target}: expected a violation, got ${r.verdict.status}`)
}

interface Case {
  readonly kind: string
  readonly file: string
  readonly property: string
  /** what the explanation must name: the clause, the actors, the locks or fences */
  readonly names: readonly (string | RegExp)[]
}

const CASES: readonly Case[] = [
  {
    kind: 'rule 4',
    file: 'scenarios/gpu/s11b-rule4.yaml',
    property: 'rule 4',
    // evict (ttm_evict) holds bo0.resv across the wait on g0; sched (run_job of g0) takes bo0.resv.
    names: ['rule 4 broken', 'thread evict waits', 'thread evict holds: bo0.resv', 'dma_fence g0', 'thread sched takes: dma_resv_lock(bo0.resv)'],
  },
  {
    kind: 'rule 5',
    file: 'scenarios/gpu/s09b-notifier-waits-hmm.yaml',
    property: 'rule 5',
    // the mmu_notifier path waits on uptr's fences (k1, an hmm_fence) holding notifier_lock, in notifier context.
    names: ['rule 5 broken', 'thread invalidate', 'hmm_fence k1', 'notifier_lock', 'notifier context'],
  },
  {
    kind: 'rule 6',
    file: 'scenarios/gpu/s08b-hmm-dep-under-resv.yaml',
    property: 'rule 6',
    // submit waits on k1 under bo0's dma_resv, then arms and pushes g0.
    names: ['rule 6 broken', 'thread submit', 'hmm_fence k1', 'bo0.resv', 'drm_sched_job_arm(g0)'],
  },
  {
    kind: 'rule 1',
    file: 'scenarios/gpu/s07-dma-depends-on-hmm.yaml',
    property: 'rule 1',
    names: ['rule 1 broken', 'kernel job g0', 'dma_fence g0', 'hmm_fence k1', 'submit'],
  },
  {
    kind: 'rule 1, proxy',
    file: 'scenarios/gpu/s12b-syncobj-proxy.yaml',
    property: 'rule 1',
    names: ['rule 1 broken', 'dma_fence out', 'proxy', 'hmm_fence k1', 'exec'],
  },
  {
    kind: 'rule 2',
    file: 'scenarios/gpu/s15-hmm-preempts-dma.yaml',
    property: 'rule 2',
    names: ['rule 2 broken', 'job k1', 'dma_fence job g0'],
  },
  {
    kind: 'rule 7',
    file: 'scenarios/gpu/s16-user-queue-skips-wait.yaml',
    property: 'rule 7',
    names: ['rule 7 broken', 'hmm_fence k1', 'dma_fence c0', 'still pending'],
  },
  {
    kind: 'rule 38',
    file: 'scenarios/mem/m12-oom-reaper-sleeps.yaml',
    property: 'rule 38',
    names: ['rule 38 broken', 'thread oom_reaper', 'notifier n0', 'mutex_lock(notifier_lock)', 'non-blockable'],
  },
  {
    kind: 'signalling, no reclaim',
    file: 'scenarios/gpu/s10c-run-job-annotations.yaml',
    property: 'signalling section',
    names: ["clause 'no reclaim'", 'thread sched', 'GFP_KERNEL', 'direct reclaim'],
  },
  {
    kind: 'lock order',
    file: 'scenarios/gpu/s13b-textbook-lockdep.yaml',
    property: 'lock order',
    // t1 waits on B holding A; t2 takes A inside its signalling section.
    names: ['thread t1 waits on a fence', 'holding A (mutex)', 'dma_fence_map'],
  },
  {
    kind: 'fence sanity, signals once',
    file: 'scenarios/gpu/s17-double-signal.yaml',
    property: 'fence sanity',
    names: ["clause 'signals once'", 'thread timeout', 'dma_fence g0', 'already signalled', /first signalled at step \d/],
  },
  {
    kind: 'fence sanity, errors propagate',
    file: 'scenarios/gpu/s17b-error-not-propagated.yaml',
    property: 'fence sanity',
    names: ["clause 'errors propagate'", 'dma_fence g1', 'dma_fence c0 failed at step', 'reset'],
  },
  {
    kind: 'gpu-access',
    file: 'scenarios/mem/m2-exit-early.yaml',
    property: 'M-safety',
    // q0 touches p0 of r0 after oom_reaper's invalidation; n0's callback returns early for an exiting process.
    names: ['GPU access broken', 'job q0', 'page p0', 'range r0', 'oom_reaper', 'notifier n0'],
  },
  {
    kind: 'dma_fence progress',
    file: 'scenarios/gpu/s07b-dma-progress.yaml',
    property: 'rules 1-3',
    // g0 is armed by submit and depends on k1, an hmm_fence of a user queue.
    names: ['dma_fence progress broken', 'dma_fence g0 is published', 'submit', 'hmm_fence k1', 'indefinite'],
  },
  {
    kind: 'liveness',
    file: 'scenarios/mem/m13-reclaim-in-retry-loop.yaml',
    property: 'progress under weak fairness',
    // the fault handler's GFP_KERNEL allocation reclaims p0, so its read_retry collides every round.
    names: ['progress broken', "job q0's GPU page fault stays pending", 'fault: alloc_page(GFP_KERNEL)', 'collision'],
  },
]

for (const c of CASES) {
  test(`${c.kind}: the violation explains itself (${c.file.split('/').pop()!})`, (t) => {
    const r = bundled(c.file)
    t.is(r.verdict.status, 'violated')
    if (r.verdict.status === 'violated') t.true(r.verdict.property.name.startsWith(c.property), r.verdict.property.name)
    const text = why(r)
    for (const n of c.names) t.true(typeof n === 'string' ? text.includes(n) : n.test(text), `names ${String(n)}:\n${text}`)
  })
}

test("signalling, no waiter-held lock: both chains, the signaller's and the waiter's, as lockdep prints them", (t) => {
  // S13b judged by the signalling rule instead of lock order: t2 (signalling) takes A, t1 holds A across its wait on B.
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-explain-'))
  try {
    const text = readFileSync(join(ROOT, 'scenarios/gpu/s13b-textbook-lockdep.yaml'), 'utf8')
    const file = join(dir, 's13b-signalling.yaml')
    writeFileSync(file, text.replace('properties: [lock-order]', 'properties: [signalling]').replace(/expect:[\s\S]*$/, ''))
    const w = why(reportOf(file))
    t.true(w.includes("clause 'no waiter-held lock'"), w)
    t.true(/chain 1, the signaller: thread t2 .*takes A \(mutex\)/.test(w), w)
    t.true(/chain 2, a waiter: thread t1 holds it across dma_fence_wait\(dma_fence B\)/.test(w), w)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the terminal text and the mail report carry the explanation; the mail puts it before the trace and the rules last', (t) => {
  const r = bundled('scenarios/gpu/s11b-rule4.yaml')
  const first = r.explanation[0]!
  t.true(toText(r).includes(first))
  const mail = toPlainText(r)
  const at = (s: string): number => mail.indexOf(s)
  t.true(at('WHY') > 0 && at('WHY') < at('COUNTEREXAMPLE'), 'the splat before the trace')
  t.true(at('Broken rule:') < at('WHY'), "the broken rule's citation first")
  t.true(at('RULES CHECKED') > at('REPRODUCE'), 'the rules checked at the end')
  for (const l of mail.split('\n')) t.true(l.length <= 72 || !l.includes(' '), `fits a mail: ${l}`)
})

test('after a violation, unreached witnesses are not called never reached', (t) => {
  const r = bundled('scenarios/gpu/s11b-rule4.yaml')
  t.true(
    r.verdict.sometimes.some((w) => !w.reached),
    'the stopped search left witnesses unreached',
  )
  for (const text of [toText(r), toPlainText(r)]) {
    t.false(text.includes('NEVER REACHED'))
    t.true(text.replace(/\s+/g, ' ').includes('not sought: the search stopped at the violation'))
  }
})

test('lock-order evidence traces read in the main trace words, not raw rule names', (t) => {
  const r = bundled('scenarios/gpu/s14-mmap-under-resv.yaml')
  t.true(r.evidence.length > 0)
  const text = toText(r)
  const evidence = text.slice(text.indexOf('first established by'))
  t.false(/\b(lock|lock_read|enter_reclaim)\(thread=/.test(evidence), evidence)
  t.true(evidence.includes('dma_resv_lock(bo0.resv)'), evidence)
})
