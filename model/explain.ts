/**
 * A scenario as the model understands it (`fencecheck explain FILE`), with its threads, steps,
 * policies, properties and bounds, so a reviewer can check that the model states the design.
 */
import type { Action, Model } from '../checker/model.js'
import type { Scenario } from './scenario.js'
import { stepText } from './gpu/describe.js'
import type { GpuDesign, Step } from './gpu/types.js'
import type { ModelEntry } from './registry.js'
import { signalledFromIrq } from './gpu/ops/callback.js'
import { designFlags } from './gpu/ops/cond.js'
import { goalName } from '../properties/gpu.js'
import { explainWork, threadHeading } from './gpu/explainWork.js'

/**
 * A path's steps, numbered, with the steps of a branch indented under the step that runs them: a
 * failure branch, an if's then: steps, a fence's signaled op, and the last mmput's teardown (the
 * notifiers' release ops and the unmap, run by exit_mmap in the putting thread).
 */
function stepLines(d: GpuDesign, steps: readonly Step[]): string[] {
  const ends: number[] = [] // the index of the else_end that closes each open branch
  return steps.map((s, i) => {
    while (ends.length && i > ends[ends.length - 1]!) ends.pop()
    const line = `    ${'   '.repeat(ends.length)}${i + 1}. ${stepText(d, s)}`
    if (s.branch !== undefined) ends.push(i + s.branch)
    return line
  })
}

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
    const kindOf = (k: string): string => (k === 'spinlock' ? 'spinlock: atomic while held' : k)
    out.push(`locks: ${d.locks.map((l) => `${l.name} (${kindOf(l.kind)}, lockdep class ${l.cls})`).join(', ')}`)
    out.push('fences:')
    for (const f of d.fences) {
      const members = (f.members ?? []).map((m) => d.fences[m]!.name)
      const by =
        f.job !== undefined
          ? `signalled when job ${d.jobs[f.job]!.name} completes (from the driver's interrupt handler)`
          : f.kind === 'preempt'
            ? `preempt fence of job ${d.jobs[f.of!]!.name}`
            : f.kind === 'array'
              ? `dma_fence_array: signals from irq_work when ${arrayCondition(members, f.any === true)} (signal_on_any: ${f.any ? 'true' : 'false'}); the first member error is its error`
              : f.kind === 'chain'
                ? `dma_fence_chain point: signals from irq_work when ${members[1] ? `${members[0]!} and the earlier point ${members[1]} have` : `${members[0]!} has`} signalled`
                : 'signalled by a thread'
      const kind = f.kind === 'hmm' ? 'hmm_fence (userspace may never signal it)' : f.kind === 'preempt' ? 'dma_fence (preempt/eviction)' : 'dma_fence'
      const lock = f.lock !== undefined ? `; fence->lock is ${d.locks[f.lock]!.name}` : ''
      const cbs = d.callbacks.filter((c) => c.fence === d.fences.indexOf(f)).map((c) => c.name)
      out.push(`  ${f.name}: ${kind}; ${by}${lock}${cbs.length ? `; callbacks: ${cbs.join(', ')}` : ''}`)
    }
    out.push('jobs:')
    for (const j of d.jobs) {
      const bits = [
        `${j.queue === 'kernel' ? 'kernel queue' : 'user queue'} on ${d.engines[j.engine]!.name}, ${j.cus} CU(s)`,
        j.submitted ? 'submitted at start' : 'submitted by a thread',
        ...(j.deps.length ? [`depends on ${j.deps.map((f) => d.fences[f]!.name).join(', ')}`] : []),
        ...(j.uses.length ? [`uses ${j.uses.map((u) => `${d.buffers[u.bo]!.name} (${u.usage})`).join(', ')}`] : []),
        ...(j.faults ? ['may page-fault'] : []),
        ...(j.hangs ? ['hangs on the GPU: only a reset ends it'] : []),
        ...(!j.propagateErrors ? ['does not propagate errors (bug)'] : []),
        ...(j.queue === 'user' && !j.waitsDeps ? ['does not wait for its dependencies (bug)'] : []),
      ]
      out.push(`  ${j.name}: ${bits.join('; ')}`)
    }
    out.push('threads:')
    for (const t of d.threads) {
      if (t.callbackOn !== undefined) continue
      out.push(`  ${threadHeading(d, t)}:`)
      out.push(...stepLines(d, t.steps))
    }
    if (d.callbacks.length) {
      out.push(
        "callbacks (dma_fence_add_callback; each runs in its fence's signaller's context, inside dma_fence_signal, under the fence's lock with interrupts off: atomic, so nothing in it may sleep):",
      )
      for (const c of d.callbacks) {
        const th = d.threads[c.thread]!
        if (c.trigger === 'enable') {
          out.push(
            `  ${c.name} (dma_fence_ops.enable_signaling; run once by the first waiter or add_callback, under ${d.locks[d.fences[c.fence]!.lock!]!.name}):`,
          )
          out.push(...stepLines(d, th.steps.slice(1)))
          continue
        }
        const fe = d.fences[c.fence]!
        // In the context of whichever path signals the fence; a hardware fence (a job's), an array or
        // a chain also signals from an interrupt or irq_work (ops/callback.ts: signalledFromIrq).
        const by = d.threads.filter((x) => x.steps.some((s) => s.op === 'signal' && s.fence === c.fence))
        const irq = signalledFromIrq(d, c.fence) ? (fe.job !== undefined ? "hard-irq context (the job's completion)" : 'hard-irq context (irq_work)') : ''
        const from = [by.length ? `the context of ${by.map((x) => `${x.name} (${x.context})`).join(', ')}` : '', irq].filter((x) => x).join(', or ')
        out.push(`  ${c.name} on ${fe.name} (under ${d.locks[fe.lock!]!.name}; run in ${from || 'no context: nothing signals it'}):`)
        out.push(...stepLines(d, th.steps.slice(1)))
      }
    }
    out.push(...explainWork(d))
    if (d.reclaim.length) {
      out.push('reclaim (runs in the context of any thread whose reclaiming allocation finds memory short, holding fs_reclaim):')
      for (const r of d.reclaim) {
        out.push(`  ${r.name}${r.origin !== 'custom' ? ` (library path ${r.origin})` : ''}:`)
        out.push(...stepLines(d, r.steps))
      }
    }
    out.push(...memorySide(d))
    out.push(
      `policies: shrinker ${d.policies.shrinker}, userptr notifier ${d.policies.userptr}, syncobj ${d.policies.syncobj}${d.accepted.length ? `; accepted: ${d.accepted.join(', ')}` : ''}`,
    )
    const flags = designFlags(d)
    if (flags.length) out.push(`flags (set and cleared by steps, tested by if: and wait_event): ${flags.join(', ')}`)
    if (d.goals.length) out.push(`progress goals (under weak fairness): ${d.goals.map((g) => goalName(d, g).id).join(', ')}`)
  }
  out.push(...propertyLines(sc.model))
  const b = sc.bounds
  const bounds = [
    b.maxDepth !== undefined ? `depth <= ${b.maxDepth}` : '',
    b.maxStates !== undefined ? `states <= ${b.maxStates}` : '',
    b.maxTimeMs !== undefined ? `time <= ${b.maxTimeMs / 1000}s` : '',
  ].filter(Boolean)
  out.push(`search: ${sc.order.toUpperCase()}, bounds: ${bounds.join(', ') || 'none (the whole reachable state space)'}`)
  out.push(stateLine(sc.model))
  if (sc.expect)
    out.push(
      `expected: ${sc.expect.verdict}${sc.expect.property ? ` (${sc.expect.property})` : ''}${sc.expect.traceLength !== undefined ? `, ${sc.expect.traceLength} steps` : ''}`,
    )
  return out.join('\n')
}

/**
 * A built-in model (`fencecheck explain r1`): what it is and its parameters; with every parameter
 * given (or defaulted), also the model as it is checked (see explainModel).
 */
export function explainBuiltin(entry: ModelEntry, model: Model<Action> | undefined): string {
  const out = [`built-in model: ${entry.name}`, '', entry.about, '', 'parameters (--param NAME=VALUE):']
  for (const p of entry.params) {
    const range = p.kind === 'int' ? `integer ${p.min}..${p.max}` : p.values.join(' | ')
    out.push(`  ${p.name}: ${range}${p.default !== undefined ? `, default ${p.default}` : ', required'}: ${p.doc}`)
  }
  if (!entry.params.length) out.push('  (none)')
  if (model) out.push('', explainModel(model))
  else out.push('', `give every required parameter to see the properties and the state, e.g. fencecheck explain ${entry.name} ${example(entry)}`)
  return out.join('\n')
}

function example(entry: ModelEntry): string {
  return entry.params
    .filter((p) => p.default === undefined)
    .map((p) => `--param ${p.name}=${p.kind === 'int' ? p.min : p.values[0]!}`)
    .join(' ')
}

/** A built model as it is checked: its parameters, properties and state. */
export function explainModel(model: Model<Action>): string {
  const params = Object.entries(model.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  const out = [`model: ${model.name}${params ? ` ${params}` : ''}`]
  if (model.about) out.push('', model.about, '')
  out.push(...propertyLines(model))
  out.push('search: BFS, bounds: none (the whole reachable state space) unless given on the command line')
  out.push(stateLine(model))
  out.push(`state fields: ${Array.from({ length: model.layout.fieldCount }, (_, i) => model.layout.name(i)).join(', ')}`)
  return out.join('\n')
}

/** The memory side of a design: pages, the ranges a GPU mirrors, and the notifiers with their callbacks. */
function memorySide(d: GpuDesign): string[] {
  const out: string[] = []
  if (d.pages.length)
    out.push(`pages: ${d.pages.map((p) => `${p.name} (${p.at === 'none' ? 'not present' : `in ${p.at === 'vram' ? 'VRAM' : 'system memory'}`})`).join(', ')}`)
  if (d.ranges.length) {
    out.push('ranges (GPU mirrors of CPU address ranges):')
    for (const r of d.ranges) {
      const pages = r.pages.map((p) => d.pages[p]!.name).join(', ')
      const notifiers = r.notifiers.map((n) => d.notifiers[n]!.name).join(', ') || 'none'
      out.push(
        `  ${r.name} on ${d.engines[r.engine]!.name}: pages ${pages}; ${r.mapped ? 'mapped (PTEs valid) at start' : 'not mapped at start'}; notifiers ${notifiers}`,
      )
    }
  }
  if (d.notifiers.length) {
    out.push('mmu interval notifiers (invalidate callbacks run by every invalidation of their pages):')
    for (const n of d.notifiers) {
      out.push(`  ${n.name} over ${n.pages.map((p) => d.pages[p]!.name).join(', ')}${n.origin !== 'custom' ? ` (library callback ${n.origin})` : ''}:`)
      if (n.callback.length === 0) out.push('    (an empty callback)')
      out.push(...stepLines(d, n.callback))
    }
  }
  return out
}

function propertyLines(model: Model<Action>): string[] {
  const out = ['properties checked:']
  for (const p of model.properties) if (p.kind !== 'sometimes') out.push(`  - ${p.id ? `${p.id}: ` : ''}${p.name}${p.cite ? `\n      source: ${p.cite}` : ''}`)
  if (model.deadlock && !model.properties.some((p) => p.name === model.deadlock!.name)) out.push(`  - ${model.deadlock.name}`)
  for (const o of model.omitted ?? []) out.push(`  (not checked: ${o.name}: ${o.reason})`)
  out.push('vacuity witnesses (sometimes):')
  for (const p of model.properties) if (p.kind === 'sometimes') out.push(`  - ${p.name}`)
  return out
}

function stateLine(model: Model<Action>): string {
  return `state: ${model.layout.fieldCount} fields packed in ${model.layout.words * 4} bytes; ${model.rules.length} transition rules`
}

/** When a dma_fence_array signals, with the verb agreeing: 'hw1 signals', 'all of a, b signal', 'any of a, b signals'. */
export function arrayCondition(members: readonly string[], any: boolean): string {
  if (members.length === 1) return `${members[0]!} signals`
  return any ? `any of ${members.join(', ')} signals` : `all of ${members.join(', ')} signal`
}
