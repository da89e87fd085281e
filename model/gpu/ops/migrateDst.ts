/**
 * A migration's destination page: the page the driver allocates for a collected source and
 * names in migrate->dst (kfd_migrate.c: svm_migrate_copy_to_ram allocates it with
 * svm_migrate_get_sys_page, which locks it; svm_migrate_copy_to_vram takes it from the range's
 * VRAM with svm_migrate_get_vram_page; nouveau_dmem.c: nouveau_dmem_migrate_to_ram with
 * alloc_page_vma). `migrate_alloc_dst` takes one free page of the destination's pool (system
 * for `to: system`, vram for `to: vram`) for the migration of the same page, direction and device
 * that migrate_vma_setup started earlier in the path; else: says what an empty pool does
 * (svm_migrate_copy_to_ram: `r = -ENOMEM; goto out_oom`). `migrate_put_dst` is the driver giving
 * it back before finalize: unlock_page + put_page and `migrate->dst[i] = 0` (out_oom's "release
 * previous allocated sys pages", and svm_migrate_copy_to_vram's out_free_vram_pages).
 *
 * A thread whose path allocates the destination of a migration has that migration's destination
 * accounted: its migrate_vma_finalize commits the page only with a destination (migrate_vma_pages
 * clears MIGRATE_PFN_MIGRATE of an entry without one, __migrate_device_pages), then frees the
 * source page into its own pool (migrate_device_finalize: folio_put(src)); and it frees a
 * destination whose source was not collected (migrate_device_finalize: `if (!(src_pfns[i] &
 * MIGRATE_PFN_MIGRATE) || !dst) { folio_unlock(dst); folio_put(dst); }`). A migration without
 * `migrate_alloc_dst` keeps an implicit destination, as ops/migrate.ts describes.
 *
 * `page-conservation` (properties/pageConservation.ts) reads what this module holds: a destination
 * that its thread can no longer commit or release (the path went past every finalize and put of
 * the page, or left it) is a lost page.
 */
import { int, type LayoutBuilder } from '../../../checker/layout.js'
import { SpecError } from '../errors.js'
import type { GpuDesign, Step, StepOf } from '../types.js'
import { nodeId } from '../view.js'
import { outcomeText } from './branch.js'
import { type OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    migrate_alloc_dst: {
      readonly op: 'migrate_alloc_dst'
      readonly page: number
      readonly to: 'system' | 'vram'
      /** as on migrate_vma_setup: to vram the receiving device, to system the pgmap owner (-1 any) */
      readonly device: number
      readonly else: Outcome
    }
    migrate_put_dst: { readonly op: 'migrate_put_dst'; readonly page: number }
  }
}
type S = StepOf<'migrate_alloc_dst' | 'migrate_put_dst'>

/** Field names in Fields.extra: the destination page thread t holds for page p, by its pool (DST). */
export const dstKey = (t: number, p: number): string => `migrateDst.${t}.${p}`
/** A destination field's values: none, a system page, a VRAM page. */
export const DST = { none: 0, system: 1, vram: 2 } as const

/** The pool a migration's destination comes from. */
export const dstPool = (to: 'system' | 'vram'): 'system' | 'vram' => (to === 'system' ? 'system' : 'vram')

/** Does thread t's path allocate the destination of its migration of page p in this direction and
 * device: its finalize then commits only with a destination (accounted), else the destination is implicit. */
export const accountsDst = (d: Pick<GpuDesign, 'threads'>, t: number, p: number, to: 'system' | 'vram', device: number): boolean =>
  d.threads[t]!.steps.some((s) => s.op === 'migrate_alloc_dst' && s.page === p && s.to === to && s.device === device)

/** Does the design allocate any migration destination (the pools then hold its frames too). */
export const anyDst = (d: Pick<GpuDesign, 'threads'>): boolean => d.threads.some((th) => th.steps.some((s) => s.op === 'migrate_alloc_dst'))

const TO = { doc: 'the direction of the migration, as on its migrate_vma_setup (default system)', schema: { enum: ['system', 'vram'] } }
const DEVICE = { doc: 'the device, as on its migrate_vma_setup', schema: NAME('an engine'), role: 'engine' } as const
const ARG = { role: 'page', what: 'the page', schema: NAME('a page') } as const

const closes = (x: Step, p: number): boolean => (x.op === 'migrate_vma_finalize' || x.op === 'migrate_put_dst') && x.page === p

export const migrateDstOp: OpModule<S> = {
  ops: ['migrate_alloc_dst', 'migrate_put_dst'],
  doc:
    'Destination pages are counted in `memory:`: `migrate_alloc_dst` takes one from the pool of the destination (it does not run `reclaim:`: write an `alloc:` before it where the allocation may reclaim), and the finalize of an accounted migration returns the page it replaces (or the unused destination) to its pool. ' +
    "A destination is the thread's own, as a page reference is: the end of the path, `skip`, `fail` or an error code leave it held, and `page-conservation` reports it lost; a failure branch releases it with `migrate_put_dst` (svm_migrate_copy_to_ram's out_oom) or goes on to finalize, which frees it (scenarios/mem/m24, m24b). " +
    '`migrate_put_dst` of a page whose destination this thread does not hold changes nothing.',
  syntax: [
    {
      key: 'migrate_alloc_dst',
      doc: "allocate the destination page of this path's migration of the page (migrate->dst); else: what an empty pool does (default fail)",
      arg: ARG,
      modifiers: { to: TO, device: DEVICE, else: ELSE('fail') },
      notInCallback: true,
      parse: (px) => {
        const to = px.mods.to ?? 'system'
        if (to !== 'system' && to !== 'vram') throw new SpecError('FC155', [...px.where, 'to'], `must be system or vram, got ${JSON.stringify(to)}`)
        const device = px.mods.device !== undefined ? px.mod('device') : to === 'vram' ? 0 : -1
        return [{ where: px.where, op: 'migrate_alloc_dst', page: px.arg(), to, device, else: px.outcome(px.mods.else, 'fail') }]
      },
    },
    {
      key: 'migrate_put_dst',
      doc: 'give the destination page back before finalize: unlock_page + put_page, migrate->dst = 0',
      arg: ARG,
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'migrate_put_dst', page: px.arg() }],
    },
  ],
  refs: { migrate_alloc_dst: { page: 'page', device: 'engine' }, migrate_put_dst: { page: 'page' } },
  footprint: () => [{ pool: 'vram' }, { pool: 'system' }],
  cite: [
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_migrate.c', fn: 'svm_migrate_copy_to_ram' },
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_migrate.c', fn: 'svm_migrate_get_sys_page' },
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_migrate.c', fn: 'svm_migrate_copy_to_vram' },
    { path: 'drivers/gpu/drm/nouveau/nouveau_dmem.c', fn: 'nouveau_dmem_migrate_to_ram' },
    { path: 'mm/migrate_device.c', fn: '__migrate_device_pages' },
    { path: 'mm/migrate_device.c', fn: 'migrate_device_finalize' },
  ],
  notInReclaim: true,
  fields(b: LayoutBuilder, d: GpuDesign) {
    const out: Record<string, number> = {}
    d.threads.forEach((th, t) => {
      for (const p of new Set(th.steps.flatMap((s) => (s.op === 'migrate_alloc_dst' ? [s.page] : []))))
        out[dstKey(t, p)] = b.scalar(`migrateDst.${th.name}.${d.pages[p]!.name}`, int(0, 2))
    })
    return out
  },
  link(steps, k, who) {
    const s = steps[k] as S
    if (s.op !== 'migrate_alloc_dst') return s
    const before = steps.slice(0, k)
    if (!before.some((x) => x.op === 'migrate_vma_setup' && x.page === s.page && x.to === s.to && x.device === s.device))
      throw new SpecError('FC260', s.where, `${who}: migrate_alloc_dst has no migrate_vma_setup of the same page, direction and device earlier in the path`)
    const last = [...before].reverse().find((x) => (x.op === 'migrate_alloc_dst' ? x.page === s.page : closes(x, s.page)))
    if (last?.op === 'migrate_alloc_dst')
      throw new SpecError(
        'FC261',
        s.where,
        `${who}: migrate_alloc_dst of a page whose destination this path already holds (finalize or migrate_put_dst it first)`,
      )
    return s
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const dst = cx.fields.extra[dstKey(t, step.page)] ?? -1
    const name = cx.design.pages[step.page]!.name
    if (step.op === 'migrate_put_dst') {
      // a path that puts without having allocated this page's destination has no field: nothing to give back
      add(
        { name: 'migrate_put_dst', ...base, page: name },
        m('migrate_put_dst'),
        (s) => p.at_(s),
        (c) => {
          const held = dst >= 0 ? c.get(dst) : DST.none
          if (held !== DST.none) {
            const pool = held === DST.system ? cx.f.system : cx.f.vram
            c.set(pool, Math.min(c.get(pool) + 1, cx.layout.maxOf[pool]!))
            c.set(dst, DST.none)
          }
          p.advance(c)
        },
      )
      return
    }
    const mem = step.to === 'system' ? cx.f.system : cx.f.vram
    add(
      { name: 'migrate_alloc_dst', ...base, page: name, to: step.to },
      m('migrate_alloc_dst'),
      (s) => p.at_(s) && s.get(mem) > 0,
      (c) => {
        c.set(mem, c.get(mem) - 1)
        c.set(dst, step.to === 'system' ? DST.system : DST.vram)
        p.advance(c)
      },
    )
    const o = step.else
    add(
      { name: 'migrate_alloc_dst_failed', ...base, page: name, to: step.to, then: o },
      m(o === 'retry' ? 'spin' : 'alloc_failed'),
      (s) => p.at_(s) && s.get(mem) === 0,
      (c) => cx.outcome(p, o, c),
    )
  },
  provides: (s) =>
    s.op === 'migrate_put_dst'
      ? [
          { kind: 'free', pool: 'system' },
          { kind: 'free', pool: 'vram' },
        ]
      : [],
  waitsOn(w, step) {
    // else: retry loops until a page of the pool is free, as a retried alloc: (ops/memory.ts)
    if (step.op !== 'migrate_alloc_dst' || step.else !== 'retry') return
    const want = { kind: 'free', pool: dstPool(step.to) } as const
    w.n.mode = 'any'
    w.v.design.threads.forEach((th, o) => {
      if (o !== w.t && w.willProvide(o, want)) w.edge(nodeId.thread(o), `retries migrate_alloc_dst from ${want.pool}${w.where}; thread ${th.name} frees a page`)
    })
    if (w.n.targets.length === 0) w.n.why.push(`retries migrate_alloc_dst from ${want.pool}${w.where} for ever: no thread frees a ${want.pool} page`)
  },
  text(d, s) {
    const P = d.pages[s.page]!.name
    return s.op === 'migrate_alloc_dst'
      ? `allocate the destination of ${P} (migrate->dst, a ${dstPool(s.to)} page), on failure ${outcomeText(s.else)}`
      : `unlock_page + put_page the destination of ${P}, migrate->dst = 0`
  },
}
