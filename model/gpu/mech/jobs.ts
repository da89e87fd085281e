/**
 * The GPU side of jobs: the scheduler readies a kernel job once its dependencies signal
 * (drm_sched), user-queue work goes straight to the hardware; a job starts when it may take its
 * CUs, may fault (recoverably, keeping its CUs), completes and signals its fence; dma_fence work may
 * preempt hmm work, and the rule-2 design bug lets hmm work preempt dma_fence work.
 */
import { swapAccessRules } from '../ops/swap.js'
import type { Reader } from '../../../checker/model.js'
import type { CompileCx } from '../context.js'
import { opOf } from '../ops/index.js'
import type { Job } from '../types.js'
import { JS, PTE, type RuleMeta } from '../view.js'

export const JOB_CITE = [
  { path: 'drivers/gpu/drm/scheduler/sched_main.c', fn: 'drm_sched_run_job_work' },
  { path: 'drivers/gpu/drm/scheduler/sched_entity.c', fn: 'drm_sched_entity_pop_job' },
] as const

interface JobCx {
  readonly cx: CompileCx
  readonly job: Job
  readonly j: number
  jm: (does: string, extra?: Partial<RuleMeta>) => RuleMeta
  freeCUs: (s: Reader, e: number) => number
  mayTake: (s: Reader, j: number) => boolean
}

export function jobRules(cx: CompileCx): void {
  const { design, f } = cx
  const { engines, jobs, threads } = design
  const { js, usedCU, hmmCU } = f
  const scheduled = jobs.map((_, j) => threads.some((th) => th.steps.some((s) => (opOf(s).provides?.(s) ?? []).some((x) => x.kind === 'run' && x.job === j))))
  const freeCUs = (s: Reader, e: number): number => engines[e]!.cus - s.get(usedCU[e]!)
  /** Engine flush: fault-capable work runs only when no dma_fence work is pending on the engine. */
  const flushAllows = (s: Reader, j: number): boolean => {
    const job = jobs[j]!
    if (!engines[job.engine]!.flush || !job.faults) return true
    return jobs.every(
      (k, i) =>
        k.engine !== job.engine ||
        k.queue !== 'kernel' ||
        (s.get(js[i]!) !== JS.queued && s.get(js[i]!) !== JS.ready && s.get(js[i]!) !== JS.running && s.get(js[i]!) !== JS.preempted),
    )
  }
  /** CU reservation (dma-buf.rst option (b); seed 000 rule 3): hmm work never takes reserved CUs. */
  const mayTake = (s: Reader, j: number): boolean => {
    const job = jobs[j]!
    const e = job.engine
    if (freeCUs(s, e) < job.cus) return false
    if (job.queue === 'user' && s.get(hmmCU[e]!) + job.cus > engines[e]!.cus - engines[e]!.reserveForDma) return false
    return flushAllows(s, j)
  }
  jobs.forEach((job, j) => {
    const k: JobCx = { cx, job, j, jm: (does, extra = {}) => ({ actor: { kind: 'job', index: j }, does, ...extra }), freeCUs, mayTake }
    lifecycle(k, scheduled[j]!)
    faults(k)
    preemption(k)
    // a running job on a buffer that was swapped out (ops/swap.ts)
    if (design.properties.includes('gpu-access')) swapAccessRules(cx, j)
  })
}

function lifecycle(k: JobCx, scheduled: boolean): void {
  const { cx, job, j, jm, mayTake } = k
  const { js } = cx.f
  const eng = cx.design.engines[job.engine]!
  if (!scheduled) {
    // The scheduler runs a kernel job once its dependencies signal (drm_sched); user-queue work
    // goes straight to the hardware and waits for dma_fences there (seed 000, rule 7).
    cx.add(
      { name: 'job_ready', job: job.name },
      jm('ready'),
      job.queue === 'kernel' ? (s) => s.get(js[j]!) === JS.queued && cx.depsSettled(s, j) : (s) => s.get(js[j]!) === JS.queued,
      (c) => {
        if (job.queue === 'kernel' && job.propagateErrors && cx.depErrored(c, j)) cx.finishJob(c, j, true)
        else c.set(js[j]!, JS.ready)
      },
    )
  }
  cx.add(
    { name: 'job_start', job: job.name, engine: eng.name },
    jm('start'),
    (s) => s.get(js[j]!) === JS.ready && mayTake(s, j),
    (c) => c.set(js[j]!, JS.running),
  )
  cx.add(
    { name: 'job_resume', job: job.name, engine: eng.name },
    jm('resume'),
    (s) => s.get(js[j]!) === JS.preempted && mayTake(s, j),
    (c) => c.set(js[j]!, JS.running),
  )
}

function faults(k: JobCx): void {
  const { cx, job, j, jm } = k
  const { design } = cx
  const { js, pf, fdone, pte } = cx.f
  const eng = design.engines[job.engine]!
  const pteFaults = cx.fields.pteFaults[j]!
  if (pteFaults) {
    // XNACK on: an access through an invalid PTE is a recoverable fault; the job stalls.
    const slots = job.accesses.flatMap((ri) => pte[ri]!)
    cx.add(
      { name: 'gpu_page_fault_raised', job: job.name },
      jm('fault'),
      (s) => s.get(js[j]!) === JS.running && s.get(pf[j]!) === 0 && slots.some((x) => s.get(x) === PTE.invalid),
      (c) => c.set(pf[j]!, 1),
    )
  }
  // A GPU access the mirror must never allow: through a stale PTE (the page was freed, migrated
  // or reused after its notifier returned), or, on no-fault hardware, through an invalid one.
  // Accesses through a valid PTE change nothing and are not separate steps.
  if (design.properties.includes('gpu-access'))
    for (const ri of job.accesses) {
      const r = design.ranges[ri]!
      r.pages.forEach((q, kk) => {
        const x = pte[ri]![kk]!
        const bad = eng.xnack ? (v: number) => v === PTE.stale : (v: number) => v !== PTE.valid
        cx.add(
          { name: 'gpu_access', job: job.name, range: r.name, page: design.pages[q]!.name },
          jm('access', {}),
          pf[j]! >= 0 ? (s) => s.get(js[j]!) === JS.running && s.get(pf[j]!) === 0 && bad(s.get(x)) : (s) => s.get(js[j]!) === JS.running && bad(s.get(x)),
          () => {},
        )
      })
    }
  if (job.faults && !pteFaults) {
    // A recoverable GPU page fault: the job stalls, keeping its CUs (dma-buf.rst).
    cx.add(
      { name: 'gpu_page_fault_raised', job: job.name },
      jm('fault'),
      (s) => s.get(js[j]!) === JS.running && s.get(pf[j]!) === 0 && s.get(fdone[j]!) === 0,
      (c) => {
        c.set(pf[j]!, 1)
        c.set(fdone[j]!, 1)
      },
    )
  }
  const complete =
    job.queue === 'user' && job.waitsDeps
      ? (s: Reader) => s.get(js[j]!) === JS.running && (pf[j]! < 0 || s.get(pf[j]!) === 0) && cx.depsSettled(s, j)
      : (s: Reader) => s.get(js[j]!) === JS.running && (pf[j]! < 0 || s.get(pf[j]!) === 0)
  // A hung job (hangs: true) never completes on its own: only a reset ends it (ops/tdr.ts).
  if (job.hangs) return
  cx.add(
    { name: job.queue === 'user' ? 'user_job_complete' : 'job_complete', job: job.name, fence: design.fences[job.fence]!.name },
    jm('complete', { signals: job.fence, userspace: job.queue === 'user' }),
    complete,
    (c) => cx.finishJob(c, j, job.propagateErrors && cx.depErrored(c, j)),
  )
}

function preemption(k: JobCx): void {
  const { cx, job, j, jm, freeCUs } = k
  const { jobs, engines } = cx.design
  const { js, pf } = cx.f
  const e = job.engine
  const eng = engines[e]!
  // Preemption of hmm work by dma_fence work (seed 000 rule 3; dma-buf.rst option (a)).
  if (job.queue === 'kernel' && eng.preempt !== 'none') {
    jobs.forEach((victim, v) => {
      if (victim.engine !== e || victim.queue !== 'user') return
      cx.add(
        { name: 'preempt_hmm_work', job: job.name, victim: victim.name },
        jm('preempt'),
        (s) =>
          s.get(js[j]!) === JS.ready &&
          freeCUs(s, e) < job.cus &&
          s.get(js[v]!) === JS.running &&
          freeCUs(s, e) + victim.cus >= job.cus &&
          (pf[v]! < 0 || s.get(pf[v]!) === 0 || eng.preempt === 'faulting'),
        (c) => {
          c.set(js[v]!, JS.preempted)
          c.set(js[j]!, JS.running)
        },
      )
    })
  }
  // The design bug rule 2 forbids: hmm work preempting dma_fence work.
  if (job.queue === 'user' && eng.hmmPreemptsDma) {
    jobs.forEach((victim, v) => {
      if (victim.engine !== e || victim.queue !== 'kernel') return
      cx.add(
        { name: 'hmm_preempts_dma_work', job: job.name, victim: victim.name },
        jm('preempt_dma'),
        (s) => s.get(js[j]!) === JS.ready && freeCUs(s, e) < job.cus && s.get(js[v]!) === JS.running && freeCUs(s, e) + victim.cus >= job.cus,
        (c) => {
          c.set(js[v]!, JS.preempted)
          c.set(js[j]!, JS.running)
        },
      )
    })
  }
}
