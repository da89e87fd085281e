/**
 * The step language: every op module, in the order the language reference lists them. The
 * parser, compiler, wait-for graph, symmetry, properties and docs find an op here, never by a
 * switch on its name. A new primitive is one module file and one line below.
 */
import type { Step } from '../types.js'
import { addFenceOp } from './addFence.js'
import { callbackOp } from './callback.js'
import { branchOp } from './branch.js'
import { condOp } from './cond.js'
import { cpuFaultOp } from './cpuFault.js'
import { evictOp } from './evict.js'
import { evictionOp } from './eviction.js'
import { exitOp } from './exit.js'
import { faultOp } from './fault.js'
import { invalidateOp } from './invalidate.js'
import { lockOp } from './lock.js'
import { memoryOp } from './memory.js'
import { migrateOp } from './migrate.js'
import { migrateDstOp } from './migrateDst.js'
import { mirrorOp } from './mirror.js'
import { mmOp } from './mm.js'
import type { OpModule, Provision, StepSyntax } from './op.js'
import { pageOp } from './page.js'
import { residencyOp } from './residency.js'
import { preemptOp } from './preempt.js'
import { schedOp } from './sched.js'
import { signalOp } from './signal.js'
import { signallingOp } from './signalling.js'
import { submitOp } from './submit.js'
import { syncobjOp } from './syncobj.js'
import { tdrOp } from './tdr.js'
import { timeoutOp } from './timeout.js'
import { useOp } from './use.js'
import { userFaultOp } from './userFault.js'
import { spinOp } from './spin.js'
import { swapOp } from './swap.js'
import { waitOp } from './wait.js'
import { cpuOp } from './cpu.js'
import { poolOp } from './pool.js'
import { workOp } from './work.js'
import { wwOp } from './ww.js'

export const OPS: readonly OpModule[] = [
  lockOp,
  wwOp,
  spinOp,
  waitOp,
  timeoutOp,
  signalOp,
  callbackOp,
  memoryOp,
  evictOp,
  swapOp,
  preemptOp,
  submitOp,
  addFenceOp,
  signallingOp,
  userFaultOp,
  faultOp,
  schedOp,
  tdrOp,
  syncobjOp,
  invalidateOp,
  mirrorOp,
  exitOp,
  condOp,
  evictionOp,
  useOp,
  branchOp,
  workOp,
  poolOp,
  cpuOp,
  pageOp,
  migrateOp,
  migrateDstOp,
  cpuFaultOp,
  residencyOp,
  mmOp,
] as readonly OpModule[]

const byOp = new Map<string, OpModule>()
const byKey = new Map<string, StepSyntax>()
for (const op of OPS) {
  for (const o of op.ops) {
    if (byOp.has(o)) throw new Error(`step op '${o}' is claimed by two modules`)
    byOp.set(o, op)
  }
  for (const s of op.syntax) {
    if (byKey.has(s.key)) throw new Error(`step key '${s.key}' is claimed by two modules`)
    byKey.set(s.key, s)
  }
}

/** The module of a compiled step. */
export const opOf = (s: Step): OpModule => byOp.get(s.op)!
/** The syntax of a YAML step key, if it is one. */
export const syntaxOf = (key: string): StepSyntax | undefined => byKey.get(key)
/** Every YAML step key, in reference order. */
export const STEP_KEYS: readonly string[] = OPS.flatMap((op) => op.syntax.map((s) => s.key))

/** Does the step provide what a blocked actor waits for (submits, runs, resumes the job; signals the fence)? */
export const provides = (s: Step, want: Provision): boolean =>
  (opOf(s).provides?.(s) ?? []).some(
    (x) =>
      x.kind === want.kind &&
      ('job' in x
        ? 'job' in want && x.job === want.job
        : 'fence' in x
          ? 'fence' in want && x.fence === want.fence
          : 'work' in x
            ? 'work' in want && x.work === want.work
            : 'pool' in want && x.pool === want.pool),
  )
