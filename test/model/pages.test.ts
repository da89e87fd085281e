/**
 * Pages with references and a page lock, migrate_vma and CPU faults on device-private pages
 * (ops/page.ts, ops/migrate.ts, ops/cpuFault.ts): the scenario-language ports of M9 agree with the
 * independent `hmm` reference (test/reference/hmm/), and the primitives' kernel semantics hold as invariants over
 * every reachable state of small designs derived by hand.
 */
import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import type { Action, Invariant, Model, Reader } from '../../checker/model.js'
import { replay, violationTrace } from '../../checker/trace.js'
import type { GpuView } from '../../model/gpu/compile.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { pageState } from '../../model/gpu/ops/page.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { PAGE } from '../../model/gpu/view.js'
import { loadScenario } from '../../model/scenario.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { PROGRESS } from '../../properties/hmm.js'
import { loadReference, REFERENCE_SCENARIOS } from '../reference/hmm/load.js'
import { ROOT } from '../root.js'

const MEM = join(ROOT, 'scenarios', 'mem')
const view = (m: Model<Action>): GpuView => (m as unknown as { view: GpuView }).view
const compile = (d: DesignInput): Model<Action> => compileGpu(buildDesign(d), 'test')
const violated = (v: ReturnType<typeof explore>['verdict']): string | undefined => (v.status === 'violated' ? v.property.name : undefined)

// The hmm reference's M9 (parameters REFORDER, THREADS) and the language's M9c/M9d (kernel paths
// as data) are two independent encodings of one design pair: verdicts and violated property agree.
for (const [builtin, lang] of [
  ['m9-ref-before-trylock.yaml', 'm9c-nouveau-ref-before-trylock.yaml'],
  ['m9b-trylock-before-ref.yaml', 'm9d-nouveau-trylock-before-ref.yaml'],
] as const) {
  test(`${lang} agrees with the hmm reference's ${builtin}`, (t) => {
    const a = loadReference(join(REFERENCE_SCENARIOS, builtin))
    const b = loadScenario(join(MEM, lang))
    t.is(a.model.name, 'hmm')
    t.is(b.model.name, 'gpu')
    const va = explore(a.model).verdict
    const x = explore(b.model)
    const vb = x.verdict
    t.is(vb.status, va.status)
    t.is(violated(vb), violated(va))
    if (va.status === 'violated') t.is(violated(vb), PROGRESS)
    if (vb.status === 'violated') {
      const trace = violationTrace(x)!
      t.not(trace.loop, undefined, 'a livelock is a lasso')
      t.true(replay(b.model, trace, vb.property.name).ok)
    }
  })
}

const withProbe = (m: Model<Action>, holds: (s: Reader) => boolean): Model<Action> => ({
  ...m,
  properties: [...m.properties, { kind: 'invariant', name: 'probe', holds } satisfies Invariant],
})

const base = { engines: [{ name: 'gpu0', cus: 1 }], pages: [{ name: 'p0', at: 'vram' }] }
const migrator = (name: string, locked: boolean) => ({
  name,
  steps: [
    { cpu_fault: 'p0' },
    ...(locked ? [{ trylock_page: 'p0' }] : []),
    { get_page: 'p0' },
    { migrate_vma_setup: 'p0' },
    { migrate_vma_finalize: 'p0' },
    ...(locked ? [{ unlock_page: 'p0' }] : []),
    { put_page: 'p0' },
  ],
})

test('migrate_vma_check_page: a page never moves while another thread holds a reference to it at collection', (t) => {
  // A thread's migration entry is installed only when no other thread held a reference then, and
  // only its holder of the page lock has one installed; the page is in VRAM while it is installed.
  const m = compile({ ...base, threads: [migrator('a', true), migrator('b', true), migrator('c', false)] })
  const v = view(m)
  const pg = pageState(v.extra, v.design.threads.length, 0)
  const probe = (s: Reader): boolean => {
    const who = pg.mig.map((f) => (f >= 0 ? s.get(f) : 0))
    const installed = who.flatMap((x, i) => (x > 0 ? [i] : []))
    if (installed.length > 1) return false
    return installed.every((i) => s.get(pg.lock) === i + 1 && s.get(v.f.pageAt[0]!) === PAGE.vram)
  }
  const r = explore(withProbe(m, probe)).verdict
  t.not(r.status === 'violated' ? r.property.name : '', 'probe')
})

test('lock_page twice on one path deadlocks (the second waits for its own holder); trylock_page does not', (t) => {
  const twice = compile({ ...base, threads: [{ name: 'a', steps: [{ lock_page: 'p0' }, { lock_page: 'p0' }] }] })
  const v = explore(twice).verdict
  t.is(v.status, 'violated')
  t.is(violated(v), PROPERTY_NAMES.deadlock)
  const tryTwice = compile({ ...base, threads: [{ name: 'a', steps: [{ lock_page: 'p0' }, { trylock_page: 'p0' }, { unlock_page: 'p0' }] }] })
  t.is(explore(tryTwice).verdict.status, 'proved')
})

test('cpu_fault: a system page completes the access; a device-private page runs the steps after it', (t) => {
  // One thread, page in system memory: the path ends at the fault, so the get_page never runs.
  const sys = compile({ ...base, pages: [{ name: 'p0', at: 'system' }], threads: [migrator('a', false)] })
  const v = view(sys)
  const pg = pageState(v.extra, 1, 0)
  t.is(explore(withProbe(sys, (s) => s.get(pg.ref[0]!) === 0)).verdict.status, 'proved')
  // In VRAM: a lone thread takes its reference and migrates the page (no foreign reference).
  const dev = compile({ ...base, threads: [migrator('a', false)] })
  const vd = view(dev)
  const x = explore(withProbe(dev, (s) => s.get(vd.f.pc[0]!) < vd.design.threads[0]!.steps.length || s.get(vd.f.pageAt[0]!) === PAGE.system))
  t.is(x.verdict.status, 'proved')
})
