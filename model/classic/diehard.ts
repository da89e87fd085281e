/**
 * The Die Hard jugs (Die Hard with a Vengeance; the classic TLA+ example). Two jugs of SMALL and
 * BIG gallons, an unlimited tap and a drain: fill a jug, empty it, or pour one into the other
 * until the source is empty or the target is full. With 3 and 5 gallons, getting exactly 4 into
 * the big jug takes 6 steps.
 *
 * The puzzle is solved the model-checking way: the invariant "the big jug never holds GOAL
 * gallons" is meant to fail, and breadth-first search returns a shortest solution as its
 * counterexample. The matching `sometimes` records the goal as reachable.
 *
 * Reachable states, for coprime SMALL < BIG: every (s, b) with one jug empty or full, all of them
 * reachable because gcd(SMALL, BIG) = 1. For 3 and 5: 2*6 (s in {0,3}) + 2*2 (b in {0,5},
 * s in {1,2}) = 16.
 */
import { LayoutBuilder, int, type Field } from '../../checker/layout.js'
import { always, sometimes, type Action, type Cursor, type Model, type Reader, type Rule } from '../../checker/model.js'
import { InputError, type ParamSpec, type ParamValues } from '../../checker/params.js'

export const DIEHARD_PARAMS: readonly ParamSpec[] = [
  { name: 'SMALL', kind: 'int', min: 1, max: 30, default: 3, doc: 'capacity of the small jug, in gallons' },
  { name: 'BIG', kind: 'int', min: 1, max: 30, default: 5, doc: 'capacity of the big jug, in gallons' },
  { name: 'GOAL', kind: 'int', min: 0, max: 30, default: 4, doc: 'gallons wanted in the big jug (at most BIG)' },
]

export interface DiehardFields {
  readonly small: Field
  readonly big: Field
}

export function diehard(params: ParamValues = {}): Model<Action> & { fields: DiehardFields } {
  const SMALL = (params.SMALL ?? 3) as number
  const BIG = (params.BIG ?? 5) as number
  const GOAL = (params.GOAL ?? 4) as number
  if (GOAL > BIG) throw new InputError('FC138', `parameter GOAL (${GOAL}) must be at most BIG (${BIG})`, 'GOAL')

  const b = new LayoutBuilder()
  const fields: DiehardFields = {
    small: b.scalar('small', int(0, SMALL)),
    big: b.scalar('big', int(0, BIG)),
  }
  const layout = b.build()
  const { small, big } = fields

  const rules: Rule<Action>[] = []
  const rule = (name: string, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => {
    rules.push({ action: { name }, guard, apply })
  }
  // Guards leave out actions that would not change the state (filling a full jug, ...).
  rule(
    'fill_small',
    (s) => s.get(small) < SMALL,
    (s) => s.set(small, SMALL),
  )
  rule(
    'fill_big',
    (s) => s.get(big) < BIG,
    (s) => s.set(big, BIG),
  )
  rule(
    'empty_small',
    (s) => s.get(small) > 0,
    (s) => s.set(small, 0),
  )
  rule(
    'empty_big',
    (s) => s.get(big) > 0,
    (s) => s.set(big, 0),
  )
  rule(
    'pour_small_big',
    (s) => s.get(small) > 0 && s.get(big) < BIG,
    (s) => {
      const moved = Math.min(s.get(small), BIG - s.get(big))
      s.set(small, s.get(small) - moved)
      s.set(big, s.get(big) + moved)
    },
  )
  rule(
    'pour_big_small',
    (s) => s.get(big) > 0 && s.get(small) < SMALL,
    (s) => {
      const moved = Math.min(s.get(big), SMALL - s.get(small))
      s.set(big, s.get(big) - moved)
      s.set(small, s.get(small) + moved)
    },
  )

  const initial = new Int32Array(layout.fieldCount)

  return {
    name: 'diehard',
    about: `Die Hard jugs (${SMALL} and ${BIG} gallons): a shortest way to get ${GOAL} gallons into the big jug`,
    params: { SMALL, BIG, GOAL },
    layout,
    fields,
    init: () => [initial],
    rules,
    properties: [
      always(`big jug never holds ${GOAL} gallons`, (s) => s.get(big) !== GOAL, {
        cite: 'meant to fail: its shortest counterexample is the solution',
      }),
      sometimes(`big jug holds ${GOAL} gallons`, (s) => s.get(big) === GOAL),
    ],
  }
}
