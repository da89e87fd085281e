/**
 * Peterson's mutual exclusion algorithm for two processes (G. L. Peterson, "Myths about the mutual
 * exclusion problem", IPL 12(3), 1981). Process i loops forever:
 *
 *   ncs:  flag[i] := true
 *   turn: turn := j                      (j = 1 - i: after you)
 *   wait: await !flag[j] || turn = i     (one atomic test, as in the paper's model)
 *   cs:   flag[i] := false               (leave the critical section)
 *
 * flag[i] is stored (as in the algorithm) although it always equals pc[i] != ncs.
 * No state is terminal: the processes never stop, so any state without an enabled action is a
 * deadlock.
 */
import { LayoutBuilder, bool, enumOf, int, type Field } from '../../checker/layout.js'
import type { Action, Cursor, Model, Reader, Rule } from '../../checker/model.js'
import { mutexChecks } from './mutex.js'
import type { ParamSpec, ParamValues } from '../../checker/params.js'

export const PETERSON_PARAMS: readonly ParamSpec[] = []

/** Program counter values (indices into the pc enum). */
export const PC = { NCS: 0, TURN: 1, WAIT: 2, CS: 3 } as const

export interface PetersonFields {
  readonly flag: readonly Field[]
  readonly turn: Field
  readonly pc: readonly Field[]
}

export function peterson(_params: ParamValues = {}): Model<Action> & { fields: PetersonFields } {
  const b = new LayoutBuilder()
  const fields: PetersonFields = {
    flag: b.array('flag', 2, bool),
    turn: b.scalar('turn', int(0, 1)),
    pc: b.array('pc', 2, enumOf('ncs', 'turn', 'wait', 'cs')),
  }
  const layout = b.build()
  const { flag, turn, pc } = fields

  const rules: Rule<Action>[] = []
  for (let i = 0; i < 2; i++) {
    const j = 1 - i
    const rule = (name: string, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => {
      rules.push({ action: { name, p: i }, guard, apply })
    }
    rule(
      'want',
      (s) => s.get(pc[i]!) === PC.NCS,
      (s) => {
        s.set(flag[i]!, 1)
        s.set(pc[i]!, PC.TURN)
      },
    )
    rule(
      'yield_turn',
      (s) => s.get(pc[i]!) === PC.TURN,
      (s) => {
        s.set(turn, j)
        s.set(pc[i]!, PC.WAIT)
      },
    )
    rule(
      'enter',
      (s) => s.get(pc[i]!) === PC.WAIT && (s.get(flag[j]!) === 0 || s.get(turn) === i),
      (s) => s.set(pc[i]!, PC.CS),
    )
    rule(
      'leave',
      (s) => s.get(pc[i]!) === PC.CS,
      (s) => {
        s.set(flag[i]!, 0)
        s.set(pc[i]!, PC.NCS)
      },
    )
  }

  const initial = new Int32Array(layout.fieldCount)

  return {
    name: 'peterson',
    about: "Peterson's two-process mutual exclusion (proved: mutual exclusion, no deadlock)",
    params: {},
    layout,
    fields,
    init: () => [initial],
    rules,
    ...mutexChecks((s, i) => s.get(pc[i]!) === PC.CS, 'Peterson 1981: at most one process in its critical section'),
  }
}
