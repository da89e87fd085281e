/**
 * TTM eviction of a buffer to system memory: under the buffer's dma_resv (spec.ts checks the path
 * holds it), after its fences; the copy runs on an engine the faulting work cannot block.
 */
import type { StepOf } from '../types.js'
import { nodeId, PLACE } from '../view.js'
import { names, type OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'
import { outcomeText } from './branch.js'

declare module '../types.js' {
  interface StepVariants {
    evict: { readonly op: 'evict'; readonly bo: number; readonly else: Outcome }
  }
}
type S = StepOf<'evict'>

export const evictOp: OpModule<S> = {
  ops: ['evict'],
  syntax: [
    {
      key: 'evict',
      doc: 'move a buffer from VRAM to system memory (under its dma_resv)',
      arg: { role: 'buffer', what: 'the buffer', schema: NAME('a buffer') },
      modifiers: { else: ELSE('skip') },
      parse: (px) => [{ where: px.where, op: 'evict', bo: px.arg(), else: px.outcome(px.mods.else, 'skip') }],
    },
  ],
  // the buffer's pages move between the pools
  footprint: () => [{ pool: 'vram' }, { pool: 'system' }],
  refs: { evict: { bo: 'buffer' } },
  cite: [{ path: 'drivers/gpu/drm/ttm/ttm_bo.c', fn: 'ttm_bo_evict' }],
  needsHeld: (d, s) => ({
    lock: d.buffers[s.bo]!.lock,
    why: `evicts '${d.buffers[s.bo]!.name}' without holding '${d.buffers[s.bo]!.name}.resv' (TTM evicts under the buffer's dma_resv; lock it first)`,
  }),
  rules(k, step) {
    const { cx, p, base, m, add } = k
    const { buffers } = cx.design
    const { place, vram, system } = cx.f
    const { outcome } = cx
    const bo = step.bo
    // TTM eviction (ttm_bo.c): under the BO's resv, after its fences; the copy runs on an
    // engine the faulting work cannot block (dma-buf.rst rule: independent hardware).
    add(
      { name: 'evict', ...base, bo: buffers[bo]!.name },
      m('evict'),
      (s) => p.at_(s) && s.get(place[bo]!) === PLACE.vram && s.get(system) > 0,
      (c) => {
        c.set(place[bo]!, PLACE.system)
        c.set(vram, c.get(vram) + 1)
        c.set(system, c.get(system) - 1)
        p.advance(c)
      },
    )
    add(
      { name: 'evict_nothing', ...base, bo: buffers[bo]!.name },
      m('evict'),
      (s) => p.at_(s) && s.get(place[bo]!) === PLACE.system,
      (c) => p.advance(c),
    )
    const o = step.else
    add(
      { name: 'evict_failed', ...base, bo: buffers[bo]!.name, then: o },
      // a retry loops until system memory is free: a wait (waitsOn), not progress
      m(o === 'retry' ? 'spin' : 'evict_failed'),
      (s) => p.at_(s) && s.get(place[bo]!) === PLACE.vram && s.get(system) === 0,
      (c) => outcome(p, o, c),
    )
  },
  // moving a buffer out of VRAM frees its VRAM page
  provides: () => [{ kind: 'free', pool: 'vram' }],
  waitsOn(w, step) {
    // A retried eviction (else: retry) waits for a free system page, from any thread that can free
    // one (drivers/gpu/drm/ttm/ttm_bo.c: ttm_bo_evict @ v6.12 fails with -ENOMEM without one).
    const { design } = w.v
    const bo = design.buffers[step.bo]!.name
    w.n.mode = 'any'
    design.threads.forEach((th, o) => {
      if (o !== w.t && w.willProvide(o, { kind: 'free', pool: 'system' }))
        w.edge(nodeId.thread(o), `retries evicting ${bo}${w.where} until thread ${th.name} frees a system page`)
    })
    if (w.n.targets.length === 0) w.n.why.push(`retries evicting ${bo}${w.where} for ever: no thread frees a system page`)
  },
  text(d, s) {
    const { B } = names(d)
    return `evict ${B(s.bo)} to system memory, on failure ${outcomeText(s.else)}`
  },
}
