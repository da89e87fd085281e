/**
 * What the explanations of GPU violations read off a trace (properties/gpuExplain.ts): the last
 * step and the states around it, the names of threads, fences and locks in kernel words, and the
 * facts of the design (who signals a fence, who holds a lock across a fence wait).
 */
import type { Action, Reader } from '../checker/model.js'
import type { GpuView, RuleMeta } from '../model/gpu/compile.js'
import { FS } from '../model/gpu/compile.js'
import { describeStep, stepText } from '../model/gpu/describe.js'
import { reclaims, type Step } from '../model/gpu/types.js'
import type { ReadTrace } from '../report/narrator.js'

export class GpuTraceFacts {
  readonly d: GpuView['design']
  readonly n: number
  /** the last step: its action, its metadata and the states around it */
  readonly a: Action
  readonly m: RuleMeta | undefined
  readonly pre: Reader
  readonly post: Reader

  constructor(
    readonly v: GpuView,
    readonly trace: ReadTrace<Action>,
  ) {
    this.d = v.design
    this.n = trace.actions.length
    this.a = trace.actions[this.n - 1]!
    this.m = v.meta.get(this.a)
    this.pre = trace.states[this.n - 1]!
    this.post = trace.states[this.n]!
  }

  // ---- words ----------------------------------------------------------------------------------

  T(t: number): string {
    return `thread ${this.d.threads[t]!.name}`
  }
  F(i: number): string {
    const fe = this.d.fences[i]!
    return `${fe.kind === 'hmm' ? 'hmm_fence' : 'dma_fence'} ${fe.name}`
  }
  /** a lock with its lockdep class when that differs from its name */
  L(l: number): string {
    const lk = this.d.locks[l]!
    const kind = lk.kind === 'ww' ? 'dma_resv' : lk.kind
    return lk.cls !== lk.name && lk.cls !== kind ? `${lk.name} (${kind}, class ${lk.cls})` : `${lk.name} (${kind})`
  }
  /** how a path step reads, with the lock verbs of the lock's kind (down_write for an rwsem) */
  S(s: Step): string {
    if (s.op === 'lock' || s.op === 'trylock') {
      const lk = this.d.locks[s.lock]!
      const verb = lk.kind === 'ww' ? 'dma_resv_lock' : lk.kind === 'rwsem' ? (s.mode === 'read' ? 'down_read' : 'down_write') : 'mutex_lock'
      return `${s.op === 'trylock' ? verb.replace('_lock', '_trylock').replace(/^down_(read|write)$/, 'down_$1_trylock') : verb}(${lk.name})`
    }
    return stepText(this.d, s).replace(/, on failure \w+$/, '')
  }
  /** the story text of trace step k (1-based), as the trace prints it */
  stepWords(k: number): string {
    const d = describeStep(this.v, this.trace.states[k - 1]!, this.trace.actions[k - 1]!, this.trace.states[k]!)
    return `${d.actor}: ${d.text}`
  }
  actorName(m: RuleMeta | undefined): string {
    if (!m) return 'the model'
    if (m.actor.kind === 'thread') return this.T(m.actor.index)
    if (m.actor.kind === 'job') return `job ${this.d.jobs[m.actor.index]!.name}`
    return `fence ${this.d.fences[m.actor.index]!.name}`
  }

  // ---- facts ----------------------------------------------------------------------------------

  thread(): number {
    return this.m && this.m.actor.kind === 'thread' ? this.m.actor.index : -1
  }
  inReclaim(s: Reader, t: number): boolean {
    const f = this.v.f.rpc[t]!
    return f >= 0 && s.get(f) > 0
  }
  inNotifier(s: Reader, t: number): boolean {
    const f = this.v.f.npc[t]!
    return f >= 0 && s.get(f) > 0
  }
  /** the wait thread t blocks in at state s, and its pending fences */
  blockingWait(s: Reader, t: number): { step: Step; fences: number[]; where: string } | undefined {
    const { step: st, where } = this.v.stepAt(s, t)
    const fs = this.v.f.fs
    if (st?.op === 'wait') return s.get(fs[st.fence]!) === FS.pending ? { step: st, fences: [st.fence], where } : undefined
    if (st?.op === 'wait_resv') {
      const mask = s.get(this.v.f.resv[st.bo]!)
      const pending = this.d.fences.map((_, i) => i).filter((i) => Math.floor(mask / 2 ** i) % 2 === 1 && s.get(fs[i]!) === FS.pending)
      return pending.length ? { step: st, fences: pending, where } : undefined
    }
    return undefined
  }
  /** the critical sections thread t is in at state s (seed 000's list), in words */
  sections(s: Reader, t: number): string[] {
    const th = this.d.threads[t]!
    const out: string[] = []
    if (this.v.criticalContext[t]) out.push(`it runs in ${th.context} context (a context that may be waited on)`)
    if (this.inReclaim(s, t))
      out.push(
        `it is in direct reclaim (${
          this.v
            .stepAt(s, t)
            .where.replace(/^ \(in reclaim: (.*)\)$/, '$1')
            .trim() || 'reclaim'
        }, fs_reclaim held)`,
      )
    if (this.inNotifier(s, t)) out.push('it is in an mmu notifier callback')
    const held = this.v.heldBy(s, t)
    if (held.length) out.push(`it holds ${held.map((l) => this.L(l)).join(', ')}`)
    return out
  }
  /** who makes fence fe signal: its job (and the threads that run it), the threads that signal it */
  signallers(fe: number): { who: string; threads: number[] } {
    const fence = this.d.fences[fe]!
    const threads: number[] = []
    this.d.threads.forEach((th, t) => {
      if (th.steps.some((s) => ((s.op === 'run' || s.op === 'await_deps') && this.d.jobs[s.job]!.fence === fe) || (s.op === 'signal' && s.fence === fe)))
        threads.push(t)
    })
    const names = threads.map((t) => this.T(t))
    if (fence.job !== undefined) {
      const j = this.d.jobs[fence.job]!
      const job = `${j.queue === 'user' ? 'compute' : 'kernel'} job ${j.name}`
      return { who: names.length ? `${job} completing, which ${names.join(' and ')} must run first` : `${job} completing`, threads }
    }
    const src = this.v.proxyOf[fe]!
    if (src >= 0 && !names.length) return { who: `the proxy of ${this.F(src)} (drm_syncobj)`, threads }
    return { who: names.length ? names.join(' and ') : 'nothing in this design', threads }
  }
  /** the steps of thread t's path that run before fence fe can signal (the path up to its signal) */
  signalPath(t: number, fe: number): readonly Step[] {
    const steps = this.d.threads[t]!.steps
    const k = steps.findIndex((s) => s.op === 'signal' && s.fence === fe)
    return k >= 0 ? steps.slice(0, k) : steps
  }
  /** where lock l (or its class) is held across a fence wait: thread paths, reclaim paths, notifier callbacks */
  holdersAcrossWait(l: number): string[] {
    const cls = this.d.locks[l]!.cls
    const hit = (held: readonly { lock: number }[]): boolean => held.some((h) => this.d.locks[h.lock]!.cls === cls)
    const out: string[] = []
    this.d.threads.forEach((th, t) =>
      th.steps.forEach((s, i) => {
        if ((s.op === 'wait' || s.op === 'wait_resv') && hit(this.v.pathHeld[t]![i]!))
          out.push(`${this.T(t)} holds it across ${this.S(s)} (its path, step ${i + 1})`)
        // Held when entering reclaim, it is held across every wait of the reclaim paths.
        const reclaimWait = this.v.reclaimSteps.findIndex((r) => r.op === 'wait' || r.op === 'wait_resv')
        if (s.op === 'alloc' && reclaims(s.gfp) && reclaimWait >= 0 && hit(this.v.pathHeld[t]![i]!))
          out.push(
            `${this.T(t)} holds it across ${this.S(s)} (its path, step ${i + 1}), which may enter reclaim, where ${this.v.reclaimSegName[reclaimWait]} waits: ${this.S(this.v.reclaimSteps[reclaimWait]!)}`,
          )
      }),
    )
    this.v.reclaimSteps.forEach((s, i) => {
      if ((s.op === 'wait' || s.op === 'wait_resv') && hit(this.v.reclaimHeld[i]!))
        out.push(`reclaim (${this.v.reclaimSegName[i]}) holds it across ${this.S(s)}`)
    })
    this.d.notifiers.forEach((nt) => {
      let held = false
      for (const s of nt.callback) {
        if ((s.op === 'lock' || s.op === 'trylock') && this.d.locks[s.lock]!.cls === cls) held = true
        if (s.op === 'unlock' && this.d.locks[s.lock]!.cls === cls) held = false
        if (held && (s.op === 'wait' || s.op === 'wait_resv')) out.push(`notifier ${nt.name}'s invalidate callback holds it across ${this.S(s)}`)
      }
    })
    return out
  }
  /** the trace step at which thread t entered its signalling section, or its declaration */
  signallingSince(t: number): string {
    if (this.d.threads[t]!.signalling) return `${this.T(t)} runs on a fence-signalling path (declared signalling, as drm_sched's run_job and timedout_job are)`
    for (let k = this.n - 1; k >= 1; k--) {
      const a = this.trace.actions[k - 1]!
      const m = this.v.meta.get(a)
      if (m?.actor.kind === 'thread' && m.actor.index === t && (m.does === 'arm' || m.does === 'begin_signalling')) {
        return `${this.T(t)} is inside a dma_fence signalling section since step ${k} (${this.stepWords(k)})`
      }
    }
    return `${this.T(t)} is inside a dma_fence signalling section`
  }
  /** the first trace step (1-based) after which `test` holds, or 0 */
  firstStep(test: (s: Reader) => boolean): number {
    for (let k = 1; k <= this.n; k++) if (test(this.trace.states[k]!) && !test(this.trace.states[k - 1]!)) return k
    return 0
  }
}
