/**
 * `fencecheck list`: the built-in models with their parameters, the GPU model's library of kernel
 * paths, and the bundled scenarios with their expectations.
 */
import { relative } from 'node:path'
import { describeParam } from '../checker/params.js'
import { LIBRARY, loadScenario, MODELS, scenarioFiles } from '../model/index.js'
import type { ArgsOf, GlobalArgv } from './options.js'
import { SCENARIO_DIR } from './target.js'

export const command = 'list'
export const describe = 'list built-in models, their parameters, and the bundled scenarios'

export function builder(y: GlobalArgv) {
  return y
}

export type ListArgs = ArgsOf<typeof builder>

export function handler(_argv: ListArgs): number {
  const out: string[] = ['built-in models:']
  for (const m of MODELS) {
    out.push(`  ${m.name}  ${m.about}`)
    for (const p of m.params) out.push(`      ${describeParam(p)}`)
  }
  out.push('  gpu  a GPU design stated in a scenario file (engines, memory, buffers, fences, jobs, threads, reclaim)')
  out.push('', 'library kernel paths (use with path: NAME and with: {...}, or - use: NAME):')
  for (const l of LIBRARY) {
    out.push(`  ${l.name}  ${l.doc}`)
    out.push(`      parameters: ${l.params.map((p) => `${p.name}${p.default !== undefined ? `=${p.default}` : ''}`).join(', ')}; source: ${l.cite}`)
  }
  out.push('', `bundled scenarios (${relative(process.cwd(), SCENARIO_DIR) || '.'}):`)
  for (const f of scenarioFiles(SCENARIO_DIR)) {
    const sc = loadScenario(f)
    out.push(
      `  ${relative(process.cwd(), f)}  ${sc.name}${sc.expect ? `  (expect ${sc.expect.verdict}${sc.expect.property ? `: ${sc.expect.property}` : ''})` : ''}`,
    )
  }
  process.stdout.write(out.join('\n') + '\n')
  return 0
}
