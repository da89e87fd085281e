/**
 * Benchmark: R1 on a ladder of sizes, checked by fencecheck, SPIN and Rumur, one table.
 *
 *     npm run bench                 the whole ladder and every section (about 40 minutes)
 *     npm run bench -- --quick      only the small rungs (BENCH_QUICK=1 does the same)
 *     npm run bench -- --tools fencecheck,rumur    a subset of the tools
 *     npm run bench -- --sections ladder,symmetry   a subset of the tables (ladder, symmetry,
 *                                   workers, simulation, liveness, gpu, pairs; default all)
 *     npm run bench -- --skip-long  the full rungs, without the simulation section's exhaustive
 *                                   searches (up to 10 minutes each)
 *
 * After the ladder come more tables (bench/sections.ts): fencecheck --symmetry against
 * Rumur's scalarset symmetry reduction (bench/r1sym.m), fencecheck --workers 1 against 2,
 * fencecheck simulate against exhaustive search on R1 beyond the ladder, the cost of liveness
 * checking, and the GPU ladder (bench/gpuSection.ts) with its SPIN pairs.
 *
 * Every tool runs as its own child process under `/usr/bin/time -f '%e %M %U %S'`, so wall time and peak
 * RSS are measured the same way for all of them (fencecheck through bench/fencecheckOne.ts).
 * SPIN's and Rumur's generation + C compilation is timed separately from the verification run;
 * states/s uses the verification run only. The distinct-state counts must be identical across the
 * tools (and equal to the reference counts below) at every rung; any mismatch, or disagreeing
 * verdicts, makes the exit status 1. Tools that are not installed are skipped with a note.
 *
 * Generated files (pan.c, verifiers, logs, trails) go to bench/out/ only. bench/README.md
 * documents the flags.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { runSections, SECTIONS, type SectionId } from './sections.js'
import { livenessCost, livenessTable } from './liveness.js'
import {
  benchSrc,
  CC,
  cliMain,
  cliParams,
  distBench,
  fmtInt,
  fmtS,
  haveTime,
  lastLines,
  rumurCheck,
  type ToolOutcome,
  outRoot,
  printTable,
  probe,
  rungName,
  rungTag,
  TIME,
  timed,
  type Policy,
  type Rung,
  type Timed,
  type Verdict,
} from './util.js'

// ---------------------------------------------------------------------------------------------
// The ladder

const RUNGS: readonly Rung[] = [
  { C: 1, G: 1, K: 1, M: 0, policy: 'naive', deadlockTrace: ['comp_start', 'comp_fault', 'fault_wait'], quick: true, note: 'sanity: the known deadlock' },
  { C: 3, G: 3, K: 3, M: 1, policy: 'naive', expect: 8677, quick: true, note: 'conformance' },
  { C: 3, G: 3, K: 3, M: 1, policy: 'reserve', expect: 5721, quick: true, note: 'conformance' },
  { C: 3, G: 3, K: 3, M: 1, policy: 'skip', expect: 5974, quick: true, note: 'conformance' },
  { C: 3, G: 3, K: 3, M: 1, policy: 'preempt', expect: 42761, quick: true, note: 'ladder' },
  { C: 2, G: 3, K: 4, M: 1, policy: 'preempt', expect: 320827, quick: true, note: 'ladder' },
  { C: 3, G: 4, K: 4, M: 1, policy: 'preempt', expect: 3124470, quick: false, note: 'ladder' },
  { C: 3, G: 4, K: 5, M: 2, policy: 'preempt', expect: 14544324, quick: false, note: 'ladder' },
]

// ---------------------------------------------------------------------------------------------
// Tool settings (documented in bench/README.md)

/** SPIN: breadth-first, safety only; without and with partial-order reduction. */
const SPIN_CFLAGS_NOPOR = ['-O2', '-DBFS', '-DSAFETY', '-DNOREDUCE', '-DMEMLIM=16384']
const SPIN_CFLAGS_POR = ['-O2', '-DBFS', '-DSAFETY', '-DMEMLIM=16384']
/** pan's depth bound; R1's ladder is < 50 deep, and pan reports it if this is ever too small */
const SPIN_MAX_DEPTH = 10000

const SPIN_POLICY: Record<Policy, string> = { naive: 'NAIVE', reserve: 'RESERVE', preempt: 'PREEMPT', skip: 'SKIP' }

const fencecheckOne = join(distBench, 'fencecheckOne.js')

// ---------------------------------------------------------------------------------------------
// Results

type ToolId = 'fencecheck' | 'spin' | 'spin-por' | 'rumur'
const TOOL_LABEL: Record<ToolId, string> = {
  fencecheck: 'fencecheck',
  spin: 'spin (no POR)',
  'spin-por': 'spin (POR)',
  rumur: 'rumur',
}

/** A tool's outcome on one rung (trace: the actions of the counterexample, when one was found). */
interface Result extends ToolOutcome {
  readonly tool: ToolId
}

const fail = (tool: ToolId, detail: string, t?: Timed): Result => ({
  tool,
  verdict: 'error',
  detail: t ? `${detail}: ${t.error ?? ''} ${lastLines(t.stderr || t.stdout)}`.trim() : detail,
})

// ---- fencecheck

function runFencecheck(r: Rung, dir: string): Result {
  const t = timed(
    process.execPath,
    ['--max-old-space-size=4096', fencecheckOne, `${r.C}`, `${r.G}`, `${r.K}`, `${r.M}`, r.policy],
    dir,
    join(dir, 'fencecheck'),
  )
  if (!t.ok) return fail('fencecheck', 'run failed', t)
  let j: { status: string; property?: string; trace?: string[]; distinctStates: number }
  try {
    // fencecheckOne.ts prints its result as one JSON line of this shape.
    j = JSON.parse(t.stdout.trim().split('\n').pop() ?? '') as typeof j
  } catch {
    return fail('fencecheck', 'unreadable output', t)
  }
  const verdict: Verdict =
    j.status === 'proved' ? 'proved' : j.status === 'violated' ? (j.property === 'deadlock' ? 'deadlock' : 'page conservation') : 'inconclusive'
  return {
    tool: 'fencecheck',
    verdict,
    states: j.distinctStates,
    runS: t.wallS,
    ...(t.peakRssBytes !== undefined ? { peakRssBytes: t.peakRssBytes } : {}),
    ...(j.trace ? { trace: j.trace } : {}),
  }
}

/** The top rung, cut at 10^7 states: the memory figure the ladder's bytes/state column tracks. */
const AT_1E7 = { C: 3, G: 4, K: 5, M: 2, policy: 'preempt' } as const

/**
 * One CLI run of the top rung cut at 10^7 states (`check r1 ... --max-states 10000000`), under
 * /usr/bin/time: peak RSS / distinct states, the whole process (node's own footprint included).
 */
function memoryAt1e7(): string {
  const what = `fencecheck at 10^7 states (check r1 ${cliParams(AT_1E7).join(' ')} --max-states 10000000)`
  if (!haveTime) return `${what}: not measured (${TIME} not found)`
  const dir = join(outRoot, `${rungTag({ ...AT_1E7, quick: false, note: '' })}-1e7`)
  mkdirSync(dir, { recursive: true })
  process.stderr.write(`${what} ...\n`)
  const t = timed(process.execPath, [cliMain, 'check', 'r1', ...cliParams(AT_1E7), '--max-states', '10000000', '--quiet'], dir, join(dir, 'fencecheck'), [3])
  // The statistics line: "statistics: 10,000,002 distinct states, ..."
  const m = /statistics: ([\d,]+) distinct states/.exec(t.stdout)
  if (!t.ok || !m || t.peakRssBytes === undefined) return `${what}: failed (${t.error ?? 'no statistics line'})`
  const states = Number(m[1]!.replaceAll(',', ''))
  return `${what}: ${fmtInt(states)} states, peak RSS ${(t.peakRssBytes / 2 ** 20).toFixed(1)} MiB, ${(t.peakRssBytes / states).toFixed(1)} bytes/state, ${t.wallS.toFixed(2)} s`
}

// ---- SPIN

function spinDefines(r: Rung): string[] {
  return [`-DC=${r.C}`, `-DG=${r.G}`, `-DK=${r.K}`, `-DM=${r.M}`, `-DPOLICY=${SPIN_POLICY[r.policy]}`]
}

/** pan's hash table: 2^w slots, w = ceil(log2(expected states)), at least 2^16. */
function spinHashBits(r: Rung): number {
  const n = r.expect ?? 1 << 20
  return Math.max(16, Math.ceil(Math.log2(n)))
}

/** The source line of each do-branch family in r1.pml, so a replayed trail names its actions. */
function spinFamilies(pml: string): Map<number, string> {
  const map = new Map<number, string>()
  pml.split('\n').forEach((line, i) => {
    const fam = /^\s*FOR_[GK]\((\w+), _\)/.exec(line)
    if (fam) map.set(i + 1, fam[1]!.replace(/_[GK]$/, '').toLowerCase())
    else if (/^\s*:: d_step \{ timeout;/.test(line)) map.set(i + 1, '(deadlock check)')
  })
  return map
}

function runSpin(r: Rung, dir: string, tool: 'spin' | 'spin-por'): Result {
  const d = join(dir, tool)
  mkdirSync(d, { recursive: true })
  const pmlSrc = join(benchSrc, 'r1.pml')
  copyFileSync(pmlSrc, join(d, 'r1.pml'))
  const gen = timed('spin', [...spinDefines(r), '-a', 'r1.pml'], d, join(d, 'spin-a'))
  if (!gen.ok || !existsSync(join(d, 'pan.c'))) return fail(tool, 'spin -a failed', gen)
  const cflags = tool === 'spin' ? SPIN_CFLAGS_NOPOR : SPIN_CFLAGS_POR
  const cc = timed(CC, [...cflags, '-o', 'pan', 'pan.c'], d, join(d, 'cc'))
  if (!cc.ok) return fail(tool, 'compiling pan.c failed', cc)
  const run = timed('./pan', [`-m${SPIN_MAX_DEPTH}`, `-w${spinHashBits(r)}`], d, join(d, 'pan'))
  const out = run.stdout
  const stored = /(\d+) states, stored/.exec(out)
  const errors = /errors: (\d+)/.exec(out)
  if (!stored || !errors) return fail(tool, 'pan gave no statistics', run)
  const base = {
    tool,
    states: Number(stored[1]),
    compileS: gen.wallS + cc.wallS,
    runS: run.wallS,
    ...(run.peakRssBytes !== undefined ? { peakRssBytes: run.peakRssBytes } : {}),
  }
  if (/max search depth too small|out of memory|hash table is full/i.test(out)) {
    return {
      ...base,
      verdict: 'inconclusive',
      detail: lastLines(
        out
          .split('\n')
          .filter((l) => /depth too small|memory|full/i.test(l))
          .join('\n'),
        1,
      ),
    }
  }
  if (Number(errors[1]) === 0) return { ...base, verdict: 'proved' }
  // The deadlock assertion (TERMINAL) does not mention `free`; page conservation does.
  const failed = /assertion violated\s+(.*)/.exec(out)
  if (!failed)
    return {
      ...base,
      verdict: 'error',
      detail: `pan: ${lastLines(
        out
          .split('\n')
          .filter((l) => /error|invalid/i.test(l))
          .join('\n'),
        1,
      )}`,
    }
  const verdict: Verdict = failed[1]!.includes('free') ? 'page conservation' : 'deadlock'
  // Replay the trail and name each step by the source line of its do-branch.
  const replay = timed('spin', [...spinDefines(r), '-t', '-p', 'r1.pml'], d, join(d, 'replay'))
  const families = spinFamilies(readFileSync(pmlSrc, 'utf8'))
  const steps = new Map<number, string>()
  for (const line of replay.stdout.split('\n')) {
    const m = /^\s*(\d+):\s+proc\s+\d+ \(\S+\) \S+?:(\d+) /.exec(line)
    if (m && !steps.has(Number(m[1]))) steps.set(Number(m[1]), families.get(Number(m[2])) ?? `line ${m[2]}`)
  }
  const trace = [...steps.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, f]) => f)
    .filter((f) => f !== '(deadlock check)')
  return { ...base, verdict, trace }
}

// ---- Rumur

function runRumur(r: Rung, dir: string): Result {
  const x = rumurCheck(r, join(dir, 'rumur'), 'r1.m')
  return { tool: 'rumur', ...x }
}

// ---------------------------------------------------------------------------------------------
// Table

/** Below this the wall clock (10 ms resolution) says little, so no rate is shown. */
const MIN_RATE_S = 0.1
const rate = (x: Result): number | undefined =>
  x.states !== undefined && x.runS !== undefined && x.runS >= MIN_RATE_S && (x.verdict === 'proved' || x.verdict === 'inconclusive')
    ? x.states / x.runS
    : undefined

function row(r: Rung, x: Result, fc: Result | undefined, first: boolean): string[] {
  const rs = rate(x)
  const fcRate = fc ? rate(fc) : undefined
  let verdict: string = x.verdict
  if (x.trace && (x.verdict === 'deadlock' || x.verdict === 'page conservation')) verdict += ` (${x.trace.length} steps)`
  if (x.verdict === 'error' || x.verdict === 'skipped' || x.verdict === 'inconclusive') verdict += x.detail ? `: ${x.detail}` : ''
  return [
    first ? rungName(r) : '',
    TOOL_LABEL[x.tool],
    x.states !== undefined ? fmtInt(x.states) : '-',
    verdict.length > 60 ? `${verdict.slice(0, 57)}...` : verdict,
    fmtS(x.compileS),
    fmtS(x.runS),
    rs !== undefined ? fmtInt(Math.round(rs)) : '-',
    x.peakRssBytes !== undefined ? (x.peakRssBytes / 2 ** 20).toFixed(1) : '-',
    x.peakRssBytes !== undefined && x.states ? fmtInt(Math.round(x.peakRssBytes / x.states)) : '-',
    rs !== undefined && fcRate !== undefined ? `${(fcRate / rs).toFixed(2)}x` : '-',
  ]
}

// ---------------------------------------------------------------------------------------------
// Main

function main(): number {
  const argv = process.argv.slice(2)
  const quick = argv.includes('--quick') || /^(1|true|yes)$/i.test(process.env.BENCH_QUICK ?? '')
  const toolsArg = argv.indexOf('--tools')
  const allTools: ToolId[] = ['fencecheck', 'spin', 'spin-por', 'rumur']
  const wanted: ToolId[] =
    toolsArg >= 0
      ? (argv[toolsArg + 1] ?? '')
          .split(',')
          .flatMap((t) => (t === 'spin' ? ['spin', 'spin-por'] : [t]))
          .filter((t): t is ToolId => (allTools as string[]).includes(t))
      : allTools
  if (wanted.length === 0) {
    console.error('bench: --tools takes a comma-separated list of fencecheck, spin, spin-por, rumur')
    return 2
  }
  const sectionsArg = argv.indexOf('--sections')
  const sectionList = sectionsArg >= 0 ? (argv[sectionsArg + 1] ?? '').split(',').filter(Boolean) : [...SECTIONS]
  const unknown = sectionList.filter((x) => !(SECTIONS as readonly string[]).includes(x))
  if (unknown.length || sectionList.length === 0) {
    console.error(`bench: --sections takes a comma-separated list of ${SECTIONS.join(', ')}`)
    return 2
  }
  const sections = new Set(sectionList as SectionId[])
  const skipLong = argv.includes('--skip-long')
  if (!existsSync(fencecheckOne)) {
    console.error('bench: dist/bench/fencecheckOne.js is missing; build first (npm run build)')
    return 2
  }

  // Which tools are here.
  const notes: string[] = []
  const versions: string[] = [`node ${process.version}`]
  const ccVersion = probe(CC, ['--version'])
  const spinVersion = probe('spin', ['-V'])
  const rumurVersion = probe('rumur', ['--version'])
  const skip = new Map<ToolId, string>()
  if (!spinVersion) skip.set('spin', 'spin not installed').set('spin-por', 'spin not installed')
  else versions.push(spinVersion)
  if (!rumurVersion) skip.set('rumur', 'rumur not installed')
  else versions.push(rumurVersion)
  if (!ccVersion) {
    for (const t of ['spin', 'spin-por', 'rumur'] as const) if (!skip.has(t)) skip.set(t, `no C compiler (${CC})`)
  } else versions.push(ccVersion)
  for (const [t, why] of skip) if (wanted.includes(t)) notes.push(`${TOOL_LABEL[t]} skipped: ${why}`)
  if (!haveTime) notes.push(`${TIME} not found: wall times are measured by the harness (including spawn overhead) and peak RSS is not available`)

  const rungs = RUNGS.filter((r) => !quick || r.quick)
  mkdirSync(outRoot, { recursive: true })
  const cpu = cpus()
  console.log(`R1 benchmark${quick ? ' (--quick: small rungs only)' : skipLong ? ' (--skip-long)' : ''}: ${versions.join('; ')}`)
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} hardware threads, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM; the ladder: every tool single-threaded, BFS`,
  )

  let bad = 0
  if (sections.has('ladder')) {
    console.log('')
    const rows: (string[] | string)[] = []
    rungs.forEach((r, i) => {
      const dir = join(outRoot, rungTag(r))
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir, { recursive: true })
      const results: Result[] = []
      for (const tool of allTools) {
        if (!wanted.includes(tool)) continue
        const why = skip.get(tool)
        if (why) {
          results.push({ tool, verdict: 'skipped', detail: why })
          continue
        }
        process.stderr.write(`[${i + 1}/${rungs.length}] ${rungName(r)}: ${TOOL_LABEL[tool]} ...`)
        let x: Result
        try {
          x = tool === 'fencecheck' ? runFencecheck(r, dir) : tool === 'rumur' ? runRumur(r, dir) : runSpin(r, dir, tool)
        } catch (e) {
          x = fail(tool, e instanceof Error ? e.message : String(e))
        }
        process.stderr.write(
          ` ${x.verdict}${x.states !== undefined ? `, ${fmtInt(x.states)} states` : ''}${x.runS !== undefined ? `, ${x.runS.toFixed(2)} s` : ''}\n`,
        )
        results.push(x)
      }
      const fc = results.find((x) => x.tool === 'fencecheck' && x.verdict !== 'error' && x.verdict !== 'skipped')
      results.forEach((x, j) => rows.push(row(r, x, fc, j === 0)))

      // The per-rung verdict line: MISMATCH when tools disagree (with each other, the reference or
      // the expected verdict), ERROR when a tool failed to produce a result.
      const ran = results.filter((x) => x.verdict !== 'skipped')
      const failed = ran.filter((x) => x.verdict === 'error').map((x) => `${TOOL_LABEL[x.tool]} failed (see its row)`)
      const done = ran.filter((x) => x.verdict !== 'error')
      const names = done.map((x) => TOOL_LABEL[x.tool]).join(', ')
      const mismatches: string[] = []
      let ok: string
      if (r.deadlockTrace) {
        const want = r.deadlockTrace.join(', ')
        for (const x of done) {
          if (x.verdict !== 'deadlock') mismatches.push(`${TOOL_LABEL[x.tool]} says ${x.verdict}, expected deadlock`)
          else if ((x.trace ?? []).join(', ') !== want) mismatches.push(`${TOOL_LABEL[x.tool]}'s trace is [${(x.trace ?? []).join(', ')}], expected [${want}]`)
        }
        ok = `ok: ${names} all report the deadlock via ${want} (counts stop at the violation, not compared)`
      } else {
        for (const x of done) if (x.verdict !== 'proved') mismatches.push(`${TOOL_LABEL[x.tool]} says ${x.verdict}`)
        const counts = new Set(done.map((x) => x.states))
        if (counts.size > 1)
          mismatches.push(`counts differ (${done.map((x) => `${TOOL_LABEL[x.tool]} ${x.states !== undefined ? fmtInt(x.states) : '-'}`).join(', ')})`)
        if (r.expect !== undefined) {
          for (const x of done)
            if (x.states !== r.expect)
              mismatches.push(`${TOOL_LABEL[x.tool]} ${x.states !== undefined ? fmtInt(x.states) : '-'} != reference ${fmtInt(r.expect)}`)
        }
        ok = `ok: counts match (${fmtInt(done[0]?.states ?? 0)} states${r.expect !== undefined ? ', = reference' : ''}) across ${names}; all proved`
      }
      const parts: string[] = []
      if (mismatches.length) parts.push(`MISMATCH: ${mismatches.join('; ')}`)
      if (failed.length) parts.push(`ERROR: ${failed.join('; ')}`)
      if (done.length === 0 && !failed.length) parts.push('nothing to compare (every tool skipped)')
      else if (!mismatches.length) parts.unshift(ok)
      if (mismatches.length || failed.length) bad++
      const line = parts.join(' | ')
      rows.push(`-> ${line}`)
    })

    console.log('')
    printTable(
      ['rung', 'tool', 'distinct states', 'verdict', 'compile (s)', 'time (s)', 'states/s', 'peak RSS (MiB)', 'bytes/state', 'fc speed'],
      rows,
      new Set([2, 4, 5, 6, 7, 8, 9]),
    )
    console.log('')
    console.log('time: wall seconds of the verification process (fencecheck: the whole node process); compile: spin -a or rumur, plus cc.')
    console.log(`states/s: distinct states / time, for proved runs of at least ${MIN_RATE_S} s. fc speed: fencecheck's states/s divided by that tool's.`)
    console.log("bytes/state: peak RSS / distinct states (so it includes each process's fixed footprint, large on the small rungs).")
    for (const n of notes) console.log(`note: ${n}`)
    if (!quick && wanted.includes('fencecheck')) console.log(memoryAt1e7())
  }

  const rumurSkip = !wanted.includes('rumur') ? 'not in --tools' : skip.get('rumur')
  const spinSkip = !wanted.includes('spin') && !wanted.includes('spin-por') ? 'not in --tools' : skip.get('spin')
  bad += runSections({ rungs: RUNGS, quick, skipLong, sections, ...(rumurSkip ? { rumurSkip } : {}), ...(spinSkip ? { spinSkip } : {}) })
  if (sections.has('liveness')) {
    console.log('')
    console.log('4. Liveness checking vs safety-only on the livelock scenarios M8 and M9 (median of 9 alternating in-process runs)')
    console.log(livenessTable(livenessCost(9)))
  }

  console.log('')
  if (bad > 0) console.log("each run's output and logs are under bench/out/")
  console.log(bad === 0 ? 'all rungs agree.' : `${bad} rung(s) with a MISMATCH or ERROR: see the lines above.`)
  return bad === 0 ? 0 : 1
}

process.exitCode = main()
