/**
 * Where each actor of a GPU state stands for the wait-for graph (waitFor.ts): a thread is finished,
 * active, idle or blocked; a job is active or not. One definition, used by the graph and by the
 * deadlock invariant's shortcut (hasStuck: no blocked actor, no graph).
 */
import type { Reader } from '../../checker/model.js'
import { MemoBudget, memoOfOne } from '../../checker/readMemo.js'
import { JS, type GpuView } from './view.js'
import { waitStatics } from './waitStatics.js'

/** How a thread stands in a state: done with its path, able to move, idle (waiting for work, or a
 * callback not added yet), or blocked (nothing enabled, or only a busy retry). */
export const FINISHED = 0
export const ACTIVE = 1
export const IDLE = 2
export const BLOCKED = 3

/** Is any of the rules `list` enabled in `s`? */
export function anyEnabled(v: GpuView, s: Reader, list: readonly number[]): boolean {
  const rules = v.rules
  for (let k = 0; k < list.length; k++) {
    const rule = rules[list[k]!]!
    const at = rule.requires
    if (at !== undefined && s.get(at.field) !== at.value) continue
    if (rule.guard(s)) return true
  }
  return false
}

/**
 * The one definition of a thread's standing, for the graph and for the shortcut (hasStuck). A busy
 * retry is blocked; with timeouts ignored, so is a wait whose only way on is its timeout. A
 * repeating worker waiting at its first step for work is idle, not blocked; so is a fence callback
 * not added yet (ops/callback.ts).
 */
export function threadStanding(v: GpuView, s: Reader, t: number, ignoreTimeouts: boolean): number {
  const { design, f } = v
  const S = waitStatics(v)
  const pc = s.get(f.pc[t]!)
  const rpc = f.rpc[t]! >= 0 ? s.get(f.rpc[t]!) : 0
  const finished = pc === design.threads[t]!.steps.length && rpc === 0
  const active = !finished && anyEnabled(v, s, v.actorRules.thread[t]!)
  if (!active && v.idle(s, t)) return IDLE
  if (finished) return FINISHED
  if (!active) return BLOCKED
  if (anyEnabled(v, s, S.spinRules[t]!)) return BLOCKED
  if (ignoreTimeouts && anyEnabled(v, s, S.timeoutRules[t]!) && !anyEnabled(v, s, S.otherRules[t]!)) return BLOCKED
  return ACTIVE
}

/** Each actor's standing in one state, computed once: threads (above) and jobs (has an enabled rule). */
export interface Standing {
  readonly thread: Int8Array
  readonly jobActive: Uint8Array
  /** some thread or job is blocked */
  blocked: boolean
}

/** Per view: each thread's standing (with timeouts escaping, and ignored) and each job's activity,
 * memoized by the fields they read (the guards of the actor's rules). */
export interface StandingMemos {
  readonly thread: readonly ((s: Reader) => number)[]
  readonly threadIgnoring: readonly ((s: Reader) => number)[]
  readonly job: readonly ((s: Reader) => boolean)[]
}
const memos = new WeakMap<GpuView, StandingMemos>()

export function standingMemos(v: GpuView): StandingMemos {
  let m = memos.get(v)
  if (!m) {
    const budget = new MemoBudget(1 << 22)
    const { threads, jobs } = v.design
    m = {
      thread: threads.map((_th, t) => memoOfOne(v.slots, budget, (s) => threadStanding(v, s, t, false), v.ranges)),
      threadIgnoring: threads.map((_th, t) => memoOfOne(v.slots, budget, (s) => threadStanding(v, s, t, true), v.ranges)),
      job: jobs.map((_job, j) => memoOfOne(v.slots, budget, (s) => anyEnabled(v, s, v.actorRules.job[j]!), v.ranges)),
    }
    memos.set(v, m)
  }
  return m
}

export function standingOf(v: GpuView, s: Reader, ignoreTimeouts: boolean, into?: Standing): Standing {
  const { design, f } = v
  const out = into ?? { thread: new Int8Array(design.threads.length), jobActive: new Uint8Array(design.jobs.length), blocked: false }
  const m = standingMemos(v)
  const thread = ignoreTimeouts ? m.threadIgnoring : m.thread
  let blocked = false
  for (let t = 0; t < out.thread.length; t++) if ((out.thread[t] = thread[t]!(s)) === BLOCKED) blocked = true
  for (let j = 0; j < out.jobActive.length; j++) {
    const active = m.job[j]!(s)
    out.jobActive[j] = active ? 1 : 0
    const st = s.get(f.js[j]!)
    if (!active && st !== JS.done && st !== JS.idle) blocked = true
  }
  out.blocked = blocked
  return out
}
