/**
 * Section 6: fencecheck against SPIN without partial-order reduction on the two R1 rungs SPIN
 * takes longest on, in paired runs: each round runs the fencecheck CLI (`node dist/cli/main.js
 * check r1 ... --quiet`, the whole process as a user starts it) and then SPIN's verifier
 * (`./pan -m100000 -w23 -c0`, compiled with -DNOREDUCE as the ladder compiles it), so the two
 * see the same machine, and the speed ratio is taken pair by pair. Figures are medians over the
 * rounds; the load average before and after says how busy the machine was.
 *
 *     npm run bench -- --sections pairs            3 rounds on preempt C=3 G=4 K=4 M=1 and C=2 G=5 K=4 M=1
 *     npm run bench -- --sections pairs --quick    the same on two small rungs
 *
 * BENCH_PAIRS=N sets the number of rounds (default 3).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { benchSrc, CC, cliMain, cliParams, fmtInt, fmtMiB, fmtS, lastLines, outRoot, printTable, timed, type Timed } from './util.js'

interface PairRung {
  readonly C: number
  readonly G: number
  readonly K: number
  readonly M: number
  readonly policy: 'preempt'
  /** the distinct-state count both tools must reach (the ladder's reference counts, SPIN's own) */
  readonly expect: number
}

const FULL: readonly PairRung[] = [
  { C: 3, G: 4, K: 4, M: 1, policy: 'preempt', expect: 3_124_470 },
  { C: 2, G: 5, K: 4, M: 1, policy: 'preempt', expect: 7_064_578 },
]
const QUICK: readonly PairRung[] = [
  { C: 3, G: 3, K: 3, M: 1, policy: 'preempt', expect: 42_761 },
  { C: 2, G: 3, K: 4, M: 1, policy: 'preempt', expect: 320_827 },
]

const PAN_CFLAGS = ['-O2', '-DBFS', '-DSAFETY', '-DNOREDUCE', '-DMEMLIM=16384']
const PAN_ARGS = ['-m100000', '-w23', '-c0']

const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const name = (r: PairRung): string => `${r.policy} C=${r.C} G=${r.G} K=${r.K} M=${r.M}`

/** One run's answer: its distinct-state count, or why it has none. */
interface Run {
  readonly t: Timed
  readonly states?: number
  readonly error?: string
}

function fencecheckRun(r: PairRung, dir: string, log: string): Run {
  const t = timed('node', [cliMain, 'check', 'r1', ...cliParams(r), '--quiet'], dir, join(dir, log), [0])
  const m = /statistics: ([\d,]+) distinct states/.exec(t.stdout)
  if (!t.ok || !m || !/verdict: PROVED/.test(t.stdout)) return { t, error: `fencecheck: ${t.error ?? 'not proved'} ${lastLines(t.stderr || t.stdout, 1)}` }
  return { t, states: Number(m[1]!.replace(/,/g, '')) }
}

function panRun(dir: string, log: string): Run {
  const t = timed('./pan', PAN_ARGS, dir, join(dir, log))
  const stored = /(\d+) states, stored/.exec(t.stdout)
  const errors = /errors: (\d+)/.exec(t.stdout)
  if (!t.ok || !stored || !errors) return { t, error: `pan: ${t.error ?? 'no statistics'} ${lastLines(t.stdout || t.stderr, 1)}` }
  if (Number(errors[1]) !== 0 || /depth too small|out of memory|hash table is full/i.test(t.stdout)) return { t, error: `pan: ${lastLines(t.stdout, 2)}` }
  return { t, states: Number(stored[1]) }
}

/** spin -a and cc for this rung; the verifier's directory, or why there is none. */
function buildPan(r: PairRung): { dir: string } | { error: string } {
  const d = join(outRoot, 'pairs', `${r.policy}-C${r.C}G${r.G}K${r.K}M${r.M}`)
  rmSync(d, { recursive: true, force: true })
  mkdirSync(d, { recursive: true })
  copyFileSync(join(benchSrc, 'r1.pml'), join(d, 'r1.pml'))
  const defines = [`-DC=${r.C}`, `-DG=${r.G}`, `-DK=${r.K}`, `-DM=${r.M}`, '-DPOLICY=PREEMPT']
  const gen = timed('spin', [...defines, '-a', 'r1.pml'], d, join(d, 'spin-a'))
  if (!gen.ok || !existsSync(join(d, 'pan.c'))) return { error: `spin -a failed: ${lastLines(gen.stderr || gen.stdout)}` }
  const cc = timed(CC, [...PAN_CFLAGS, '-o', 'pan', 'pan.c'], d, join(d, 'cc'))
  if (!cc.ok) return { error: `compiling pan.c failed: ${lastLines(cc.stderr || cc.stdout)}` }
  return { dir: d }
}

export function sectionSpinPairs(ctx: { readonly quick: boolean; readonly spinSkip?: string }): number {
  const rungs = ctx.quick ? QUICK : FULL
  const rounds = Math.max(1, Number(process.env.BENCH_PAIRS ?? 3) || 3)
  console.log('')
  console.log(`6. fencecheck vs SPIN without partial-order reduction, paired: ${rounds} rounds of fencecheck then SPIN on each rung; medians`)
  if (ctx.spinSkip !== undefined) {
    console.log(`skipped: ${ctx.spinSkip}`)
    return 0
  }
  const loadBefore = loadavg()
  let bad = 0
  const rows: (string[] | string)[] = []
  for (const r of rungs) {
    const pan = buildPan(r)
    if ('error' in pan) {
      rows.push([name(r), fmtInt(r.expect), 'error', '-', '-', '-', '-', '-', '-'])
      rows.push(pan.error)
      bad++
      continue
    }
    const fc: Run[] = []
    const sp: Run[] = []
    for (let i = 0; i < rounds; i++) {
      process.stderr.write(`pairs: ${name(r)} round ${i + 1}/${rounds} ...`)
      fc.push(fencecheckRun(r, pan.dir, `fencecheck-${i}`))
      sp.push(panRun(pan.dir, `pan-${i}`))
      process.stderr.write(` ${fmtS(fc[i]!.t.wallS)} s / ${fmtS(sp[i]!.t.wallS)} s\n`)
    }
    const problems = [...fc, ...sp].flatMap((x) => (x.error !== undefined ? [x.error] : []))
    for (const x of [...fc, ...sp])
      if (x.states !== undefined && x.states !== r.expect) problems.push(`${fmtInt(x.states)} states, expected ${fmtInt(r.expect)}`)
    // The speed ratio of each round: SPIN's wall time over fencecheck's (above 1: fencecheck is faster).
    const ratios = fc.flatMap((f, i) => (f.error === undefined && sp[i]!.error === undefined ? [sp[i]!.t.wallS / f.t.wallS] : []))
    const wall = (xs: Run[]): number | undefined => median(xs.filter((x) => x.error === undefined).map((x) => x.t.wallS))
    const rss = (xs: Run[]): number | undefined =>
      median(xs.flatMap((x) => (x.error === undefined && x.t.peakRssBytes !== undefined ? [x.t.peakRssBytes] : [])))
    const ratio = median(ratios)
    // The same on CPU seconds (user + system), which a busy machine disturbs less than wall time.
    const cpuRatios = fc.flatMap((f, i) =>
      f.error === undefined && sp[i]!.error === undefined && f.t.cpuS !== undefined && sp[i]!.t.cpuS !== undefined && f.t.cpuS > 0
        ? [sp[i]!.t.cpuS / f.t.cpuS]
        : [],
    )
    const cpuRatio = median(cpuRatios)
    rows.push([
      name(r),
      fmtInt(r.expect),
      problems.length ? 'MISMATCH' : 'ok',
      fmtS(wall(fc)),
      fmtMiB(rss(fc)),
      fmtS(wall(sp)),
      fmtMiB(rss(sp)),
      ratio === undefined ? '-' : `${ratio.toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
      cpuRatio === undefined ? '-' : `${cpuRatio.toFixed(2)} (${Math.min(...cpuRatios).toFixed(2)}-${Math.max(...cpuRatios).toFixed(2)})`,
    ])
    for (const p of problems) rows.push(p)
    if (problems.length) bad++
  }
  printTable(
    ['rung', 'states', 'check', 'fencecheck s', 'fencecheck MiB', 'spin s', 'spin MiB', 'speed (wall), median (min-max)', 'speed (cpu)'],
    rows,
    new Set([1, 3, 4, 5, 6]),
  )
  const loadAfter = loadavg()
  console.log(
    `s: wall seconds of the whole process (fencecheck: node dist/cli/main.js check r1 ... --quiet; SPIN: ./pan ${PAN_ARGS.join(' ')}, cc ${PAN_CFLAGS.join(' ')}).`,
  )
  console.log(
    'MiB: peak RSS. speed: SPIN seconds / fencecheck seconds, taken round by round (the two runs of a round are adjacent), then the median; above 1: fencecheck',
  )
  console.log(
    'is faster. speed (cpu) is the same on user + system CPU seconds (fencecheck: every thread of the process, its search thread and the garbage collector included).',
  )
  console.log(`load average (1, 5, 15 min) before: ${loadBefore.map((x) => x.toFixed(2)).join(', ')}; after: ${loadAfter.map((x) => x.toFixed(2)).join(', ')}`)
  return bad
}
