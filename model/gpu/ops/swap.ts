/**
 * TTM swap-out: the shrinker path that really frees system memory. ttm_bo_swapout() walks the LRU
 * with trylock only (the buffer's dma_resv is held: ttm_lru_walk_for_evict), and its callback
 * ttm_bo_swapout_cb() moves a buffer that is not in system memory there first ("Move to system
 * cached", which needs a system page for it), waits for the buffer to be idle (ttm_bo_wait_ctx),
 * then ttm_tt_swapout() copies its pages to shmem and unpopulates the TT: the buffer's system page
 * is freed and the buffer is in swap. A buffer already swapped out (TTM_TT_FLAG_SWAPPED) is -EBUSY,
 * and so is a VRAM buffer when no system page can hold it (-ENOMEM is turned into -EBUSY); else:
 * says what that does (default skip). The fence wait is a separate step (wait_resv), so a design
 * that swaps a buffer out without it is stated as it is written.
 *
 * A job still running on a buffer that was swapped out accesses pages that were freed: that access
 * is the gpu-access property's (swapAccessRules below, added by the job mechanism). The model has
 * no swap-in (ttm_tt_swapin on the next validate): a buffer stays swapped for the rest of the run,
 * and a job submitted after the swap-out is taken to have validated it.
 */
import { bool } from '../../../checker/layout.js'
import type { Cursor } from '../../../checker/model.js'
import type { CompileCx } from '../context.js'
import type { GpuDesign, StepOf } from '../types.js'
import { JS, nodeId, PLACE } from '../view.js'
import { names, type OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'
import { outcomeText } from './branch.js'

declare module '../types.js' {
  interface StepVariants {
    swapout: { readonly op: 'swapout'; readonly bo: number; readonly else: Outcome }
  }
}
type S = StepOf<'swapout'>

/** The buffers some step may swap out. */
export const swappable = (d: Pick<GpuDesign, 'threads' | 'reclaim'>): Set<number> =>
  new Set([...d.threads.flatMap((th) => th.steps), ...d.reclaim.flatMap((r) => r.steps)].flatMap((s) => (s.op === 'swapout' ? [s.bo] : [])))

/** The buffers a step may swap out that a job uses: they get a bit "swapped out under a job in flight". */
const watched = (d: GpuDesign): number[] => [...swappable(d)].filter((bo) => d.jobs.some((j) => j.uses.some((u) => u.bo === bo)))
export const busyKey = (bo: number): string => `swappedBusy.${bo}`
/** JS values of a job that was pushed and has not completed: its buffers were validated for it */
const inFlight = (v: number): boolean => v !== JS.idle && v !== JS.done

/**
 * The GPU side of swap-out: a job that was in flight when its buffer was swapped out (its buffers
 * validated for it at submission) reads and writes pages that ttm_tt_swapout freed once it runs.
 * One rule per such use, an access that changes nothing (does: 'access', the gpu-access property's).
 * A job pushed after the swap-out is not one: its submission would validate (swap in) the buffer.
 */
export function swapAccessRules(cx: Pick<CompileCx, 'design' | 'f' | 'add'>, j: number): void {
  const { design, f } = cx
  const job = design.jobs[j]!
  for (const u of job.uses) {
    const busy = f.extra[busyKey(u.bo)]
    if (busy === undefined) continue
    cx.add(
      { name: 'gpu_access_swapped', job: job.name, bo: design.buffers[u.bo]!.name },
      { actor: { kind: 'job', index: j }, does: 'access' },
      (s) => s.get(f.js[j]!) === JS.running && s.get(f.place[u.bo]!) === PLACE.swapped && s.get(busy) === 1,
      () => {},
    )
  }
}

export const swapOp: OpModule<S> = {
  ops: ['swapout'],
  syntax: [
    {
      key: 'swapout',
      doc: "swap a buffer out to shmem (under its dma_resv): a system buffer's page is freed; a VRAM buffer is moved to system memory first (its VRAM page freed); already swapped: else (default skip)",
      arg: { role: 'buffer', what: 'the buffer', schema: NAME('a buffer') },
      modifiers: { else: ELSE('skip') },
      parse: (px) => [{ where: px.where, op: 'swapout', bo: px.arg(), else: px.outcome(px.mods.else, 'skip') }],
    },
  ],
  refs: { swapout: { bo: 'buffer' } },
  cite: [
    { path: 'drivers/gpu/drm/ttm/ttm_bo.c', fn: 'ttm_bo_swapout' },
    { path: 'drivers/gpu/drm/ttm/ttm_bo.c', fn: 'ttm_bo_swapout_cb' },
    { path: 'drivers/gpu/drm/ttm/ttm_tt.c', fn: 'ttm_tt_swapout' },
  ],
  // the buffer's placement (not its dma_resv or its lock: the step runs holding it), both pools,
  // and the state of every job that uses the buffer (a swap-out under a job in flight is marked)
  refAccess: () => 'none',
  footprint: (d, s) => [
    { field: 'place', index: s.bo },
    { pool: 'vram' },
    { pool: 'system' },
    { extra: busyKey(s.bo) },
    ...d.jobs.flatMap((j, i) => (j.uses.some((u) => u.bo === s.bo) ? [{ role: 'job' as const, index: i, read: true as const }] : [])),
  ],
  needsHeld: (d, s) => ({
    lock: d.buffers[s.bo]!.lock,
    why: `swaps out '${d.buffers[s.bo]!.name}' without holding '${d.buffers[s.bo]!.name}.resv' (ttm_bo_swapout walks the LRU under each buffer's dma_resv; trylock it first)`,
  }),
  fields(b, d) {
    const out: Record<string, number> = {}
    for (const bo of watched(d)) out[busyKey(bo)] = b.scalar(`swappedBusy.${d.buffers[bo]!.name}`, bool)
    return out
  },
  rules(k, step) {
    const { cx, p, base, m, add } = k
    const busy = cx.f.extra[busyKey(step.bo)]
    const users = cx.design.jobs.flatMap((j, i) => (j.uses.some((u) => u.bo === step.bo) ? [i] : []))
    /** swapping the buffer out under a job in flight: it is marked, and the job's GPU access is the violation */
    const mark = (c: Cursor): void => {
      if (busy !== undefined && users.some((j) => inFlight(c.get(cx.f.js[j]!)))) c.set(busy, 1)
    }
    const { place, vram, system } = cx.f
    const bo = step.bo
    const name = cx.design.buffers[bo]!.name
    const at = place[bo]!
    add(
      { name: 'swapout', ...base, bo: name, from: 'system' },
      m('swapout'),
      (s) => p.at_(s) && s.get(at) === PLACE.system,
      (c) => {
        mark(c)
        c.set(at, PLACE.swapped)
        c.set(system, c.get(system) + 1)
        p.advance(c)
      },
    )
    // ttm_bo_swapout_cb: not in system memory -> moved there (a system page), then swapped out
    // (that page freed): the VRAM page is freed, the system pool is as before.
    add(
      { name: 'swapout', ...base, bo: name, from: 'vram' },
      m('swapout'),
      (s) => p.at_(s) && s.get(at) === PLACE.vram && s.get(system) > 0,
      (c) => {
        mark(c)
        c.set(at, PLACE.swapped)
        c.set(vram, c.get(vram) + 1)
        p.advance(c)
      },
    )
    const o = step.else
    add(
      { name: 'swapout_failed', ...base, bo: name, then: o },
      m(o === 'retry' ? 'spin' : 'swapout_failed'),
      (s) => p.at_(s) && (s.get(at) === PLACE.swapped || (s.get(at) === PLACE.vram && s.get(system) === 0)),
      (c) => cx.outcome(p, o, c),
    )
  },
  provides: () => [
    { kind: 'free', pool: 'system' },
    { kind: 'free', pool: 'vram' },
  ],
  waitsOn(w, step) {
    const { design } = w.v
    const bo = design.buffers[step.bo]!.name
    if (w.s.get(w.v.f.place[step.bo]!) === PLACE.swapped) {
      w.n.why.push(`retries swapping out ${bo}${w.where} for ever: it is swapped out already (TTM_TT_FLAG_SWAPPED)`)
      return
    }
    w.n.mode = 'any'
    design.threads.forEach((th, o) => {
      if (o !== w.t && w.willProvide(o, { kind: 'free', pool: 'system' }))
        w.edge(nodeId.thread(o), `retries swapping out ${bo}${w.where} until thread ${th.name} frees a system page`)
    })
    if (w.n.targets.length === 0) w.n.why.push(`retries swapping out ${bo}${w.where} for ever: no thread frees a system page`)
  },
  text(d, s) {
    const { B } = names(d)
    return `ttm_bo_swapout ${B(s.bo)} (its system pages freed), on failure ${outcomeText(s.else)}`
  },
}
