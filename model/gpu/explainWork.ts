/**
 * How `fencecheck explain` shows a design's workqueues, work items, pools and CPUs.
 */
import type { GpuDesign, Thread } from './types.js'

/** A thread's heading: a work item names its queue and CPU, a pinned thread its CPU. */
export function threadHeading(d: GpuDesign, t: Thread): string {
  if (t.work !== undefined) {
    const w = d.works[t.work]!
    const bits = [
      `work item on ${d.workqueues[w.queue]!.name}`,
      ...(w.cpu !== undefined ? [`bound to CPU ${w.cpu}`] : []),
      ...(w.delayed ? ['queued with a delay'] : []),
    ]
    return `${t.name} (${bits.join(', ')}${t.signalling ? ', dma_fence signalling path' : ''}; runs its steps each time it is queued)`
  }
  return `${t.name} (${t.context}${t.signalling ? ', dma_fence signalling path' : ''}${t.cpu !== undefined ? `, on CPU ${t.cpu}` : ''}${t.origin !== 'custom' ? `, library path ${t.origin}` : ''})`
}

/** The workqueues, pools and CPUs of a design, as explain lists them (nothing if it has none). */
export function explainWork(d: GpuDesign): string[] {
  const out: string[] = []
  if (d.works.length) {
    out.push('workqueues:')
    for (const [q, wq] of d.workqueues.entries()) {
      const items = d.works.filter((w) => w.queue === q).map((w) => w.name)
      if (q === 0 && items.length === 0) continue
      const kind =
        wq.maxActive === 1
          ? 'ordered: one item at a time, in queue order'
          : wq.maxActive > 1
            ? `at most ${wq.maxActive} items at once`
            : 'no bound on concurrent items'
      out.push(`  ${wq.name}: ${kind}${wq.memReclaim ? '; WQ_MEM_RECLAIM (rescuer)' : ''}; items: ${items.join(', ') || 'none'}`)
    }
    out.push('work items (each a worker running its steps, idle -> pending -> running; queued while running, it runs again):')
    for (const w of d.works) {
      const q = d.workqueues[w.queue]!
      const flush = q.maxActive === 1 || q.memReclaim ? `(work_completion)${w.name} and (wq_completion)${q.name}` : `(work_completion)${w.name}`
      out.push(`  ${w.name}: holds lockdep maps (wq_completion)${q.name}, (work_completion)${w.name} while it runs; flush_work touches ${flush}`)
    }
  }
  if (d.pools.length) out.push(`pools: ${d.pools.map((p) => `${p.name} (${p.slots} slot(s), ${p.free} free at start)`).join(', ')}`)
  const pinned = d.threads.filter((t) => t.work === undefined && t.cpu !== undefined)
  if (d.cpus > 0 || pinned.length || d.works.some((w) => w.cpu !== undefined))
    out.push(
      `cpus: ${d.cpus > 0 ? d.cpus : 'unbounded'}${pinned.length ? `; pinned: ${pinned.map((t) => `${t.name} on CPU ${t.cpu!}`).join(', ')}` : ''}; preemption off (preempt_disable) keeps a CPU from bound work items`,
    )
  return out
}
