/**
 * The dma_fence signalling annotation: between begin and end the path is on a fence's signalling
 * path (no reclaim, no dma_resv, no lock a waiter holds, no user fault).
 */
import type { StepOf } from '../types.js'
import { type OpModule } from './op.js'

declare module '../types.js' {
  interface StepVariants {
    begin_signalling: { readonly op: 'begin_signalling' }
    end_signalling: { readonly op: 'end_signalling' }
  }
}
type S = StepOf<'begin_signalling' | 'end_signalling'>

export const signallingOp: OpModule<S> = {
  ops: ['begin_signalling', 'end_signalling'],
  syntax: [
    {
      key: 'begin_signalling',
      doc: 'dma_fence_begin_signalling: the path enters a signalling section',
      bare: true,
      parse: (px) => [{ where: px.where, op: 'begin_signalling' }],
    },
    { key: 'end_signalling', doc: 'dma_fence_end_signalling: the section ends', bare: true, parse: (px) => [{ where: px.where, op: 'end_signalling' }] },
  ],
  refs: {},
  cite: [
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_begin_signalling' },
    { path: 'drivers/dma-buf/dma-fence.c', fn: 'dma_fence_end_signalling' },
  ],
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const { sig } = cx.f
    switch (step.op) {
      case 'begin_signalling':
      case 'end_signalling': {
        const on = step.op === 'begin_signalling' ? 1 : 0
        add(
          { name: `dma_fence_${step.op}`, ...base },
          m(step.op),
          (s) => p.at_(s),
          (c) => {
            c.set(sig[t]!, on)
            p.advance(c)
          },
        )
        return
      }
    }
  },
  text(_d, s) {
    switch (s.op) {
      case 'begin_signalling':
        return 'dma_fence_begin_signalling()'
      case 'end_signalling':
        return 'dma_fence_end_signalling()'
    }
  },
}
