/**
 * Graphviz to SVG, offline: `@viz-js/viz` ships Graphviz compiled to WebAssembly inside the
 * package, so rendering needs neither a `dot` binary nor the network. The instance is created once
 * and reused.
 */
import { instance } from '@viz-js/viz'

type Viz = Awaited<ReturnType<typeof instance>>

let viz: Promise<Viz> | undefined

/** Render DOT source to SVG text (`<?xml ...?>` prologue included). Throws on a DOT syntax error. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance().catch((e: unknown) => {
    viz = undefined
    throw e
  })
  const v = await viz
  const res = v.render(dot, { format: 'svg', engine: 'dot' })
  if (res.status !== 'success') {
    const why = res.errors.filter((e) => e.level !== 'warning').map((e) => e.message.trim())
    throw new Error(`Graphviz could not render the graph: ${why.join('; ') || 'unknown error'}`)
  }
  return res.output
}
