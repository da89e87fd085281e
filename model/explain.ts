/**
 * A scenario as the model understands it (`fencecheck explain FILE`), with its threads, steps,
 * policies, properties and bounds, so a reviewer can check that the model states the design.
 */
import type { Scenario } from './scenario.js'
import { stepText } from './gpu/describe.js'
import { explainWork, threadHeading } from './gpu/explainWork.js'

export function explainScenario(sc: Scenario): string {
  const out: string[] = []
  out.push(`scenario: ${sc.name}`, `file: ${sc.file}`)
  if (sc.seed) out.push(`seed: ${sc.seed}`)
  out.push('', sc.about, '')
  const d = sc.design
  if (!d) {
    out.push(
      `model: ${sc.model.name} ${Object.entries(sc.model.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    )
  } else {
    out.push('engines:')
    for (const e of d.engines) {
      const pol = [
        e.preempt === 'none'
          ? 'cannot preempt hmm work'
          : e.preempt === 'hmm'
            ? 'dma work preempts hmm work (not while it faults)'
            : 'dma work preempts hmm work, even with a fault pending',
        ...(e.reserveForDma ? [`${e.reserveForDma} CU(s) reserved for dma_fence work`] : []),
        ...(e.flush ? ['engine flush (gang scheduling)'] : []),
        ...(e.hmmPreemptsDma ? ['hmm work may preempt dma work (bug)'] : []),
      ]
      out.push(`  ${e.name}: ${e.cus} CU(s); ${pol.join('; ')}`)
    }
    out.push(`memory: ${d.memory.vram} free VRAM page(s), ${d.memory.system} free system page(s)`)
    if (d.buffers.length) {
      out.push('buffers:')
      for (const b of d.buffers)
        out.push(`  ${b.name} in ${b.placement}; dma_resv ${b.name}.resv holds: ${b.fences.map((f) => d.fences[f]!.name).join(', ') || 'nothing'}`)
    }
    out.push(`locks: ${d.locks.map((l) => `${l.name} (${l.kind}, lockdep class ${l.cls})`).join(', ')}`)
    out.push('fences:')
    for (const f of d.fences) {
      const by =
        f.job !== undefined
          ? `signalled when job ${d.jobs[f.job]!.name} completes`
          : f.kind === 'preempt'
            ? `preempt fence of job ${d.jobs[f.of!]!.name}`
            : 'signalled by a thread'
      out.push(
        `  ${f.name}: ${f.kind === 'hmm' ? 'hmm_fence (userspace may never signal it)' : f.kind === 'preempt' ? 'dma_fence (preempt/eviction)' : 'dma_fence'}; ${by}`,
      )
    }
    out.push('jobs:')
    for (const j of d.jobs) {
      const bits = [
        `${j.queue === 'kernel' ? 'kernel queue' : 'user queue'} on ${d.engines[j.engine]!.name}, ${j.cus} CU(s)`,
        j.submitted ? 'submitted at start' : 'submitted by a thread',
        ...(j.deps.length ? [`depends on ${j.deps.map((f) => d.fences[f]!.name).join(', ')}`] : []),
        ...(j.uses.length ? [`uses ${j.uses.map((u) => `${d.buffers[u.bo]!.name} (${u.usage})`).join(', ')}`] : []),
        ...(j.faults ? ['may page-fault'] : []),
        ...(!j.propagateErrors ? ['does not propagate errors (bug)'] : []),
        ...(j.queue === 'user' && !j.waitsDeps ? ['does not wait for its dependencies (bug)'] : []),
      ]
      out.push(`  ${j.name}: ${bits.join('; ')}`)
    }
    out.push('threads:')
    for (const t of d.threads) {
      out.push(`  ${threadHeading(d, t)}:`)
      t.steps.forEach((s, i) => out.push(`    ${i + 1}. ${stepText(d, s)}`))
    }
    out.push(...explainWork(d))
    if (d.reclaim.length) {
      out.push('reclaim (runs in the context of any thread whose reclaiming allocation finds memory short, holding fs_reclaim):')
      for (const r of d.reclaim) {
        out.push(`  ${r.name}${r.origin !== 'custom' ? ` (library path ${r.origin})` : ''}:`)
        r.steps.forEach((s, i) => out.push(`    ${i + 1}. ${stepText(d, s)}`))
      }
    }
    out.push(`policies: shrinker ${d.policies.shrinker}, userptr notifier ${d.policies.userptr}, syncobj ${d.policies.syncobj}`)
  }
  out.push('properties checked:')
  for (const p of sc.model.properties) if (p.kind !== 'sometimes') out.push(`  - ${p.name}${p.cite ? `\n      source: ${p.cite}` : ''}`)
  if (sc.model.deadlock && !sc.model.properties.some((p) => p.name === sc.model.deadlock!.name)) out.push(`  - ${sc.model.deadlock.name}`)
  out.push('vacuity witnesses (sometimes):')
  for (const p of sc.model.properties) if (p.kind === 'sometimes') out.push(`  - ${p.name}`)
  const b = sc.bounds
  const bounds = [
    b.maxDepth !== undefined ? `depth <= ${b.maxDepth}` : '',
    b.maxStates !== undefined ? `states <= ${b.maxStates}` : '',
    b.maxTimeMs !== undefined ? `time <= ${b.maxTimeMs / 1000}s` : '',
  ].filter(Boolean)
  out.push(`search: ${sc.order.toUpperCase()}, bounds: ${bounds.join(', ') || 'none (the whole reachable state space)'}`)
  out.push(`state: ${sc.model.layout.fieldCount} fields packed in ${sc.model.layout.words * 4} bytes; ${sc.model.rules.length} transition rules`)
  if (sc.expect)
    out.push(
      `expected: ${sc.expect.verdict}${sc.expect.property ? ` (${sc.expect.property})` : ''}${sc.expect.traceLength !== undefined ? `, ${sc.expect.traceLength} steps` : ''}`,
    )
  return out.join('\n')
}
