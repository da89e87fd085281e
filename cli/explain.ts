/**
 * `fencecheck explain FILE`: the scenario as the model understands it, with its threads, steps,
 * policies, properties and bounds, so a reviewer can check that the model states the design.
 */
import type { Scenario } from '../model/scenario.js'
import type { GpuDesign, Step } from '../model/gpu/types.js'

export function stepText(d: GpuDesign, s: Step): string {
  const L = (i: number): string => d.locks[i]!.name
  const F = (i: number): string => `${d.fences[i]!.kind === 'hmm' ? 'hmm_fence' : 'dma_fence'} ${d.fences[i]!.name}`
  const J = (i: number): string => d.jobs[i]!.name
  const B = (i: number): string => d.buffers[i]!.name
  const uf = s.userFault ? ' [copy_from_user]' : ''
  switch (s.op) {
    case 'lock':
      return `${s.mode === 'read' ? 'down_read' : d.locks[s.lock]!.kind === 'ww' ? 'dma_resv_lock' : 'mutex_lock'}(${L(s.lock)})${uf}`
    case 'trylock':
      return `${s.mode === 'read' ? 'down_read_trylock' : d.locks[s.lock]!.kind === 'ww' ? 'dma_resv_trylock' : 'mutex_trylock'}(${L(s.lock)}), on failure ${s.else}`
    case 'unlock':
      return `unlock(${L(s.lock)})${uf}`
    case 'wait':
      return `dma_fence_wait(${F(s.fence)})${s.ifFaultPending ? ', skipped while a GPU page fault is pending' : ''}`
    case 'wait_resv':
      return `dma_resv_wait_timeout(${B(s.bo)}, ${s.usage.toUpperCase()})${s.ifFaultPending ? ', skipped while a GPU page fault is pending' : ''}`
    case 'enable_signaling':
      return `dma_fence_enable_sw_signaling(${F(s.fence)})`
    case 'signal':
      return s.error ? `dma_fence_set_error + dma_fence_signal(${F(s.fence)})` : `dma_fence_signal(${F(s.fence)})`
    case 'alloc':
      return `alloc_page(GFP_${s.gfp}) from ${s.pool}${s.gfp === 'KERNEL' || s.gfp === 'NOFS' || s.gfp === 'NOIO' ? ' (may reclaim)' : ''}, on failure ${s.else}${uf}`
    case 'free':
      return `free a ${s.pool} page`
    case 'evict':
      return `evict ${B(s.bo)} to system memory, on failure ${s.else}`
    case 'preempt':
      return `preempt (suspend) queue of job ${J(s.job)}`
    case 'resume':
      return `resume queue of job ${J(s.job)}`
    case 'arm':
      return `drm_sched_job_arm(${J(s.job)}): its fence becomes visible; signalling section begins`
    case 'push':
      return `drm_sched_entity_push_job(${J(s.job)}): implicit deps from its buffers, fence installed; signalling section ends`
    case 'add_fence':
      return `dma_resv_add_fence(${B(s.bo)}, ${F(s.fence)}, ${s.usage.toUpperCase()})`
    case 'begin_signalling':
      return 'dma_fence_begin_signalling()'
    case 'end_signalling':
      return 'dma_fence_end_signalling()'
    case 'await_fault':
      return `wait for a GPU page fault from job ${J(s.job)}`
    case 'resolve_fault':
      return `map the page; job ${J(s.job)} continues`
    case 'await_deps':
      return `wait (scheduler callbacks) for the dependencies of job ${J(s.job)}`
    case 'run':
      return `run_job(${J(s.job)}): hand it to the hardware`
    case 'syncobj_proxy':
      return `hand out ${F(s.to)} as a proxy that signals with ${F(s.from)}`
  }
}

export function explainScenario(sc: Scenario): string {
  const out: string[] = []
  out.push(`scenario: ${sc.name}`, `file: ${sc.file}`)
  if (sc.seed) out.push(`seed: ${sc.seed}`)
  out.push('', sc.about, '')
  const d = sc.design
  if (!d) {
    out.push(`model: ${sc.model.name} ${Object.entries(sc.model.params).map(([k, v]) => `${k}=${v}`).join(' ')}`)
  } else {
    out.push('engines:')
    for (const e of d.engines) {
      const pol = [
        e.preempt === 'none' ? 'cannot preempt hmm work' : e.preempt === 'hmm' ? 'dma work preempts hmm work (not while it faults)' : 'dma work preempts hmm work, even with a fault pending',
        ...(e.reserveForDma ? [`${e.reserveForDma} CU(s) reserved for dma_fence work`] : []),
        ...(e.flush ? ['engine flush (gang scheduling)'] : []),
        ...(e.hmmPreemptsDma ? ['hmm work may preempt dma work (bug)'] : []),
      ]
      out.push(`  ${e.name}: ${e.cus} CU(s); ${pol.join('; ')}`)
    }
    out.push(`memory: ${d.memory.vram} free VRAM page(s), ${d.memory.system} free system page(s)`)
    if (d.buffers.length) {
      out.push('buffers:')
      for (const b of d.buffers) out.push(`  ${b.name} in ${b.placement}; dma_resv ${b.name}.resv holds: ${b.fences.map((f) => d.fences[f]!.name).join(', ') || 'nothing'}`)
    }
    out.push(`locks: ${d.locks.map((l) => `${l.name} (${l.kind}, lockdep class ${l.cls})`).join(', ')}`)
    out.push('fences:')
    for (const f of d.fences) {
      const by = f.job !== undefined ? `signalled when job ${d.jobs[f.job]!.name} completes` : f.kind === 'preempt' ? `preempt fence of job ${d.jobs[f.of!]!.name}` : 'signalled by a thread'
      out.push(`  ${f.name}: ${f.kind === 'hmm' ? 'hmm_fence (userspace may never signal it)' : f.kind === 'preempt' ? 'dma_fence (preempt/eviction)' : 'dma_fence'}; ${by}`)
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
      out.push(`  ${t.name} (${t.context}${t.signalling ? ', dma_fence signalling path' : ''}${t.origin !== 'custom' ? `, library path ${t.origin}` : ''}):`)
      t.steps.forEach((s, i) => out.push(`    ${i + 1}. ${stepText(d, s)}`))
    }
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
  if (sc.expect) out.push(`expected: ${sc.expect.verdict}${sc.expect.property ? ` (${sc.expect.property})` : ''}${sc.expect.traceLength !== undefined ? `, ${sc.expect.traceLength} steps` : ''}`)
  return out.join('\n')
}
