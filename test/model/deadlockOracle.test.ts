/**
 * The wait-for deadlock invariant (model/gpu/waitFor.ts) against an independent definition,
 * computed on the complete state graph of every bundled scenario-language design that checks
 * `deadlock`:
 *
 *   actor X is doomed in state s iff X is blocked in s (not finished, not an idle worker) and no
 *   state reachable from s lets X take a step that changes the state, or finish.
 *
 * The wait-for verdict is a present-state check, so it may lag behind (a state already doomed whose
 * cycle is not closed yet): such misses are counted and logged. It must never call an actor stuck
 * that can still move: that would be a false deadlock report, and the assertion is zero.
 */
import test from 'ava'
import { basename, join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { Cursor, type Action, type Model } from '../../checker/model.js'
import type { StateStore } from '../../checker/stateStore.js'
import { compileGpu, type GpuView, JS } from '../../model/gpu/compile.js'
import { buildDesign } from '../../model/gpu/spec.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { noDeadlockCheck } from '../bare.js'
import { ROOT } from '../root.js'

/** Designs above this many states are left out (the oracle stores every edge). */
const MAX_STATES = 50_000

const view = (m: Model<Action>): GpuView => (m as unknown as { view: GpuView }).view

interface Graph {
  readonly n: number
  readonly store: StateStore
  /** successors of state i: succ[i] is a list of [target, rule] pairs, self-loops included */
  readonly succ: readonly (readonly (readonly [number, number])[])[]
}

/** Every reachable state of the model, and every transition between them. */
function stateGraph(m: Model<Action>): Graph | { tooBig: number } {
  // No properties and no deadlock check: the search does not stop before the space is complete.
  // (and none left out: a run that leaves properties out and checks none is inconclusive)
  const bare: Model<Action> = { ...noDeadlockCheck(m), properties: [], omitted: [] }
  const x = explore(bare, { bounds: { maxStates: MAX_STATES + 1 } })
  if (x.verdict.status !== 'proved') return { tooBig: x.store.size }
  const W = m.layout.words
  const index = new Map<string, number>()
  const w = new Uint32Array(W)
  for (let i = 0; i < x.store.size; i++) {
    x.store.read(i, w)
    index.set(w.join(','), i)
  }
  const c = new Cursor(m.layout)
  const out = new Uint32Array(W)
  c.out = out
  const succ: [number, number][][] = []
  for (let i = 0; i < x.store.size; i++) {
    x.store.read(i, w)
    m.layout.decodeInto(w, 0, c.pre)
    m.derive?.(c.pre)
    const here: [number, number][] = []
    m.rules.forEach((rule, r) => {
      if (!rule.guard(c)) return
      out.set(w)
      rule.apply(c)
      const j = index.get(out.join(','))
      if (j === undefined) throw new Error(`state ${i}: rule ${r} leaves the explored space`)
      here.push([j, r])
    })
    succ.push(here)
  }
  return { n: x.store.size, store: x.store, succ }
}

/** Decoded values of state i, through a reusable cursor. */
const reader = (m: Model<Action>, store: StateStore): ((i: number) => Cursor) => {
  const c = new Cursor(m.layout)
  const w = new Uint32Array(m.layout.words)
  return (i: number): Cursor => {
    store.read(i, w)
    m.layout.decodeInto(w, 0, c.pre)
    m.derive?.(c.pre)
    return c
  }
}

interface OracleResult {
  readonly states: number
  /** (state, actor) pairs the wait-for graph calls stuck although the actor can move again */
  readonly falsePositives: number
  /** (state, actor) pairs the oracle calls doomed and the wait-for graph does not (yet) */
  readonly misses: number
  readonly stuckStates: number
  readonly doomedStates: number
  readonly examples: readonly string[]
}

/** Compare the wait-for verdict with the oracle in every reachable state; undefined if too big. */
function compare(m: Model<Action>): OracleResult | undefined {
  const v = view(m)
  const g = stateGraph(m)
  if ('tooBig' in g) return undefined
  const at = reader(m, g.store)
  const { design, f } = v
  const T = design.threads.length
  const actors = [...design.threads.map((_, t) => `thread:${t}`), ...design.jobs.map((_, j) => `job:${j}`)]
  // Fence-side mechanisms (preempt and proxy fences) are not actors the wait-for graph reports.
  const actorOf = m.rules.map((r) => {
    const a = v.meta.get(r.action)!.actor
    return a.kind === 'fence' ? -1 : a.kind === 'thread' ? a.index : T + a.index
  })
  const finished = (s: Cursor, a: number): boolean =>
    a < T ? s.get(f.pc[a]!) === design.threads[a]!.steps.length && (f.rpc[a]! < 0 || s.get(f.rpc[a]!) === 0) : s.get(f.js[a - T]!) === JS.done
  /** not finished, and not waiting for work (an idle repeating worker, a job not submitted) */
  const engaged = (s: Cursor, a: number): boolean => !finished(s, a) && (a < T ? !v.idle(s, a) : s.get(f.js[a - T]!) !== JS.idle)

  // Per actor, backward reachability from the states where it moves (a transition of its own that
  // changes the state; a retry that leaves the state as it was is no move) or has finished.
  const pred: number[][] = Array.from({ length: g.n }, () => [])
  g.succ.forEach((out, i) => out.forEach(([j]) => pred[j]!.push(i)))
  const canMove = actors.map(() => new Uint8Array(g.n))
  for (let i = 0; i < g.n; i++) {
    const s = at(i)
    for (let a = 0; a < actors.length; a++) if (finished(s, a)) canMove[a]![i] = 1
    for (const [j, r] of g.succ[i]!) if (j !== i && actorOf[r]! >= 0) canMove[actorOf[r]!]![i] = 1
  }
  for (const cm of canMove) {
    const stack: number[] = []
    for (let i = 0; i < g.n; i++) if (cm[i]) stack.push(i)
    while (stack.length) {
      for (const i of pred[stack.pop()!]!) {
        if (!cm[i]) {
          cm[i] = 1
          stack.push(i)
        }
      }
    }
  }

  let falsePositives = 0
  let misses = 0
  let stuckStates = 0
  let doomedStates = 0
  const examples: string[] = []
  for (let i = 0; i < g.n; i++) {
    const s = at(i)
    const stuck = new Set(v.waitFor(s).stuck)
    if (stuck.size) stuckStates++
    let doomedHere = false
    for (const [a, id] of actors.entries()) {
      const doomed = engaged(s, a) && !canMove[a]![i]
      if (doomed) doomedHere = true
      if (stuck.has(id) && !doomed) {
        falsePositives++
        if (examples.length < 3) examples.push(`state ${i}: ${id} is called stuck but can move again`)
      }
      if (doomed && !stuck.has(id)) misses++
    }
    if (doomedHere) doomedStates++
  }
  return { states: g.n, falsePositives, misses, stuckStates, doomedStates, examples }
}

const designs = [...scenarioFiles(join(ROOT, 'scenarios', 'gpu')), ...scenarioFiles(join(ROOT, 'scenarios', 'mem'))]
  .map((file) => ({ file, sc: loadScenario(file) }))
  .filter(({ sc }) => sc.model.name === 'gpu' && sc.design!.properties.includes('deadlock'))

test('the bundled designs that check deadlock are found', (t) => {
  // One test per design follows; an empty list would make the oracle pass vacuously.
  t.log(`${designs.length} scenario-language designs check deadlock`)
  t.true(designs.some(({ file }) => basename(file).startsWith('s01-')))
  t.true(designs.some(({ file }) => basename(file).startsWith('m11-')))
})

for (const { file, sc } of designs) {
  test(`${basename(file)}: every actor the wait-for graph calls stuck can never move again`, (t) => {
    const r = compare(sc.model)
    if (!r) {
      t.log(`not checked: more than ${MAX_STATES} states`)
      t.pass()
      return
    }
    t.log(`${r.states} states; wait-for stuck in ${r.stuckStates}, doomed by the oracle in ${r.doomedStates}; ${r.misses} (state, actor) misses`)
    t.is(r.falsePositives, 0, r.examples.join('\n'))
  })
}

// An allocation retry waits for a page of its pool from the threads that can still free one
// (ops/memory.ts waitsOn): thread a is not stuck while thread b is still to free its page.
test('alloc retry: a thread retrying an allocation that another thread satisfies is not stuck', (t) => {
  const m = compileGpu(
    buildDesign({
      engines: [{ name: 'gfx', cus: 1 }],
      memory: { vram: 0, system: 0 },
      jobs: [],
      threads: [
        { name: 'a', steps: [{ alloc: 'GFP_NOWAIT', pool: 'system', else: 'retry' }] },
        { name: 'b', steps: [{ free: 'system' }] },
      ],
      properties: ['deadlock'],
    }),
    'alloc retry waits for a free',
  )
  const r = compare(m)!
  t.is(r.falsePositives, 0, r.examples.join('\n'))
})

/** A design's wait-for verdict at the end of its search: the first stuck state's stuck actors. */
const firstStuck = (m: Model<Action>): string[] => {
  const g = stateGraph(m)
  if ('tooBig' in g) throw new Error('too big')
  const at = reader(m, g.store)
  for (let i = 0; i < g.n; i++) {
    const st = view(m).waitFor(at(i)).stuck
    if (st.length) return [...st]
  }
  return []
}

test('evict retry: a thread holding bo0.resv that retries evicting bo0 for ever, while another waits on the lock, is a deadlock', (t) => {
  // No thread frees a system page, so the eviction can never succeed (ttm_bo_evict -ENOMEM); the
  // retry is a wait with no one to release it, and thread b waits on the lock thread a holds.
  const m = compileGpu(
    buildDesign({
      engines: [{ name: 'gfx', cus: 1 }],
      memory: { vram: 0, system: 0 },
      buffers: [{ name: 'bo0', placement: 'vram' }],
      jobs: [],
      threads: [
        { name: 'a', steps: [{ lock: 'bo0.resv' }, { evict: 'bo0', else: 'retry' }, { unlock: 'bo0.resv' }] },
        { name: 'b', steps: [{ lock: 'bo0.resv' }, { unlock: 'bo0.resv' }] },
      ],
      properties: ['deadlock'],
    }),
    'evict retry for ever',
  )
  const r = compare(m)!
  t.is(r.falsePositives, 0, r.examples.join('\n'))
  t.deepEqual(firstStuck(m).sort(), ['thread:0', 'thread:1'])
})

test('evict retry: a retry another thread satisfies (it frees a system page) is not stuck', (t) => {
  const m = compileGpu(
    buildDesign({
      engines: [{ name: 'gfx', cus: 1 }],
      memory: { vram: 0, system: 0 },
      buffers: [{ name: 'bo0', placement: 'vram' }],
      jobs: [],
      threads: [
        { name: 'a', steps: [{ lock: 'bo0.resv' }, { evict: 'bo0', else: 'retry' }, { unlock: 'bo0.resv' }] },
        { name: 'b', steps: [{ free: 'system' }, { lock: 'bo0.resv' }, { unlock: 'bo0.resv' }] },
      ],
      properties: ['deadlock'],
    }),
    'evict retry satisfied',
  )
  const r = compare(m)!
  t.is(r.falsePositives, 0, r.examples.join('\n'))
  t.deepEqual(firstStuck(m), [])
})

test('alloc retry: a retry no thread can satisfy, while another thread waits on a lock the spinner holds, is stuck', (t) => {
  const m = compileGpu(
    buildDesign({
      engines: [{ name: 'gfx', cus: 1 }],
      memory: { vram: 0, system: 0 },
      locks: [{ name: 'L', kind: 'mutex' }],
      jobs: [],
      threads: [
        { name: 'a', steps: [{ lock: 'L' }, { alloc: 'GFP_NOWAIT', pool: 'system', else: 'retry' }, { unlock: 'L' }] },
        { name: 'b', steps: [{ lock: 'L' }, { unlock: 'L' }] },
      ],
      properties: ['deadlock'],
    }),
    'alloc retry for ever',
  )
  t.deepEqual(firstStuck(m).sort(), ['thread:0', 'thread:1'])
})
