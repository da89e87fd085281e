/**
 * Pages with references and a page lock, migrate_vma and CPU faults on device-private pages
 * (ops/page.ts, ops/migrate.ts, ops/cpuFault.ts): the scenario-language ports of M9 agree with the
 * independent `hmm` reference (test/reference/hmm/), and the primitives' kernel semantics hold as invariants over
 * every reachable state of small designs derived by hand.
 */
import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import type { Action, Invariant, Model, Reader } from '../../checker/model.js'
import { replay, violationTrace } from '../../checker/trace.js'
import type { GpuView } from '../../model/gpu/compile.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { pageState } from '../../model/gpu/ops/page.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { PAGE, PLACE } from '../../model/gpu/view.js'
import { loadScenario } from '../../model/scenario.js'
import { PROPERTY_NAMES } from '../../properties/gpu.js'
import { PAGE_CONSERVATION, PROGRESS } from '../../properties/hmm.js'
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

// The minimal case: system memory is full, one idle buffer sits in system memory, and a
// GFP_KERNEL allocation reclaims. TTM's swapout walk frees the buffer's page, so the allocation
// succeeds: the thread completes its path (the witness), once, after exactly one swap-out.
test('swapout: the shrinker swaps out a system buffer and the allocation succeeds', (t) => {
  type Reclaimer = 'ttm_swapout' | 'shrinker' | 'evict'
  const design = (by: Reclaimer): DesignInput => ({
    engines: [{ name: 'gfx', cus: 1 }],
    memory: { vram: 0, system: 0 },
    buffers: [{ name: 'bo0', placement: 'system' }],
    threads: [{ name: 'a', steps: [{ alloc: 'KERNEL', pool: 'system', else: 'fail' }] }],
    reclaim: [
      by === 'evict' ? { steps: [{ trylock: 'bo0.resv', else: 'skip' }, { evict: 'bo0' }, { unlock: 'bo0.resv' }] } : { path: by, with: { bo: 'bo0' } },
    ],
  })
  for (const by of ['ttm_swapout', 'shrinker'] as const) {
    const m = compile(design(by))
    const v = explore(m).verdict
    t.is(v.status, 'proved', by)
    t.deepEqual(
      v.sometimes.filter((w) => !w.reached),
      [],
      by,
    )
    const vw = view(m)
    const done = (s: Reader): boolean => s.get(vw.f.pc[0]!) === 1 && s.get(vw.f.failed[0]!) === 0
    // where the allocation succeeded, bo0 is in swap and the page it freed was taken
    t.is(explore(withProbe(m, (s) => !done(s) || (s.get(vw.f.place[0]!) === PLACE.swapped && s.get(vw.f.system) === 0))).verdict.status, 'proved', by)
  }
  // An eviction of a buffer already in system memory frees nothing: the allocation never succeeds
  // (what the shrinker path did before it swapped out).
  const ev = explore(compile(design('evict'))).verdict
  t.true(ev.sometimes.some((w) => w.name === 'thread a completes its path' && !w.reached))
})

test('swapout: a VRAM buffer is moved to system memory first and only its VRAM page is freed; swapped twice is -EBUSY', (t) => {
  const m = compile({
    engines: [{ name: 'gfx', cus: 1 }],
    memory: { vram: 0, system: 1 },
    buffers: [{ name: 'bo0', placement: 'vram' }],
    threads: [{ name: 'a', steps: [{ lock: 'bo0.resv' }, { swapout: 'bo0' }, { swapout: 'bo0', else: '-EBUSY' }, { unlock: 'bo0.resv' }] }],
  })
  const vw = view(m)
  const x = explore(withProbe(m, (s) => s.get(vw.f.pc[0]!) < 2 || (s.get(vw.f.vram) === 1 && s.get(vw.f.system) === 1)))
  t.is(x.verdict.status, 'proved')
  // the second swap-out fails: the thread never completes its path
  t.true(x.verdict.sometimes.some((w) => w.name === 'thread a completes its path' && !w.reached))
})

// Residency per device: a page in gpu1's VRAM is selected only by a migration of gpu1's pages
// (migrate_vma_collect_pmd skips a device-private page of another pgmap owner), and to vram the
// page lands in the VRAM of the device named.
test('migrate_vma: device-private pages are selected by their owner only, and land in the named VRAM', (t) => {
  const two = {
    engines: [
      { name: 'gpu0', cus: 1 },
      { name: 'gpu1', cus: 1 },
    ],
    pages: [{ name: 'p0', at: 'vram', device: 'gpu1' }],
  }
  const run = (steps: object[]) => {
    const m = compile({ ...two, threads: [{ name: 'a', steps }] })
    const vw = view(m)
    let end = -1
    const x = explore(withProbe(m, (s) => (s.get(vw.f.pc[0]!) === steps.length ? ((end = s.get(vw.f.pageAt[0]!)), true) : true)))
    t.is(x.verdict.status, 'proved')
    return end
  }
  const out = (dev: string) => [
    { migrate_vma_setup: 'p0', to: 'system', device: dev },
    { migrate_vma_finalize: 'p0', to: 'system', device: dev },
  ]
  t.is(run(out('gpu0')), PAGE.vram + 1, "gpu0's migration leaves gpu1's page where it is")
  t.is(run(out('gpu1')), PAGE.system)
  t.is(run([...out('gpu1'), { migrate_vma_setup: 'p0', to: 'vram', device: 'gpu0' }, { migrate_vma_finalize: 'p0', to: 'vram', device: 'gpu0' }]), PAGE.vram)
  // a single-device design keeps its encoding: VRAM is PAGE.vram
  t.is(view(compile({ ...base, threads: [] })).design.pages[0]!.device, 0)
})

test('migrate_vma_setup else: -EBUSY: a page another thread holds a reference to fails the path', (t) => {
  const m = compile({
    ...base,
    threads: [
      { name: 'holder', steps: [{ get_page: 'p0' }] },
      {
        name: 'm',
        steps: [
          { migrate_vma_setup: 'p0', to: 'system', else: '-EBUSY' },
          { migrate_vma_finalize: 'p0', to: 'system' },
        ],
      },
    ],
  })
  const vw = view(m)
  let failed = false
  let moved = false
  const x = explore(
    withProbe(m, (s) => {
      if (s.get(vw.f.failed[1]!) === 1) failed = true
      if (s.get(vw.f.pageAt[0]!) === PAGE.system) moved = true
      // it fails only when the holder took its reference first
      return s.get(vw.f.failed[1]!) === 0 || s.get(vw.f.pc[0]!) === 1
    }),
  )
  t.is(x.verdict.status, 'proved')
  t.true(failed, 'the busy page fails the migration')
  t.true(moved, 'without the reference it migrates')
})

// hmm_range_fault meets the migration entry migrate_vma_setup installed and waits for it
// (mm/hmm.c: hmm_vma_handle_pte @ v6.12: is_migration_entry -> migration_entry_wait, -EBUSY), a
// get_pages without else: as well as one with it. migrate_vma_setup runs n0's callback in its
// MMU_NOTIFY_MIGRATE invalidation (mm/migrate_device.c: migrate_vma_collect @ v6.12), which has
// ended when the fault handler reads its seq: a walk that ignored the entry would snapshot the VRAM
// page, map it with no collision, and finalize would move the page under the GPU's valid PTE
// (gpu-access).
const hmmDesign = (evict: string): string => `
name: get_pages waits on the migration entry
about: a device-private page migrated to system while the GPU fault handler mirrors it
engines: [{ name: gpu0, cus: 1 }]
locks: [{ name: notifier_lock }]
pages: [{ name: p0, at: vram, device: gpu0 }]
notifiers: [{ name: n0, pages: [p0], callback: [{ lock: notifier_lock, nonblock: again }, set_seq, { zap: r0 }, { unlock: notifier_lock }] }]
ranges: [{ name: r0, engine: gpu0, pages: [p0], notifiers: [n0], mapped: false }]
jobs: [{ name: q0, engine: gpu0, queue: user, accesses: [r0] }]
threads:
  - { name: fault, path: hmm_fault_handler, repeat: true, with: { job: q0, range: r0 } }
  - { name: evict, steps: [${evict}] }
`
const hmmDir = mkdtempSync(join(tmpdir(), 'fencecheck-hmm-'))
const loadText = (name: string, text: string): Model<Action> => {
  const f = join(hmmDir, name)
  writeFileSync(f, text)
  return loadScenario(f).model
}
const SETUP = '{ migrate_vma_setup: p0, to: system, device: gpu0 }'

test('get_pages without else: waits while a migration entry is installed, and the wait-for graph names its migrator', (t) => {
  const ok = loadText('finalized.yaml', hmmDesign(`${SETUP}, { migrate_vma_finalize: p0, to: system, device: gpu0 }`))
  t.is(explore(ok).verdict.status, 'proved')
  // A migrator that never finalizes leaves its entry installed: the walk waits on it for ever. The
  // entry is a lost page too, and page-conservation sees it first (when the migrator's path ends).
  const all = loadText('unfinalized.yaml', hmmDesign(SETUP))
  t.is(violated(explore(all).verdict), PAGE_CONSERVATION)
  const m = { ...all, properties: all.properties.filter((p) => p.name !== PAGE_CONSERVATION) }
  const x = explore(m)
  t.is(violated(x.verdict), PROPERTY_NAMES.deadlock)
  const r = replay(m, violationTrace(x)!, PROPERTY_NAMES.deadlock)
  t.true(r.ok)
  const text = view(m).waitFor(r.badState!).describe().join('\n')
  t.regex(text, /thread fault hmm_range_fault\(p0\) waits on evict's migration entry/)
})
