import test from 'ava'
import { explore } from '../../checker/explore.js'
import { countOrbits } from '../orbits.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { r1 } from '../../model/r1.js'

// Symmetric R1 explores exactly one state per orbit: canonicalize every state of the full run,
// count the distinct results, and compare with the reduced run's state count.
const sizes: Record<string, string | number>[] = [
  { C: 2, G: 2, K: 2, M: 0, POLICY: 'preempt' },
  { C: 2, G: 3, K: 3, M: 1, POLICY: 'naive' },
  { C: 3, G: 3, K: 3, M: 1, POLICY: 'reserve' },
  { C: 2, G: 3, K: 3, M: 1, POLICY: 'skip' },
  { C: 3, G: 2, K: 4, M: 1, POLICY: 'preempt' },
]
for (const p of sizes) {
  test(`one state per orbit: ${JSON.stringify(p)}`, (t) => {
    const m = r1(p)
    const full = explore(m)
    const reduced = explore(m, { symmetry: true })
    t.is(full.verdict.status, 'proved')
    t.is(reduced.verdict.status, full.verdict.status)
    const orbits = countOrbits(full)
    t.is(reduced.verdict.stats.distinctStates, orbits)
    t.true(orbits < full.verdict.stats.distinctStates)
  })
}

// Counterexamples found on the reduced space replay on the unreduced model, with the same
// shortest length.
const violating: Record<string, string | number>[] = [
  { C: 1, G: 1, K: 1, M: 0, POLICY: 'naive' },
  { C: 2, G: 2, K: 3, M: 0, POLICY: 'naive' },
  { C: 2, G: 3, K: 2, M: 0, POLICY: 'skip', BUG: 'evict-leaks-page' },
  { C: 1, G: 3, K: 3, M: 1, POLICY: 'reserve' },
]
for (const p of violating) {
  test(`reduced counterexamples replay unreduced: ${JSON.stringify(p)}`, (t) => {
    const m = r1(p)
    const full = explore(m)
    const reduced = explore(m, { symmetry: true })
    t.is(reduced.verdict.status, 'violated')
    if (reduced.verdict.status !== 'violated' || full.verdict.status !== 'violated') return
    t.is(reduced.verdict.property.name, full.verdict.property.name)
    t.is(reduced.verdict.traceLength, full.verdict.traceLength)
    const trace = violationTrace(reduced)!
    const r = replay(m, trace, reduced.verdict.property.name)
    t.true(r.ok, r.failure?.reason)
  })
}

test('canonicalization is idempotent and lands on one member per orbit', (t) => {
  const m = r1({ C: 2, G: 3, K: 3, M: 1, POLICY: 'naive' })
  const full = explore(m)
  const w = new Uint32Array(m.layout.words)
  for (let i = 0; i < full.store.size; i++) {
    full.store.read(i, w)
    m.symmetry!.canonicalize(w)
    const once = Array.from(w)
    m.symmetry!.canonicalize(w)
    t.deepEqual(Array.from(w), once)
  }
})
