/**
 * Composite fences. A dma_fence_array signals when all of its fences have signalled, or any one
 * with signal_on_any; a dma_fence_chain point signals when its own fence and every earlier point
 * have (a point depends on [its fence, prev]). Both are lazy: nothing is armed until someone waits
 * on the container or adds a callback to it (its enable_signaling adds a callback to each member,
 * which enables the member's signalling in turn), and both signal from irq_work, after the member's
 * callback returned. The first error of a member becomes the container's error while it has not
 * signalled (dma_fence_array_set_pending_error); v6.12's chain propagates no error of its own, so a
 * chain point reports the error of its own fence only.
 *
 * The chain's enable_signaling arms one contained fence at a time, re-arming from irq_work as each
 * signals; the model enables every member at once, which triggers no fence the chain would not
 * trigger before it signals. Lockdep sees the container's lock held while the member's lock is
 * taken (armedUnderLock, recorded by the lock-order property): a callback on a member that takes
 * the container's lock (adds a callback to it, signals it) closes the cycle, which is why the
 * kernel's member callbacks (dma_fence_array_cb_func, dma_fence_chain_cb) only queue irq_work.
 */
import type { Reader } from '../../../checker/model.js'
import type { CompileCx } from '../context.js'
import type { GpuDesign } from '../types.js'
import { FS, type GpuFields } from '../view.js'

/**
 * The fences container i's enable_signaling adds its callback to in state s, under its own lock
 * (__dma_fence_enable_signaling holds fence->lock around ops->enable_signaling, and each
 * dma_fence_add_callback takes the member's lock inside it): an array, every member that has not
 * signalled; a chain, the first contained fence that has not signalled, walking from this point
 * to earlier ones (dma_fence_chain_for_each, dma_fence_chain_contained). Later re-arms of a chain
 * come from irq_work (dma_fence_chain_irq_work), outside the chain's lock.
 */
export function armedUnderLock(d: GpuDesign, f: GpuFields, s: Reader, i: number): number[] {
  const fe = d.fences[i]!
  if (!fe.members) return []
  const pending = (m: number): boolean => s.get(f.fs[m]!) === FS.pending
  if (fe.kind === 'array') return fe.members.filter(pending)
  for (let p: number | undefined = i; p !== undefined; p = d.fences[p]!.members![1]) {
    const own = d.fences[p]!.members![0]!
    if (pending(own)) return [own]
  }
  return []
}

export const COMPOSITE_CITE = [
  { path: 'drivers/dma-buf/dma-fence-array.c', fn: 'dma_fence_array_enable_signaling' },
  { path: 'drivers/dma-buf/dma-fence-array.c', fn: 'dma_fence_array_cb_func' },
  { path: 'drivers/dma-buf/dma-fence-array.c', fn: 'irq_dma_fence_array_work' },
  { path: 'drivers/dma-buf/dma-fence-chain.c', fn: 'dma_fence_chain_enable_signaling' },
  { path: 'drivers/dma-buf/dma-fence-chain.c', fn: 'dma_fence_chain_irq_work' },
] as const

export function compositeRules(cx: CompileCx): void {
  const { design, f } = cx
  const { en, fs } = f
  design.fences.forEach((fe, i) => {
    const members = fe.members
    if (!members) return
    const array = fe.kind === 'array'
    const fn = array ? 'dma_fence_array' : 'dma_fence_chain'
    const actor = { kind: 'fence', index: i } as const
    cx.add(
      { name: `${fn}_enable_signaling`, fence: fe.name },
      { actor, does: 'enable' },
      (s) => s.get(en[i]!) === 1 && s.get(fs[i]!) === FS.pending && members.some((m) => s.get(en[m]!) === 0 && s.get(fs[m]!) === FS.pending),
      (c) => {
        for (const m of members) if (c.get(fs[m]!) === FS.pending) c.set(en[m]!, 1)
      },
    )
    const ready =
      array && fe.any
        ? (s: { get(x: number): number }) => members.some((m) => s.get(fs[m]!) !== FS.pending)
        : (s: { get(x: number): number }) => members.every((m) => s.get(fs[m]!) !== FS.pending)
    // array: the first member error; chain: the error of its own fence (members[0]) only.
    const errs = array ? members : [members[0]!]
    cx.add(
      { name: `${fn}_signal`, fence: fe.name, members: members.map((m) => design.fences[m]!.name).join(', ') },
      { actor, does: 'composite_signal', signals: i },
      (s) => s.get(en[i]!) === 1 && s.get(fs[i]!) === FS.pending && ready(s),
      (c) => c.set(fs[i]!, errs.some((m) => c.get(fs[m]!) === FS.error) ? FS.error : FS.signalled),
    )
  })
}
