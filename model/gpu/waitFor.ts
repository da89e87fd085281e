/**
 * The wait-for graph of a GPU state, over threads, jobs, fences, locks and engines (their CUs).
 *
 * An actor (thread or job) is blocked when none of its rules is enabled and it has not finished.
 * Each blocked actor waits for some nodes: all of them (a job needs every dependency) or any one
 * (a CU frees when any holder releases it). Liveness is the least fixpoint: an actor with an enabled
 * rule is live; a waiting node is live if its targets are (all or any). A blocked actor that is not
 * live can never move again: that is a deadlock even while unrelated actors still move (a partial
 * deadlock). The report follows the non-live edges to the cycle (or the dead end) and spells it out.
 */
import type { Reader } from '../../checker/model.js'
import type { GpuView, NodeId, WaitForGraph, WaitNode } from './view.js'
import { type Standing, standingOf } from './standing.js'
import { graphKit, liveness, wholeGraph } from './waitGraph.js'

export type { NodeId, WaitForGraph, WaitNode } from './view.js'
export { hasStuck } from './stuck.js'

/**
 * `timeouts: 'ignore'` asks which actors only a timeout would free: a thread whose only enabled rule
 * is its bounded wait's timeout (ops/timeout.ts) counts as blocked, as a busy retry does. By
 * default a timeout is a way out, so such a thread is not stuck.
 */
export function waitFor(v: GpuView, s: Reader, opts: { readonly timeouts?: 'escape' | 'ignore' } = {}): WaitForGraph {
  return build(v, s, standingOf(v, s, opts.timeouts === 'ignore'))
}

function build(v: GpuView, s: Reader, standing: Standing): WaitForGraph {
  const k = graphKit(v, s, standing)
  wholeGraph(k)
  const { nodes } = k
  liveness(k)
  const stuck = [...nodes.values()].filter((n) => n.blocked && !n.live).map((n) => n.id)

  // Follow non-live edges from the first stuck actor.
  const cycle: NodeId[] = []
  let cycleIsLoop = false
  if (stuck.length > 0) {
    const seen = new Map<NodeId, number>()
    let cur: NodeId | undefined = stuck[0]
    while (cur !== undefined && !seen.has(cur)) {
      seen.set(cur, cycle.length)
      cycle.push(cur)
      const n: WaitNode = nodes.get(cur)!
      cur = n.targets.find((x) => !nodes.get(x)!.live)
    }
    if (cur !== undefined) {
      cycleIsLoop = true
      cycle.splice(0, seen.get(cur))
    }
  }
  return { nodes, stuck, cycle, cycleIsLoop, describe: () => describeGraph(nodes, stuck, cycle, cycleIsLoop), toDot: () => dotOf(nodes, stuck, cycle) }
}

function describeGraph(nodes: ReadonlyMap<NodeId, WaitNode>, stuck: readonly NodeId[], cycle: readonly NodeId[], cycleIsLoop: boolean): string[] {
  if (stuck.length === 0) return []
  const lines: string[] = []
  const parts: string[] = []
  for (let k = 0; k < cycle.length; k++) {
    const n = nodes.get(cycle[k]!)!
    const next = cycle[k + 1] ?? (cycleIsLoop ? cycle[0] : undefined)
    const idx = next ? n.targets.indexOf(next) : -1
    parts.push(`${n.label} ${idx >= 0 ? n.why[idx] : (n.why[0] ?? 'waits for something that never happens')}`)
  }
  lines.push(cycleIsLoop ? 'wait-for cycle:' : 'blocked for ever (chain to a dead end):')
  parts.forEach((p, k) => lines.push(`  ${k === 0 ? '' : '-> '}${p}`))
  if (cycleIsLoop) lines.push(`  -> back to ${nodes.get(cycle[0]!)!.label}`)
  const others = stuck.filter((x) => !cycle.includes(x)).map((x) => nodes.get(x)!.label)
  if (others.length) lines.push(`also stuck: ${others.join(', ')}`)
  const moving = [...nodes.values()].filter((n) => n.active).map((n) => n.label)
  lines.push(moving.length ? `still able to move: ${moving.join(', ')} (a partial deadlock)` : 'nothing else can move (a global deadlock)')
  return lines
}

function dotOf(nodes: ReadonlyMap<NodeId, WaitNode>, stuck: readonly NodeId[], cycle: readonly NodeId[]): string {
  const esc = (x: string): string => x.replace(/"/g, '\\"')
  const out = ['digraph waitfor {', '  rankdir=LR; node [fontname="Helvetica", shape=box, style=rounded]; edge [fontname="Helvetica", fontsize=10];']
  const inCycle = new Set(cycle)
  const targeted = new Set([...nodes.values()].flatMap((n) => n.targets))
  for (const n of nodes.values()) {
    const interesting = n.blocked || n.targets.length > 0 || inCycle.has(n.id) || targeted.has(n.id)
    if (!interesting) continue
    const color = inCycle.has(n.id) ? 'red' : stuck.includes(n.id) ? 'orange' : n.active ? 'darkgreen' : 'gray40'
    out.push(`  "${esc(n.id)}" [label="${esc(n.label)}", color=${color}];`)
  }
  for (const n of nodes.values()) {
    n.targets.forEach((x, k) => {
      const hot = inCycle.has(n.id) && inCycle.has(x)
      out.push(`  "${esc(n.id)}" -> "${esc(x)}" [label="${esc(n.why[k]!)}"${hot ? ', color=red, penwidth=2' : ''}];`)
    })
  }
  out.push('}')
  return out.join('\n')
}
