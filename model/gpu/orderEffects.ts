/**
 * What a transition of a compiled design shows the lock-order property, for partial-order
 * reduction (checker/por.ts C2 on lock-order edges; model/gpu/footprint.ts uses it).
 */
import type { Action, Reader } from '../../checker/model.js'
import type { PorInfo } from '../../checker/por.js'
import type { CompileCx } from './context.js'
import { lockOrderProperty } from '../../properties/gpuLockOrder.js'
import { opOf } from './ops/index.js'
import { heldMaps } from './ops/work.js'
import type { GpuView } from './view.js'

/** What a transition shows the lock-order property: the edges it records, and whether it moves onto a lock that may block while holding something. */
export function orderEffects(cx: Omit<CompileCx, 'stepRules'>, view: GpuView): PorInfo['orderEffect'] {
  const { design, f, meta } = cx
  const threads = design.threads
  // Lock order: the edges a transition records depend on its thread alone (what it holds, its
  // frame, its work maps), so a transition that records none here records none wherever its thread
  // is in the same place; only a blocked attempt (lockdep records it on the attempt) depends on
  // whether another thread holds the lock, so moving onto a lock that may block is visible while
  // the thread holds anything lockdep orders.
  const order = lockOrderProperty(view, 'lock order')
  const th = threads
  const holdsContext = (s: Reader, t: number): boolean =>
    view.heldBy(s, t).length > 0 ||
    (f.rpc[t]! >= 0 && s.get(f.rpc[t]!) > 0) ||
    (f.npc[t]! >= 0 && s.get(f.npc[t]!) > 0) ||
    s.get(f.sig[t]!) === 1 ||
    th[t]!.signalling ||
    th[t]!.context === 'notifier' ||
    th[t]!.callbackOn !== undefined ||
    heldMaps(design, f, s, t).length > 0
  const none = { edges: [], blocks: false } as const
  return (pre: Reader, a: Action, post: Reader) => {
    const m = meta.get(a)!
    if (m.actor.kind !== 'thread') return none
    const edges = order.edges(pre, a, post)
    const t = m.actor.index
    const next = view.stepAt(post, t).step
    const blocks = next !== undefined && opOf(next).lockdep?.blocksOn?.(next) !== undefined && holdsContext(post, t)
    return edges.length === 0 && !blocks ? none : { edges, blocks }
  }
}
