/**
 * dma_resv_add_fence: a fence goes into a buffer's dma_resv with a usage; readers see it at once
 * (RCU), so the fence is published here.
 */
import { addBit } from '../context.js'
import { SpecError } from '../errors.js'
import type { StepOf } from '../types.js'
import { names, type OpModule } from './op.js'
import { NAME, USAGE } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    add_fence: { readonly op: 'add_fence'; readonly bo: number; readonly fence: number; readonly usage: Usage }
  }
}
type S = StepOf<'add_fence'>

export const addFenceOp: OpModule<S> = {
  ops: ['add_fence'],
  syntax: [
    {
      key: 'add_fence',
      doc: "install a fence in a buffer's dma_resv",
      arg: { role: 'buffer', what: 'the buffer', schema: NAME('a buffer') },
      modifiers: { fence: { doc: 'the fence to install', schema: NAME('a fence'), role: 'fence' }, usage: USAGE('write') },
      parse: (px) => {
        const bo = px.arg()
        if (px.mods.fence === undefined) throw new SpecError('FC156', px.where, `add_fence needs 'fence: NAME'`)
        const fe = px.mod('fence')
        const u = px.usage(px.mods.usage, 'write')
        px.setUsage(bo, fe, u, px.where)
        return [{ where: px.where, op: 'add_fence', bo, fence: fe, usage: u }]
      },
    },
  ],
  refs: { add_fence: { bo: 'buffer', fence: 'fence' } },
  cite: [{ path: 'drivers/dma-buf/dma-resv.c', fn: 'dma_resv_add_fence' }],
  rules(k, step) {
    const { cx, p, base, m, add, F } = k
    const { buffers } = cx.design
    const { pub, resv } = cx.f
    const { bo, fence: fe } = step
    // dma_resv_add_fence(): readers see it at once (RCU), so the fence is published here (dma-fence.c).
    add(
      { name: 'dma_resv_add_fence', ...base, bo: buffers[bo]!.name, fence: F(fe), usage: step.usage },
      m('publish'),
      (s) => p.at_(s),
      (c) => {
        c.set(resv[bo]!, addBit(c.post(resv[bo]!), fe))
        c.set(pub[fe]!, 1)
        p.advance(c)
      },
    )
  },
  text(d, s) {
    const { F, B } = names(d)
    return `dma_resv_add_fence(${B(s.bo)}, ${F(s.fence)}, ${s.usage.toUpperCase()})`
  },
}
