/**
 * Where the time of a `node --cpu-prof` run went: self time per function and per source file,
 * from the .cpuprofile file V8 writes.
 *
 *     node --cpu-prof --cpu-prof-dir=DIR dist/bench/gpuOne.js FILE OUTDIR
 *     node dist/bench/cpuProfile.js DIR/*.cpuprofile [--top N]
 *
 * Self time of a function is the sampled time in which it was the innermost frame; functions are
 * keyed by name, file and line, so two closures from the same line (one per rule, say) add up.
 * Percentages are of the whole profile, idle and garbage collection included (V8 reports those
 * as the pseudo-functions (idle), (garbage collector) and (program)).
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmtInt, printTable, root } from './util.js'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

function where(url: string): string {
  if (!url) return ''
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  return path.startsWith(root) ? relative(root, path) : path
}

export function summarize(file: string, top: number): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const fn = new Map<string, number>()
  const files = new Map<string, number>()
  let total = 0
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0
    total += dt
    const n = byId.get(id)
    if (!n) return
    const f = where(n.callFrame.url)
    // Line numbers in the profile are 0-based; the compiled file's lines (dist/) are shown 1-based.
    const key = `${n.callFrame.functionName || '(anonymous)'}\u0000${f ? `${f}:${n.callFrame.lineNumber + 1}` : ''}`
    fn.set(key, (fn.get(key) ?? 0) + dt)
    const fk = f || n.callFrame.functionName
    files.set(fk, (files.get(fk) ?? 0) + dt)
  })
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1)}%`
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`)
  console.log('')
  const rows = [...fn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => {
      const [name, at] = k.split('\u0000')
      return [name!, at!, fmtInt(Math.round(us / 1000)), pct(us)]
    })
  printTable(['function', 'where (dist/, 1-based line)', 'self (ms)', 'self'], rows, new Set([2, 3]))
  console.log('')
  const frows = [...files.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([f, us]) => [f, fmtInt(Math.round(us / 1000)), pct(us)])
  printTable(['file', 'self (ms)', 'self'], frows, new Set([1, 2]))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const t = args.indexOf('--top')
  const top = t >= 0 ? Number(args[t + 1]) : 25
  const files = args.filter((a, i) => !a.startsWith('--') && (t < 0 || i !== t + 1))
  if (files.length === 0 || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: node dist/bench/cpuProfile.js FILE.cpuprofile... [--top N]\n')
    process.exit(2)
  }
  for (const f of files) summarize(f, top)
}
