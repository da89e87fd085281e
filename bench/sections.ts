/**
 * The benchmark's sections after the ladder (bench/run.ts runs them; bench/README.md documents
 * them):
 *
 *  - symmetry:   `fencecheck check r1 --symmetry` against Rumur's scalarset symmetry reduction on
 *                bench/r1sym.m (exhaustive and heuristic), on the ladder's rungs plus one deadlock
 *                rung with a nontrivial symmetry group;
 *  - workers:    `fencecheck check DESIGN --workers 1` against `--workers 2`, paired rounds, on R1's
 *                top rung and the GPU ladder's reference rung (skipped with a note when the CLI
 *                does not know --workers);
 *  - simulation: `fencecheck simulate` against exhaustive BFS (with and without --symmetry) on R1
 *                naive at sizes far beyond the ladder, where the deadlock is either impossible
 *                (M > 0) or 12 / 24 steps deep (M = 0); every counterexample is replayed;
 *  - gpu:        the GPU ladder (bench/gpuSection.ts): scaled GPU designs with every property,
 *                their phases and property costs, R1 in the same rounds, and the S19-like rungs
 *                in Promela for SPIN.
 *
 * Every run is its own child process under GNU time, like the ladder's.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { designYaml, sizeName, sizeTag } from './gpuLadder.js'
import { GPU_RUNGS, sectionGpu } from './gpuSection.js'
import {
  clip,
  cliMain,
  cliParams,
  fmtInt,
  fmtMiB,
  fmtS,
  outRoot,
  printTable,
  rumurCheck,
  rungName,
  rungTag,
  timed,
  type Policy,
  type Rung,
  type ToolOutcome,
  type Timed,
  type Verdict,
} from './util.js'
import { sectionSpinPairs } from './spinPairs.js'

export const SECTIONS = ['ladder', 'symmetry', 'workers', 'simulation', 'liveness', 'gpu', 'pairs'] as const
export type SectionId = (typeof SECTIONS)[number]

export interface SectionContext {
  /** the ladder (all rungs; each section picks its own) */
  readonly rungs: readonly Rung[]
  readonly quick: boolean
  /** leave out the runs that take minutes by design (the exhaustive searches of the simulation section) */
  readonly skipLong: boolean
  readonly sections: ReadonlySet<SectionId>
  /** why Rumur cannot run (not installed, not wanted, no C compiler); undefined if it can */
  readonly rumurSkip?: string
  /** why SPIN cannot run, likewise (the GPU ladder's Promela rows) */
  readonly spinSkip?: string
}

// ---------------------------------------------------------------------------------------------
// The fencecheck CLI

/** The part of fencecheck's JSON result that the tables use (check and simulate). */
interface FcJson {
  readonly verdict: 'proved' | 'violated' | 'inconclusive'
  readonly property?: { readonly name: string }
  readonly traceLength?: number
  readonly cutBy?: string
  readonly detail?: string
  readonly scope?: { readonly completeDepth?: number }
  readonly distinctStates?: number
  readonly transitions?: number
  readonly maxDepth?: number
  readonly timeMs?: number
  readonly seed?: number
  readonly coverage?: { readonly walks: number; readonly steps: number; readonly distinctStates: number; readonly timeMs: number }
}

interface FcRun {
  readonly t: Timed
  readonly j?: FcJson
  /** why there is no result (the process failed or printed no JSON) */
  readonly error?: string
}

/** `node dist/cli/main.js ARGS --format json --quiet`; exit codes 0, 1 and 3 are answers. */
function fcCli(args: readonly string[], dir: string, log: string, nodeFlags: readonly string[] = []): FcRun {
  const t = timed(process.execPath, [...nodeFlags, cliMain, ...args, '--format', 'json', '--quiet'], dir, join(dir, log), [0, 1, 3])
  if (!t.ok) return { t, error: `${t.error ?? 'failed'}: ${lastLine(t.stderr || t.stdout)}` }
  try {
    return { t, j: JSON.parse(t.stdout) as FcJson }
  } catch {
    return { t, error: `unreadable output: ${lastLine(t.stdout)}` }
  }
}

const lastLine = (s: string): string => s.trim().split('\n').pop() ?? ''

/**
 * Two runs of `node dist/cli/main.js ARGS --format json --quiet` started together, timed as one
 * process (a shell that waits for both): what two searches that never wait on each other get
 * from this machine's cores. Each run's JSON goes to its own file; both must be answers.
 */
function fcCliTwice(args: readonly string[], dir: string, log: string): { readonly t: Timed; readonly j: readonly FcJson[]; readonly error?: string } {
  const outs = [join(dir, `${log}.a.json`), join(dir, `${log}.b.json`)] as const
  // $1 and $2: the output files; the rest: the command. The shell's status is the first run's (wait), or the second's if that failed.
  const script = 'a=$1; b=$2; shift 2; "$@" > "$a" & p=$!; "$@" > "$b"; s=$?; wait $p; t=$?; [ $t -ne 0 ] && exit $t; exit $s'
  const t = timed('/bin/sh', ['-c', script, 'sh', ...outs, process.execPath, cliMain, ...args, '--format', 'json', '--quiet'], dir, join(dir, log), [0, 1, 3])
  if (!t.ok) return { t, j: [], error: `${t.error ?? 'failed'}: ${lastLine(t.stderr)}` }
  try {
    return { t, j: outs.map((f) => JSON.parse(readFileSync(f, 'utf8')) as FcJson) }
  } catch {
    return { t, j: [], error: 'a run printed no JSON result' }
  }
}

/** fencecheck's verdict in the ladder's vocabulary */
function fcVerdict(j: FcJson): Verdict {
  if (j.verdict === 'proved') return 'proved'
  if (j.verdict === 'inconclusive') return 'inconclusive'
  return j.property?.name === 'deadlock' ? 'deadlock' : 'page conservation'
}

const ratio = (a: number | undefined, b: number | undefined, digits = 2): string =>
  a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(digits)}x` : '-'

function freshDir(...parts: string[]): string {
  const d = join(outRoot, ...parts)
  rmSync(d, { recursive: true, force: true })
  mkdirSync(d, { recursive: true })
  return d
}

const progress = (what: string): void => {
  process.stderr.write(what)
}

// ---------------------------------------------------------------------------------------------
// 1. Symmetry: fencecheck --symmetry vs Rumur's scalarset symmetry reduction

/** One deadlock rung on top of the ladder's: a violation found under a nontrivial symmetry group. */
const SYM_EXTRA: readonly Rung[] = [{ C: 2, G: 3, K: 3, M: 0, policy: 'naive', quick: true, note: 'deadlock under symmetry' }]
/** r1sym.m with symmetry off must reach R1's own count; run where that is cheap for Rumur. */
const SYM_OFF_MAX_STATES = 400_000

type SymTool = 'fc-sym' | 'rumur-ex' | 'rumur-heur' | 'rumur-off'
const SYM_LABEL: Record<SymTool, string> = {
  'fc-sym': 'fencecheck --symmetry',
  'rumur-ex': 'rumur exhaustive',
  'rumur-heur': 'rumur heuristic',
  'rumur-off': 'rumur off (r1sym.m)',
}
const SYM_RUMUR_MODE: Record<Exclude<SymTool, 'fc-sym'>, string> = { 'rumur-ex': 'exhaustive', 'rumur-heur': 'heuristic', 'rumur-off': 'off' }

interface SymResult extends ToolOutcome {
  readonly tool: SymTool
  readonly traceLength?: number
  /** fencecheck's own search time (its timeMs), seconds */
  readonly searchS?: number
}

/** Below this the wall clock (10 ms resolution) says little, so no time ratio is shown. */
const MIN_RATIO_S = 0.1

function symFencecheck(r: Rung, dir: string): SymResult {
  const x = fcCli(['check', 'r1', ...cliParams(r), '--symmetry'], dir, 'fencecheck-sym')
  if (!x.j) return { tool: 'fc-sym', verdict: 'error', detail: x.error ?? 'no result' }
  return {
    tool: 'fc-sym',
    verdict: fcVerdict(x.j),
    ...(x.j.distinctStates !== undefined ? { states: x.j.distinctStates } : {}),
    runS: x.t.wallS,
    ...(x.t.peakRssBytes !== undefined ? { peakRssBytes: x.t.peakRssBytes } : {}),
    ...(x.j.traceLength !== undefined ? { traceLength: x.j.traceLength } : {}),
    ...(x.j.timeMs !== undefined ? { searchS: x.j.timeMs / 1000 } : {}),
  }
}

function symRumur(r: Rung, dir: string, tool: Exclude<SymTool, 'fc-sym'>): SymResult {
  const mode = SYM_RUMUR_MODE[tool]
  const x = rumurCheck(r, join(dir, `rumur-sym-${mode}`), 'r1sym.m', ['--symmetry-reduction', mode])
  return { tool, ...x, ...(x.trace ? { traceLength: x.trace.length } : {}) }
}

function sectionSymmetry(ctx: SectionContext): number {
  const rungs = [...ctx.rungs, ...SYM_EXTRA].filter((r) => !ctx.quick || r.quick)
  const rows: (string[] | string)[] = []
  const notes: string[] = []
  if (ctx.rumurSkip) notes.push(`rumur rows skipped: ${ctx.rumurSkip}`)
  let bad = 0
  rungs.forEach((r, i) => {
    const dir = freshDir('symmetry', rungTag(r))
    const deadlock = r.deadlockTrace !== undefined || r.expect === undefined
    const tools: SymTool[] = ['fc-sym']
    if (!ctx.rumurSkip) {
      tools.push('rumur-ex', 'rumur-heur')
      if (deadlock || r.expect <= SYM_OFF_MAX_STATES) tools.push('rumur-off')
    }
    const results: SymResult[] = []
    for (const tool of tools) {
      progress(`[symmetry ${i + 1}/${rungs.length}] ${rungName(r)}: ${SYM_LABEL[tool]} ...`)
      let x: SymResult
      try {
        x = tool === 'fc-sym' ? symFencecheck(r, dir) : symRumur(r, dir, tool)
      } catch (e) {
        x = { tool, verdict: 'error', detail: e instanceof Error ? e.message : String(e) }
      }
      progress(` ${x.verdict}${x.states !== undefined ? `, ${fmtInt(x.states)} states` : ''}${x.runS !== undefined ? `, ${x.runS.toFixed(2)} s` : ''}\n`)
      results.push(x)
    }
    const fc = results.find((x) => x.tool === 'fc-sym' && x.verdict !== 'error')
    results.forEach((x, j) => {
      let verdict: string = x.verdict
      if (x.traceLength !== undefined && x.verdict !== 'proved') verdict += ` (${x.traceLength} steps)`
      if (x.detail) verdict += `: ${x.detail}`
      const symmetric = x.tool !== 'rumur-off'
      rows.push([
        j === 0 ? rungName(r) : '',
        SYM_LABEL[x.tool],
        x.states !== undefined ? fmtInt(x.states) : '-',
        symmetric && !deadlock && x.states ? `${(r.expect / x.states).toFixed(1)}x` : '-',
        clip(verdict),
        fmtS(x.compileS),
        fmtS(x.runS),
        fmtS(x.searchS),
        fmtMiB(x.peakRssBytes),
        !deadlock && x.tool !== 'fc-sym' ? ratio(x.states, fc?.states, 3) : '-',
        x.tool !== 'fc-sym' && x.verdict !== 'error' && (x.runS ?? 0) >= MIN_RATIO_S ? ratio(x.runS, fc?.runS) : '-',
      ])
    })

    // The checks: the same verdict everywhere; fencecheck's orbit count = Rumur's exhaustive one,
    // <= its heuristic one; r1sym.m without symmetry = R1's own count (the encoding is R1).
    const problems: string[] = []
    const failed = results.filter((x) => x.verdict === 'error')
    for (const x of failed) problems.push(`${SYM_LABEL[x.tool]} failed (see its row)`)
    const done = results.filter((x) => x.verdict !== 'error')
    const want: Verdict = deadlock ? 'deadlock' : 'proved'
    for (const x of done) if (x.verdict !== want) problems.push(`${SYM_LABEL[x.tool]} says ${x.verdict}, expected ${want}`)
    const get = (t: SymTool): SymResult | undefined => done.find((x) => x.tool === t)
    const ex = get('rumur-ex')
    const heur = get('rumur-heur')
    const off = get('rumur-off')
    let ok: string
    if (deadlock) {
      const lengths = new Set(done.map((x) => x.traceLength))
      if (lengths.size > 1) problems.push(`trace lengths differ (${done.map((x) => `${SYM_LABEL[x.tool]} ${x.traceLength ?? '-'}`).join(', ')})`)
      ok = `ok: all report the deadlock, each with a shortest trace of ${[...lengths][0] ?? '-'} steps (counts stop at the violation, not compared)`
    } else {
      if (fc?.states !== undefined && ex?.states !== undefined && fc.states !== ex.states) {
        problems.push(`fencecheck's ${fmtInt(fc.states)} orbits != rumur exhaustive ${fmtInt(ex.states)}`)
      }
      if (fc?.states !== undefined && heur?.states !== undefined && fc.states > heur.states) {
        problems.push(`fencecheck's ${fmtInt(fc.states)} > rumur heuristic ${fmtInt(heur.states)}`)
      }
      if (off?.states !== undefined && off.states !== r.expect) {
        problems.push(`r1sym.m without symmetry reaches ${fmtInt(off.states)} states, not R1's ${fmtInt(r.expect)}`)
      }
      const parts = [`${fmtInt(fc?.states ?? 0)} orbits`]
      if (ex) parts.push('= rumur exhaustive')
      if (heur) parts.push(`<= rumur heuristic (${fmtInt(heur.states ?? 0)})`)
      if (off) parts.push(`r1sym.m unreduced = R1's ${fmtInt(r.expect ?? 0)}`)
      ok = `ok: ${parts.join(', ')}; all proved`
    }
    if (problems.length) bad++
    rows.push(`-> ${problems.length ? `MISMATCH: ${problems.join('; ')}` : ok}`)
  })

  console.log('')
  console.log('Symmetry reduction: fencecheck --symmetry vs Rumur scalarset symmetry (bench/r1sym.m), one state per orbit')
  console.log('')
  printTable(
    ['rung', 'tool', 'distinct states', 'reduction', 'verdict', 'compile (s)', 'time (s)', 'search (s)', 'peak RSS (MiB)', 'states vs fc', 'time vs fc'],
    rows,
    new Set([2, 3, 5, 6, 7, 8, 9, 10]),
  )
  console.log('')
  console.log(
    "reduction: the rung's unreduced count (the ladder's reference) / distinct states. states vs fc, time vs fc: that row's / fencecheck --symmetry's",
  )
  console.log(
    `(above 1: fencecheck stores fewer states / is faster; time ratios only for runs of at least ${MIN_RATIO_S} s). time: wall seconds of the checking process`,
  )
  console.log(
    "(fencecheck: the whole CLI, node start-up included; Rumur: the compiled verifier); search: fencecheck's own search time. compile: rumur plus cc.",
  )
  console.log(
    `rumur off (r1sym.m): the scalarset encoding with --symmetry-reduction off, run where R1 has at most ${fmtInt(SYM_OFF_MAX_STATES)} states, to show it is R1.`,
  )
  for (const n of notes) console.log(`note: ${n}`)
  return bad
}

// ---------------------------------------------------------------------------------------------
// 2. Workers: fencecheck --workers 1 vs --workers 2

const WORKER_COUNTS = [1, 2] as const

interface WorkersSupport {
  readonly ok: boolean
  readonly why?: string
}

/** Does the CLI know --workers? Asked on the smallest rung (R1 naive 1,1,1,0). */
function workersSupported(dir: string): WorkersSupport {
  const x = fcCli(['check', 'r1', ...cliParams({ C: 1, G: 1, K: 1, M: 0, policy: 'naive' }), '--workers', '2'], dir, 'probe-workers')
  if (x.t.status === 2 && /Unknown argument/i.test(x.t.stderr))
    return { ok: false, why: 'this fencecheck has no --workers flag (exit 2, "Unknown argument: workers")' }
  if (!x.j) return { ok: false, why: `--workers 2 failed on R1 naive C=1 G=1 K=1 M=0: ${x.error ?? 'no result'}` }
  if (x.j.verdict !== 'violated') return { ok: false, why: `--workers 2 says ${x.j.verdict} on R1 naive C=1 G=1 K=1 M=0 (a known deadlock)` }
  return { ok: true }
}

/** One design the workers section runs with 1 and 2 workers: `check ARGS --workers N`. */
interface WorkersTarget {
  readonly name: string
  readonly tag: string
  readonly args: readonly string[]
  /** the reference distinct-state count every run must reach */
  readonly expect: number
}

const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2
}

function sectionWorkers(ctx: SectionContext): number {
  const ladder = ctx.rungs.filter((r) => r.expect !== undefined && r.policy === 'preempt')
  // R1's top rung (quick: the top quick one), and the GPU ladder's reference rung (quick: its top quick S19 rung).
  const r1 = ladder
    .filter((r) => !ctx.quick || r.quick)
    .sort((a, b) => (a.expect ?? 0) - (b.expect ?? 0))
    .at(-1)
  const gpu = GPU_RUNGS.filter((g) => g.size.family === 's19' && (!ctx.quick || g.quick)).at(-1)!
  const dir = freshDir('workers')
  const gpuFile = join(dir, `${sizeTag(gpu.size)}.yaml`)
  writeFileSync(gpuFile, designYaml(gpu.size))
  const targets: WorkersTarget[] = [
    ...(r1 ? [{ name: `r1 ${rungName(r1)}`, tag: rungTag(r1), args: ['r1', ...cliParams(r1)], expect: r1.expect! }] : []),
    { name: sizeName(gpu.size), tag: sizeTag(gpu.size), args: [gpuFile], expect: gpu.expect },
  ]
  const rounds = Math.max(1, Number(process.env.BENCH_PAIRS ?? 3) || 3)
  const rows: (string[] | string)[] = []
  const notes: string[] = []
  let bad = 0
  progress('[workers] probing --workers ...')
  const support = workersSupported(dir)
  progress(` ${support.ok ? 'supported' : 'not available'}\n`)
  if (!support.ok) {
    for (const t of targets) rows.push([t.name, '2', '-', '-', 'skipped', '-', '-', '-', '-', '-', '-'])
    notes.push(`--workers rows skipped: ${support.why ?? ''}`)
  } else {
    targets.forEach((target, i) => {
      // Paired rounds, A B A B: 1 worker, then 2 (then two 1-worker runs at once), in each round; the figures are medians.
      const runs = new Map<number, FcRun[]>(WORKER_COUNTS.map((n) => [n, []]))
      // The third run of a round: two 1-worker searches at once (the machine's ceiling, below).
      const twice: ReturnType<typeof fcCliTwice>[] = []
      for (let round = 0; round < rounds; round++) {
        for (const n of WORKER_COUNTS) {
          progress(`[workers ${i + 1}/${targets.length}, round ${round + 1}/${rounds}] ${target.name}: --workers ${n} ...`)
          const x = fcCli(['check', ...target.args, '--workers', `${n}`], dir, `${target.tag}-w${n}-${round}`)
          progress(` ${x.j ? `${x.j.verdict}, ${fmtInt(x.j.distinctStates ?? 0)} states, ${x.t.wallS.toFixed(2)} s` : 'error'}\n`)
          runs.get(n)!.push(x)
        }
        progress(`[workers ${i + 1}/${targets.length}, round ${round + 1}/${rounds}] ${target.name}: two 1-worker runs at once ...`)
        const y = fcCliTwice(['check', ...target.args, '--workers', '1'], dir, `${target.tag}-twice-${round}`)
        progress(` ${y.error ? 'error' : `${y.t.wallS.toFixed(2)} s`}\n`)
        twice.push(y)
      }
      const ok = (n: number): FcRun[] => runs.get(n)!.filter((x) => x.j !== undefined)
      const wall = (n: number): number | undefined => median(ok(n).map((x) => x.t.wallS))
      const search = (n: number): number | undefined => median(ok(n).flatMap((x) => (x.j!.timeMs !== undefined ? [x.j!.timeMs / 1000] : [])))
      // The speedup of each round's pair, then their median.
      const pairRatio = (f: (x: FcRun) => number | undefined): string => {
        const rs: number[] = []
        for (let round = 0; round < rounds; round++) {
          const a = f(runs.get(1)![round]!)
          const b = f(runs.get(2)![round]!)
          if (a !== undefined && b !== undefined && b > 0) rs.push(a / b)
        }
        const m = median(rs)
        return m !== undefined ? `${m.toFixed(2)}x` : '-'
      }
      for (const n of WORKER_COUNTS) {
        const first = ok(n)[0]
        const st = first?.j?.distinctStates
        const sw = search(n)
        rows.push([
          n === 1 ? target.name : '',
          `${n}`,
          st !== undefined ? fmtInt(st) : '-',
          first?.j?.transitions !== undefined ? fmtInt(first.j.transitions) : '-',
          first?.j ? fcVerdict(first.j) : clip(`error: ${runs.get(n)![0]!.error ?? ''}`),
          fmtS(wall(n)),
          fmtS(sw),
          st !== undefined && sw ? fmtInt(Math.round(st / sw)) : '-',
          fmtMiB(median(ok(n).flatMap((x) => (x.t.peakRssBytes !== undefined ? [x.t.peakRssBytes] : [])))),
          n === 1 ? '1.00x' : pairRatio((x) => (x.j ? x.t.wallS : undefined)),
          n === 1 ? '1.00x' : pairRatio((x) => (x.j?.timeMs !== undefined ? x.j.timeMs : undefined)),
        ])
      }
      // The ceiling: two searches' work in the time two independent runs take, against one run's
      // time (2 x t1 / t(both)), the median over rounds. No level barrier, no exchange, no
      // coordinator: what two workers could reach at best on these cores.
      const ceilings: number[] = []
      twice.forEach((y, round) => {
        const a = runs.get(1)![round]!
        if (!y.error && a.j && y.t.wallS > 0) ceilings.push((2 * a.t.wallS) / y.t.wallS)
      })
      const ceiling = median(ceilings)
      rows.push([
        '',
        '1 + 1',
        '-',
        '-',
        twice.every((y) => !y.error) ? 'two at once' : clip(`error: ${twice.find((y) => y.error)?.error ?? ''}`),
        fmtS(median(twice.flatMap((y) => (y.error ? [] : [y.t.wallS])))),
        '-',
        '-',
        '-',
        ceiling !== undefined ? `${ceiling.toFixed(2)}x` : '-',
        '-',
      ])
      const problems: string[] = []
      const base = ok(1)[0]?.j
      for (const n of WORKER_COUNTS) {
        for (const x of runs.get(n)!) {
          if (!x.j) problems.push(`--workers ${n} failed: ${x.error ?? ''}`)
          else {
            if (x.j.verdict !== 'proved') problems.push(`--workers ${n} says ${x.j.verdict}`)
            if (x.j.distinctStates !== target.expect)
              problems.push(`--workers ${n}: ${fmtInt(x.j.distinctStates ?? 0)} states != reference ${fmtInt(target.expect)}`)
            if (base && x.j.transitions !== base.transitions)
              problems.push(`--workers ${n}: ${fmtInt(x.j.transitions ?? 0)} transitions != 1 worker's ${fmtInt(base.transitions ?? 0)}`)
          }
        }
      }
      for (const y of twice) {
        if (y.error) problems.push(`two 1-worker runs at once failed: ${y.error}`)
        for (const j of y.j) {
          if (j.verdict !== 'proved' || j.distinctStates !== target.expect)
            problems.push(`a 1-worker run beside another: ${j.verdict}, ${fmtInt(j.distinctStates ?? 0)} states (reference ${fmtInt(target.expect)})`)
        }
      }
      if (problems.length) bad++
      rows.push(
        `-> ${problems.length ? `MISMATCH: ${[...new Set(problems)].join('; ')}` : `ok: same verdict, states (= reference) and transitions with ${WORKER_COUNTS.join(' and ')} workers, every round`}`,
      )
    })
  }
  console.log('')
  console.log(`Workers: fencecheck check DESIGN --workers N (level-synchronous parallel BFS), paired rounds (1 worker, 2 workers) x ${rounds}, medians`)
  console.log('')
  printTable(
    [
      'design',
      'workers',
      'distinct states',
      'transitions',
      'verdict',
      'time (s)',
      'search (s)',
      'states/s',
      'peak RSS (MiB)',
      'speedup (time)',
      'speedup (search)',
    ],
    rows,
    new Set([1, 2, 3, 5, 6, 7, 8, 9, 10]),
  )
  console.log('')
  console.log(
    "time: wall seconds of the whole CLI process; search: fencecheck's own timeMs (from the search's start to the verdict: graph checks included, start-up and output not). states/s: distinct states / search.",
  )
  console.log("speedup: the median over rounds of (the round's 1-worker figure / its 2-worker figure). peak RSS: the whole process, all threads.")
  console.log("1 worker is the serial search; 2 workers are two search threads beside the thread that coordinates them, on this machine's cores.")
  console.log(
    "1 + 1: two 1-worker runs of the design started together, as separate processes, timed until both end; its speedup is the round's 2 x (1-worker time) / (their time), the median: what two searches that never wait on each other get from this machine, the ceiling for 2 workers here.",
  )
  for (const n of notes) console.log(`note: ${n}`)
  return bad
}

// ---------------------------------------------------------------------------------------------
// 3. Simulation vs exhaustive search, beyond the ladder

interface SimSize {
  readonly C: number
  readonly G: number
  readonly K: number
  readonly M: number
  readonly policy: Policy
  /** is the deadlock reachable at this size (and how deep is the shortest one)? */
  readonly deadlockDepth?: number
  readonly why: string
}

/**
 * R1 naive at G = K = 8. With M > 0 pages the naive policy cannot deadlock at all (bench/README.md
 * gives the argument), so the first size, asked for as the simulation target, can only come out
 * inconclusive (or proved); the other two have the deadlock, 12 and 24 steps deep.
 */
const SIM_SIZES: readonly SimSize[] = [
  { C: 4, G: 8, K: 8, M: 4, policy: 'naive', why: 'no deadlock exists: M > 0' },
  { C: 4, G: 8, K: 8, M: 0, policy: 'naive', deadlockDepth: 12, why: 'deadlock 12 steps deep' },
  { C: 8, G: 8, K: 8, M: 0, policy: 'naive', deadlockDepth: 24, why: 'deadlock 24 steps deep' },
]
const simName = (s: SimSize): string => `${s.policy} C=${s.C} G=${s.G} K=${s.K} M=${s.M}`
const simTag = (s: SimSize): string => `${s.policy}-C${s.C}G${s.G}K${s.K}M${s.M}`

/** the exhaustive searches' bounds */
const EXHAUSTIVE_TIME = '600s'
const EXHAUSTIVE_MEMORY = '12GiB'
/** the simulation: seeds tried in turn until one finds the violation, each bounded by SIM_TIME */
const SIM_SEEDS = [1, 2, 3] as const
const SIM_WALKS = 100_000
/** --quick: fewer walks per seed */
const SIM_WALKS_QUICK = 10_000
const SIM_DEPTH = 200
const SIM_TIME = '60s'

interface SimRow {
  readonly method: string
  readonly run?: FcRun
  /** simulation: the replay of the counterexample */
  readonly replay?: Timed
  readonly skipped?: string
}

function exhaustive(s: SimSize, dir: string, symmetry: boolean): SimRow {
  const method = symmetry ? 'exhaustive --symmetry' : 'exhaustive BFS'
  const args = ['check', 'r1', ...cliParams(s), '--max-time', EXHAUSTIVE_TIME, '--max-memory', EXHAUSTIVE_MEMORY, ...(symmetry ? ['--symmetry'] : [])]
  progress(`[simulation] ${simName(s)}: ${method} ...`)
  const run = fcCli(args, dir, symmetry ? 'exhaustive-sym' : 'exhaustive')
  progress(` ${run.j ? `${run.j.verdict}, ${fmtInt(run.j.distinctStates ?? 0)} states` : 'error'}, ${run.t.wallS.toFixed(2)} s\n`)
  return { method, run }
}

/** One row per seed tried, in turn until one finds a violation (which is then replayed). */
function simulate(s: SimSize, dir: string, walks: number): SimRow[] {
  const rows: SimRow[] = []
  for (const seed of SIM_SEEDS) {
    const out = join(dir, `simulate-seed${seed}.json`)
    progress(`[simulation] ${simName(s)}: simulate --seed ${seed} ...`)
    const run = fcCli(
      ['simulate', 'r1', ...cliParams(s), '--seed', `${seed}`, '--walks', `${walks}`, '--depth', `${SIM_DEPTH}`, '--max-time', SIM_TIME, '--out', out],
      dir,
      `simulate-seed${seed}`,
    )
    progress(` ${run.j ? run.j.verdict : 'error'}, ${run.t.wallS.toFixed(2)} s\n`)
    const method = `simulate --seed ${seed}`
    if (run.j?.verdict === 'violated') {
      rows.push({ method, run, replay: timed(process.execPath, [cliMain, 'replay', out, '--quiet'], dir, join(dir, `replay-seed${seed}`)) })
      break
    }
    rows.push({ method, run })
    if (!run.j) break
  }
  return rows
}

function sectionSimulation(ctx: SectionContext): number {
  const rows: (string[] | string)[] = []
  const notes: string[] = []
  let bad = 0
  const long = !ctx.quick && !ctx.skipLong
  if (!long)
    notes.push(`the exhaustive BFS rows (up to ${EXHAUSTIVE_TIME} each) ran only in the full run: ${ctx.quick ? '--quick' : '--skip-long'} leaves them out`)
  for (const s of SIM_SIZES) {
    const dir = freshDir('simulation', simTag(s))
    const bfs: SimRow = long ? exhaustive(s, dir, false) : { method: 'exhaustive BFS', skipped: ctx.quick ? '--quick' : '--skip-long' }
    const sym = exhaustive(s, dir, true)
    const sims = simulate(s, dir, ctx.quick ? SIM_WALKS_QUICK : SIM_WALKS)
    const sim = sims[sims.length - 1]!
    const results: SimRow[] = [bfs, sym, ...sims]
    results.forEach((x, j) => {
      const jj = x.run?.j
      const cov = jj?.coverage
      let verdict: string
      if (x.skipped) verdict = `skipped (${x.skipped})`
      else if (!jj) verdict = `error: ${x.run?.error ?? ''}`
      else {
        verdict = jj.verdict === 'violated' ? `${fcVerdict(jj)}` : jj.verdict
        if (jj.verdict === 'inconclusive' && jj.cutBy) verdict += ` (cut by ${jj.cutBy})`
      }
      const replayed = x.replay ? (x.replay.ok ? 'ok (exit 0)' : `FAILED (exit ${x.replay.status})`) : '-'
      const searchS = cov ? cov.timeMs / 1000 : jj?.timeMs !== undefined ? jj.timeMs / 1000 : undefined
      rows.push([
        j === 0 ? `${simName(s)}` : j === 1 ? `(${s.why})` : '',
        x.method,
        clip(verdict, 48),
        cov ? fmtInt(cov.distinctStates) : jj?.distinctStates !== undefined ? fmtInt(jj.distinctStates) : '-',
        !cov && jj?.scope?.completeDepth !== undefined ? `${jj.scope.completeDepth}` : '-',
        cov ? fmtInt(cov.walks) : '-',
        cov ? fmtInt(cov.steps) : '-',
        x.run ? fmtS(x.run.t.wallS) : '-',
        fmtS(searchS),
        fmtMiB(x.run?.t.peakRssBytes),
        jj?.traceLength !== undefined ? `${jj.traceLength}` : '-',
        replayed,
      ])
    })
    const problems: string[] = []
    for (const x of results) if (!x.skipped && !x.run?.j) problems.push(`${x.method} failed: ${x.run?.error ?? ''}`)
    if (s.deadlockDepth === undefined) {
      for (const x of results) if (x.run?.j?.verdict === 'violated') problems.push(`${x.method} reports a violation where none can exist`)
      if (sym.run?.j && sym.run.j.verdict !== 'proved') problems.push(`exhaustive --symmetry says ${sym.run.j.verdict}, expected proved`)
    } else {
      if (sym.run?.j && (sym.run.j.verdict !== 'violated' || sym.run.j.traceLength !== s.deadlockDepth)) {
        problems.push(
          `exhaustive --symmetry: ${sym.run.j.verdict}${sym.run.j.traceLength !== undefined ? ` in ${sym.run.j.traceLength} steps` : ''}, expected the deadlock in ${s.deadlockDepth}`,
        )
      }
      const b = bfs.run?.j
      if (b && b.verdict === 'violated' && b.traceLength !== s.deadlockDepth)
        problems.push(`exhaustive BFS: a ${b.traceLength}-step trace, expected ${s.deadlockDepth}`)
      if (b && b.verdict === 'proved') problems.push('exhaustive BFS says proved')
      if (sim.run?.j) {
        if (sim.run.j.verdict !== 'violated') problems.push(`simulation did not find the deadlock with seeds ${SIM_SEEDS.join(', ')}`)
        else if (!sim.replay?.ok) problems.push(`replay of the simulation's trace failed: ${lastLine(sim.replay?.stderr || sim.replay?.stdout || '')}`)
      }
    }
    if (problems.length) bad++
    const summary: string[] = []
    const b = bfs.run?.j
    if (b) {
      summary.push(
        b.verdict === 'violated'
          ? `BFS finds the ${b.traceLength}-step deadlock after ${fmtInt(b.distinctStates ?? 0)} states in ${fmtS(bfs.run.t.wallS)} s`
          : b.verdict === 'proved'
            ? `BFS proves it in ${fmtS(bfs.run.t.wallS)} s (${fmtInt(b.distinctStates ?? 0)} states)`
            : `BFS is cut after ${fmtInt(b.distinctStates ?? 0)} states, every level up to depth ${b.scope?.completeDepth ?? '-'} complete`,
      )
    }
    const sj = sim.run?.j
    if (sj?.verdict === 'violated' && sj.coverage) {
      summary.push(
        `simulation (${sim.method}) finds a ${sj.traceLength}-step deadlock in walk ${fmtInt(sj.coverage.walks)} (${fmtS(sj.coverage.timeMs / 1000)} s), replay ${sim.replay?.ok ? 'confirms it' : 'FAILS'}`,
      )
    } else if (sj) {
      const walks = sims.reduce((n, x) => n + (x.run?.j?.coverage?.walks ?? 0), 0)
      summary.push(`simulation: ${sj.verdict} after ${fmtInt(walks)} walks over ${sims.length} seed(s)`)
    }
    rows.push(`-> ${problems.length ? `MISMATCH: ${problems.join('; ')}` : `ok: ${summary.join('; ')}`}`)
  }
  console.log('')
  console.log('Simulation vs exhaustive search: R1 naive with 8 graphics and 8 compute jobs')
  console.log('')
  printTable(
    ['size', 'method', 'verdict', 'distinct states', 'complete depth', 'walks', 'steps', 'time (s)', 'search (s)', 'peak RSS (MiB)', 'trace', 'replay'],
    rows,
    new Set([3, 4, 5, 6, 7, 8, 9, 10]),
  )
  console.log('')
  console.log(`exhaustive: fencecheck check r1 --max-time ${EXHAUSTIVE_TIME} --max-memory ${EXHAUSTIVE_MEMORY} (BFS; with --symmetry: one state per orbit).`)
  console.log(
    `simulation: fencecheck simulate r1 --walks ${fmtInt(ctx.quick ? SIM_WALKS_QUICK : SIM_WALKS)} --depth ${SIM_DEPTH} --max-time ${SIM_TIME} --out FILE, seeds ${SIM_SEEDS.join(', ')} in turn until one finds the violation;`,
  )
  console.log(
    'one row per seed tried; walks and steps are those done up to the violation (or all of them); the counterexample is checked with fencecheck replay FILE (exit 0 = confirmed).',
  )
  console.log("complete depth: every state up to this depth was explored. time: wall seconds of the process; search: fencecheck's own time.")
  for (const n of notes) console.log(`note: ${n}`)
  return bad
}

// ---------------------------------------------------------------------------------------------

/** Run the selected sections after the ladder; returns how many rungs/sizes disagree. */
export function runSections(ctx: SectionContext): number {
  let bad = 0
  if (ctx.sections.has('symmetry')) bad += sectionSymmetry(ctx)
  if (ctx.sections.has('workers')) bad += sectionWorkers(ctx)
  if (ctx.sections.has('simulation')) bad += sectionSimulation(ctx)
  if (ctx.sections.has('gpu')) bad += sectionGpu({ quick: ctx.quick, ...(ctx.spinSkip ? { spinSkip: ctx.spinSkip } : {}) })
  if (ctx.sections.has('pairs')) bad += sectionSpinPairs({ quick: ctx.quick, ...(ctx.spinSkip ? { spinSkip: ctx.spinSkip } : {}) })
  return bad
}
