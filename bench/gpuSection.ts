/**
 * The GPU ladder (bench section `gpu`): scaled designs of the bundled GPU families
 * (bench/gpuLadder.ts) checked by fencecheck with every property that applies, each run its own
 * process under GNU time (bench/gpuOne.ts, which times the phases inside), next to R1 on the same
 * engine in the same rounds, and the S19-like rungs also in Promela (bench/gpuPromela.ts) for
 * SPIN, without and with its partial-order reduction.
 *
 * Every run is repeated REPEATS times in rounds (each round runs every rung once, in ladder order,
 * R1 right after the largest S19 rung), so rungs and tools alternate A B A B on a shared machine;
 * every figure is the median over the rounds, and the ratio to R1 is the median of the per-round
 * ratios. An instrumented run per rung and round (bench/gpuOne.ts --instrument) attributes the
 * property time; it is never used for the other figures.
 *
 * Checks, per rung: the verdict is the expected one (proved), the states equal the reference
 * count, states and transitions are the same in every round, and pan without reduction stores
 * exactly fencecheck's states.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GpuOneResult, PropertyTime } from './gpuOne.js'
import { designYaml, type DesignSize, sizeName, sizeTag } from './gpuLadder.js'
import { s19Promela } from './gpuPromela.js'
import { CC, distBench, fmtInt, fmtMiB, fmtS, lastLines, outRoot, printTable, timed, type Timed } from './util.js'

interface GpuRung {
  readonly size: DesignSize
  /** reference distinct-state count (fencecheck BFS); every run must reach exactly this */
  readonly expect: number
  readonly quick: boolean
  readonly note: string
}

/** The ladder. The S19 rungs are also checked by SPIN (bench/gpuPromela.ts). */
export const GPU_RUNGS: readonly GpuRung[] = [
  { size: { family: 's19', N: 2, G: 1, C: 2 }, expect: 903, quick: true, note: 'S19 itself, unreduced' },
  { size: { family: 's19', N: 3, G: 1, C: 2 }, expect: 9922, quick: true, note: '' },
  { size: { family: 's19', N: 3, G: 2, C: 3 }, expect: 92691, quick: false, note: '' },
  { size: { family: 's19', N: 4, G: 2, C: 3 }, expect: 1323016, quick: false, note: "issue 13's reference rung" },
  { size: { family: 'm4', N: 2 }, expect: 2338, quick: true, note: 'M4 itself' },
  { size: { family: 'm4', N: 3 }, expect: 14604, quick: true, note: '' },
  { size: { family: 'm4', N: 4 }, expect: 85041, quick: false, note: '' },
  { size: { family: 'm4', N: 5 }, expect: 478410, quick: false, note: '' },
  { size: { family: 'locks', T: 3, L: 3 }, expect: 1396, quick: true, note: '' },
  { size: { family: 'locks', T: 4, L: 4 }, expect: 32124, quick: true, note: '' },
  { size: { family: 'locks', T: 5, L: 4 }, expect: 291482, quick: false, note: '' },
]

/** R1 in the same rounds, for the per-state rate ratio (quick: the ladder's quick top rung). */
const R1_FULL = { C: 3, G: 4, K: 4, M: 1, policy: 'preempt', expect: 3124470 } as const
const R1_QUICK = { C: 2, G: 3, K: 4, M: 1, policy: 'preempt', expect: 320827 } as const

export const REPEATS = 3

/** the per-property table lists what takes at least this share (%) of its phase */
const MIN_SHARE = 1

/** SPIN as the R1 ladder builds it (bench/README.md), without and with partial-order reduction. */
const SPIN_CFLAGS = { nopor: ['-O2', '-DBFS', '-DSAFETY', '-DNOREDUCE', '-DMEMLIM=16384'], por: ['-O2', '-DBFS', '-DSAFETY', '-DMEMLIM=16384'] } as const
type SpinTool = keyof typeof SPIN_CFLAGS
const SPIN_LABEL: Record<SpinTool, string> = { nopor: 'spin (no POR)', por: 'spin (POR)' }

const gpuOne = join(distBench, 'gpuOne.js')
const fencecheckOne = join(distBench, 'fencecheckOne.js')
const NODE_FLAGS = ['--max-old-space-size=4096']

interface FcRun {
  readonly t: Timed
  readonly j?: GpuOneResult
  readonly error?: string
}
interface SpinRun {
  readonly t: Timed
  readonly states?: number
  readonly transitions?: number
  readonly errors?: number
  readonly error?: string
}
interface R1Run {
  readonly t: Timed
  readonly states?: number
  readonly timeMs?: number
  readonly error?: string
}

const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const defined = <T>(xs: readonly (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined)
const lastLine = (s: string): string => s.trim().split('\n').pop() ?? ''

function runGpuOne(file: string, dir: string, log: string, instrument: boolean, por = false): FcRun {
  const t = timed(
    process.execPath,
    [...NODE_FLAGS, gpuOne, file, join(dir, `${log}-reports`), ...(instrument ? ['--instrument'] : []), ...(por ? ['--por'] : [])],
    dir,
    join(dir, log),
  )
  if (!t.ok) return { t, error: `${t.error ?? 'failed'}: ${lastLines(t.stderr || t.stdout)}` }
  try {
    return { t, j: JSON.parse(lastLine(t.stdout)) as GpuOneResult }
  } catch {
    return { t, error: `unreadable output: ${lastLine(t.stdout)}` }
  }
}

function runR1(r: typeof R1_FULL | typeof R1_QUICK, dir: string, log: string): R1Run {
  const t = timed(process.execPath, [...NODE_FLAGS, fencecheckOne, `${r.C}`, `${r.G}`, `${r.K}`, `${r.M}`, r.policy], dir, join(dir, log))
  if (!t.ok) return { t, error: `${t.error ?? 'failed'}: ${lastLines(t.stderr || t.stdout)}` }
  try {
    const j = JSON.parse(lastLine(t.stdout)) as { status: string; distinctStates: number; timeMs: number }
    if (j.status !== 'proved') return { t, error: `R1 says ${j.status}` }
    return { t, states: j.distinctStates, timeMs: j.timeMs }
  } catch {
    return { t, error: `unreadable output: ${lastLine(t.stdout)}` }
  }
}

/** spin -a and cc once per rung and tool; returns the verifier's directory or an error. */
function buildPan(pml: string, dir: string, tool: SpinTool): { dir: string; compileS: number } | { error: string } {
  const d = join(dir, `spin-${tool}`)
  mkdirSync(d, { recursive: true })
  writeFileSync(join(d, 's19.pml'), pml)
  const gen = timed('spin', ['-a', 's19.pml'], d, join(d, 'spin-a'))
  if (!gen.ok) return { error: `spin -a failed: ${lastLines(gen.stderr || gen.stdout)}` }
  const cc = timed(CC, [...SPIN_CFLAGS[tool], '-o', 'pan', 'pan.c'], d, join(d, 'cc'))
  if (!cc.ok) return { error: `compiling pan.c failed: ${lastLines(cc.stderr || cc.stdout)}` }
  return { dir: d, compileS: gen.wallS + cc.wallS }
}

function runPan(d: string, states: number, log: string): SpinRun {
  const w = Math.max(16, Math.ceil(Math.log2(states)))
  const t = timed('./pan', ['-m10000', `-w${w}`], d, join(d, log))
  const stored = /(\d+) states, stored/.exec(t.stdout)
  const trans = /(\d+) transitions \(= stored\+matched\)/.exec(t.stdout)
  const errors = /errors: (\d+)/.exec(t.stdout)
  if (!stored || !errors) return { t, error: `pan gave no statistics: ${lastLines(t.stdout || t.stderr)}` }
  if (/max search depth too small|out of memory|hash table is full/i.test(t.stdout)) return { t, error: 'pan did not finish (depth, memory or hash table)' }
  return { t, states: Number(stored[1]), errors: Number(errors[1]), ...(trans ? { transitions: Number(trans[1]) } : {}) }
}

export interface GpuContext {
  readonly quick: boolean
  /** why SPIN cannot run (not installed, not wanted, no C compiler); undefined if it can */
  readonly spinSkip?: string
}

export function sectionGpu(ctx: GpuContext): number {
  const rungs = GPU_RUNGS.filter((r) => !ctx.quick || r.quick)
  const r1 = ctx.quick ? R1_QUICK : R1_FULL
  const r1Name = `R1 ${r1.policy} C=${r1.C} G=${r1.G} K=${r1.K} M=${r1.M}`
  const base = join(outRoot, 'gpu')
  rmSync(base, { recursive: true, force: true })
  mkdirSync(base, { recursive: true })
  // The designs go to a temporary folder of their own (never scenarios/); copied beside the logs.
  const yamlDir = mkdtempSync(join(tmpdir(), 'fencecheck-gpu-ladder-'))
  const notes: string[] = []
  const spinOn = ctx.spinSkip === undefined
  if (!spinOn) notes.push(`SPIN rows skipped: ${ctx.spinSkip}`)

  interface Slot {
    readonly rung: GpuRung
    readonly dir: string
    readonly file: string
    readonly fc: FcRun[]
    readonly instr: FcRun[]
    /** one run with partial-order reduction (its state count is deterministic) */
    por?: FcRun
    readonly spin: Partial<Record<SpinTool, { build: { dir: string; compileS: number } | { error: string }; runs: SpinRun[] }>>
  }
  const slots: Slot[] = rungs.map((rung) => {
    const tag = sizeTag(rung.size)
    const dir = join(base, tag)
    mkdirSync(dir, { recursive: true })
    const file = join(yamlDir, `${tag}.yaml`)
    writeFileSync(file, designYaml(rung.size))
    copyFileSync(file, join(dir, `${tag}.yaml`))
    const spin: Slot['spin'] = {}
    if (spinOn && rung.size.family === 's19') {
      const pml = s19Promela(rung.size)
      for (const tool of ['nopor', 'por'] as const) spin[tool] = { build: buildPan(pml, dir, tool), runs: [] }
    }
    return { rung, dir, file, fc: [], instr: [], spin }
  })
  const r1Dir = join(base, 'r1')
  mkdirSync(r1Dir, { recursive: true })
  const r1Runs: R1Run[] = []
  const s19s = slots.filter((s) => s.rung.size.family === 's19')
  const r1After = s19s[s19s.length - 1] ?? slots[slots.length - 1]!

  try {
    for (let round = 1; round <= REPEATS; round++) {
      for (const s of slots) {
        const what = `[gpu ${round}/${REPEATS}] ${sizeName(s.rung.size)}`
        process.stderr.write(`${what}: fencecheck ...`)
        const x = runGpuOne(s.file, s.dir, `fencecheck-${round}`, false)
        s.fc.push(x)
        process.stderr.write(` ${x.j ? `${x.j.verdict}, ${fmtInt(x.j.distinctStates)} states` : 'error'}, ${x.t.wallS.toFixed(2)} s\n`)
        process.stderr.write(`${what}: fencecheck --instrument ...`)
        const y = runGpuOne(s.file, s.dir, `instrumented-${round}`, true)
        s.instr.push(y)
        process.stderr.write(` ${y.t.wallS.toFixed(2)} s\n`)
        if (round === 1) {
          process.stderr.write(`${what}: fencecheck --por ...`)
          const z = runGpuOne(s.file, s.dir, 'por', false, true)
          s.por = z
          process.stderr.write(` ${z.j ? `${z.j.verdict}, ${fmtInt(z.j.distinctStates)} states` : 'error'}, ${z.t.wallS.toFixed(2)} s\n`)
        }
        for (const tool of ['nopor', 'por'] as const) {
          const sp = s.spin[tool]
          if (!sp || 'error' in sp.build) continue
          process.stderr.write(`${what}: ${SPIN_LABEL[tool]} ...`)
          const z = runPan(sp.build.dir, s.rung.expect, `pan-${round}`)
          sp.runs.push(z)
          process.stderr.write(` ${z.states !== undefined ? `${fmtInt(z.states)} states` : 'error'}, ${z.t.wallS.toFixed(2)} s\n`)
        }
        if (s === r1After) {
          process.stderr.write(`[gpu ${round}/${REPEATS}] ${r1Name}: fencecheck ...`)
          const z = runR1(r1, r1Dir, `r1-${round}`)
          r1Runs.push(z)
          process.stderr.write(` ${z.states !== undefined ? `${fmtInt(z.states)} states` : 'error'}, ${z.t.wallS.toFixed(2)} s\n`)
        }
      }
    }
  } finally {
    rmSync(yamlDir, { recursive: true, force: true })
  }

  // ---- the ladder table
  let bad = 0
  const r1Rate = (i: number): number | undefined => {
    const z = r1Runs[i]
    return z?.states !== undefined ? z.states / z.t.wallS : undefined
  }
  const rows: (string[] | string)[] = []
  for (const s of slots) {
    const ok = s.fc.filter((x) => x.j)
    const js = ok.map((x) => x.j!)
    const first = js[0]
    const med = (f: (x: FcRun) => number | undefined): number | undefined => median(defined(ok.map(f)))
    const wall = med((x) => x.t.wallS)
    const rss = med((x) => x.t.peakRssBytes)
    const ph = (k: keyof GpuOneResult['phasesMs']): number | undefined => med((x) => x.j!.phasesMs[k] / 1000)
    const search = ph('search')
    const ratios = defined(s.fc.map((x, i) => (x.j && r1Rate(i) ? x.j.distinctStates / x.t.wallS / r1Rate(i)! : undefined)))
    rows.push([
      sizeName(s.rung.size),
      first ? fmtInt(first.distinctStates) : '-',
      first ? fmtInt(first.transitions) : '-',
      first ? (first.verdict === 'violated' ? `violated: ${first.property ?? ''}` : first.verdict) : 'error',
      fmtS(wall),
      fmtS(ph('load')),
      fmtS(search),
      fmtS(ph('graph')),
      fmtS(ph('report')),
      fmtS(med((x) => x.t.wallS - (x.j!.phasesMs.load + x.j!.phasesMs.search + x.j!.phasesMs.graph + x.j!.phasesMs.report) / 1000)),
      first && wall ? fmtInt(Math.round(first.distinctStates / wall)) : '-',
      first && search ? fmtInt(Math.round(first.distinctStates / search)) : '-',
      first && wall ? fmtInt(Math.round(first.transitions / wall)) : '-',
      fmtMiB(rss),
      first && rss ? fmtInt(Math.round(rss / first.distinctStates)) : '-',
      ratios.length ? `${median(ratios)!.toFixed(3)}` : '-',
    ])
    const problems: string[] = []
    for (const [i, x] of s.fc.entries()) if (!x.j) problems.push(`run ${i + 1} failed: ${x.error ?? ''}`)
    for (const [i, x] of s.instr.entries()) if (!x.j) problems.push(`instrumented run ${i + 1} failed: ${x.error ?? ''}`)
    for (const j of [...js, ...defined(s.instr.map((x) => x.j))]) {
      if (j.verdict !== 'proved') problems.push(`says ${j.verdict}${j.property ? ` (${j.property})` : ''}, expected proved`)
      if (j.distinctStates !== s.rung.expect) problems.push(`${fmtInt(j.distinctStates)} states != reference ${fmtInt(s.rung.expect)}`)
      if (first && j.transitions !== first.transitions)
        problems.push(`transitions differ between runs (${fmtInt(j.transitions)} vs ${fmtInt(first.transitions)})`)
    }
    const uniq = [...new Set(problems)]
    if (uniq.length) bad++
    rows.push(
      `-> ${uniq.length ? `MISMATCH: ${uniq.join('; ')}` : `ok: ${fmtInt(s.rung.expect)} states (= reference) and the same transitions in ${js.length} runs; proved${s.rung.note ? ` (${s.rung.note})` : ''}`}`,
    )
  }
  {
    const ok = r1Runs.filter((z) => z.states !== undefined)
    const wall = median(ok.map((z) => z.t.wallS))
    const rss = median(defined(ok.map((z) => z.t.peakRssBytes)))
    const search = median(defined(ok.map((z) => (z.timeMs !== undefined ? z.timeMs / 1000 : undefined))))
    const st = ok[0]?.states
    rows.push([
      r1Name,
      st !== undefined ? fmtInt(st) : '-',
      '-',
      ok.length ? 'proved' : 'error',
      fmtS(wall),
      '-',
      fmtS(search),
      '-',
      '-',
      '-',
      st && wall ? fmtInt(Math.round(st / wall)) : '-',
      st && search ? fmtInt(Math.round(st / search)) : '-',
      '-',
      fmtMiB(rss),
      st && rss ? fmtInt(Math.round(rss / st)) : '-',
      '1',
    ])
    const problems = [
      ...r1Runs.filter((z) => z.error).map((z) => z.error!),
      ...ok.filter((z) => z.states !== r1.expect).map((z) => `${fmtInt(z.states!)} states != reference ${fmtInt(r1.expect)}`),
    ]
    if (problems.length) bad++
    rows.push(
      `-> ${problems.length ? `MISMATCH: ${[...new Set(problems)].join('; ')}` : `ok: ${fmtInt(r1.expect)} states (= reference) in ${ok.length} runs (bench/fencecheckOne.ts: explore(r1(...)), no graph checks)`}`,
    )
  }
  console.log('')
  console.log(`GPU ladder: scaled designs of the bundled families (bench/gpuLadder.ts), every property that applies; medians of ${REPEATS} rounds`)
  console.log('')
  printTable(
    [
      'design',
      'states',
      'transitions',
      'verdict',
      'time (s)',
      'load (s)',
      'search (s)',
      'graph (s)',
      'report (s)',
      'other (s)',
      'states/s',
      'states/s (search)',
      'transitions/s',
      'peak RSS (MiB)',
      'B/state',
      'rate vs R1',
    ],
    rows,
    new Set([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
  )
  console.log('')
  console.log(
    'time: wall seconds of the whole process (node dist/bench/gpuOne.js FILE, under GNU time); load: parse and compile the scenario; search: explore()',
  )
  console.log(
    'up to its graph checks; graph: the checks on the recorded graph (progress, lock order, liveness); report: the report with its trace, JSON result, text,',
  )
  console.log(
    'Markdown and HTML reports; other: the rest of the process (node start-up, loading the modules, exit). states/s, transitions/s: per second of the',
  )
  console.log('whole process; states/s (search): per second of search. peak RSS: whole process.')
  console.log(`B/state: peak RSS / states. rate vs R1: this design's states/s over ${r1Name}'s in the same round, median over the rounds.`)
  console.log(
    `every run is repeated in ${REPEATS} rounds (every rung once per round, R1 after the largest S19 rung); the figures are medians. designs: node dist/bench/gpuLadder.js FAMILY SIZES.`,
  )

  // ---- where the property time goes (instrumented runs)
  const prow: (string[] | string)[] = []
  for (const s of slots) {
    const ins = defined(s.instr.map((x) => x.j))
    if (ins.length === 0) continue
    // Shares are of the instrumented runs' own phases, which contain every timed call.
    const searchMs = median(ins.map((j) => j.phasesMs.search))
    const graphMs = median(ins.map((j) => j.phasesMs.graph))
    // Median per property over the rounds; the sometimes witnesses together in one row.
    const byName = new Map<string, { kind: string; calls: number; ms: number[] }>()
    const put = (p: PropertyTime, key: string, kind: string, round: number): void => {
      const e = byName.get(key) ?? { kind, calls: 0, ms: [] }
      if (round === 0) e.calls += p.calls
      e.ms[round] = (e.ms[round] ?? 0) + p.ms
      byName.set(key, e)
    }
    ins.forEach((j, round) => {
      for (const p of j.properties ?? []) put(p, p.kind === 'sometimes' ? 'witnesses: every sometimes property' : p.name, p.kind, round)
      for (const p of j.graphChecks ?? []) put(p, `graph check: ${p.name}`, `${p.kind} (graph)`, round)
    })
    const entries = [...byName.entries()].map(([name, e]) => ({
      name,
      kind: e.kind,
      calls: e.calls,
      ms: median(Array.from({ length: e.ms.length }, (_, i) => e.ms[i] ?? 0)) ?? 0,
    }))
    entries.sort((a, b) => b.ms - a.ms)
    const share = (e: { kind: string; ms: number }): number | undefined => {
      const whole = e.kind.endsWith('(graph)') ? graphMs : searchMs
      return whole ? (100 * e.ms) / whole : undefined
    }
    // Rows for what takes at least MIN_SHARE of its phase; the rest in one line.
    const shown = entries.filter((e) => (share(e) ?? 100) >= MIN_SHARE)
    const rest = entries.filter((e) => !shown.includes(e))
    shown.forEach((e, i) => {
      const sh = share(e)
      prow.push([
        i === 0 ? sizeName(s.rung.size) : '',
        e.name.length > 70 ? `${e.name.slice(0, 67)}...` : e.name,
        e.kind,
        fmtInt(e.calls),
        e.ms.toFixed(1),
        sh !== undefined ? `${sh.toFixed(1)}%` : '-',
      ])
    })
    const restMs = rest.reduce((n, e) => n + e.ms, 0)
    if (rest.length)
      prow.push(
        `-> ${rest.length} more, each under ${MIN_SHARE}% of its phase: ${restMs.toFixed(1)} ms together (${rest.map((e) => e.name.replace(/^graph check: /, 'graph check of ').split(':')[0]).join(', ')})`,
      )
    const inSearch = entries.filter((e) => !e.kind.endsWith('(graph)')).reduce((n, e) => n + e.ms, 0)
    prow.push(
      `-> properties: ${inSearch.toFixed(0)} ms of an instrumented ${searchMs !== undefined ? searchMs.toFixed(0) : '-'} ms search (${searchMs ? ((100 * inSearch) / searchMs).toFixed(0) : '-'}%); timer bias ${median(defined(ins.map((j) => j.timerNs)))?.toFixed(0) ?? '-'} ns per call subtracted`,
    )
  }
  console.log('')
  console.log(`Where the property time goes: instrumented runs (bench/gpuOne.ts --instrument), medians of ${REPEATS}`)
  console.log('')
  printTable(['design', 'property', 'kind', 'calls', 'time (ms)', 'share'], prow, new Set([3, 4, 5]))
  console.log('')
  console.log("time: in the property's own functions (a timer around every call, its bias subtracted). share: of the instrumented run's search phase")
  console.log('(graph checks: of its graph phase), which the timers lengthen, so shares are lower bounds. Invariants run once per new state, step and order')
  console.log(
    'properties once per transition, progress and liveness labels once per expanded state (and obligation). Instrumented times are used nowhere else.',
  )

  // ---- SPIN
  if (spinOn) {
    const srows: (string[] | string)[] = []
    for (const s of slots) {
      if (!s.spin.nopor) continue
      const fcOk = s.fc.filter((x) => x.j)
      const fcStates = fcOk[0]?.j?.distinctStates
      const fcWall = median(fcOk.map((x) => x.t.wallS))
      srows.push([
        sizeName(s.rung.size),
        'fencecheck',
        fcStates !== undefined ? fmtInt(fcStates) : '-',
        fcOk[0]?.j ? fmtInt(fcOk[0].j.transitions) : '-',
        '-',
        '-',
        fmtS(fcWall),
        fcStates && fcWall ? fmtInt(Math.round(fcStates / fcWall)) : '-',
        fmtMiB(median(defined(fcOk.map((x) => x.t.peakRssBytes)))),
        '-',
        '-',
      ])
      const problems: string[] = []
      const counts: Partial<Record<SpinTool, number>> = {}
      for (const tool of ['nopor', 'por'] as const) {
        const sp = s.spin[tool]!
        if ('error' in sp.build) {
          srows.push(['', SPIN_LABEL[tool], '-', '-', `error: ${sp.build.error}`.slice(0, 60), '-', '-', '-', '-', '-', '-'])
          problems.push(`${SPIN_LABEL[tool]}: ${sp.build.error}`)
          continue
        }
        const ok = sp.runs.filter((z) => z.states !== undefined)
        for (const z of sp.runs) if (z.error) problems.push(`${SPIN_LABEL[tool]}: ${z.error}`)
        const st = ok[0]?.states
        if (st !== undefined) counts[tool] = st
        if (ok.some((z) => z.states !== st)) problems.push(`${SPIN_LABEL[tool]}: counts differ between runs`)
        const wall = median(ok.map((z) => z.t.wallS))
        const errors = ok[0]?.errors
        srows.push([
          '',
          SPIN_LABEL[tool],
          st !== undefined ? fmtInt(st) : '-',
          ok[0]?.transitions !== undefined ? fmtInt(ok[0].transitions) : '-',
          errors === undefined ? '-' : errors === 0 ? 'no deadlock' : `${errors} error(s)`,
          fmtS(sp.build.compileS),
          fmtS(wall),
          st && wall && wall >= 0.1 ? fmtInt(Math.round(st / wall)) : '-',
          fmtMiB(median(defined(ok.map((z) => z.t.peakRssBytes)))),
          fcStates && st ? `${(fcStates / st).toFixed(3)}x` : '-',
          fcWall && wall && wall >= 0.1 ? `${(wall / fcWall).toFixed(2)}x` : '-',
        ])
        if (errors !== undefined && errors > 0)
          problems.push(`${SPIN_LABEL[tool]} reports ${errors} error(s) (a global deadlock) where fencecheck proves the design`)
      }
      if (counts.nopor !== undefined && fcStates !== undefined && counts.nopor !== fcStates)
        problems.push(`spin (no POR) stores ${fmtInt(counts.nopor)} states, fencecheck ${fmtInt(fcStates)}`)
      if (problems.length) bad++
      srows.push(
        `-> ${
          problems.length
            ? `MISMATCH: ${[...new Set(problems)].join('; ')}`
            : `ok: spin without reduction stores exactly fencecheck's ${fmtInt(fcStates ?? 0)} states; with POR ${fmtInt(counts.por ?? 0)} (${fcStates && counts.por ? ((100 * (fcStates - counts.por)) / fcStates).toFixed(1) : '-'}% fewer)`
        }`,
      )
    }
    console.log('')
    console.log(`The S19-like rungs in Promela (bench/gpuPromela.ts) for SPIN, without and with partial-order reduction; medians of ${REPEATS} rounds`)
    console.log('')
    printTable(
      ['design', 'tool', 'states', 'transitions', 'verdict', 'compile (s)', 'time (s)', 'states/s', 'peak RSS (MiB)', 'fc states / this', 'fc speed'],
      srows,
      new Set([2, 3, 5, 6, 7, 8, 9, 10]),
    )
    console.log('')
    console.log(
      `spin -a s19.pml; cc ${SPIN_CFLAGS.nopor.join(' ')} (no POR) or without -DNOREDUCE (POR); ./pan -m10000 -w<log2 states>. pan checks the global deadlock only`,
    )
    console.log(
      '(d_step { timeout; assert(...) }); its transitions also count the self-loop of every terminal state. fencecheck: the whole process with every property',
    )
    console.log("(the ladder's time). fc speed: pan's time / fencecheck's (above 1: fencecheck is faster). fencecheck's own reduction: the POR table below.")
  }
  bad += porTable(slots, spinOn)
  for (const n of notes) console.log(`note: ${n}`)
  return bad
}

/**
 * The partial-order reduction table: states with and without reduction on every rung, and SPIN's
 * pair for the S19 rungs (its -DNOREDUCE count must equal fencecheck's unreduced count).
 */
function porTable(
  slots: readonly { rung: GpuRung; fc: FcRun[]; por?: FcRun; spin: Partial<Record<SpinTool, { runs: SpinRun[] }>> }[],
  spinOn: boolean,
): number {
  let bad = 0
  const rows: (string[] | string)[] = []
  const pct = (a: number | undefined, b: number | undefined): string => (a !== undefined && b ? `${((100 * a) / b).toFixed(1)}%` : '-')
  for (const s of slots) {
    const full = s.fc.find((x) => x.j)?.j?.distinctStates
    const red = s.por?.j?.distinctStates
    const spinFull = s.spin.nopor?.runs.find((z) => z.states !== undefined)?.states
    const spinPor = s.spin.por?.runs.find((z) => z.states !== undefined)?.states
    rows.push([
      sizeName(s.rung.size),
      full !== undefined ? fmtInt(full) : '-',
      red !== undefined ? fmtInt(red) : '-',
      pct(red, full),
      s.por?.j ? s.por.j.verdict : s.por ? 'error' : '-',
      fmtS(s.por?.t.wallS),
      spinOn && s.spin.nopor ? (spinFull !== undefined ? fmtInt(spinFull) : '-') : 'n/a',
      spinOn && s.spin.por ? (spinPor !== undefined ? fmtInt(spinPor) : '-') : 'n/a',
      pct(spinPor, spinFull),
    ])
    const problems: string[] = []
    if (s.por && !s.por.j) problems.push(`--por run failed: ${s.por.error ?? ''}`)
    if (red !== undefined && full !== undefined && red > full) problems.push('the reduced search stored more states')
    // POR leaves progress unchecked (plan.ts), so a proof becomes inconclusive; nothing may be violated.
    if (s.por?.j && s.por.j.verdict === 'violated') problems.push(`--por says violated (${s.por.j.property ?? ''}) where the full search proves the design`)
    if (spinFull !== undefined && full !== undefined && spinFull !== full)
      problems.push(`spin -DNOREDUCE stores ${fmtInt(spinFull)} states, fencecheck ${fmtInt(full)}`)
    if (problems.length) {
      bad++
      rows.push(`-> MISMATCH: ${problems.join('; ')}`)
    }
  }
  console.log('')
  console.log('Partial-order reduction (--por, checker/por.ts) on the GPU ladder, beside SPIN on the Promela encoding of the S19 rungs')
  console.log('')
  printTable(
    ['design', 'states', 'states --por', 'kept', 'verdict --por', 'time --por (s)', 'spin -DNOREDUCE', 'spin POR', 'spin kept'],
    rows,
    new Set([1, 2, 3, 5, 6, 7, 8]),
  )
  console.log('')
  console.log('states: fencecheck without reduction (the ladder above); states --por: one run of node dist/bench/gpuOne.js FILE OUT --por (every property;')
  console.log('progress is not checked under POR, so a proof reads inconclusive). kept: reduced / unreduced. spin: the S19 table above (BFS, -DSAFETY).')
  return bad
}
