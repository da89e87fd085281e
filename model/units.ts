/**
 * The units of bounds, read the same way in scenario files and on the command line: sizes
 * (`512MiB`, `2GiB`, a number of bytes) and durations (`90s`, `10m`, `2h`, a number of seconds).
 * These return undefined for a value that is not one; the caller says where it came from.
 */

/** The pattern a duration string matches (a number, then optionally ms, s, m or h; seconds by default). */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h)?$'

/** Parse "512MiB", "2GiB", "800MB", "1048576" into bytes. */
export function parseBytes(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : undefined
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/.exec(v.trim())
  if (!m) return undefined
  const unit = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2] ?? 'B']!
  return Math.round(Number(m[1]) * unit)
}

/** Parse "90", "90s", "10m", "2h", "500ms" (or a number of seconds) into milliseconds; zero is not a duration. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v * 1000 : undefined
  const m = new RegExp(DURATION_PATTERN).exec(v.trim())
  if (!m) return undefined
  const ms = Number(v.trim().replace(/\s*(ms|s|m|h)$/, '')) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
  return ms > 0 ? ms : undefined
}
