/**
 * `fencecheck explain TARGET`: a scenario as the model understands it, or a built-in model with its
 * parameters, properties and state (see model/explain.ts).
 */
import { existsSync } from 'node:fs'
import { explainBuiltin, explainScenario, loadScenario } from '../model/index.js'
import { buildNarrated, findModel } from '../model/registry.js'
import type { ArgsOf, GlobalArgv } from './options.js'

export const command = 'explain <target>'
export const describe =
  'print a scenario (or a built-in model) as the model understands it: engines, memory, notifiers, jobs, threads and their steps, properties'

export function builder(y: GlobalArgv) {
  return y
    .positional('target', { type: 'string', demandOption: true, describe: 'a scenario file, or a built-in model name (see list)' })
    .option('param', { type: 'string', array: true, describe: 'built-in model parameter NAME=VALUE (repeatable)' })
}

export type ExplainArgs = ArgsOf<typeof builder>

/** A scenario path (as check tells them), else a built-in model name. */
const isScenario = (t: string): boolean => /\.ya?ml$/.test(t) || t.includes('/') || existsSync(t)

/** A built-in model: its parameters always; the model itself once every required one is given. */
function builtin(name: string, params: readonly string[]): string {
  const entry = findModel(name)
  const missing = entry.params.some((p) => p.default === undefined && !params.some((x) => x.startsWith(`${p.name}=`)))
  return explainBuiltin(entry, missing && params.length === 0 ? undefined : buildNarrated(name, params).model)
}

export function handler(argv: ExplainArgs): number {
  const text = isScenario(argv.target) ? explainScenario(loadScenario(argv.target)) : builtin(argv.target, argv.param ?? [])
  process.stdout.write(text + '\n')
  return 0
}
