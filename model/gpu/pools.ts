/**
 * The counting resources of a design, for partial-order reduction (checker/por.ts counters): the
 * CU pools of its engines and the free VRAM and system pages.
 *
 * CU pools are places of their own. An engine's used CUs and the CUs hmm work holds are derived slots
 * (compile.ts derive: the CUs of its running jobs); a rule that reads them depends only on how
 * many CUs are taken, not on which job is in which non-running state. So the derived slots read
 * the pool's place instead of every job's state, and every rule that may move a job of the engine
 * into or out of the running state writes the pool: the rules that write the state of one of its
 * jobs, except a job becoming ready (queued to ready, or to done when a dependency failed: never
 * running before or after, mech/jobs.ts lifecycle).
 *
 * Each rule is also classified per pool (the counter kinds of checker/por.ts):
 *  - take: job_start and job_resume. The guard (mech/jobs.ts mayTake) asks for at least the job's
 *    CUs free and, for hmm work, its CUs within the unreserved ones: true stays true when fewer CUs
 *    are taken. The effect moves the job to running: it never gives CUs back.
 *  - release: job_complete and user_job_complete. The guard reads the job's own state, its fault
 *    flag and its dependencies' fences, never a pool; the effect moves a running job to done: it
 *    never takes CUs. Likewise a thread's step whose failure kills the jobs its path serves and
 *    that writes no job state otherwise (context.ts killJob: to done; no thread rule reads a pool).
 * Every other rule that reads or writes a pool (preemption reads that too few CUs are free) is
 * neither, and depends on every rule touching it. Two takes depend on each other only while the
 * pool is not abundant (below).
 *
 * The free pages of a pool are a stored field; a take or a release adds a constant to it (so any
 * two of them commute where both are enabled):
 *  - take: an allocation from the pool (ops/memory.ts alloc: needs a free page, takes one), and a
 *    swap-out from VRAM for the system pool (ops/swap.ts: needs a system page free, leaves the
 *    count as it was).
 *  - release: a swap-out gives its pool a page back (from system: a system page; from VRAM: a VRAM
 *    page).
 *  - untouched (the op's footprint names both pools): a swap-out from system and one that fails
 *    neither read nor change the VRAM count.
 * Entering reclaim and a failed allocation read that the pool is empty, and freeing a page stops
 * at the pool's size (two frees and an allocation do not commute at the top): neither kind.
 */
import type { Action, Reader } from '../../checker/model.js'
import type { Counter } from '../../checker/por.js'
import type { CompileCx } from './context.js'
import { JS, type RuleMeta } from './view.js'

type Places = (readonly number[] | 'all')[]

/** names of the job rules whose guards never read a pool (mech/jobs.ts) */
const NO_POOL = new Set(['job_ready', 'job_complete', 'user_job_complete', 'gpu_page_fault_raised', 'gpu_access'])
const TAKES = new Set(['job_start', 'job_resume'])
const RELEASES = new Set(['job_complete', 'user_job_complete'])

/**
 * Add the pools' places (from `first` on) to the rules' reads and writes (in place); returns the
 * derived slots' inputs, the pools as counters, the rules never enabled (a resume of a job nothing
 * preempts) and the number of places added.
 */
export function pools(
  cx: Omit<CompileCx, 'stepRules'>,
  meta: ReadonlyMap<Action, RuleMeta>,
  first: number,
  reads: Places,
  writes: Places,
  kills: ReadonlySet<Action>,
): { derivedInputs: Map<number, number[]>; counters: Counter[]; dead: Uint8Array; added: number } {
  const { design, f, rules } = cx
  const { jobs, engines } = design
  const used = (e: number): number => first + 2 * e
  const hmm = (e: number): number => first + 2 * e + 1
  const derivedInputs = new Map<number, number[]>()
  engines.forEach((_, e) => {
    derivedInputs.set(f.usedCU[e]!, [used(e)])
    derivedInputs.set(f.hmmCU[e]!, [hmm(e)])
  })
  // the pools a job's state counts in
  const poolsOf = jobs.map((job) => (job.queue === 'user' ? [used(job.engine), hmm(job.engine)] : [used(job.engine)]))
  const jobOfState = new Map<number, number>()
  jobs.forEach((_, j) => jobOfState.set(f.js[j]!, j))
  const kinds = engines.flatMap(() => [new Int8Array(rules.length), new Int8Array(rules.length)])
  rules.forEach((r, k) => {
    const m = meta.get(r.action)!
    const name = (r.action as { name?: string }).name ?? ''
    const isJob = m.actor.kind === 'job'
    const w = writes[k]!
    const rd = reads[k]!
    if (w === 'all' || rd === 'all') return
    const wrote = new Set<number>()
    if (!(isJob && name === 'job_ready')) for (const x of w) if (jobOfState.has(x)) for (const p of poolsOf[jobOfState.get(x)!]!) wrote.add(p)
    const readPools = isJob && !NO_POOL.has(name) ? [used(jobs[m.actor.index]!.engine), hmm(jobs[m.actor.index]!.engine)] : []
    writes[k] = [...w, ...wrote]
    reads[k] = [...rd, ...wrote, ...readPools]
    if (isJob && TAKES.has(name)) for (const p of readPools) kinds[p - first]![k] = 1
    if ((isJob && RELEASES.has(name)) || kills.has(r.action)) for (const p of wrote) kinds[p - first]![k] = 2
  })
  // A pool is abundant when the CUs of every job of the engine not done yet (for hmm work: of
  // every user-queue job) fit in it (in its unreserved CUs): each job holds at most its own CUs
  // at a time, and a done job never runs again (its state is final), so every start finds its CUs
  // whatever runs first, and the pool stays abundant.
  const abundant = (e: number, hmmOnly: boolean): ((s: Reader) => boolean) => {
    const mine = jobs.flatMap((job, j) => (job.engine === e && (!hmmOnly || job.queue === 'user') ? [j] : []))
    const room = engines[e]!.cus - (hmmOnly ? engines[e]!.reserveForDma : 0)
    return (s) => {
      let need = 0
      for (const j of mine) if (s.get(f.js[j]!) !== JS.done) need += jobs[j]!.cus
      return need <= room
    }
  }
  const counters: Counter[] = kinds.map((kind, i) => ({
    place: first + i,
    kind,
    slot: i % 2 === 0 ? f.usedCU[i >> 1]! : f.hmmCU[i >> 1]!,
    counts: 'taken' as const,
    abundant: abundant(i >> 1, i % 2 === 1),
  }))
  counters.push(...memoryPools(cx, meta))
  // A job is preempted only by a preemption rule naming it (mech/jobs.ts preemption) or, on a
  // flushing engine, by a kernel submission when it may fault (ops/submit.ts push): without either
  // its resume is never enabled.
  const victims = new Set(rules.map((r) => (r.action as { victim?: string }).victim).filter((v) => v !== undefined))
  const dead = Uint8Array.from(rules, (r) => {
    const a = r.action as { name?: string; job?: string }
    const j = jobs.findIndex((x) => x.name === a.job)
    return meta.get(r.action)!.actor.kind === 'job' &&
      a.name === 'job_resume' &&
      j >= 0 &&
      !victims.has(a.job!) &&
      !(jobs[j]!.faults && engines[jobs[j]!.engine]!.flush)
      ? 1
      : 0
  })
  return { derivedInputs, counters, dead, added: 2 * engines.length }
}

/** The free VRAM and system pages as counters (see the top of the file). */
function memoryPools(cx: Omit<CompileCx, 'stepRules'>, meta: ReadonlyMap<Action, RuleMeta>): Counter[] {
  const { f, rules } = cx
  const vram = new Int8Array(rules.length)
  const system = new Int8Array(rules.length)
  rules.forEach((r, k) => {
    if (meta.get(r.action)!.actor.kind !== 'thread') return
    const a = r.action as { name?: string; pool?: string; from?: string }
    if (a.name === 'alloc') (a.pool === 'vram' ? vram : system)[k] = 1
    else if (a.name === 'swapout' && a.from === 'system') {
      system[k] = 2
      vram[k] = 3
    } else if (a.name === 'swapout' && a.from === 'vram') {
      vram[k] = 2
      system[k] = 1
    } else if (a.name === 'swapout_failed') vram[k] = 3
  })
  return [
    { place: f.vram, kind: vram, slot: f.vram, counts: 'free' },
    { place: f.system, kind: system, slot: f.system, counts: 'free' },
  ]
}
