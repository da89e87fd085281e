/**
 * Process exit, the single-process form: exit_mm marks the process exiting, and the design's later
 * steps are its teardown (the release, an invalidate per VMA with event: exit, as exit_mmap runs
 * them). It counts no mm_users: nothing it does ends the mm's lifetime. The op declares its own state field, `exiting`, which the condition `if: exiting`
 * (and its short form skip_if_exiting, the notifier-callback shortcut of kfd and xe: return at
 * once while the process is exiting, no zap, no set_seq) reads (ops/cond.ts).
 *
 * exit_mm is the single-process shorthand: a design with processes: counts mm_users instead and
 * writes the exiting task's `mmput: P` (ops/mm.ts), whose last put runs exit_mmap in its caller.
 */
import { bool } from '../../../checker/layout.js'
import type { GpuDesign, StepOf } from '../types.js'
import { readsExiting } from './cond.js'
import type { OpModule } from './op.js'

declare module '../types.js' {
  interface StepVariants {
    exit_mm: { readonly op: 'exit_mm' }
  }
}
type S = StepOf<'exit_mm'>

const allSteps = (d: GpuDesign) => [...d.threads.flatMap((th) => th.steps), ...d.reclaim.flatMap((r) => r.steps), ...d.notifiers.flatMap((n) => n.callback)]

export const exitOp: OpModule<S> = {
  ops: ['exit_mm'],
  syntax: [
    {
      key: 'exit_mm',
      doc: "the process exits: it is marked exiting (what if: exiting and skip_if_exiting read) and nothing else changes, the teardown being the design's later steps (the release, an invalidate per VMA with event: exit); it counts no mm_users, so nothing after it is an mm-lifetime violation: with processes:, write the task's mmput: P instead, whose last put runs exit_mmap",
      bare: true,
      notInCallback: true,
      parse: (px) => [{ where: px.where, op: 'exit_mm' }],
    },
  ],
  // exit_mm marks the process exiting, which other threads' conditions read: not narrowed yet, so dependent on every rule (checker/por.ts)
  footprint: () => [{ all: true }],
  refs: {},
  cite: [{ path: 'mm/mmap.c', fn: 'exit_mmap' }],
  fields: (b, d) => (allSteps(d).some((st) => st.op === 'exit_mm' || readsExiting(st)) ? { exiting: b.scalar('exiting', bool) } : {}),
  rules(k) {
    const { cx, p, base, m, add } = k
    const exiting = cx.f.exiting
    add(
      { name: 'exit_mm', ...base },
      m('exit_mm'),
      (s) => p.at_(s),
      (c) => {
        c.set(exiting, 1)
        p.advance(c)
      },
    )
  },
  text: () => 'the process exits (exit_mm): it is marked exiting; its teardown is the steps that follow (no mm_users are counted)',
}
