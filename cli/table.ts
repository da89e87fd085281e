/**
 * Plain-text tables and paragraphs that fit a terminal: columns padded to their widest cell, and
 * the one column that may give way (a file name) shortened in the middle when the table is too
 * wide; long lines wrapped at word boundaries.
 */

/** Shorten `s` to `n` characters, keeping its start and end. */
function shorten(s: string, n: number): string {
  if (s.length <= n) return s
  const keep = n - 1
  return `${s.slice(0, Math.ceil(keep / 2))}…${s.slice(s.length - Math.floor(keep / 2))}`
}

/** The header, a rule and one line per row, within `width` if column `elastic` can give way. */
export function fitTable(head: readonly string[], rows: readonly (readonly string[])[], width: number, elastic: number): string[] {
  const all = [head, ...rows]
  const widths = head.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)))
  const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
  if (total > width) widths[elastic] = Math.max(head[elastic]!.length, widths[elastic]! - (total - width))
  const line = (r: readonly string[]): string =>
    r
      .map((cell, c) => (c === elastic ? shorten(cell, widths[c]!) : cell).padEnd(widths[c]!))
      .join('  ')
      .trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)]
}

/** `text` as lines of at most `width` characters, each after the first indented by `indent`. */
export function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = []
  let cur = indent.length ? indent : ''
  for (const word of text.split(/\s+/)) {
    const pieces = word.length > width - indent.length ? (word.match(new RegExp(`.{1,${width - indent.length}}`, 'g')) ?? [word]) : [word]
    for (const p of pieces) {
      if (cur.trim().length && cur.length + 1 + p.length > width) {
        out.push(cur)
        cur = indent + p
      } else cur = cur.trim().length ? `${cur} ${p}` : indent + p
    }
  }
  if (cur.trim().length) out.push(cur)
  return out
}
