/**
 * The progress lines a long run prints on stderr: depth, states, the rate over the last interval
 * (the run's average hides a search that slows down as its frontier grows), transitions, queue,
 * memory, time, and, when a states or time bound is set, how long until that bound stops the run
 * at the latest. The search may end sooner, by a violation or by exhausting the space.
 */
import { fmtBytes, type Progress } from '../checker/explore.js'
import type { Bounds } from '../checker/verdict.js'

const n = (x: number): string => Math.round(x).toLocaleString('en-US')

/** A duration for a human: 45 s, 3 min 20 s, 2 h 05 min. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/**
 * The time left until a bound stops the run, at the rate of the last interval: the states bound
 * at `rate` states per second, the time bound by the clock; the sooner of the two, with its name.
 */
export function eta(bounds: Bounds, p: Progress, rate: number): { ms: number; bound: 'states' | 'time' } | undefined {
  const out: { ms: number; bound: 'states' | 'time' }[] = []
  if (bounds.maxStates !== undefined && rate > 0) out.push({ ms: (Math.max(0, bounds.maxStates - p.distinctStates) / rate) * 1000, bound: 'states' })
  if (bounds.maxTimeMs !== undefined) out.push({ ms: Math.max(0, bounds.maxTimeMs - p.elapsedMs), bound: 'time' })
  return out.length ? out.reduce((a, b) => (b.ms < a.ms ? b : a)) : undefined
}

/** A printer of progress lines that remembers the last one, for the rate over the interval. */
export function progressPrinter(bounds: Bounds, write: (line: string) => void = (l) => process.stderr.write(l)): (p: Progress) => void {
  let last: Progress | undefined
  return (p) => {
    const dt = last ? (p.elapsedMs - last.elapsedMs) / 1000 : p.elapsedMs / 1000
    const rate = dt > 0 ? (p.distinctStates - (last?.distinctStates ?? 0)) / dt : p.statesPerSec
    last = p
    const e = eta(bounds, p, rate)
    write(
      `progress: depth ${p.depth} | ${n(p.distinctStates)} states (${n(rate)}/s now, ${n(p.statesPerSec)}/s average) | ` +
        `${n(p.transitions)} transitions | queue ${n(p.queued)} | ${fmtBytes(p.rssBytes)} | ${(p.elapsedMs / 1000).toFixed(0)} s` +
        (e ? ` | the ${e.bound} bound stops it in ${fmtDuration(e.ms)} at most` : '') +
        '\n',
    )
  }
}
