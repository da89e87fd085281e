/**
 * Why a GPU trace violates a rule, in kernel terms: which clause of the rule broke, who holds which
 * lock across which fence wait, who signals the fence and what its signalling path needs. The
 * lines read like lockdep's report: both chains of the dependency, each with the thread and the
 * step that makes it. They read the view and the decoded trace only, so they cannot change a
 * verdict; properties/gpu.ts decides, this file explains (report/narrator.ts, explainViolation).
 */
import type { Action } from '../checker/model.js'
import type { GpuView } from '../model/gpu/compile.js'
import { FS, JS, PTE } from '../model/gpu/compile.js'
import { opOf } from '../model/gpu/ops/index.js'
import { reclaims } from '../model/gpu/types.js'
import type { ReadTrace } from '../report/narrator.js'
import { flushDependencyBroken } from './flushDependency.js'
import { GpuTraceFacts } from './gpuTraceFacts.js'
import { pageAccounting } from './pageConservation.js'
import { lockHeldBroken } from './lockHeld.js'

/** The explanation of a violation of property `id` by `trace`; empty for a property it has no words for. */
export function explainGpuViolation(v: GpuView, id: string, trace: ReadTrace<Action>): string[] {
  const n = trace.actions.length
  if (n === 0) return []
  const x = new Explainer(v, trace)
  switch (id) {
    case 'rule-4':
      return x.rule4()
    case 'rule-5':
      return x.rule5()
    case 'rule-6':
      return x.rule6()
    case 'signalling':
      return x.signalling()
    case 'fence-sanity':
      return x.sanity()
    case 'gpu-access':
      return x.gpuAccess()
    case 'lock-order':
      return x.lockOrder()
    case 'dma-fence-progress':
      return x.progress()
    case 'memory-progress':
      return x.liveness()
    case 'rule-1':
      return x.rule1()
    case 'rule-2':
      return x.rule2()
    case 'rule-7':
      return x.rule7()
    case 'notifier-nonblock':
      return x.nonblock()
    case 'flush-dependency':
      return x.flushDependency()
    case 'page-conservation':
      return x.pageConservation()
    case 'lock-held':
      return x.lockHeld()
    default:
      return []
  }
}

/** The explanation of each rule, read off the trace by the facts it extends. */
class Explainer extends GpuTraceFacts {
  // ---- the rules ------------------------------------------------------------------------------

  pageConservation(): string[] {
    const why = pageAccounting(this.v)(this.post)
    return why ? [`page ${why.kind}: ${why.what}`] : []
  }

  flushDependency(): string[] {
    const t = this.thread()
    const why = t >= 0 ? flushDependencyBroken(this.v, this.post, t) : undefined
    return why ? [`workqueue: ${why} (kernel/workqueue.c: check_flush_dependency @ v6.12 warns once)`] : []
  }

  lockHeld(): string[] {
    const why = lockHeldBroken(this.v, this.pre, this.a)
    return why ? [`lock held broken: ${why}`] : []
  }

  rule4(): string[] {
    const t = this.thread()
    const w = t >= 0 ? this.blockingWait(this.post, t) : undefined
    if (!w) return []
    const held = this.v.heldBy(this.post, t)
    const cls = (l: number): string => this.d.locks[l]!.cls
    const out: string[] = []
    for (const fe of w.fences) {
      if (this.d.fences[fe]!.kind === 'hmm') continue
      const sig = this.signallers(fe)
      const needed = held.filter((l) => [...this.v.signalPathLocks[fe]!].some((x) => cls(x) === cls(l)))
      const reclaim = this.inReclaim(this.post, t) && this.v.signalPathReclaims[fe]!
      if (!needed.length && !reclaim) continue
      out.push(`rule 4 broken: ${this.T(t)} waits on ${this.F(fe)} inside a critical section that ${this.F(fe)}'s signalling path needs`)
      out.push(`  ${this.T(t)} waits: ${this.S(w.step)} for ${this.F(fe)}${w.where}`)
      for (const l of needed) out.push(`  ${this.T(t)} holds: ${this.L(l)} across that wait`)
      if (reclaim) out.push(`  ${this.T(t)} is in direct reclaim (fs_reclaim held) across that wait`)
      out.push(`  ${this.F(fe)} signals on: ${sig.who}`)
      for (const u of sig.threads) {
        this.signalPath(u, fe).forEach((s, i) => {
          if ((s.op === 'lock' || s.op === 'trylock') && needed.some((l) => cls(l) === cls(s.lock)))
            out.push(`  ${this.T(u)} takes: ${this.S(s)} (its path, step ${i + 1}) before ${this.F(fe)} can signal`)
          if (reclaim && s.op === 'alloc' && reclaims(s.gfp))
            out.push(`  ${this.T(u)} allocates: ${this.S(s)} (its path, step ${i + 1}), which may enter reclaim`)
        })
      }
      const lock = needed.length ? needed.map((l) => this.d.locks[l]!.name).join(', ') : 'fs_reclaim'
      out.push(`  so in some interleaving the signaller blocks on ${lock}, held by ${this.T(t)}, while ${this.T(t)} waits for ${this.F(fe)}: a deadlock`)
    }
    return out
  }

  rule5(): string[] {
    const t = this.thread()
    const w = t >= 0 ? this.blockingWait(this.post, t) : undefined
    if (!w) return []
    const hmm = w.fences.filter((fe) => this.d.fences[fe]!.kind === 'hmm')
    const out = [`rule 5 broken: ${this.T(t)} waits on ${hmm.map((fe) => this.F(fe)).join(', ')} inside a critical section`]
    out.push(`  ${this.T(t)} waits: ${this.S(w.step)}${w.where}`)
    for (const c of this.sections(this.post, t)) out.push(`  critical because ${c}`)
    for (const fe of hmm)
      out.push(
        `  ${this.F(fe)} signals on: ${this.signallers(fe).who}; an hmm_fence may wait on page faults and on userspace, so it may never signal while the section is held`,
      )
    return out
  }

  rule6(): string[] {
    const t = this.thread()
    const w = t >= 0 ? this.blockingWait(this.post, t) : undefined
    if (!w) return []
    const hmm = w.fences.filter((fe) => this.d.fences[fe]!.kind === 'hmm')
    const pc = this.post.get(this.v.f.pc[t]!)
    const out = [
      `rule 6 broken: ${this.T(t)} waits on ${hmm.map((fe) => this.F(fe)).join(', ')} after taking a lock, on a path that goes on to publish a dma_fence`,
    ]
    out.push(`  ${this.T(t)} waits: ${this.S(w.step)}${w.where}`)
    for (const l of this.v.heldBy(this.post, t)) out.push(`  ${this.T(t)} holds: ${this.L(l)} across that wait`)
    if (this.inReclaim(this.post, t)) out.push(`  ${this.T(t)} is in direct reclaim (fs_reclaim held) across that wait`)
    this.d.threads[t]!.steps.forEach((s, i) => {
      if (i < pc) return
      const kernelJob = (s.op === 'arm' || s.op === 'push') && this.d.jobs[s.job]!.queue === 'kernel'
      if (kernelJob || (s.op === 'signal' && this.d.fences[s.fence]!.kind !== 'hmm'))
        out.push(`  ${this.T(t)} then publishes: ${this.S(s)} (its path, step ${i + 1})`)
    })
    out.push('  the hmm dependencies of a dma_fence must be awaited before any lock is taken (drm_syncobj_find_fence asserts no lock is held)')
    return out
  }

  signalling(): string[] {
    const t = this.thread()
    const m = this.m
    const st = m?.step
    if (t < 0 || !m || !st) return []
    const since = this.signallingSince(t)
    const head = (clause: string): string =>
      `signalling section broken, clause '${clause}': ${this.T(t)} does ${this.S(st)} inside a dma_fence signalling section`
    if (st.userFault) {
      return [
        head('no user fault'),
        `  ${since}`,
        `  ${this.T(t)} touches user memory (copy_from_user) at that step: a user fault takes mmap_lock and may allocate, and both may wait on dma_fences`,
      ]
    }
    if (st.op === 'alloc' && reclaims(st.gfp)) {
      return [
        head('no reclaim'),
        `  ${since}`,
        `  ${this.S(st)} may enter direct reclaim (fs_reclaim); reclaim runs shrinkers and mmu notifiers that wait on dma_fences, possibly this one`,
        '  allocate with GFP_NOWAIT or GFP_ATOMIC inside the section, or before dma_fence_begin_signalling()',
      ]
    }
    const l = m.acquires?.lock
    if (l === undefined) return []
    if (this.d.locks[l]!.cls === 'dma_resv') {
      const holders = this.holdersAcrossWait(l)
      return [
        head('no dma_resv'),
        `  ${since}`,
        `  ${this.L(l)} is a dma_resv lock: its holders may wait on dma_fences (eviction, dma_resv_wait_timeout), so the signalling path may wait on its own fence`,
        ...holders.map((h) => `  ${h}`),
      ]
    }
    return [
      head('no waiter-held lock'),
      `  chain 1, the signaller: ${since}, and takes ${this.L(l)} there (dma_fence_map -> ${this.d.locks[l]!.cls})`,
      ...this.holdersAcrossWait(l).map((h) => `  chain 2, a waiter: ${h} (${this.d.locks[l]!.cls} -> dma_fence_map)`),
      `  so a waiter can hold ${this.d.locks[l]!.name} while waiting for a fence whose signaller needs ${this.d.locks[l]!.name}`,
    ]
  }

  sanity(): string[] {
    const fe = this.m?.signals
    if (fe === undefined || !this.m) return []
    const fs = this.v.f.fs[fe]!
    const who = this.actorName(this.m)
    if (this.m.does === 'signal' && this.pre.get(fs) !== FS.pending) {
      const k = this.firstStep((s) => s.get(fs) !== FS.pending)
      return [
        `fence sanity broken, clause 'signals once': ${who} signals ${this.F(fe)}, which is already ${this.pre.get(fs) === FS.error ? 'signalled with an error' : 'signalled'}`,
        ...(k > 0 ? [`  first signalled at step ${k} (${this.stepWords(k)})`] : ['  it was signalled in the initial state']),
        '  dma_fence_signal() on a signalled fence returns -EINVAL: exactly one path may signal a fence (guard a timeout against the completion)',
      ]
    }
    const j = this.d.fences[fe]!.job
    const deps = j !== undefined ? this.v.depsOf(this.pre, j) : this.v.fenceDeps[fe]!
    const failed = deps.filter((dd) => this.pre.get(this.v.f.fs[dd]!) === FS.error)
    return [
      `fence sanity broken, clause 'errors propagate': ${this.F(fe)} signals without an error although its dependenc${failed.length === 1 ? 'y' : 'ies'} ${failed.map((dd) => this.F(dd)).join(', ')} failed`,
      ...failed.map((dd) => {
        const k = this.firstStep((s) => s.get(this.v.f.fs[dd]!) === FS.error)
        return k > 0 ? `  ${this.F(dd)} failed at step ${k} (${this.stepWords(k)})` : `  ${this.F(dd)} was in error from the start`
      }),
      `  ${who} must dma_fence_set_error() before signalling a fence whose dependencies failed (drm_sched propagates a dependency's error)`,
    ]
  }

  gpuAccess(): string[] {
    const { a, d } = this
    if (a.name === 'gpu_access_swapped')
      return [
        `GPU access broken: job ${String(a.job)} touches ${String(a.bo)}, which a swap-out freed while the job was in flight (ttm_bo_swapout_cb waits for the buffer to be idle first)`,
      ]
    const r = d.ranges.findIndex((x) => x.name === a.range)
    const p = d.pages.findIndex((x) => x.name === a.page)
    if (r < 0 || p < 0) return []
    const q = d.ranges[r]!.pages.indexOf(p)
    const pte = this.v.f.pte[r]![q]!
    const state = this.pre.get(pte)
    const out = [
      `GPU access broken: job ${String(a.job)} touches page ${d.pages[p]!.name} through ${state === PTE.stale ? 'a stale' : 'an invalid'} PTE of range ${d.ranges[r]!.name} after the invalidation's notifiers returned`,
    ]
    const k = this.firstStep((s) => s.get(pte) === state)
    if (k > 0) out.push(`  the PTE went ${state === PTE.stale ? 'stale' : 'invalid'} at step ${k} (${this.stepWords(k)})`)
    const notifiers = d.ranges[r]!.notifiers.filter((i) => d.notifiers[i]!.pages.includes(p))
    for (const i of notifiers) {
      const nt = d.notifiers[i]!
      out.push(`  notifier ${nt.name} covers ${d.pages[p]!.name}; its invalidate callback: ${nt.callback.map((s) => this.S(s)).join('; ') || 'nothing'}`)
    }
    if (!notifiers.length) out.push(`  no notifier of range ${d.ranges[r]!.name} covers ${d.pages[p]!.name}, so nothing zaps its PTE`)
    out.push('  upon return from invalidate the driver must stop using the SPTEs (mmu_interval_notifier_ops), or a fault retry must see the collision')
    return out
  }

  lockOrder(): string[] {
    const t = this.thread()
    const m = this.m
    if (t < 0 || !m) return []
    const heldLocks = this.v.heldBy(this.pre, t)
    const held = heldLocks.map((l) => this.L(l))
    // fs_reclaim is held in reclaim only when the allocation that entered it has __GFP_FS
    const fsIn = (s: typeof this.pre): boolean => {
      if (!this.inReclaim(s, t)) return false
      const at = this.d.threads[t]!.steps[s.get(this.v.f.pc[t]!)]
      return at ? (opOf(at).lockdep?.mightReclaim?.(at, m)?.fs ?? true) : true
    }
    const context = [...held, ...(fsIn(this.pre) ? ['fs_reclaim'] : [])]
    const holding = context.length ? ` holding ${context.join(', ')}` : ''
    const st = m.step
    const out = [`lock order: the last step, ${this.stepWords(this.n)}, closes the cycle`]
    // lockdep records an acquisition when it is attempted: the step may leave the thread blocked on
    // a lock it already holds (a shrinker in its own reclaim taking the lock it was entered under)
    const { step: next, where } = this.v.stepAt(this.post, t)
    const blocks = next ? opOf(next).lockdep?.blocksOn?.(next) : undefined
    const recursion = blocks && this.v.heldBy(this.post, t).includes(blocks.lock) ? blocks.lock : undefined
    if (st && (st.op === 'wait' || st.op === 'wait_resv')) out.push(`  ${this.T(t)} waits on a fence (__dma_fence_might_wait: dma_fence_map)${holding}`)
    else if (m.acquires) {
      const sig = this.d.threads[t]!.signalling || this.pre.get(this.v.f.sig[t]!) === 1
      out.push(`  ${this.T(t)} takes ${this.L(m.acquires.lock)}${holding}${sig ? ', inside a dma_fence signalling section (dma_fence_map held)' : ''}`)
    } else if (m.does === 'enter_reclaim') {
      const fs = st ? (opOf(st).lockdep?.mightReclaim?.(st, m)?.fs ?? true) : true
      out.push(`  ${this.T(t)} enters direct reclaim (${fs ? 'fs_reclaim, then mmu_notifier' : 'mmu_notifier only: without __GFP_FS no fs_reclaim'})${holding}`)
    } else if (m.does === 'invalidate_start') out.push(`  ${this.T(t)} starts an mmu notifier invalidation${holding}`)
    if (recursion !== undefined) {
      out.push(
        `  then${where.replace(/^ \((.*)\)$/, ', $1,')} it attempts ${this.S(next!)}, which it already holds: one lock taken twice by one thread (recursion, not an order between two classes)`,
      )
    } else out.push('  the other edges of the cycle are established by the traces below')
    return out
  }

  progress(): string[] {
    const s = this.post
    const { f } = this.v
    const out: string[] = []
    this.d.fences.forEach((fe, i) => {
      if (fe.kind === 'hmm' || s.get(f.pub[i]!) !== 1 || s.get(f.fs[i]!) !== FS.pending) return
      const k = this.firstStep((x) => x.get(f.pub[i]!) === 1)
      out.push(`dma_fence progress broken: ${this.F(i)} is published${k > 0 ? ` (step ${k}: ${this.stepWords(k)})` : ''} but may never signal`)
      out.push(`  ${this.F(i)} signals on: ${this.signallers(i).who}`)
      const deps = fe.job !== undefined ? this.v.depsOf(s, fe.job) : this.v.fenceDeps[i]!
      for (const dd of deps) {
        if (s.get(f.fs[dd]!) !== FS.pending) continue
        const hmm = this.d.fences[dd]!.kind === 'hmm'
        out.push(`  it depends on ${this.F(dd)}${hmm ? ', an hmm_fence userspace may never signal (an indefinite fence)' : ', still pending'}`)
      }
      const src = this.v.proxyOf[i]!
      if (src >= 0) out.push(`  it is a proxy of ${this.F(src)} (drm_syncobj), which signals only when that fence does`)
    })
    if (out.length) out.push('  a dma_fence must signal in bounded time whatever userspace does (dma-buf.rst, "Indefinite DMA Fences")')
    return out
  }

  liveness(): string[] {
    const loop = this.trace.loop
    if (loop === undefined) return []
    const s = this.trace.states[loop]!
    const { f } = this.v
    const gpu: string[] = []
    this.d.jobs.forEach((j, i) => {
      if (f.pf[i]! >= 0 && s.get(f.pf[i]!) === 1) gpu.push(`  job ${j.name}'s GPU page fault stays pending`)
      if (s.get(f.js[i]!) === JS.suspended) gpu.push(`  job ${j.name}'s queue stays evicted`)
    })
    // CPU-side actors: a CPU access that never completes, an hmm_range_fault that never returns
    const cpu: string[] = []
    this.d.threads.forEach((th, t) => {
      const pc = s.get(f.pc[t]!)
      if (th.steps.some((x) => x.op === 'cpu_fault') && pc !== th.steps.length) cpu.push(`  thread ${th.name}'s CPU access never completes`)
      th.steps.forEach((x, i) => {
        if (x.op === 'get_pages' && x.else === 'branch' && pc >= i && pc <= i + x.branch!)
          cpu.push(`  thread ${th.name}'s hmm_range_fault(${this.d.ranges[x.range]!.name}) never returns`)
      })
    })
    const out = [
      `progress broken: steps ${loop + 1}-${this.n} repeat for ever and ${gpu.length || !cpu.length ? 'the GPU stays stalled' : 'no fault is ever served'}`,
      ...gpu,
      ...cpu,
    ]
    if (f.active >= 0 && s.get(f.active) > 0) out.push('  an mmu notifier invalidation stays in flight')
    for (let k = loop + 1; k <= this.n; k++) {
      const m = this.v.meta.get(this.trace.actions[k - 1]!)
      if (m?.does === 'collision' || m?.does === 'invalidate_start' || m?.does === 'enter_reclaim')
        out.push(`  in the loop, step ${k}: ${this.stepWords(k)}${m.does === 'collision' ? ' (the work is thrown away)' : ''}`)
    }
    return out
  }

  rule1(): string[] {
    const s = this.post
    const { f } = this.v
    const out: string[] = []
    this.d.jobs.forEach((j, i) => {
      const st = s.get(f.js[i]!)
      if (j.queue !== 'kernel' || st === JS.idle || st === JS.done) return
      const hmm = this.v.depsOf(s, i).filter((dd) => this.d.fences[dd]!.kind === 'hmm')
      if (!hmm.length) return
      out.push(`rule 1 broken: kernel job ${j.name} (whose completion signals ${this.F(j.fence)}) depends on ${hmm.map((dd) => this.F(dd)).join(', ')}`)
      out.push(`  made so at step ${this.n} (${this.stepWords(this.n)})`)
    })
    this.d.fences.forEach((fe, i) => {
      const src = this.v.proxyOf[i]!
      const px = f.px[i]!
      if (src < 0 || fe.kind === 'hmm' || this.d.fences[src]!.kind !== 'hmm' || px < 0 || s.get(px) !== 1) return
      out.push(`rule 1 broken: ${this.F(i)} is a proxy (drm_syncobj) of ${this.F(src)}: a dma_fence that signals only when an hmm_fence does`)
      const k = this.firstStep((x) => x.get(px) === 1)
      if (k > 0) out.push(`  made so at step ${k} (${this.stepWords(k)})`)
    })
    if (out.length)
      out.push('  an hmm_fence may wait on page faults and userspace, so the dma_fence would inherit an unbounded wait (dma-buf.rst, "Indefinite DMA Fences")')
    return out
  }

  rule2(): string[] {
    const m = this.m
    if (!m) return []
    return [
      `rule 2 broken: ${this.actorName(m)} preempts dma_fence work: ${this.stepWords(this.n)}`,
      '  the engine lets hmm work preempt dma_fence work, so a dma_fence can wait for hmm work, which may wait on page faults and userspace',
    ]
  }

  rule7(): string[] {
    const fe = this.m?.signals
    if (fe === undefined) return []
    const j = this.d.fences[fe]!.job
    const pending =
      j !== undefined ? this.v.depsOf(this.pre, j).filter((dd) => this.d.fences[dd]!.kind !== 'hmm' && this.pre.get(this.v.f.fs[dd]!) === FS.pending) : []
    return [
      `rule 7 broken: ${this.F(fe)} signals at step ${this.n} while its dependenc${pending.length === 1 ? 'y' : 'ies'} ${pending.map((dd) => this.F(dd)).join(', ')} ${pending.length === 1 ? 'is' : 'are'} still pending`,
      ...(j !== undefined && !this.d.jobs[j]!.waitsDeps
        ? [`  job ${this.d.jobs[j]!.name}'s user queue does not wait for its dependencies before it runs`]
        : []),
      '  an hmm_fence may depend on a dma_fence only if it signals after it: the wait may come late, but it must happen',
    ]
  }

  nonblock(): string[] {
    const t = this.thread()
    const m = this.m
    if (t < 0 || !m?.site || !m.step) return []
    const at = m.at ?? 0
    const notifier = this.d.notifiers[m.site.segNotifier[at]!]
    return [
      `rule 38 broken: ${this.T(t)} may sleep in ${notifier ? `notifier ${notifier.name}'s` : 'an'} invalidate callback during a non-blockable invalidation`,
      `  the invalidation: ${this.S(m.site.step)} (mmu_notifier_range_blockable() is false)`,
      `  the sleeping step: ${this.S(m.step)}`,
      '  in a non-blockable invalidation a callback must use trylock and return false (-EAGAIN) when it would block',
    ]
  }
}
