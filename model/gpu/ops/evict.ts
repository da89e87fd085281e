/**
 * TTM eviction of a buffer to system memory: under the buffer's dma_resv (spec.ts checks the path
 * holds it), after its fences; the copy runs on an engine the faulting work cannot block.
 */
import type { StepOf } from '../types.js'
import { PLACE } from '../view.js'
import { names, type OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'

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
      m('evict_failed'),
      (s) => p.at_(s) && s.get(place[bo]!) === PLACE.vram && s.get(system) === 0,
      (c) => outcome(p, o, c),
    )
  },
  text(d, s) {
    const { B } = names(d)
    return `evict ${B(s.bo)} to system memory, on failure ${s.else}`
  },
}
