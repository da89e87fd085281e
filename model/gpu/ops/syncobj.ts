/**
 * Handing an hmm_fence out through a drm_syncobj as a dma_fence: `syncobj_stall` waits (no locks
 * held) until the hmm_fence signals, then hands out a signalled fence (WAIT_FOR_SUBMIT);
 * `syncobj_proxy` hands out a proxy that signals when the source does (rule 1 forbids it).
 */
import { SpecError } from '../errors.js'
import type { Step, StepOf } from '../types.js'
import { names, type OpModule } from './op.js'
import { NAME } from './schema.js'
import type { ParseCx } from '../parse.js'

declare module '../types.js' {
  interface StepVariants {
    syncobj_proxy: { readonly op: 'syncobj_proxy'; readonly from: number; readonly to: number }
  }
}
type S = StepOf<'syncobj_proxy'>

const expand = (px: ParseCx): Step[] => {
  const from = px.arg()
  if (px.mods.to === undefined) throw new SpecError('FC156', px.where, `${px.key} needs 'to: DMA_FENCE' (the dma_fence it hands out)`)
  const to = px.mod('to')
  if (px.key === 'syncobj_proxy') return [{ where: px.where, op: 'syncobj_proxy', from, to }]
  // Stall with no locks held until the hmm_fence signals, then hand out a signalled fence
  // (drm_syncobj_find_fence WAIT_FOR_SUBMIT).
  return [
    { where: px.where, op: 'wait', fence: from },
    { where: px.where, op: 'signal', fence: to, error: false },
  ]
}

export const syncobjOp: OpModule<S> = {
  ops: ['syncobj_proxy'],
  syntax: [
    {
      key: 'syncobj_stall',
      doc: 'wait for the hmm fence, then signal the dma_fence handed out',
      arg: { role: 'fence', what: 'the hmm fence', schema: NAME('the hmm fence') },
      modifiers: { to: { doc: 'the dma_fence handed out', schema: NAME('a fence'), role: 'fence' } },
      parse: (px) => expand(px),
    },
    {
      key: 'syncobj_proxy',
      doc: 'hand out a dma_fence that signals with the hmm fence (a proxy)',
      arg: { role: 'fence', what: 'the hmm fence', schema: NAME('the hmm fence') },
      modifiers: { to: { doc: 'the dma_fence handed out', schema: NAME('a fence'), role: 'fence' } },
      parse: (px) => expand(px),
    },
  ],
  refs: { syncobj_proxy: { from: 'fence', to: 'fence' } },
  cite: [{ path: 'drivers/gpu/drm/drm_syncobj.c', fn: 'drm_syncobj_find_fence' }],
  rules(k, step) {
    const { cx, p, base, m, add, F } = k
    const { pub, px } = cx.f
    const { from, to } = step
    add(
      { name: 'syncobj_proxy_fence', ...base, from: F(from), to: F(to) },
      m('proxy'),
      (s) => p.at_(s),
      (c) => {
        c.set(px[to]!, 1)
        c.set(pub[to]!, 1)
        p.advance(c)
      },
    )
  },
  text(d, s) {
    const { F } = names(d)
    return `hand out ${F(s.to)} as a proxy that signals with ${F(s.from)}`
  },
}
