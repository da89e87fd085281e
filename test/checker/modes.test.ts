/**
 * The cross-mode matrix: every bundled scenario under every search mode gives the verdict of the
 * plain breadth-first search, or an inconclusive verdict that names, for each property the mode
 * could not check, the reason. Where a mode promises the same counts (workers, hash compaction,
 * checkpoint-then-resume; DFS and symmetry on proofs), they are compared too, and every
 * counterexample of every mode replays on the unreduced model.
 */
import test, { type ExecutionContext } from 'ava'
import { join, relative } from 'node:path'
import type { Snapshot } from '../../checker/checkpoint.js'
import { type Exploration, explore, type ExploreOptions } from '../../checker/explore.js'
import type { Action, Model } from '../../checker/model.js'
import { exploreParallel } from '../../checker/parallel.js'
import { evidenceTraces, replay, violationTrace } from '../../checker/trace.js'
import type { Verdict } from '../../checker/verdict.js'
import { FACTORY_URL } from '../../model/factory.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const files = scenarioFiles(join(ROOT, 'scenarios'))

type Mode = 'dfs' | 'workers' | 'symmetry' | 'hash-compaction' | 'resume'
const MODES: readonly Mode[] = ['dfs', 'workers', 'symmetry', 'hash-compaction', 'resume']

/** The counterexample of a run replays on the model, ending in the property it names. */
function replays(t: ExecutionContext, m: Model<Action>, x: Exploration<Action>, what: string): void {
  if (x.verdict.status !== 'violated') return
  const trace = violationTrace(x)!
  const r = replay(m, trace, x.verdict.property.name, { evidence: evidenceTraces(x) })
  t.true(r.ok, `${what}: ${r.failure?.reason ?? ''}`)
}

/** Same verdict as the reference, or inconclusive because the mode left named properties unchecked. */
function sameVerdict(t: ExecutionContext, ref: Verdict, got: Verdict, what: string, counts: boolean): void {
  if (got.status === 'inconclusive' && got.cutBy === 'unchecked' && ref.status !== 'inconclusive') {
    // Allowed only when the property the reference found (if any) is among those not checked,
    // or the reference proved everything the mode did check.
    t.true(got.unchecked.length > 0 && got.unchecked.every((u) => u.reason.length > 0), `${what}: unchecked without reasons`)
    if (ref.status === 'violated')
      t.true(
        got.unchecked.some((u) => u.name === ref.property.name),
        `${what}: inconclusive, but the reference's violated property '${ref.property.name}' was checked`,
      )
    return
  }
  t.is(got.status, ref.status, `${what}: verdict`)
  if (ref.status === 'violated' && got.status === 'violated') {
    t.is(got.property.name, ref.property.name, `${what}: property`)
    if (counts) t.is(got.traceLength, ref.traceLength, `${what}: trace length`)
  }
  if (ref.status === 'inconclusive' && got.status === 'inconclusive') t.deepEqual(got.unchecked, ref.unchecked, `${what}: unchecked`)
  if (counts) {
    t.is(got.stats.distinctStates, ref.stats.distinctStates, `${what}: distinct states`)
    t.is(got.stats.transitions, ref.stats.transitions, `${what}: transitions`)
  }
}

for (const file of files) {
  const name = relative(ROOT, file)
  test(`every search mode agrees with BFS: ${name}`, async (t) => {
    const sc = loadScenario(file)
    const m = sc.model
    const base: ExploreOptions = { bounds: sc.bounds, symmetry: sc.symmetry }
    const ref = explore(m, base)
    replays(t, m, ref, `${name} BFS`)
    for (const mode of MODES) {
      const what = `${name} ${mode}`
      switch (mode) {
        case 'dfs': {
          const x = explore(m, { ...base, order: 'dfs' })
          // DFS stops at another first violation: counts are promised on proofs only.
          sameVerdict(t, ref.verdict, x.verdict, what, false)
          if (ref.verdict.status === 'proved') t.is(x.verdict.stats.distinctStates, ref.verdict.stats.distinctStates, `${what}: distinct states`)
          replays(t, m, x, what)
          break
        }
        case 'workers': {
          const x = await exploreParallel(m, { factory: FACTORY_URL, spec: { kind: 'scenario', file } }, { ...base, workers: 2 })
          sameVerdict(t, ref.verdict, x.verdict, what, true)
          replays(t, m, x, what)
          break
        }
        case 'symmetry': {
          // With the scenario's symmetry on by default, the unreduced run is the bench's business.
          if (!m.symmetry || sc.symmetry) break
          const x = explore(m, { ...base, symmetry: true })
          sameVerdict(t, ref.verdict, x.verdict, what, false)
          t.true(x.verdict.stats.distinctStates <= ref.verdict.stats.distinctStates, `${what}: no more states than the full run`)
          replays(t, m, x, what)
          break
        }
        case 'hash-compaction': {
          if (sc.symmetry) break // hash compaction runs without symmetry reduction
          const x = explore(m, { ...base, hashCompaction: true })
          sameVerdict(t, ref.verdict, x.verdict, what, true)
          replays(t, m, x, what)
          break
        }
        case 'resume': {
          // Stop at half the states with a checkpoint, then resume from it without the bound.
          const half = Math.max(1, Math.floor(ref.verdict.stats.distinctStates / 2))
          let snap: Snapshot | undefined
          const first = explore(m, { ...base, bounds: { ...sc.bounds, maxStates: half }, checkpoint: { everyMs: 1e9, write: (s) => (snap = s) } })
          const x = snap ? explore(m, { ...base, resume: snap }) : first
          sameVerdict(t, ref.verdict, x.verdict, what, true)
          replays(t, m, x, what)
          break
        }
      }
    }
  })
}
