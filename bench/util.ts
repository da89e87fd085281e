/**
 * Shared pieces of the benchmark (bench/run.ts and bench/sections.ts): the rung type, timed child
 * processes under GNU time, Murphi constant substitution, and plain-text tables.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// ---------------------------------------------------------------------------------------------
// Rungs

export type Policy = 'naive' | 'reserve' | 'preempt' | 'skip'

export interface Rung {
  readonly C: number
  readonly G: number
  readonly K: number
  readonly M: number
  readonly policy: Policy
  /** reference distinct-state count (BFS, fencecheck); every tool must reach exactly this */
  readonly expect?: number
  /** the expected verdict is a deadlock, with this trace of actions */
  readonly deadlockTrace?: readonly string[]
  readonly quick: boolean
  readonly note: string
}

export const rungName = (r: Rung): string => `${r.policy} C=${r.C} G=${r.G} K=${r.K} M=${r.M}`
export const rungTag = (r: Rung): string => `${r.policy}-C${r.C}G${r.G}K${r.K}M${r.M}`
/** `--param C=.. --param G=.. ...` for the fencecheck CLI */
export const cliParams = (r: Pick<Rung, 'C' | 'G' | 'K' | 'M' | 'policy'>): string[] =>
  [`C=${r.C}`, `G=${r.G}`, `K=${r.K}`, `M=${r.M}`, `POLICY=${r.policy}`].flatMap((p) => ['--param', p])

// ---------------------------------------------------------------------------------------------
// Paths

const here = dirname(fileURLToPath(import.meta.url)) // dist/bench
export const root = resolve(here, '..', '..')
export const benchSrc = join(root, 'bench')
export const outRoot = join(benchSrc, 'out')
export const distBench = here
export const cliMain = join(root, 'dist', 'cli', 'main.js')

// ---------------------------------------------------------------------------------------------
// Running children

export const CC = process.env.CC ?? 'cc'
/** GNU time; BENCH_TIME overrides the path (e.g. to try the fallback without it). */
export const TIME = process.env.BENCH_TIME ?? '/usr/bin/time'
export const haveTime = existsSync(TIME)

export interface Timed {
  readonly ok: boolean
  readonly status: number | null
  /** wall seconds (from /usr/bin/time, else measured here) */
  readonly wallS: number
  /** peak RSS in bytes, if /usr/bin/time is available */
  readonly peakRssBytes?: number
  /** user + system CPU seconds of the process and its children, if /usr/bin/time is available */
  readonly cpuS?: number
  readonly stdout: string
  readonly stderr: string
  readonly error?: string
}

/**
 * Run `cmd args` in `cwd` under /usr/bin/time; stdout/stderr go to `<log>.out` / `<log>.err`.
 * `okStatus` lists the exit codes that count as success (fencecheck: 0 proved, 1 violated,
 * 3 inconclusive are all answers).
 */
export function timed(cmd: string, args: readonly string[], cwd: string, log: string, okStatus: readonly number[] = [0]): Timed {
  const outFile = `${log}.out`
  const errFile = `${log}.err`
  const timeFile = `${log}.time`
  rmSync(timeFile, { force: true })
  const fdOut = openSync(outFile, 'w')
  const fdErr = openSync(errFile, 'w')
  const t0 = process.hrtime.bigint()
  let r: SpawnSyncReturns<Buffer>
  try {
    r = haveTime
      ? spawnSync(TIME, ['-o', timeFile, '-f', '%e %M %U %S', cmd, ...args], { cwd, stdio: ['ignore', fdOut, fdErr] })
      : spawnSync(cmd, args, { cwd, stdio: ['ignore', fdOut, fdErr] })
  } finally {
    closeSync(fdOut)
    closeSync(fdErr)
  }
  const measured = Number(process.hrtime.bigint() - t0) / 1e9
  const stdout = readFileSync(outFile, 'utf8')
  const stderr = readFileSync(errFile, 'utf8')
  let wallS = measured
  let peakRssBytes: number | undefined
  let cpuS: number | undefined
  if (haveTime && existsSync(timeFile)) {
    // GNU time writes "Command exited with non-zero status N" first when the child fails.
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? ''
    const m = /^([\d.]+) (\d+) ([\d.]+) ([\d.]+)$/.exec(last)
    if (m) {
      wallS = Number(m[1])
      peakRssBytes = Number(m[2]) * 1024
      cpuS = Number(m[3]) + Number(m[4])
    }
  }
  const error = r.error
    ? r.error.message
    : r.status === null || !okStatus.includes(r.status)
      ? `${cmd} exited with status ${r.status}${r.signal ? ` (${r.signal})` : ''}`
      : undefined
  return {
    ok: error === undefined,
    status: r.status,
    wallS,
    ...(peakRssBytes !== undefined ? { peakRssBytes } : {}),
    ...(cpuS !== undefined ? { cpuS } : {}),
    stdout,
    stderr,
    ...(error ? { error } : {}),
  }
}

/** Is `cmd` runnable? Returns its first output line (the version), or undefined. */
export function probe(cmd: string, args: readonly string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.error) return undefined
  const text = `${r.stdout}${r.stderr}`.trim()
  return text.split('\n')[0] ?? cmd
}

export const lastLines = (s: string, n = 3): string => s.trim().split('\n').slice(-n).join(' | ')

// ---------------------------------------------------------------------------------------------
// Murphi

export const MURPHI_POLICY: Record<Policy, string> = { naive: 'NAIVE', reserve: 'RESERVE', preempt: 'PREEMPT', skip: 'SKIP' }

/** bench/<file> (r1.m or r1sym.m) with its five constant lines rewritten for this rung. */
export function murphiFor(r: Rung, file: string): string {
  let src = readFileSync(join(benchSrc, file), 'utf8')
  const set = (name: string, value: string): void => {
    const re = new RegExp(`^(\\s*)${name}:\\s*[^;]+;`, 'gm')
    const hits = src.match(re)?.length ?? 0
    if (hits !== 1) throw new Error(`bench/${file}: expected one constant line for ${name}, found ${hits}`)
    src = src.replace(re, `$1${name}: ${value};`)
  }
  set('C', `${r.C}`)
  set('G', `${r.G}`)
  set('K', `${r.K}`)
  set('M', `${r.M}`)
  set('POLICY', MURPHI_POLICY[r.policy])
  return src
}

// ---------------------------------------------------------------------------------------------
// Tables

export const fmtInt = (n: number): string => n.toLocaleString('en-US')
export const fmtS = (s: number | undefined): string => (s === undefined ? '-' : s.toFixed(2))
export const fmtMiB = (b: number | undefined): string => (b === undefined ? '-' : (b / 2 ** 20).toFixed(1))
export const clip = (s: string, n = 60): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s)

/** Columns padded to their widest cell; `right` lists the right-aligned columns. Strings are note lines. */
export function printTable(header: string[], rows: (string[] | string)[], right: ReadonlySet<number>): void {
  const cells = rows.filter((r): r is string[] => Array.isArray(r))
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const fmt = (c: string[]): string =>
    c
      .map((v, i) => (right.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  console.log(fmt(header))
  console.log(rule)
  for (const r of rows) console.log(Array.isArray(r) ? fmt(r) : `  ${r}`)
}

// ---------------------------------------------------------------------------------------------
// Rumur

/** Rumur: single thread; a state with no enabled rule is a deadlock (see bench/r1.m). */
export const RUMUR_FLAGS = ['--threads', '1', '--deadlock-detection', 'stuck']
export const RUMUR_CFLAGS = ['-std=c11', '-O3']

export type Verdict = 'proved' | 'deadlock' | 'page conservation' | 'inconclusive' | 'error' | 'skipped'

/** What one peer tool's run came to. */
export interface ToolOutcome {
  readonly verdict: Verdict
  readonly states?: number
  readonly compileS?: number
  readonly runS?: number
  readonly peakRssBytes?: number
  readonly trace?: readonly string[]
  readonly detail?: string
}

/**
 * Generate, compile and run a Rumur verifier for bench/<file> at this rung, in directory `d`:
 * `rumur RUMUR_FLAGS extraFlags`, then `cc RUMUR_CFLAGS`, then `./verifier`.
 */
export function rumurCheck(r: Rung, d: string, file: string, extraFlags: readonly string[] = []): ToolOutcome {
  const failed = (detail: string, t: Timed): ToolOutcome => ({
    verdict: 'error',
    detail: `${detail}: ${t.error ?? ''} ${lastLines(t.stderr || t.stdout)}`.trim(),
  })
  mkdirSync(d, { recursive: true })
  writeFileSync(join(d, 'r1.m'), murphiFor(r, file))
  const gen = timed('rumur', [...RUMUR_FLAGS, ...extraFlags, '--output', 'r1.c', 'r1.m'], d, join(d, 'rumur'))
  if (!gen.ok) return failed('rumur failed', gen)
  const cc = timed(CC, [...RUMUR_CFLAGS, '-o', 'verifier', 'r1.c', '-lpthread'], d, join(d, 'cc'))
  if (!cc.ok) return failed('compiling the verifier failed', cc)
  const run = timed('./verifier', [], d, join(d, 'verifier'))
  const out = run.stdout
  const counts = /(\d+) states, (\d+) rules fired/.exec(out)
  if (!counts) return failed('verifier gave no statistics', run)
  const base = {
    states: Number(counts[1]),
    compileS: gen.wallS + cc.wallS,
    runS: run.wallS,
    ...(run.peakRssBytes !== undefined ? { peakRssBytes: run.peakRssBytes } : {}),
  }
  if (/No error found\./.test(out)) return { ...base, verdict: 'proved' }
  const what = /error trace for the error:\s*\n\s*\n\s*(.+)/.exec(out)?.[1]?.trim() ?? ''
  const verdict: Verdict = what === 'deadlock' ? 'deadlock' : /page conservation/.test(what) ? 'page conservation' : 'error'
  const trace = [...out.matchAll(/^Rule "(\w+)".* fired\.$/gm)].map((m) => m[1]!)
  return { ...base, verdict, trace, ...(verdict === 'error' ? { detail: what || lastLines(out) } : {}) }
}
