/**
 * The memoized forms of a compiled design's rules and checks against the plain ones, on every
 * bundled scenario-language design:
 *
 *  - the successor function (model/gpu/memoRules.ts: guards and effects memoized by the fields they
 *    read) yields, on every state a breadth-first walk of the rules themselves reaches, exactly the
 *    rules' successors, words and rule numbers, in rule order;
 *  - a search of the model as compiled (memoized successors, invariants, step properties, order
 *    edges and wait-for nodes) and a search of the same rules and properties with every memo off
 *    (no successor function, the properties as the property modules state them, no memo by the
 *    search) give the same verdict, the same property, the same counts and the same trace length.
 */
import test from 'ava'
import { basename, join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { Cursor, type Action, type Model } from '../../checker/model.js'
import type { GpuView } from '../../model/gpu/compile.js'
import { symmetryPerms } from '../../model/gpu/symmetry.js'
import { gpuProperties } from '../../properties/gpu.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const MAX_STATES = 5_000

const view = (m: Model<Action>): GpuView | undefined => (m as unknown as { view?: GpuView }).view

const designs = [...scenarioFiles(join(ROOT, 'scenarios', 'gpu')), ...scenarioFiles(join(ROOT, 'scenarios', 'mem'))]
  .map((file) => ({ file, sc: loadScenario(file) }))
  .filter(({ sc }) => sc.model.name === 'gpu' && view(sc.model) !== undefined && sc.model.successors !== undefined)

test('the bundled scenario-language designs are found, each with a memoized successor function', (t) => {
  t.true(designs.length > 50)
})

for (const { file, sc } of designs) {
  test(`${basename(file)}: the memoized successors are the rules' successors, state by state`, (t) => {
    const m = sc.model
    const L = m.layout
    const W = L.words
    const next = m.successors!().next
    const c = new Cursor(L)
    const out = new Uint32Array(Math.max(1, m.rules.length) * W)
    const ruleOf = new Int32Array(Math.max(1, m.rules.length))
    const seen = new Set<string>()
    const queue: Uint32Array[] = []
    for (const init of m.init()) {
      const w = L.encode(init)
      seen.add(w.join(','))
      queue.push(w)
    }
    for (let i = 0; i < queue.length && i < MAX_STATES; i++) {
      const cur = queue[i]!
      L.decodeInto(cur, 0, c.pre)
      m.derive?.(c.pre)
      const want: { rule: number; words: Uint32Array }[] = []
      m.rules.forEach((r, k) => {
        if (!r.guard(c)) return
        c.out = cur.slice()
        r.apply(c)
        want.push({ rule: k, words: c.out })
      })
      const n = next(cur, out, ruleOf)
      if (n !== want.length) return t.fail(`state ${i}: ${n} memoized successors, ${want.length} by the rules`)
      for (let k = 0; k < n; k++) {
        const got = out.subarray(k * W, (k + 1) * W)
        if (ruleOf[k] !== want[k]!.rule || got.some((x, w) => x !== want[k]!.words[w]))
          return t.fail(`state ${i}, successor ${k}: rule ${ruleOf[k]} [${got.join(',')}], the rules give rule ${want[k]!.rule} [${want[k]!.words.join(',')}]`)
        const key = want[k]!.words.join(',')
        if (!seen.has(key)) {
          seen.add(key)
          queue.push(want[k]!.words)
        }
      }
    }
    t.log(`${Math.min(queue.length, MAX_STATES)} states compared`)
    t.pass()
  })

  test(`${basename(file)}: a search with every memo off gives the same verdict and counts`, (t) => {
    const m = sc.model
    const v = view(m)!
    const perms = v.design.symmetry.length ? symmetryPerms(v.design, v.design.symmetry) : []
    const plain: Model<Action> = { ...m, properties: gpuProperties(v, perms) }
    delete (plain as { successors?: unknown }).successors
    delete (plain as { readsOnlyThroughReaders?: unknown }).readsOnlyThroughReaders
    const opts = { order: sc.order, symmetry: sc.symmetry, bounds: { ...sc.bounds, maxStates: Math.min(sc.bounds.maxStates ?? MAX_STATES, MAX_STATES) } }
    const a = explore(m, opts).verdict
    const b = explore(plain, opts).verdict
    const sum = (x: typeof a) => ({
      status: x.status,
      property: x.status === 'violated' ? x.property.name : undefined,
      traceLength: x.status === 'violated' ? x.traceLength : undefined,
      states: x.stats.distinctStates,
      transitions: x.stats.transitions,
      depth: x.stats.maxDepth,
    })
    t.deepEqual(sum(a), sum(b))
  })
}
