/**
 * Process exit: exit_mm drops the last user of the mm and teardown begins (exit_mmap unmaps
 * everything); skip_if_exiting is the notifier-callback shortcut that returns at once while the
 * process is exiting (kfd, xe: no zap, no set_seq). The op declares its own state field, `exiting`.
 */
import { bool } from '../../../checker/layout.js'
import type { GpuDesign, StepOf } from '../types.js'
import type { OpModule } from './op.js'

declare module '../types.js' {
  interface StepVariants {
    exit_mm: { readonly op: 'exit_mm' }
    skip_if_exiting: { readonly op: 'skip_if_exiting' }
  }
}
type S = StepOf<'exit_mm' | 'skip_if_exiting'>

const allSteps = (d: GpuDesign) => [...d.threads.flatMap((th) => th.steps), ...d.reclaim.flatMap((r) => r.steps), ...d.notifiers.flatMap((n) => n.callback)]

export const exitOp: OpModule<S> = {
  ops: ['exit_mm', 'skip_if_exiting'],
  syntax: [
    {
      key: 'exit_mm',
      doc: 'the process exits: mm_users drops to zero and teardown begins',
      bare: true,
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'exit_mm' }],
    },
    {
      key: 'skip_if_exiting',
      doc: 'if the process is exiting, return at once (leave the path or the callback)',
      bare: true,
      parse: (px) => [{ where: px.where, op: 'skip_if_exiting' }],
    },
  ],
  refs: {},
  cite: [{ path: 'mm/mmap.c', fn: 'exit_mmap' }],
  fields: (b, d) => (allSteps(d).some((st) => st.op === 'exit_mm' || st.op === 'skip_if_exiting') ? { exiting: b.scalar('exiting', bool) } : {}),
  rules(k, step) {
    const { cx, p, base, m, add } = k
    const exiting = cx.f.exiting
    if (step.op === 'exit_mm') {
      add(
        { name: 'exit_mm', ...base },
        m('exit_mm'),
        (s) => p.at_(s),
        (c) => {
          c.set(exiting, 1)
          p.advance(c)
        },
      )
      return
    }
    add(
      { name: 'process_exiting', ...base, exiting: true },
      m('exit_shortcut'),
      (s) => p.at_(s) && s.get(exiting) === 1,
      (c) => p.abandon(c, false),
    )
    add(
      { name: 'process_exiting', ...base, exiting: false },
      m('not_exiting'),
      (s) => p.at_(s) && s.get(exiting) === 0,
      (c) => p.advance(c),
    )
  },
  text: (_d, s) => (s.op === 'exit_mm' ? 'the process exits: mm_users drops to zero (exit_mm), teardown begins' : 'if the process is exiting, return at once'),
}
