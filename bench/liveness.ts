/**
 * The cost of liveness checking against safety-only checking, on the livelock scenarios M8 and M9
 * (and their fixed variants): the same model explored with its properties as shipped, and with the
 * liveness property removed. Each is run several times in this process, alternating, and the
 * median is reported, so the ratio is measured side by side.
 *
 *   node dist/bench/liveness.js [--runs N]
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { explore } from '../checker/explore.js'
import type { Action, Model } from '../checker/model.js'
import { loadScenario } from '../model/scenario.js'
import { loadReference, reference, REFERENCE_SCENARIOS } from '../test/reference/hmm/load.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

interface Row {
  readonly name: string
  readonly states: number
  readonly verdictWith: string
  readonly verdictWithout: string
  readonly msWith: number
  readonly msWithout: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function timeIt(model: Model<Action>): { ms: number; verdict: string; states: number } {
  const t0 = process.hrtime.bigint()
  const v = explore(model).verdict
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  return { ms, verdict: v.status === 'violated' ? `violated: ${v.property.kind}` : v.status, states: v.stats.distinctStates }
}

export function livenessCost(runs = 9): Row[] {
  const targets: { name: string; model: Model<Action> }[] = [
    // The hmm reference's hand-written mechanisms (test/reference/hmm/).
    ...['m8-two-devices-evict-retry', 'm8b-two-devices-serialized', 'm9-ref-before-trylock', 'm9b-trylock-before-ref'].map((s) => ({
      name: s,
      model: loadReference(join(REFERENCE_SCENARIOS, `${s}.yaml`)).model,
    })),
    // The same check on designs written in the scenario language (the GPU model's memory side).
    ...['m4-collision-retry', 'm13-reclaim-in-retry-loop', 'm13b-alloc-before-retry-loop', 'm2b-exit-no-shortcut'].map((s) => ({
      name: `${s} (scenario language)`,
      model: loadScenario(join(ROOT, 'scenarios', 'mem', `${s}.yaml`)).model,
    })),
    { name: 'm9 with 3 threads (ref first)', model: reference({ MECH: 'cpufault', REFORDER: 'ref-first', THREADS: 3 }).model },
    { name: 'm9 with 3 threads (trylock first)', model: reference({ MECH: 'cpufault', REFORDER: 'trylock-first', THREADS: 3 }).model },
  ]
  return targets.map(({ name, model }) => {
    const safety: Model<Action> = { ...model, properties: model.properties.filter((p) => p.kind !== 'liveness') }
    const withL: number[] = []
    const without: number[] = []
    let a = timeIt(model)
    let b = timeIt(safety)
    for (let i = 0; i < runs; i++) {
      a = timeIt(model)
      withL.push(a.ms)
      b = timeIt(safety)
      without.push(b.ms)
    }
    return { name, states: a.states, verdictWith: a.verdict, verdictWithout: b.verdict, msWith: median(withL), msWithout: median(without) }
  })
}

export function livenessTable(rows: Row[]): string {
  const head = ['scenario', 'states', 'verdict (with liveness)', 'verdict (safety only)', 'time with (ms)', 'time safety-only (ms)', 'cost']
  const body = rows.map((r) => [
    r.name,
    String(r.states),
    r.verdictWith,
    r.verdictWithout,
    r.msWith.toFixed(2),
    r.msWithout.toFixed(2),
    `${(r.msWith / r.msWithout).toFixed(2)}x`,
  ])
  const all = [head, ...body]
  const w = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)))
  const line = (r: string[]): string => r.map((x, c) => x.padEnd(w[c]!)).join('  ')
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs')
  const runs = i > 0 ? Number(process.argv[i + 1]) : 9
  process.stdout.write('Liveness checking vs safety-only (median of ' + runs + ' alternating runs each)\n' + livenessTable(livenessCost(runs)) + '\n')
}
