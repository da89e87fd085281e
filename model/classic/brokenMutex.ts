/**
 * A naive lock that does not work: each process tests the lock and sets it in two separate steps.
 *
 *   idle: await lock = 0      (test)
 *   set:  lock := 1           (acquire: too late, the other process may have tested too)
 *   cs:   lock := 0           (release)
 *
 * Both processes can pass the test before either sets the lock, so mutual exclusion fails. Each
 * process needs two steps to reach its critical section, so the shortest counterexample has
 * 4 steps: test(0), test(1), acquire(0), acquire(1).
 *
 * Reachable states: all 9 program-counter pairs with lock = 0 (once both were in, the first release
 * clears the lock under the other), and with lock = 1 only those where a process is in cs (the
 * last write of 1 was an acquire whose process has not released yet): 5. Total 14.
 */
import { LayoutBuilder, bool, enumOf, type Field } from '../../checker/layout.js'
import type { Action, Cursor, Model, Reader, Rule } from '../../checker/model.js'
import { mutexChecks } from './mutex.js'
import type { ParamSpec, ParamValues } from '../../checker/params.js'

export const BROKEN_MUTEX_PARAMS: readonly ParamSpec[] = []

export const MPC = { IDLE: 0, SET: 1, CS: 2 } as const

export interface BrokenMutexFields {
  readonly lock: Field
  readonly pc: readonly Field[]
}

export function brokenMutex(_params: ParamValues = {}): Model<Action> & { fields: BrokenMutexFields } {
  const b = new LayoutBuilder()
  const fields: BrokenMutexFields = {
    lock: b.scalar('lock', bool),
    pc: b.array('pc', 2, enumOf('idle', 'set', 'cs')),
  }
  const layout = b.build()
  const { lock, pc } = fields

  const rules: Rule<Action>[] = []
  for (let i = 0; i < 2; i++) {
    const rule = (name: string, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => {
      rules.push({ action: { name, p: i }, guard, apply })
    }
    rule(
      'test',
      (s) => s.get(pc[i]!) === MPC.IDLE && s.get(lock) === 0,
      (s) => s.set(pc[i]!, MPC.SET),
    )
    rule(
      'acquire',
      (s) => s.get(pc[i]!) === MPC.SET,
      (s) => {
        s.set(lock, 1)
        s.set(pc[i]!, MPC.CS)
      },
    )
    rule(
      'release',
      (s) => s.get(pc[i]!) === MPC.CS,
      (s) => {
        s.set(lock, 0)
        s.set(pc[i]!, MPC.IDLE)
      },
    )
  }

  const initial = new Int32Array(layout.fieldCount)

  return {
    name: 'broken-mutex',
    about: 'a test-then-set lock that is not atomic (violates mutual exclusion in 4 steps)',
    params: {},
    layout,
    fields,
    init: () => [initial],
    rules,
    ...mutexChecks((s, i) => s.get(pc[i]!) === MPC.CS),
  }
}
