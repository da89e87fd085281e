/**
 * GPU states and steps in kernel vocabulary, for traces a reviewer reads: "shrinker:
 * dma_fence_wait(g0) holding fs_reclaim", "job k1: GPU page fault".
 */
import { armedUnderLock } from './mech/composite.js'
import type { Action, Reader } from '../../checker/model.js'
import { opOf } from './ops/index.js'
import { teardownText } from './ops/mm.js'
import { type GpuView, PAGE, type RuleMeta } from './view.js'
import type { GpuDesign, Step } from './types.js'

/** How a step reads in traces and `explain`: its op module says. */
export const stepText = (d: GpuDesign, s: Step): string => opOf(s).text(d, s)

/** One trace step: who acts, and what it does, in kernel terms. */
export function describeStep(v: GpuView, pre: Reader, action: Action, post: Reader): { actor: string; text: string } {
  const m = v.meta.get(action)
  if (!m) return { actor: 'model', text: action.name }
  if (m.actor.kind === 'thread') return threadStep(v, pre, action, post, m)
  if (m.actor.kind === 'job') return jobStep(v, pre, action, post, m)
  return fenceStep(v, pre, action, m)
}

type Described = { actor: string; text: string }

/** A thread's step: its op's text, what it holds, and where it runs (reclaim, a notifier callback). */
function threadStep(v: GpuView, pre: Reader, action: Action, post: Reader, m: RuleMeta): Described {
  const d = v.design
  const f = v.f
  const t = m.actor.index
  const th = d.threads[t]!
  const actor = th.work !== undefined ? `work ${th.name}` : th.name
  const held = v.heldBy(pre, t).map((l) => d.locks[l]!.name)
  const inReclaim = f.rpc[t]! >= 0 && pre.get(f.rpc[t]!) > 0
  const context = [...(inReclaim ? ['fs_reclaim'] : []), ...held]
  const holding = context.length ? ` holding ${context.join(', ')}` : ''
  const where =
    m.frame === 'reclaim'
      ? ` [in reclaim: ${v.reclaimSegName[m.at!] ?? ''}]`
      : m.frame === 'notifier' && m.site
        ? ` [in notifier ${d.notifiers[m.site.segNotifier[m.at!]!]!.name}'s invalidate callback${m.site.frame === 'reclaim' ? ', in reclaim' : ''}]`
        : ''
  const pagesOf = (): string => (m.site ? m.site.step.pages.map((p) => d.pages[p]!.name).join(', ') : '')
  if (m.step?.op === 'mmput') {
    // whether this put was the last one, and so what runs next in this actor (ops/mm.ts)
    const P = `${d.processes![m.step.process]!.name}'s mm`
    const text =
      m.does === 'mmput_last'
        ? `mmput(${P}): the last user is gone: exit_mmap runs here, in ${actor}'s context: ${teardownText(d, m.step.process)}`
        : `mmput(${P}): another user remains`
    return { actor, text: `${text}${holding}${where}` }
  }
  switch (m.does) {
    case 'invalidate_start':
      if (m.step?.op === 'migrate_vma_setup') {
        const owner = m.step.device >= 0 ? `, owner ${d.engines[m.step.device]!.name}` : ', owner NULL'
        return {
          actor,
          text: `migrate_vma_setup(${d.pages[m.step.page]!.name}): migrate_vma_collect: mmu_notifier_invalidate_range_start(MMU_NOTIFY_MIGRATE${owner})${holding}${where}`,
        }
      }
      return { actor, text: `${m.step ? stepText(d, m.step) : 'invalidate'}${holding}${where}` }
    case 'invalidate_pages': {
      const ev = m.site!.step.event
      return {
        actor,
        text: `every notifier returned; ${ev === 'migrate' ? `the CPU moves ${pagesOf()} to new frames` : ev === 'pressure' ? `${pagesOf()} swapped out and freed` : ev === 'oom' ? `${pagesOf()} reaped and freed` : `${pagesOf()} unmapped and freed`} (old references now stale)${where}`,
      }
    }
    case 'invalidate_end':
      return {
        actor,
        text: `mmu_notifier_invalidate_range_end(${pagesOf()})${post.get(f.active) === 0 ? ': no invalidation left, the seq turns even' : ''}${action.then !== undefined ? `; the page was not collected: ${String(action.then)}` : ''}${where}`,
      }
    case 'collision':
      return {
        actor,
        text: `${m.step ? stepText(d, m.step).replace(/, on collision .*$/, '') : 'read_retry'}: collision (the notifier ran since read_begin), ${m.step?.op === 'read_retry' && m.step.else === 'retry' ? 'back to read_begin' : String(action.then)}${holding}${where}`,
      }
    case 'read_retry':
      return { actor, text: `${m.step ? stepText(d, m.step).replace(/, on collision .*$/, '') : 'read_retry'}: no collision${holding}${where}` }
    case 'return_false':
      return { actor, text: `${m.step ? stepText(d, m.step) : ''}: would sleep in a non-blockable invalidation; the callback returns false${where}` }
    case 'test_fence':
      return { actor, text: `${m.step ? stepText(d, m.step).replace('dma_fence_wait', 'dma_fence_is_signaled') : ''}: already signalled${where}` }
    case 'exit_shortcut':
      return { actor, text: `the process is exiting: returns at once, without zapping or set_seq${holding}${where}` }
    case 'not_exiting':
      return { actor, text: `the process is not exiting; goes on${where}` }
    case 'enter_reclaim':
      return { actor, text: `${m.step ? stepText(d, m.step).replace(/, on failure \w+$/, '') : 'alloc'}: memory is short, enters direct reclaim${holding}` }
    case 'exit_reclaim':
      return { actor, text: 'leaves reclaim and retries the allocation' }
    case 'enable':
      return {
        actor,
        text: `${m.step ? stepText(d, m.step) : 'wait'}${holding}: enable_signaling(${String(action.fence)}), then blocks until it signals${where}`,
      }
    case 'wait_return':
      return { actor, text: `${m.step ? stepText(d, m.step) : 'wait'} returns${holding}${where}` }
    case 'spin':
      return { actor, text: `${m.step ? stepText(d, m.step) : ''} fails; retries${holding}${where}` }
    case 'timeout':
    case 'cond_true':
    case 'cond_false':
    case 'branch_end':
    case 'branch_retry':
    case 'tdr_idle':
      return { actor, text: escapeText(v, pre, action, m, t, holding + where) }
    case 'trylock_failed':
    case 'alloc_failed':
    case 'evict_failed':
    case 'swapout_failed':
      return {
        actor,
        text: `${m.step ? stepText(d, m.step).replace(/, on failure .*$/, '') : ''}: failed, ${action.then === 'branch' ? 'runs its else: steps' : String(action.then)}${where}`,
      }
    case 'skip':
      return { actor, text: `backs off from ${String(action.fence ?? action.bo)} while a GPU page fault is pending${where}` }
    case 'work_done':
      return {
        actor,
        text: `the run ends; ${post.get(f.extra[`work.${th.work!}`]!) === 1 ? 'it was queued again while it ran, so it is pending again' : 'the work item is idle'}`,
      }
    case 'timer':
      return { actor, text: 'the delay expires: the timer queues the work item (delayed_work_timer_fn)' }
    case 'cancel_pending':
      return {
        actor,
        text: `${m.step ? stepText(d, m.step) : ''}: takes the pending instance off the queue, then waits for the running one${holding}${where}`,
      }
    case 'no_fault':
      return { actor, text: `job ${String(action.job)} will not fault; the handler exits` }
    case 'migrate_finalize_uncopied':
      return { actor, text: `${m.step ? stepText(d, m.step) : ''}, but the copy's dma_fence has not signalled: the page is published unfilled${where}` }
    case 'migrate_skip':
      return {
        actor,
        text: `${m.step ? stepText(d, m.step).replace(/: trylock.*$/, '') : ''}: the page is not collected (locked, busy or elsewhere)${action.then !== undefined ? `, ${String(action.then)}` : ''}${where}`,
      }
    default: {
      const core = m.step ? stepText(d, m.step).replace(/, on failure \w+$/, '') : action.name
      const ok = m.does === 'acquire' && m.step?.op === 'trylock' ? ' succeeds' : ''
      return { actor, text: `${core}${ok}${m.does === 'acquire' || m.does === 'release' ? '' : holding}${where}` }
    }
  }
}

/** A job's GPU-side rule: ready, start, fault, access, complete, preempt. */
function jobStep(v: GpuView, pre: Reader, action: Action, post: Reader, m: RuleMeta): Described {
  const d = v.design
  const f = v.f
  const job = d.jobs[m.actor.index]!
  const actor = `${job.queue === 'user' ? 'compute' : 'kernel'} job ${job.name}`
  const eng = d.engines[job.engine]!.name
  switch (m.does) {
    case 'ready':
      return {
        actor,
        text:
          post.get(f.js[m.actor.index]!) === 6
            ? 'a dependency failed: the job is cancelled, its fence gets the error'
            : job.queue === 'kernel'
              ? 'dependencies signalled; the scheduler queues it'
              : 'submitted to its user queue',
      }
    case 'start':
      return { actor, text: `starts on ${eng} (takes ${job.cus} CU${job.cus > 1 ? 's' : ''})` }
    case 'resume':
      return { actor, text: `resumes on ${eng}` }
    case 'fault':
      return {
        actor,
        text: job.accesses.length ? 'GPU page fault on an invalid PTE: it stalls, keeping its CUs' : 'GPU page fault: it stalls, keeping its CUs',
      }
    case 'access': {
      if (action.name === 'gpu_access_swapped')
        return { actor, text: `the GPU touches ${String(action.bo)}, which was swapped out under it: its pages were freed (ttm_tt_swapout)` }
      const k = d.ranges.findIndex((r) => r.name === action.range)
      const pg = String(action.page)
      const slot = k >= 0 ? f.pte[k]![d.ranges[k]!.pages.findIndex((p) => d.pages[p]!.name === pg)]! : -1
      const stale = slot >= 0 && pre.get(slot) === 2
      return {
        actor,
        text: stale
          ? `the GPU touches page ${pg} through a stale PTE of range ${String(action.range)}: the page was freed, moved or reused after its notifier returned`
          : `the GPU touches page ${pg} through an invalid PTE of range ${String(action.range)}: ${eng} has no page-fault path (XNACK off)`,
      }
    }
    case 'complete':
      return {
        actor,
        text: `completes: ${job.queue === 'user' ? 'hmm_fence' : 'dma_fence'} ${job.name} ${post.get(f.fs[job.fence]!) === 2 ? 'signals with an error' : 'signals'}`,
      }
    case 'preempt':
      return { actor, text: `preempts compute job ${String(action.victim)} on ${eng}` }
    case 'preempt_dma':
      return { actor, text: `preempts dma_fence job ${String(action.victim)} on ${eng}` }
  }
  return { actor, text: action.name }
}

/** A fence mechanism's rule: a preempt fence, a composite arming or signalling, a proxy. */
function fenceStep(v: GpuView, pre: Reader, action: Action, m: RuleMeta): Described {
  const d = v.design
  const f = v.f
  const fe = d.fences[m.actor.index]!
  if (m.does === 'preempt_fence') return { actor: `preempt fence ${fe.name}`, text: `takes job ${d.jobs[fe.of!]!.name} off the hardware and signals` }
  const fn = fe.kind === 'chain' ? 'dma_fence_chain' : 'dma_fence_array'
  const ms = (fe.members ?? []).map((x) => d.fences[x]!.name).join(', ')
  const armed = armedUnderLock(d, f, pre, m.actor.index)
  if (m.does === 'enable')
    return {
      actor: `fence ${fe.name}`,
      text: `${fn}_enable_signaling: adds its callback to ${armed.map((x) => d.fences[x]!.name).join(', ') || 'nothing (all signalled)'}${fe.lock !== undefined ? `, under ${d.locks[fe.lock]!.name}` : ''}`,
    }
  if (m.does === 'composite_signal')
    return {
      actor: `fence ${fe.name}`,
      text: `signals from irq_work: ${fe.kind === 'chain' ? 'its fence and every earlier point' : fe.any ? 'one of' : 'all of'} ${ms} ${fe.kind === 'chain' ? 'have' : ''} signalled`.replace(
        '  ',
        ' ',
      ),
    }
  return { actor: `fence ${fe.name}`, text: `signals with its source ${String(action.from)}` }
}

/** A state change in kernel terms; undefined for bookkeeping the step text already says. */
export function describeChange(d: GpuDesign, field: string, before: unknown, after: unknown): string | undefined {
  const [kind, ...rest] = field.split('.')
  const name = rest.join('.')
  switch (kind) {
    case 'pc':
    case 'reclaim':
    case 'reclaimed':
      return undefined
    case 'job':
      return `job ${name}: ${String(before)} -> ${String(after)}`
    case 'fence':
      return `${d.fences.find((x) => x.name === name)?.kind === 'hmm' ? 'hmm_fence' : 'dma_fence'} ${name}: ${String(before)} -> ${String(after)}`
    case 'owner': {
      const who = (x: unknown): string => (x === 0 ? 'free' : `held by ${d.threads[(x as number) - 1]?.name ?? '?'}`)
      return `${name}: ${who(before)} -> ${who(after)}`
    }
    case 'readers': {
      const who = (x: unknown): string =>
        d.threads
          .filter((_, t) => Math.floor((x as number) / 2 ** t) % 2 === 1)
          .map((th) => th.name)
          .join(', ') || 'none'
      return `${name}: read-held by ${who(before)} -> ${who(after)}`
    }
    case 'enabled':
      return after === true ? `${name}: signalling enabled` : undefined
    case 'published':
      return after === true ? `${name}: published (visible to other threads)` : undefined
    case 'signalling':
      return after === true ? `${name}: enters a dma_fence signalling section` : `${name}: leaves its signalling section`
    case 'fault':
      return after === true ? `job ${name}: page fault pending` : `job ${name}: page fault resolved`
    case 'faulted':
      return undefined
    case 'failed':
      return after === true ? `${name}: fails` : undefined
    case 'free':
      return `free ${name} pages: ${String(before)} -> ${String(after)}`
    case 'placement':
      return `${name}: ${String(before)} -> ${String(after)}`
    case 'resv': {
      const set = (x: unknown): string =>
        d.fences
          .filter((_, i) => Math.floor((x as number) / 2 ** i) % 2 === 1)
          .map((fe) => fe.name)
          .join(', ') || 'empty'
      return `${name}'s dma_resv: {${set(before)}} -> {${set(after)}}`
    }
    case 'implicitDeps':
      return undefined
    case 'proxy':
      return `${name}: becomes a proxy fence`
    case 'page':
      return `page ${name}: ${String(before)} -> ${String(after)}`
    case 'pte':
      return `PTE ${name}: ${String(before)} -> ${String(after)}`
    case 'pfn':
      return after === false ? `${rest[0]}'s snapshot of ${rest.slice(1).join('.')} is stale` : undefined
    case 'seq':
      return after === false ? `${rest[0]}'s seq of notifier ${rest.slice(1).join('.')} is out of date (retry will collide)` : undefined
    case 'invalidating':
      return after === true ? `notifier ${name}: invalidation in progress (its seq equals the mm's odd seq)` : `notifier ${name}: seq even again`
    case 'invalidations':
      return `invalidations in flight: ${String(before)} -> ${String(after)}`
    case 'notifier':
      return undefined
    case 'exiting':
      return after === true ? 'the process is exiting' : undefined
  }
  return `${field}: ${String(before)} -> ${String(after)}`
}

/** The initial state in a few lines of kernel terms. */
export function describeState(v: GpuView, s: Reader): string[] {
  const d = v.design
  const f = v.f
  const js = ['idle', 'queued', 'ready', 'running', 'preempted', 'suspended', 'done']
  const fsn = ['pending', 'signalled', 'error']
  const out: string[] = []
  out.push(`memory: ${s.get(f.vram)} free VRAM page(s), ${s.get(f.system)} free system page(s)`)
  if (d.jobs.length)
    out.push(
      `jobs: ${d.jobs.map((j, i) => `${j.name} ${js[s.get(f.js[i]!)]} (${j.queue === 'user' ? 'hmm_fence' : 'dma_fence'}${j.faults ? ', may fault' : ''})`).join(', ')}`,
    )
  const others = d.fences.filter((fe) => fe.job === undefined)
  if (others.length) out.push(`fences: ${others.map((fe) => `${fe.name} ${fsn[s.get(f.fs[d.fences.indexOf(fe)]!)]}`).join(', ')}`)
  if (d.pages.length) out.push(`pages: ${d.pages.map((pg, q) => `${pg.name} ${residencyText(d, s.get(f.pageAt[q]!))}`).join(', ')}`)
  for (const [i, r] of d.ranges.entries())
    out.push(
      `range ${r.name} on ${d.engines[r.engine]!.name}: PTEs ${r.pages.map((p, k) => `${d.pages[p]!.name} ${['invalid', 'valid', 'stale'][s.get(f.pte[i]![k]!)]}`).join(', ')}; notifiers ${r.notifiers.map((n) => d.notifiers[n]!.name).join(', ') || 'none'}`,
    )
  for (const [i, b] of d.buffers.entries()) {
    const mask = s.get(f.resv[i]!)
    const inResv = d.fences.filter((_, k) => Math.floor(mask / 2 ** k) % 2 === 1).map((fe) => fe.name)
    out.push(`${b.name}: in ${(['vram', 'system', 'swapped'] as const)[s.get(f.place[i]!)]}, dma_resv {${inResv.join(', ')}}`)
  }
  return out
}

/** Bounded waits, conditions, failure branches and the job timeout (ops/timeout.ts, cond.ts, branch.ts, tdr.ts). */
function escapeText(v: GpuView, pre: Reader, action: Action, m: RuleMeta, t: number, context: string): string {
  const d = v.design
  switch (m.does) {
    case 'timeout': {
      // A bounded wait gives up. If nothing but this timeout could have ended the wait, say so,
      // with the wait-for graph it broke (the property hang-until-timeout).
      const hang = v.waitFor(pre, { timeouts: 'ignore' })
      const hung = hang.stuck.includes(`thread:${t}`)
      const core = m.step ? stepText(d, m.step).replace(/, bounded: on timeout .*$/, '') : 'wait'
      const broke = hung ? `; a hang only this timeout ended: ${hang.describe().slice(0, -1).join(' ').replace(/\s+/g, ' ')}` : ''
      return `${core} times out, then ${String(action.then)}${context}${broke}`
    }
    case 'cond_true':
    case 'cond_false':
      return `${String(action.cond)}: ${m.does === 'cond_true' ? `yes, ${action.then === 'branch' ? 'runs its then: steps' : String(action.then)}` : 'no, goes on'}${context}`
    case 'tdr_idle':
      return `job ${String(action.job)} completed before its timeout; timedout_job is not called`
    default:
      return `${m.step ? stepText(d, m.step) : 'end of branch'}${context}`
  }
}

/** a page's residency in words: absent, in system memory, in VRAM (of device D when there are several) */
const residencyText = (d: GpuDesign, v: number): string =>
  v === PAGE.none ? 'absent' : v === PAGE.system ? 'in system memory' : d.engines.length > 1 ? `in the VRAM of ${d.engines[v - PAGE.vram]!.name}` : 'in VRAM'
