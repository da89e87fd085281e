import test from 'ava'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { Cursor, type Reader } from '../../checker/model.js'
import { POR_UNKEPT } from '../../checker/plan.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const files = scenarioFiles(join(ROOT, 'scenarios'))
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
    t.true(v.stats.distinctStates <= full.stats.distinctStates, 'the reduced search stores no more states')
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
      if (v.status === 'proved') return t.pass()
      t.is(v.status, 'inconclusive')
      t.true(v.unchecked.length > 0 && v.unchecked.every((u) => kept.has(u.reason)), JSON.stringify(v.unchecked))
    } else t.is(v.status, full.status)
  })
}

// The footprint oracle: over the whole state space of every bundled scenario, every field a rule's
// guard or effect reads or writes is in the footprint the model declares for it (derived slots
// count as the fields they are computed from).
for (const file of files) {
  test(`por: ${file.slice(ROOT.length + 1)} declares every field its rules touch`, (t) => {
    const sc = loadScenario(file)
    const m = sc.model
    const info = m.por?.()
    if (!info) return t.pass()
    const layout = m.layout
    const F = layout.fieldCount
    const touched = new Uint8Array(layout.slots)
    class Tracking extends Cursor {
      override get(f: number): number {
        touched[f] = 1
        return super.get(f)
      }
      override set(f: number, v: number): void {
        touched[f] = 1
        super.set(f, v)
      }
      override post(f: number): number {
        touched[f] = 1
        return super.post(f)
      }
    }
    const cursor = new Tracking(layout)
    const bad = new Set<string>()
    const check = (r: number): void => {
      const fs = info.fields[r]!
      for (let x = 0; x < touched.length; x++) {
        if (!touched[x]) continue
        touched[x] = 0
        if (fs === 'all') continue
        const inputs = x < F ? [x] : [...(info.derivedInputs.get(x) ?? [])]
        for (const y of inputs) if (!fs.includes(y)) bad.add(`${JSON.stringify(m.rules[r]!.action)} touches ${layout.name(y)}`)
      }
    }
    const x = explore(m, { order: 'dfs', bounds: { maxStates: 20000 } })
    const words = new Uint32Array(layout.words)
    for (let i = 0; i < x.store.size; i++) {
      x.store.read(i, words)
      layout.decodeInto(words, 0, cursor.pre)
      m.derive?.(cursor.pre)
      for (let r = 0; r < m.rules.length; r++) {
        touched.fill(0)
        const on = m.rules[r]!.guard(cursor as Reader)
        if (on) {
          cursor.out = words.slice()
          m.rules[r]!.apply(cursor)
        }
        check(r)
      }
    }
    t.deepEqual([...bad].slice(0, 10), [])
  })
}
