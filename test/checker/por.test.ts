import test from 'ava'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { Cursor } from '../../checker/model.js'
import { POR_UNKEPT } from '../../checker/plan.js'
import { neverCoEnabled, type PorInfo } from '../../checker/por.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const files = scenarioFiles(join(ROOT, 'scenarios'))

/** T threads of k steps each, every step on a mutex of its own thread, or all on one shared mutex. */
function threadsYaml(T: number, shared: boolean): string {
  const ts = Array.from({ length: T }, (_, i) => i + 1)
  return [
    'name: threads',
    'about: each thread takes and releases a mutex',
    'locks:',
    ...(shared ? ['  - { name: m0, kind: mutex }'] : ts.map((t) => `  - { name: m${t}, kind: mutex }`)),
    'threads:',
    ...ts.map((t) => `  - { name: t${t}, steps: [{ lock: m${shared ? 0 : t} }, { unlock: m${shared ? 0 : t} }] }`),
    '',
  ].join('\n')
}

function statesOf(yaml: string, por: boolean): { states: number; status: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-por-'))
  try {
    const file = join(dir, 'threads.yaml')
    writeFileSync(file, yaml)
    const v = explore(loadScenario(file).model, { por }).verdict
    return { states: v.stats.distinctStates, status: v.status }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// Hand derivation: T threads of k steps that touch only their own mutex interleave into (k+1)^T
// states; reduced, each state expands one thread's step (each is a stubborn set of its own; the
// first thread's is taken), so one thread runs to its end before the next moves: T*k + 1 states.
test('por: independent threads run one after the other (T*k + 1 states instead of (k+1)^T)', (t) => {
  for (const T of [2, 3, 4]) {
    t.deepEqual(statesOf(threadsYaml(T, false), false), { states: 3 ** T, status: 'proved' })
    t.deepEqual(statesOf(threadsYaml(T, false), true), { states: 2 * T + 1, status: 'proved' })
  }
})

// The same threads on one shared mutex: every step depends on the others' lock, nothing is reduced.
test('por: threads contending for one mutex are not reduced', (t) => {
  const full = statesOf(threadsYaml(3, true), false)
  t.deepEqual(statesOf(threadsYaml(3, true), true), full)
})
// Hand derivation: a takes m then n, b takes n then m, each released before the next is taken
// (steps lock, unlock, lock, unlock; positions 0..4). Unreduced: every pair of positions but the
// two where both would hold one mutex (a at 1 with b at 3, a at 3 with b at 1): 25 - 2 = 23.
// Reduced (breadth-first, so every successor is on the next level and the proviso never refuses;
// of the sets with the fewest enabled rules, the first actor's): a step that runs holding a mutex
// commutes with the other thread's steps on it, which cannot be enabled while it is held, so
// releasing it is a set of its own; two takes of one free mutex depend on each other, and a take
// of m depends on the other's later take of m, whose enabling needs that thread's current step.
// (0,0) full -> (1,0), (0,1). (1,0): a's unlock alone -> (2,0) full -> (3,0), (2,1). (3,0) only a
// -> (4,0) -> b alone: (4,1), (4,2), (4,3), (4,4). (2,1) only b -> (2,2): a first -> (3,2) -> (4,2).
// (0,1): b's unlock alone -> (0,2) full -> (1,2) -> (2,2); (0,3) -> (0,4) -> a alone: (1,4), (2,4),
// (3,4). 20 states. (One actor's ample set cannot release m alone at (1,0): b's later take of m
// conflicts with it, so (1,0) is expanded fully.)
test('por: a mutex held by one thread is no interference for the others (crossed mutexes: 20 of 23 states)', (t) => {
  const yaml = [
    'name: crossed',
    'about: two threads take two mutexes in opposite orders, one at a time',
    'locks:',
    '  - { name: m, kind: mutex }',
    '  - { name: n, kind: mutex }',
    'threads:',
    '  - { name: a, steps: [{ lock: m }, { unlock: m }, { lock: n }, { unlock: n }] }',
    '  - { name: b, steps: [{ lock: n }, { unlock: n }, { lock: m }, { unlock: m }] }',
    '',
  ].join('\n')
  t.deepEqual(statesOf(yaml, false), { states: 23, status: 'proved' })
  t.deepEqual(statesOf(yaml, true), { states: 20, status: 'proved' })
})

// Hand derivation: two kernel jobs a and b of one CU each on an engine of C CUs, nothing else, only
// the deadlock check (a stable invariant: nothing is visible). Each job goes queued (q) -> ready
// (r) -> running (x) -> done (d). Unreduced: every pair of states, less (x,x) when C = 1: 16
// states (C = 2), 15 (C = 1). Reduced: a job's readying touches only its own state; its start takes
// a CU (a take of the engine's pool) and its completion gives one back (a release, which accords
// with every take and release). Two starts depend on each other unless the pool is abundant (the
// CUs of all jobs not done fit in it). C = 2, abundant from the start: the first job's rules alone
// each time, a runs to its end, then b: 2*3 + 1 = 7 states. C = 1: (q,q): a's ready alone -> (r,q):
// a's start depends on b's start (scarce pool), whose enabling needs b's ready: b's ready alone is
// smaller -> (r,r): two dependent starts, full -> (x,r), (r,x), one enabled rule each -> (d,r),
// (r,d) -> (d,x), (x,d) -> (d,d): 10 states. (Before the pools were places of their own, a start
// read every job's state: nothing was reduced, 16 and 15.)
test('por: a CU pool is a counter: starts accord while it is abundant (2 jobs: 7 of 16 states on 2 CUs, 10 of 15 on one)', (t) => {
  const yaml = (cus: number): string =>
    [
      'name: two-jobs',
      'about: two kernel jobs share the CUs of one engine',
      'engines:',
      `  - { name: gfx, kind: shared, cus: ${cus} }`,
      'memory: { vram: 0, system: 0 }',
      'jobs:',
      '  - { name: a, engine: gfx, queue: kernel }',
      '  - { name: b, engine: gfx, queue: kernel }',
      'properties: [deadlock]',
      '',
    ].join('\n')
  t.deepEqual(statesOf(yaml(2), false), { states: 16, status: 'proved' })
  t.deepEqual(statesOf(yaml(2), true), { states: 7, status: 'proved' })
  t.deepEqual(statesOf(yaml(1), false), { states: 15, status: 'proved' })
  t.deepEqual(statesOf(yaml(1), true), { states: 10, status: 'proved' })
})

const kept = new Set<string>(Object.values(POR_UNKEPT))

// With and without reduction, every bundled scenario gets the same verdict: the same violated
// property, or a proof that --por can only weaken to inconclusive by naming progress or liveness
// as unchecked. Every reduced counterexample replays on the unreduced model.
for (const file of files) {
  test(`por: ${file.slice(ROOT.length + 1)} keeps its verdict, and its counterexample replays`, (t) => {
    const sc = loadScenario(file)
    if (!sc.model.por) return t.pass()
    const full = explore(sc.model, { order: sc.order, bounds: sc.bounds }).verdict
    const x = explore(sc.model, { order: sc.order, bounds: sc.bounds, por: true })
    const v = x.verdict
    if (full.status === 'violated' && (full.property.kind === 'progress' || full.property.kind === 'liveness')) {
      t.is(v.status, 'inconclusive')
      t.true(v.unchecked.some((u) => u.name === full.property.name && kept.has(u.reason)))
    } else if (full.status === 'violated') {
      t.is(v.status, 'violated')
      if (v.status !== 'violated') return
      t.is(v.property.name, full.property.name)
      const trace = violationTrace(x)!
      const r = replay(sc.model, trace, v.property, { evidence: evidenceTraces(x) })
      t.true(r.ok, r.failure?.reason)
    } else if (full.status === 'proved') {
      // a whole space, reduced: never more states (a violation may be found later than the shortest)
      t.true(v.stats.distinctStates <= full.stats.distinctStates, 'the reduced search stores no more states')
      if (v.status === 'proved') return
      t.is(v.status, 'inconclusive')
      t.true(v.unchecked.length > 0 && v.unchecked.every((u) => kept.has(u.reason)), JSON.stringify(v.unchecked))
    } else t.is(v.status, full.status)
  })
}

// The footprint oracle: over the whole state space of every bundled scenario, every field a rule's
// guard or effect reads or writes is in the footprint the model declares for it (derived slots
// count as the places they are computed from); no rule moves a field off a value declared final;
// no two rules the reducer takes as never enabled together (checker/por.ts neverCoEnabled) are
// enabled in one state; no rule declared never enabled is; and every rule does to each counter
// what its kind says.
for (const file of files) {
  test(`por: ${file.slice(ROOT.length + 1)} declares every field its rules touch, final values and exclusive rules`, (t) => {
    const sc = loadScenario(file)
    const m = sc.model
    const info = m.por?.()
    if (!info) return t.pass()
    const layout = m.layout
    const F = layout.fieldCount
    const touched = new Uint8Array(layout.slots)
    const wrote = new Uint8Array(layout.slots)
    class Tracking extends Cursor {
      override get(f: number): number {
        touched[f] = 1
        return super.get(f)
      }
      override set(f: number, v: number): void {
        touched[f] = 1
        wrote[f] = 1
        super.set(f, v)
      }
      override post(f: number): number {
        touched[f] = 1
        return super.post(f)
      }
    }
    // a field split into finer places is covered when one of its places is
    const covers = (xs: readonly number[] | 'all', x: number): boolean =>
      xs === 'all' || xs.includes(x) || (info.subLocations.get(x) ?? []).some((y) => xs.includes(y))
    const cursor = new Tracking(layout)
    const bad = new Set<string>()
    // counters (checker/por.ts Counter): a take never gives units back, a release never takes
    // any and its guard never reads the count, an untouched rule neither reads nor changes it;
    // on a stored count, each take or release adds one constant wherever it fires
    const delta = new Map<string, number>()
    const counterCheck = (
      r: number,
      c: NonNullable<PorInfo['counters']>[number],
      guardRead: boolean,
      touchedAny: boolean,
      before: number,
      after: number,
    ): void => {
      const kind = c.kind[r]!
      const name = `${JSON.stringify(m.rules[r]!.action)} on ${layout.name(c.slot)}`
      const freed = c.counts === 'free' ? after - before : before - after
      if (kind === 1 && freed > 0) bad.add(`${name}: a take gives units back`)
      if (kind === 2 && (freed < 0 || guardRead)) bad.add(`${name}: a release takes units or reads the count`)
      if (kind === 3 && (touchedAny || freed !== 0)) bad.add(`${name}: untouched, but reads or changes the count`)
      if ((kind === 1 || kind === 2) && c.slot < F) {
        const k = `${r}:${c.slot}`
        if ((delta.get(k) ?? freed) !== freed) bad.add(`${name}: adds different amounts`)
        delta.set(k, freed)
      }
    }
    const check = (r: number): void => {
      const rd = info.reads[r]!
      const wr = info.writes[r]!
      for (let x = 0; x < touched.length; x++) {
        if (!touched[x]) continue
        const inputs = x < F ? [x] : [...(info.derivedInputs.get(x) ?? [])]
        for (const y of inputs) {
          if (!covers(rd, y) && !covers(wr, y)) bad.add(`${JSON.stringify(m.rules[r]!.action)} reads ${layout.name(y)}`)
          if (wrote[x] && !covers(wr, y)) bad.add(`${JSON.stringify(m.rules[r]!.action)} writes ${layout.name(y)}`)
        }
      }
    }
    const x = explore(m, { order: 'dfs', bounds: { maxStates: 20000 } })
    const words = new Uint32Array(layout.words)
    const post = new Int32Array(layout.slots)
    const enabled: number[] = []
    for (let i = 0; i < x.store.size; i++) {
      x.store.read(i, words)
      layout.decodeInto(words, 0, cursor.pre)
      m.derive?.(cursor.pre)
      enabled.length = 0
      for (let r = 0; r < m.rules.length; r++) {
        touched.fill(0)
        wrote.fill(0)
        const on = m.rules[r]!.guard(cursor)
        const guardRead = (info.counters ?? []).map((c) => touched[c.slot] === 1)
        if (on) {
          cursor.out = words.slice()
          m.rules[r]!.apply(cursor)
        }
        check(r)
        if (!on) continue
        if (info.dead?.[r] === 1) bad.add(`${JSON.stringify(m.rules[r]!.action)} is declared never enabled`)
        enabled.push(r)
        // a final value stays
        layout.decodeInto(cursor.out, 0, post)
        m.derive?.(post)
        ;(info.counters ?? []).forEach((c, i) => counterCheck(r, c, guardRead[i]!, touched[c.slot] === 1, cursor.pre[c.slot]!, post[c.slot]!))
        for (const [f, vs] of info.finalValues)
          if (vs.includes(cursor.pre[f]!) && post[f] !== cursor.pre[f])
            bad.add(`${JSON.stringify(m.rules[r]!.action)} changes ${layout.name(f)} from its final value`)
      }
      // rules the reducer takes as never enabled together are not
      for (const a of enabled)
        for (const b of enabled)
          if (a < b && neverCoEnabled(info, a, b))
            bad.add(`${JSON.stringify(m.rules[a]!.action)} and ${JSON.stringify(m.rules[b]!.action)} are enabled together`)
    }
    t.deepEqual([...bad].slice(0, 10), [])
  })
}
