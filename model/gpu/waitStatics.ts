/**
 * What the wait-for graph (waitFor.ts) reads of the design alone, computed once per view: node ids
 * and labels, each thread's rules by what they do, and who can still provide what. The graph is
 * built in every state in which some actor is blocked, so nothing here is recomputed per state.
 */
import { provides } from './ops/index.js'
import type { Provision } from './ops/op.js'
import { stepReclaims } from './paths.js'
import type { Reader } from '../../checker/model.js'
import type { GpuView, NodeId } from './view.js'

/** Where a thread may provide one thing (a Provision): the three places `remaining` looks. */
interface Provider {
  /** the last step of its path that provides it, or -1 */
  readonly lastPath: number
  /** the invalidation sites of the thread whose callbacks provide it */
  readonly sites: readonly { readonly frame: 'path' | 'reclaim'; readonly at: number }[]
}

export interface WaitStatics {
  readonly ids: {
    readonly thread: readonly NodeId[]
    readonly job: readonly NodeId[]
    readonly fence: readonly NodeId[]
    readonly lock: readonly NodeId[]
    readonly engine: readonly NodeId[]
  }
  readonly labels: {
    readonly who: readonly string[]
    readonly job: readonly string[]
    readonly fence: readonly string[]
    readonly lock: readonly string[]
    readonly engine: readonly string[]
  }
  /** the ids of thread and job nodes (the actors) */
  readonly actorIds: ReadonlySet<NodeId>
  /** the kind (index into the graph's builders: thread, job, engine, lock, fence) and index of each node id */
  readonly kindOf: ReadonlyMap<NodeId, readonly [number, number]>
  /** each thread's rules that busy-retry ('spin'), time out ('timeout'), and all the others but 'enable' */
  readonly spinRules: readonly (readonly number[])[]
  readonly timeoutRules: readonly (readonly number[])[]
  readonly otherRules: readonly (readonly number[])[]
  /** the last step of each thread's path that may enter reclaim, or -1 */
  readonly lastReclaims: Int32Array
  /** kernel-queue jobs of each engine */
  readonly kernelJobs: readonly (readonly number[])[]
  /** the thread that runs each queued job (the scheduler), or -1 */
  readonly scheduler: Int32Array
  /** threads with a step serving each job's page fault */
  readonly faultServers: readonly (readonly number[])[]
  /** providers of `want`, per thread (memoized by want) */
  providers(want: Provision): readonly Provider[]
  /** does a reclaim step provide `want` (memoized with providers) */
  reclaimProvides(want: Provision): boolean
}

const known = new WeakMap<GpuView, WaitStatics>()

export function waitStatics(v: GpuView): WaitStatics {
  const had = known.get(v)
  if (had) return had
  const { design } = v
  const fenceName = (i: number): string =>
    `${design.fences[i]!.kind === 'hmm' ? 'hmm_fence' : design.fences[i]!.kind === 'preempt' ? 'preempt fence' : 'dma_fence'} ${design.fences[i]!.name}`
  const does = (r: number): string => v.meta.get(v.rules[r]!.action)!.does
  type Entry = { providers: Provider[]; reclaim: boolean }
  // Memoized by kind and index (no key to build per look-up).
  const memo: Record<Provision['kind'], (Entry | undefined)[]> = { submit: [], run: [], serve_fault: [], resume: [], signal: [], free: [], queue: [] }
  const indexOf = (w: Provision): number => ('job' in w ? w.job : 'fence' in w ? w.fence : 'work' in w ? w.work : w.pool === 'vram' ? 0 : 1)
  const entry = (want: Provision): Entry => {
    const row = memo[want.kind]
    const i = indexOf(want)
    let e = row[i]
    if (!e) {
      e = {
        providers: design.threads.map((th, t) => ({
          lastPath: th.steps.reduce((acc, x, k) => (provides(x, want) ? k : acc), -1),
          sites: v.sites.filter((x) => x.thread === t && x.steps.some((y) => provides(y, want))).map((x) => ({ frame: x.frame, at: x.at })),
        })),
        reclaim: v.reclaimSteps.some((x) => provides(x, want)),
      }
      row[i] = e
    }
    return e
  }
  const out: WaitStatics = {
    ids: {
      thread: design.threads.map((_x, t) => `thread:${t}`),
      job: design.jobs.map((_x, j) => `job:${j}`),
      fence: design.fences.map((_x, i) => `fence:${i}`),
      lock: design.locks.map((_x, l) => `lock:${l}`),
      engine: design.engines.map((_x, e) => `engine:${e}`),
    },
    labels: {
      who: design.threads.map((th) => `${th.work !== undefined ? 'work' : 'thread'} ${th.name}`),
      job: design.jobs.map((job) => `job ${job.name}`),
      fence: design.fences.map((_x, i) => fenceName(i)),
      lock: design.locks.map((lk) => `lock ${lk.name}`),
      engine: design.engines.map((eng) => `engine ${eng.name} (${eng.cus} CU${eng.cus > 1 ? 's' : ''})`),
    },
    actorIds: new Set([...design.threads.map((_x, t) => `thread:${t}`), ...design.jobs.map((_x, j) => `job:${j}`)]),
    kindOf: new Map<NodeId, readonly [number, number]>(
      (['thread', 'job', 'engine', 'lock', 'fence'] as const).flatMap((kind, code) =>
        (kind === 'thread'
          ? design.threads
          : kind === 'job'
            ? design.jobs
            : kind === 'engine'
              ? design.engines
              : kind === 'lock'
                ? design.locks
                : design.fences
        ).map((_x, i) => [`${kind}:${i}`, [code, i] as const] as const),
      ),
    ),
    spinRules: v.actorRules.thread.map((list) => list.filter((r) => does(r) === 'spin')),
    timeoutRules: v.actorRules.thread.map((list) => list.filter((r) => does(r) === 'timeout')),
    otherRules: v.actorRules.thread.map((list) => list.filter((r) => does(r) !== 'timeout' && does(r) !== 'enable')),
    lastReclaims: Int32Array.from(design.threads, (th) => th.steps.reduce((acc, x, k) => (stepReclaims(x) ? k : acc), -1)),
    kernelJobs: design.engines.map((_e, e) => design.jobs.flatMap((job, j) => (job.engine === e && job.queue === 'kernel' ? [j] : []))),
    scheduler: Int32Array.from(design.jobs, (_job, j) => design.threads.findIndex((th) => th.steps.some((x) => provides(x, { kind: 'run', job: j })))),
    faultServers: design.jobs.map((_job, j) =>
      design.threads.flatMap((th, t) => (th.steps.some((x) => provides(x, { kind: 'serve_fault', job: j })) ? [t] : [])),
    ),
    providers: (want) => entry(want).providers,
    reclaimProvides: (want) => entry(want).reclaim,
  }
  known.set(v, out)
  return out
}

/**
 * Can thread o still run a step that provides `want` in state s: a step of its path at or after its
 * pc (any step of a repeating worker, which starts over), a reclaim step while it is in reclaim or
 * may still enter it, a notifier callback of an invalidation among those.
 */
export function canProvide(v: GpuView, s: Reader, o: number, want: Provision): boolean {
  const { design, f } = v
  const S = waitStatics(v)
  const th = design.threads[o]!
  const p = S.providers(want)[o]!
  const pc = s.get(f.pc[o]!)
  const from = th.repeat ? 0 : pc
  if (p.lastPath >= from) return true
  const reclaim = (f.rpc[o]! >= 0 && s.get(f.rpc[o]!) > 0) || S.lastReclaims[o]! >= from
  if (reclaim && S.reclaimProvides(want)) return true
  for (const x of p.sites) if (x.frame === 'reclaim' ? reclaim : th.repeat || x.at >= pc) return true
  return false
}
