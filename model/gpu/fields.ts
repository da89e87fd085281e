/**
 * The packed state of a compiled design: one field per thread, lock, fence, job, buffer, memory
 * pool, page, PTE and notifier, as far as the design needs it. Generations and seqs are kept
 * exactly as far as the kernel compares them: a reference (PTE, pfn) either names the page's
 * current generation or not (generations only grow, so a stale reference stays stale); a seq
 * returned by read_begin either still equals the notifier's or not (set_seq always stores a newer
 * odd value, rule 36); the mm's seq is odd exactly while an invalidation is in flight (rule 37: it
 * turns even when the last one ends).
 */
import { LayoutBuilder, bool, enumOf, int } from '../../checker/layout.js'
import { OPS } from './ops/index.js'
import type { Fields, Paths } from './context.js'

export type { Fields } from './context.js'
import type { GpuDesign } from './types.js'
import type { GpuFields } from './view.js'

export function buildFields(design: GpuDesign, paths: Paths): Fields {
  const { engines, locks, fences, jobs, buffers, threads, pages, notifiers, ranges } = design
  const { canReclaim, reclaimSteps, sites, siteLen, memSteps } = paths
  const T = threads.length
  const RL = reclaimSteps.length
  const b = new LayoutBuilder()
  const pc = threads.map((th) => b.scalar(`pc.${th.name}`, int(0, th.steps.length)))
  const rpc = threads.map((th, t) => (canReclaim[t] ? b.scalar(`reclaim.${th.name}`, int(0, RL + 1)) : -1))
  const rf = threads.map((th, t) => (canReclaim[t] ? b.scalar(`reclaimed.${th.name}`, bool) : -1))
  const sig = threads.map((th) => b.scalar(`signalling.${th.name}`, bool))
  const failed = threads.map((th) => b.scalar(`failed.${th.name}`, bool))
  const owner = locks.map((l) => b.scalar(`owner.${l.name}`, int(0, T)))
  const readers = locks.map((l) => (l.kind === 'rwsem' ? b.scalar(`readers.${l.name}`, int(0, 2 ** T - 1)) : -1))
  const fs = fences.map((fe) => b.scalar(`fence.${fe.name}`, enumOf('pending', 'signalled', 'error')))
  const en = fences.map((fe) => b.scalar(`enabled.${fe.name}`, bool))
  const pub = fences.map((fe) => b.scalar(`published.${fe.name}`, bool))
  const proxyOf = fences.map(() => -1)
  for (const th of threads) for (const s of th.steps) if (s.op === 'syncobj_proxy') proxyOf[s.to] = s.from
  const px = fences.map((fe, i) => (proxyOf[i]! >= 0 ? b.scalar(`proxy.${fe.name}`, bool) : -1))
  const js = jobs.map((j) => b.scalar(`job.${j.name}`, enumOf('idle', 'queued', 'ready', 'running', 'preempted', 'suspended', 'done')))
  const pf = jobs.map((j) => (j.faults ? b.scalar(`fault.${j.name}`, bool) : -1))
  const pteFaults = jobs.map((j) => j.accesses.length > 0 && engines[j.engine]!.xnack)
  const fdone = jobs.map((j, i) => (j.faults && !pteFaults[i] ? b.scalar(`faulted.${j.name}`, bool) : -1))
  const jd = jobs.map((j) => (j.uses.length > 0 ? b.scalar(`implicitDeps.${j.name}`, int(0, 2 ** fences.length - 1)) : -1))
  const place = buffers.map((bo) => b.scalar(`placement.${bo.name}`, enumOf('vram', 'system', 'swapped')))
  const resv = buffers.map((bo) => b.scalar(`resv.${bo.name}`, int(0, 2 ** fences.length - 1)))
  const allocs = threads.reduce((n, th) => n + th.steps.filter((s) => s.op === 'free').length, 0) + reclaimSteps.filter((s) => s.op === 'free').length
  // migration destinations (ops/migrateDst.ts): a page's frames come back to the pools as it moves
  const frames = threads.some((th) => th.steps.some((s) => s.op === 'migrate_alloc_dst')) ? pages.length : 0
  const vram = b.scalar('free.vram', int(0, design.memory.vram + buffers.length + allocs + frames))
  const system = b.scalar('free.system', int(0, design.memory.system + buffers.length + allocs + frames))
  // residency: absent, system, or one device's VRAM (PAGE.vram + engine; one name per engine when several)
  const vrams = engines.length > 1 ? engines.map((e) => `vram.${e.name}`) : ['vram']
  const pageAt = pages.map((pg) => b.scalar(`page.${pg.name}`, enumOf('none', 'system', ...vrams)))
  const pte = ranges.map((r) => r.pages.map((p) => b.scalar(`pte.${r.name}.${pages[p]!.name}`, enumOf('invalid', 'valid', 'stale'))))
  const pfn = threads.map((th, t) => {
    const got = new Set(memSteps(t).flatMap((st) => (st.op === 'get_pages' ? ranges[st.range]!.pages : [])))
    return pages.map((pg, p) => (got.has(p) ? b.scalar(`pfn.${th.name}.${pg.name}`, bool) : -1))
  })
  const snap = threads.map((th, t) => {
    const used = new Set(memSteps(t).flatMap((st) => (st.op === 'read_begin' ? ranges[st.range]!.notifiers : [])))
    return notifiers.map((n, k) => (used.has(k) ? b.scalar(`seq.${th.name}.${n.name}`, bool) : -1))
  })
  const inval = notifiers.map((n) => b.scalar(`invalidating.${n.name}`, bool))
  const active = sites.length ? b.scalar('invalidations', int(0, T)) : -1
  const npc = threads.map((th, t) => (siteLen[t]! >= 0 ? b.scalar(`notifier.${th.name}`, int(0, siteLen[t]! + 2)) : -1))
  const extra: Record<string, number> = {}
  for (const op of OPS) Object.assign(extra, op.fields?.(b, design) ?? {})
  const exiting = extra.exiting ?? -1
  const usedCU = engines.map((e) => b.derived(`usedCU.${e.name}`))
  const hmmCU = engines.map((e) => b.derived(`hmmCU.${e.name}`))
  const anyFault = b.derived('anyFault')
  const layout = b.build()
  const f: GpuFields = {
    pc,
    rpc,
    rf,
    sig,
    failed,
    owner,
    readers,
    fs,
    en,
    pub,
    px,
    js,
    pf,
    fdone,
    jd,
    place,
    resv,
    vram,
    system,
    pageAt,
    pte,
    pfn,
    snap,
    inval,
    active,
    npc,
    exiting,
    extra,
    usedCU,
    hmmCU,
    anyFault,
  }
  return { layout, f, proxyOf, pteFaults, extra }
}
