/**
 * page-conservation (properties/pageConservation.ts) and the migration destination primitives
 * (ops/migrateDst.ts): the property on hand-built states of a small design, whose expected answers
 * are read off the steps by hand; a frame count over every reachable state of M24 and M24b, an
 * oracle independent of the property; and the bundled pair's verdicts and trace.
 */
import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import type { Action, Invariant, Model, Reader } from '../../checker/model.js'
import { replay, violationTrace } from '../../checker/trace.js'
import type { GpuView } from '../../model/gpu/compile.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { DST, dstKey } from '../../model/gpu/ops/migrateDst.js'
import { pageKeys } from '../../model/gpu/ops/page.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { PAGE } from '../../model/gpu/view.js'
import { loadScenario } from '../../model/scenario.js'
import { PAGE_CONSERVATION } from '../../properties/hmm.js'
import { pageAccounting } from '../../properties/pageConservation.js'
import { ROOT } from '../root.js'

const MEM = join(ROOT, 'scenarios', 'mem')
const view = (m: Model<Action>): GpuView => (m as unknown as { view: GpuView }).view
const compile = (d: DesignInput): Model<Action> => compileGpu(buildDesign(d), 'test')

// Thread m (0): setup(0), alloc_dst(1), finalize(2), end(3). Thread n (1): setup(0), finalize(1), end(2).
// m's destination is accounted at pc 2 only (after its alloc, at or before its finalize); its
// migration entry at pc 1 and 2; n's entry at pc 1.
const design: DesignInput = {
  engines: [{ name: 'gpu0', cus: 1 }],
  pages: [{ name: 'p0', at: 'vram' }],
  threads: [
    { name: 'm', steps: [{ migrate_vma_setup: 'p0' }, { migrate_alloc_dst: 'p0' }, { migrate_vma_finalize: 'p0' }] },
    { name: 'n', steps: [{ migrate_vma_setup: 'p0' }, { migrate_vma_finalize: 'p0' }] },
  ],
}

test('page-conservation on hand-built states: conserved, lost destination, lost entry, leftover destination, duplicated', (t) => {
  const m = compile(design)
  const v = view(m)
  const fault = pageAccounting(v)
  const state = (set: Record<number, number>): Reader => {
    const s = Int32Array.from(m.init()[0]!)
    for (const [f, x] of Object.entries(set)) s[Number(f)] = x
    return { get: (f: number) => s[f]! }
  }
  const [pcM, pcN] = [v.f.pc[0]!, v.f.pc[1]!]
  const migM = v.extra[pageKeys.mig(0, 0)]!
  const migN = v.extra[pageKeys.mig(1, 0)]!
  const dstM = v.extra[dstKey(0, 0)]!
  const lock = v.extra[pageKeys.lock(0)]!
  // the initial state, and m at its finalize holding its entry, the page lock and a destination
  t.is(fault(state({})), undefined)
  t.is(fault(state({ [pcM]: 2, [migM]: 1, [lock]: 1, [dstM]: DST.system })), undefined)
  // m past its finalize still holding the destination: lost
  t.like(fault(state({ [pcM]: 3, [dstM]: DST.system })), { kind: 'lost', page: 'p0' })
  t.regex(fault(state({ [pcM]: 3, [dstM]: DST.system }))!.what, /destination page of p0/)
  // m past its finalize with its migration entry installed: the source is lost
  t.regex(fault(state({ [pcM]: 3, [migM]: 1, [lock]: 1 }))!.what, /migration entry of p0 installed/)
  // m at its alloc step already holding a destination: one left from before, lost
  t.like(fault(state({ [pcM]: 1, [dstM]: DST.system })), { kind: 'lost' })
  // both threads between setup and finalize with an entry each: duplicated
  t.like(fault(state({ [pcM]: 1, [pcN]: 1, [migM]: 1, [migN]: 1 })), { kind: 'duplicated', page: 'p0' })
  // n alone at its finalize with its entry: conserved
  t.is(fault(state({ [pcN]: 1, [migN]: 1, [lock]: 2 })), undefined)
})

test('an accounted finalize commits onto its destination and frees the replaced page, or frees an unused destination', (t) => {
  // By hand: free.system starts at 8 (the default), free.vram at 0. m's commit takes its system
  // destination and frees p0's VRAM page (vram 0 -> 1); n commits implicitly (no frame moves), and
  // then m collects nothing and its finalize frees the unused destination (system back to 8).
  const m = compile(design)
  const v = view(m)
  const dst = v.extra[dstKey(0, 0)]!
  const frames = (s: Reader): boolean =>
    s.get(v.f.system) + (s.get(dst) === DST.system ? 1 : 0) + s.get(v.f.vram) === 8 &&
    (s.get(v.f.vram) === 0 || s.get(v.f.pageAt[0]!) === PAGE.system) &&
    s.get(dst) !== DST.vram
  const run = (holds: (s: Reader) => boolean) => explore({ ...m, properties: [{ kind: 'invariant', name: 'probe', holds } satisfies Invariant] }).verdict.status
  t.is(run(frames), 'proved')
  // both outcomes are reached: m's commit, and n's commit followed by m's freed destination
  t.is(
    run((s) => s.get(v.f.vram) === 0),
    'violated',
  )
  const end = v.design.threads[0]!.steps.length
  t.is(
    run((s) => !(s.get(v.f.pc[0]!) === end && s.get(v.f.vram) === 0 && s.get(v.f.system) === 8 && s.get(v.f.pageAt[0]!) === PAGE.system)),
    'violated',
  )
  // and the design conserves its pages
  t.is(explore(m).verdict.status, 'proved')
})

// Frames of M24/M24b, counted from the state alone: 2 system pages (memory) and 2 VRAM pages (p0,
// p1). A system frame is free, a migrated page, a held destination, or the other thread's page
// (after its alloc, before its free); a VRAM frame is free or a page still in VRAM.
const frameCount = (m: Model<Action>) => {
  const v = view(m)
  const pages = [0, 1]
  const other = v.design.threads.findIndex((th) => th.name === 'other')
  const evict = v.design.threads.findIndex((th) => th.name === 'evict')
  return (s: Reader): boolean => {
    const inSys = pages.filter((p) => s.get(v.f.pageAt[p]!) === PAGE.system).length
    const inVram = pages.length - inSys
    const dsts = pages.filter((p) => s.get(v.extra[dstKey(evict, p)]!) === DST.system).length
    // other's alloc (step 0) succeeded and its free (step 1) has not run: it is at step 1
    const held = s.get(v.f.pc[other]!) === 1 ? 1 : 0
    return s.get(v.f.system) + inSys + dsts + held === 2 && s.get(v.f.vram) + inVram === 2
  }
}

for (const [file, status] of [
  ['m24-kfd-copy-to-ram-leaks-destination.yaml', 'violated'],
  ['m24b-kfd-copy-to-ram-out-oom-releases.yaml', 'proved'],
] as const) {
  test(`${file}: every frame is counted in every reachable state, and the verdict is ${status}`, (t) => {
    const sc = loadScenario(join(MEM, file))
    // the frame count holds in M24 too: the lost destination is still allocated, it is only unreachable
    const probe: Invariant = { kind: 'invariant', name: 'frames', holds: frameCount(sc.model) }
    const withProbe = { ...sc.model, properties: [probe] }
    t.is(explore(withProbe, { order: sc.order }).verdict.status, 'proved')
    const x = explore(sc.model, { order: sc.order })
    t.is(x.verdict.status, status)
    t.true(sc.model.properties.some((p) => p.name === PAGE_CONSERVATION))
    if (x.verdict.status === 'violated') {
      t.is(x.verdict.property.name, PAGE_CONSERVATION)
      // by hand: other's alloc, setup p0, setup p1, p0's destination, p1's allocation fails
      t.is(x.verdict.traceLength, 5)
      t.true(replay(sc.model, violationTrace(x)!, PAGE_CONSERVATION).ok)
    }
  })
}

// A setup of a page a notifier covers runs MMU_NOTIFY_MIGRATE callbacks (ops/migrate.ts): the page
// is collected, then the invalidation ends, with the thread still at its setup step. Thread m:
// setup(0), finalize(1). At pc 0 with its entry installed the invalidation is still in flight: the
// entry is accounted. Without the finalize, the entry is left once the invalidation has ended.
const covered = (finalize: boolean): DesignInput => ({
  engines: [{ name: 'gpu0', cus: 1 }],
  pages: [{ name: 'p0', at: 'vram' }],
  notifiers: [{ name: 'n0', pages: ['p0'], callback: ['set_seq'] }],
  threads: [{ name: 'm', steps: finalize ? [{ migrate_vma_setup: 'p0' }, { migrate_vma_finalize: 'p0' }] : [{ migrate_vma_setup: 'p0' }] }],
})

test('a setup whose MMU_NOTIFY_MIGRATE invalidation is in flight holds its entry; one that ended with no finalize ahead lost it', (t) => {
  const only = (m: Model<Action>): Model<Action> => ({ ...m, properties: m.properties.filter((p) => p.name === PAGE_CONSERVATION) })
  const whole = only(compile(covered(true)))
  t.is(whole.properties.length, 1)
  t.is(explore(whole).verdict.status, 'proved')
  const left = only(compile(covered(false)))
  const r = explore(left)
  t.is(r.verdict.status, 'violated')
  // by hand: invalidate_range_start, the callback's set_seq, the collection, invalidate_range_end;
  // the entry is lost in the state after the end
  if (r.verdict.status === 'violated') t.is(r.verdict.traceLength, 4)
  t.true(replay(left, violationTrace(r)!, PAGE_CONSERVATION).ok)
})
