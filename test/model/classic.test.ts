/**
 * The classic models have answers known without the checker: every number pinned here is derived
 * by hand in the comments (and in the model files), then compared with what the explorer finds.
 */
import test from 'ava'
import { explore, type Exploration } from '../../checker/explore.js'
import { decode, type Action, type Model } from '../../checker/model.js'
import { InputError } from '../../checker/params.js'
import { replay, traceTo, violationTrace } from '../../checker/trace.js'
import { CLASSIC_MODELS, brokenMutex, diehard, peterson } from '../../model/classic/index.js'
import { buildModel } from '../../model/registry.js'

/** Every stored state of an exploration, as sorted `toObject` JSON strings. */
function reached(x: Exploration<Action>): string[] {
  const out = new Set<string>()
  const w = new Uint32Array(x.model.layout.words)
  for (let i = 0; i < x.store.size; i++) {
    x.store.read(i, w)
    out.add(JSON.stringify(x.model.layout.toObject(decode(x.model, w))))
  }
  if (out.size !== x.store.size) throw new Error('the state store holds a state twice')
  return [...out].sort()
}

const sorted = (s: Set<string>): string[] => [...s].sort()

const withoutInvariants = <A extends Action>(m: Model<A>): Model<A> => ({ ...m, properties: m.properties.filter((p) => p.kind !== 'invariant') })

// ---------------------------------------------------------------------------------------------
// Die Hard, 3 and 5 gallons.
//
// BFS levels from (small, big) = (0, 0), by hand:
//   0: (0,0)
//   1: (3,0) (0,5)
//   2: (3,5) (0,3) (3,2)
//   3: (3,3) (0,2)
//   4: (1,5) (2,0)
//   5: (1,0) (2,5)
//   6: (0,1) (3,4)      <- big jug holds 4: fill_big, pour, empty_small, pour, fill_big, pour
//   7: (0,4) (3,1)
// 16 states, deepest level 7, goal first at depth 6. The reachable states are exactly those with
// one jug empty or full: small in {0,3} (12) plus big in {0,5} with small in {1,2} (4).
// ---------------------------------------------------------------------------------------------

test('diehard: exactly the 16 states with a jug empty or full are reachable', (t) => {
  const x = explore(withoutInvariants(diehard()))
  t.is(x.verdict.status, 'proved')
  t.is(x.verdict.stats.distinctStates, 16)
  t.is(x.verdict.stats.maxDepth, 7)
  const expected = new Set<string>()
  for (let s = 0; s <= 3; s++) {
    for (let b = 0; b <= 5; b++) if (s === 0 || s === 3 || b === 0 || b === 5) expected.add(JSON.stringify({ small: s, big: b }))
  }
  t.is(expected.size, 16)
  t.deepEqual(reached(x), sorted(expected))
})

test('diehard: the goal is reached first at depth 6, and its BFS witness trace has 6 steps', (t) => {
  const x = explore(withoutInvariants(diehard()))
  t.deepEqual(x.verdict.sometimes, [{ name: 'big jug holds 4 gallons', reached: true, depth: 6 }])
  const trace = traceTo(x, x.witnesses[0]!)
  t.is(trace.steps.length, 6)
  t.deepEqual(trace.steps.at(-1)!.state, { small: 3, big: 4 })
})

test('diehard: BFS counterexample to "big jug never holds 4" is a 6-step solution that replays', (t) => {
  const model = diehard()
  const x = explore(model, { order: 'bfs' })
  const v = x.verdict
  if (v.status !== 'violated') return t.fail(`expected a violation, got ${v.status}`)
  t.is(v.property.name, 'big jug never holds 4 gallons')
  t.is(v.property.kind, 'invariant')
  t.is(v.traceLength, 6)
  const trace = violationTrace(x)!
  t.is(trace.steps.length, 6)
  t.deepEqual(trace.initialState, { small: 0, big: 0 })
  t.is((trace.steps.at(-1)!.state as { big: number }).big, 4)
  // The only 6-step solutions start with fill_big (the fill_small route needs 8 steps).
  t.is(trace.steps[0]!.action.name, 'fill_big')
  const r = replay(model, trace, 'big jug never holds 4 gallons')
  t.true(r.ok, r.failure?.reason)
  t.is(r.violates, 'big jug never holds 4 gallons')
  // A trace read back from JSON replays too.
  t.true(replay(model, JSON.parse(JSON.stringify(trace)) as typeof trace).ok)
})

test('diehard: DFS also finds a solution, no shorter than the BFS one, and it replays', (t) => {
  const model = diehard()
  const x = explore(model, { order: 'dfs' })
  const v = x.verdict
  if (v.status !== 'violated') return t.fail(`expected a violation, got ${v.status}`)
  t.true(v.traceLength >= 6)
  const trace = violationTrace(x)!
  t.is(trace.steps.length, v.traceLength)
  t.true(replay(model, trace, v.property.name).ok)
})

test('diehard: with jugs of 2 and 4 gallons only even amounts exist, so 3 gallons is never reached', (t) => {
  // States: small in {0,2} x big in {0,2,4} = 6, all reachable.
  const x = explore(diehard({ SMALL: 2, BIG: 4, GOAL: 3 }))
  t.is(x.verdict.status, 'proved')
  t.is(x.verdict.stats.distinctStates, 6)
  t.deepEqual(x.verdict.sometimes, [{ name: 'big jug holds 3 gallons', reached: false }])
  t.deepEqual(x.witnesses, [-1])
})

test('diehard: a goal bigger than the big jug is an input error', (t) => {
  t.throws(() => diehard({ SMALL: 3, BIG: 5, GOAL: 6 }), { instanceOf: InputError, code: 'FC138', message: /GOAL/ })
})

// ---------------------------------------------------------------------------------------------
// Peterson. State = (pc0, pc1, turn); flag[i] = (pc[i] != ncs) always. Of the 4*4*2 = 32
// combinations, by hand (n = ncs, T = turn, W = wait, C = cs):
//   both in {n,T}: all 8 (either turn value is left by a full round of one process)
//   one in W, the other in {n,T}: only with turn pointing at the other (the waiter set it last;
//     the other cannot have set it since, it would have to pass the waiter): 4
//   one in C, the other in {n,T}: only with turn pointing at the other, same argument: 4
//   both in W: 2;  one in C, the other in W: only with turn = the one in C (the waiter set it
//     last): 2;  both in C: 0.
// 20 states. Each process reaches cs after want, yield_turn, enter: depth 3.
// ---------------------------------------------------------------------------------------------

function petersonExpected(): Set<string> {
  const out = new Set<string>()
  const pcs = ['ncs', 'turn', 'wait', 'cs'] as const
  const outside = (p: string): boolean => p === 'ncs' || p === 'turn'
  for (const p0 of pcs) {
    for (const p1 of pcs) {
      for (const turn of [0, 1]) {
        let ok: boolean
        if (outside(p0) && outside(p1)) ok = true
        else if (outside(p1))
          ok = turn === 1 // process 0 in W or C: it set turn := 1 last
        else if (outside(p0)) ok = turn === 0
        else if (p0 === 'wait' && p1 === 'wait') ok = true
        else if (p0 === 'cs' && p1 === 'wait') ok = turn === 0
        else if (p0 === 'wait' && p1 === 'cs') ok = turn === 1
        else ok = false
        if (ok) out.add(JSON.stringify({ flag: [p0 !== 'ncs', p1 !== 'ncs'], turn, pc: [p0, p1] }))
      }
    }
  }
  return out
}

test('peterson: proved (mutual exclusion, no deadlock) over exactly the 20 hand-derived states', (t) => {
  const x = explore(peterson())
  const v = x.verdict
  t.is(v.status, 'proved')
  t.is(v.stats.distinctStates, 20)
  const expected = petersonExpected()
  t.is(expected.size, 20)
  t.deepEqual(reached(x), sorted(expected))
})

test('peterson: both processes reach the critical section (depth 3 each)', (t) => {
  const v = explore(peterson()).verdict
  t.deepEqual(v.sometimes, [
    { name: 'process 0 in critical section', reached: true, depth: 3 },
    { name: 'process 1 in critical section', reached: true, depth: 3 },
  ])
})

test('peterson: proved under DFS as well, with the same 20 states', (t) => {
  const v = explore(peterson(), { order: 'dfs' }).verdict
  t.is(v.status, 'proved')
  t.is(v.stats.distinctStates, 20)
  t.true(v.sometimes.every((s) => s.reached))
})

test('peterson: no state is terminal, and the deadlock check is on', (t) => {
  const m = peterson()
  t.truthy(m.deadlock)
  // Dropping `enter`'s "turn = i" escape makes both waiters stuck: the deadlock check must see it.
  const stuck: Model<Action> = {
    ...m,
    rules: m.rules.map((r) => (r.action.name === 'enter' ? { ...r, guard: (s) => r.guard(s) && s.get(m.fields.flag[1 - (r.action.p as number)]!) === 0 } : r)),
  }
  const v = explore(stuck).verdict
  if (v.status !== 'violated') return t.fail(`expected a deadlock, got ${v.status}`)
  t.is(v.property.kind, 'deadlock')
  // want(0), want(1), and then both need yield_turn before waiting: 4 steps.
  t.is(v.traceLength, 4)
})

// ---------------------------------------------------------------------------------------------
// Broken mutex. Shortest violation: each process needs test then acquire, so 4 steps.
// Reachable states (pc0, pc1, lock), by hand: lock = 0 with any pc pair except (cs, cs) (after
// a release the releaser is out of cs, and re-entering writes lock = 1): 8; lock = 1 only with
// the last acquirer in cs: (cs, idle|set|cs) and (idle|set, cs): 5. Total 13.
// ---------------------------------------------------------------------------------------------

test('broken mutex: mutual exclusion is violated in exactly 4 steps (two tests, then two acquires)', (t) => {
  const model = brokenMutex()
  const x = explore(model)
  const v = x.verdict
  if (v.status !== 'violated') return t.fail(`expected a violation, got ${v.status}`)
  t.is(v.property.name, 'mutual exclusion')
  t.is(v.traceLength, 4)
  const trace = violationTrace(x)!
  t.is(trace.steps.length, 4)
  const names = trace.steps.map((s) => s.action.name)
  t.deepEqual(names.slice(0, 2), ['test', 'test'])
  t.deepEqual(names.slice(2), ['acquire', 'acquire'])
  t.deepEqual(
    trace.steps
      .slice(0, 2)
      .map((s) => s.action.p)
      .sort(),
    [0, 1],
  )
  t.deepEqual(trace.steps.at(-1)!.state, { lock: true, pc: ['cs', 'cs'] })
  const r = replay(model, trace, 'mutual exclusion')
  t.true(r.ok, r.failure?.reason)
})

test('broken mutex: the DFS counterexample replays too', (t) => {
  const model = brokenMutex()
  const x = explore(model, { order: 'dfs' })
  const v = x.verdict
  if (v.status !== 'violated') return t.fail(`expected a violation, got ${v.status}`)
  t.true(v.traceLength >= 4)
  t.true(replay(model, violationTrace(x)!, 'mutual exclusion').ok)
})

test('broken mutex: 13 reachable states, no deadlock', (t) => {
  const m = brokenMutex()
  const x = explore({ ...m, properties: [] })
  t.is(x.verdict.status, 'proved')
  t.is(x.verdict.stats.distinctStates, 13)
  const expected = new Set<string>()
  const pcs = ['idle', 'set', 'cs']
  for (const a of pcs) {
    for (const b of pcs) {
      if (!(a === 'cs' && b === 'cs')) expected.add(JSON.stringify({ lock: false, pc: [a, b] }))
      if (a === 'cs' || b === 'cs') expected.add(JSON.stringify({ lock: true, pc: [a, b] }))
    }
  }
  t.deepEqual(reached(x), sorted(expected))
})

test('every classic entry builds through the registry from its parameter defaults, under its own name', (t) => {
  // What `fencecheck check NAME` does with no --param: reports and traces name the model built.
  for (const e of CLASSIC_MODELS) {
    const m = buildModel(e.name, [])
    t.is(m.name, e.name)
    t.true(m.rules.length > 0, e.name)
  }
})
