/**
 * One fencecheck run of a scenario file, as its own process, with the time of each phase:
 *
 *     node dist/bench/gpuOne.js FILE OUTDIR [--instrument] [--por]
 *
 * Phases, in the order they run, each timed in this process:
 *  - load:   parse and validate the scenario, compile the design into a model;
 *  - search: explore() up to its graph checks (the BFS, with the invariants and step properties
 *            checked on every state and transition, and the graph recorded for the graph checks);
 *  - graph:  the checks on the recorded graph after the search (progress, lock order, liveness);
 *  - report: what `fencecheck check` writes at the end: the report (with the trace, if any), the
 *            JSON result and the text report, plus Markdown and HTML reports, into OUTDIR.
 *
 * explore() has no phase hooks, so the graph phase is timed by wrapping GraphRecorder.check (the
 * one call explore() makes after the search), and search = explore() - graph.
 *
 * --instrument also times every property's functions (invariant and step `holds`, witnesses,
 * progress labels, order edges, liveness labels, the deadlock check's `terminal`) and each kind of
 * graph check, with a timer around every call. The timers slow the run down, so an instrumented
 * run says where the property time goes and is never used for the other figures. The timer's own
 * cost, calibrated here on an empty function, is subtracted per call.
 *
 * --por searches with partial-order reduction (checker/por.ts).
 *
 * Prints one JSON line (see GpuOneResult).
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { explore } from '../checker/explore.js'
import { GraphRecorder } from '../checker/graphChecks.js'
import type { Action, Model, Property } from '../checker/model.js'
import { hashText } from '../cli/target.js'
import { writeReport, writeWhole } from '../report/files.js'
import { toJson } from '../report/json.js'
import { findingsOf, makeReport, type Target } from '../report/report.js'
import { toText } from '../report/text.js'
import { loadScenario } from '../model/scenario.js'

export interface PropertyTime {
  readonly name: string
  readonly kind: string
  readonly calls: number
  /** milliseconds in the property's functions, timer cost subtracted */
  readonly ms: number
}

export interface GpuOneResult {
  readonly verdict: string
  readonly property?: string
  readonly distinctStates: number
  readonly transitions: number
  readonly maxDepth: number
  readonly rules: number
  readonly stateBytes: number
  readonly phasesMs: { readonly load: number; readonly search: number; readonly graph: number; readonly report: number }
  /** the search's own timeMs (search + graph checks, as fencecheck reports it) */
  readonly timeMs: number
  /** peak RSS of this process (getrusage), bytes */
  readonly maxRssBytes: number
  /** --instrument only */
  readonly properties?: readonly PropertyTime[]
  readonly graphChecks?: readonly PropertyTime[]
  /** --instrument only: the timer's cost per call that was subtracted, nanoseconds */
  readonly timerNs?: number
}

/** A counter of calls and time. */
interface Meter {
  calls: number
  ms: number
}

function usage(msg: string): never {
  process.stderr.write(`gpuOne: ${msg}\nusage: node dist/bench/gpuOne.js FILE OUTDIR [--instrument] [--por]\n`)
  process.exit(2)
}

/** Wrap `f` so that each call is counted and timed into `m`. */
function timedFn<F extends (...args: never[]) => unknown>(f: F, m: Meter): F {
  return function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    const t0 = performance.now()
    try {
      return f.apply(this, args) as ReturnType<F>
    } finally {
      m.ms += performance.now() - t0
      m.calls++
    }
  } as F
}

/**
 * What a meter reads per call for a function that does nothing (ms): the part of each reading
 * that is the timer itself. Measured on an empty function wrapped the same way; the least of
 * three rounds, so that a preempted round does not inflate it.
 */
function timerBias(): number {
  let best = Infinity
  let sink = 0
  for (let round = 0; round < 3; round++) {
    const m: Meter = { calls: 0, ms: 0 }
    const f = timedFn((x: number) => x >= 0, m)
    for (let i = 0; i < 300_000; i++) if (f(i)) sink++
    best = Math.min(best, m.ms / m.calls)
  }
  return sink > 0 ? best : 0
}

/** The same properties, each function wrapped in a meter; returns the meters by property. */
function instrument(model: Model<Action>): { model: Model<Action>; meters: { p: { name: string; kind: string }; m: Meter }[] } {
  const meters: { p: { name: string; kind: string }; m: Meter }[] = []
  const meter = (name: string, kind: string): Meter => {
    const m: Meter = { calls: 0, ms: 0 }
    meters.push({ p: { name, kind }, m })
    return m
  }
  const wrapped: Property<Action>[] = model.properties.map((p) => {
    const m = meter(p.name, p.kind)
    switch (p.kind) {
      case 'invariant':
      case 'step':
      case 'sometimes':
        return { ...p, holds: timedFn(p.holds.bind(p), m) } as Property<Action>
      case 'progress':
        return { ...p, pending: timedFn(p.pending.bind(p), m), done: timedFn(p.done.bind(p), m), label: p.label.bind(p), allowed: p.allowed.bind(p) }
      case 'order':
        return { ...p, edges: timedFn(p.edges.bind(p), m) }
      case 'liveness':
        return { ...p, goal: timedFn(p.goal.bind(p), m), ...(p.trigger ? { trigger: timedFn(p.trigger.bind(p), m) } : {}), fairness: p.fairness.bind(p) }
    }
  })
  const d = model.deadlock
  const deadlock = d
    ? { ...d, terminal: timedFn(d.terminal.bind(d), meter(`global ${d.name}: is a state without successors terminal`, 'deadlock')) }
    : undefined
  return { model: { ...model, properties: wrapped, ...(deadlock ? { deadlock } : {}) }, meters }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const flags = args.filter((a) => a.startsWith('--'))
  const [file, outDir] = args.filter((a) => !a.startsWith('--'))
  if (!file || !outDir) usage('expected FILE and OUTDIR')
  const unknown = flags.filter((f) => f !== '--instrument' && f !== '--por')
  if (unknown.length) usage(`unknown flag ${unknown[0]}`)
  const instrumented = flags.includes('--instrument')
  const por = flags.includes('--por')
  mkdirSync(outDir, { recursive: true })

  const t0 = performance.now()
  const sc = loadScenario(file)
  const tLoad = performance.now() - t0

  let model = sc.model
  let meters: { p: { name: string; kind: string }; m: Meter }[] = []
  const graphMeters: { p: { name: string; kind: string }; m: Meter }[] = []
  const proto = GraphRecorder.prototype as unknown as Record<string, (...a: unknown[]) => unknown>
  const graph: Meter = { calls: 0, ms: 0 }
  const originalCheck = proto.check!
  proto.check = timedFn(originalCheck, graph)
  if (instrumented) {
    const x = instrument(model)
    model = x.model
    meters = x.meters
    // The recorder's per-kind checks (private in TypeScript, ordinary prototype methods at run time).
    for (const [method, kind] of [
      ['checkProgress', 'progress'],
      ['checkLiveness', 'liveness'],
      ['checkOrders', 'order'],
    ] as const) {
      const m: Meter = { calls: 0, ms: 0 }
      const names = model.properties.filter((p) => p.kind === kind).map((p) => p.name)
      if (names.length === 0) continue
      graphMeters.push({ p: { name: names.join('; '), kind }, m })
      proto[method] = timedFn(proto[method]!, m)
    }
  }

  const t1 = performance.now()
  const x = explore(model, { order: sc.order, bounds: sc.bounds, ...(por ? { por: true } : { symmetry: sc.symmetry }) })
  const tExplore = performance.now() - t1

  const t2 = performance.now()
  const target: Target = {
    target: file,
    model: sc.model.name,
    params: { ...sc.model.params },
    scenario: { file: relative(process.cwd(), resolve(file)) || file, name: sc.name, about: sc.about },
    scenarioHash: hashText(readFileSync(file, 'utf8')),
  }
  const report = makeReport(target, { model: sc.model, narrator: sc.narrator }, findingsOf(x), `fencecheck check ${file}`)
  writeWhole(join(outDir, 'result.json'), JSON.stringify(toJson(report), null, 2) + '\n')
  writeWhole(join(outDir, 'report.txt'), toText(report) + '\n')
  await writeReport(report, join(outDir, 'report.md'))
  await writeReport(report, join(outDir, 'report.html'))
  const tReport = performance.now() - t2

  const v = x.verdict
  const timer = instrumented ? timerBias() : 0
  const times = (ms: { p: { name: string; kind: string }; m: Meter }[]): PropertyTime[] =>
    ms.map(({ p, m }) => ({ name: p.name, kind: p.kind, calls: m.calls, ms: Math.max(0, m.ms - m.calls * timer) }))
  const result: GpuOneResult = {
    verdict: v.status,
    ...(v.status === 'violated' ? { property: v.property.name } : {}),
    distinctStates: v.stats.distinctStates,
    transitions: v.stats.transitions,
    maxDepth: v.stats.maxDepth,
    rules: model.rules.length,
    stateBytes: v.stats.stateBytes,
    phasesMs: { load: tLoad, search: tExplore - graph.ms, graph: graph.ms, report: tReport },
    timeMs: v.stats.timeMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(instrumented ? { properties: times(meters), graphChecks: times(graphMeters), timerNs: timer * 1e6 } : {}),
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

await main()
