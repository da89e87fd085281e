/** `fencecheck explain FILE`: a scenario as the model understands it (see model/explain.ts). */
import { explainScenario, loadScenario } from '../model/index.js'
import type { ArgsOf, GlobalArgv } from './options.js'

export const command = 'explain <file>'
export const describe = 'print a scenario as the model understands it: engines, jobs, threads and their steps, policies, properties'

export function builder(y: GlobalArgv) {
  return y.positional('file', { type: 'string', demandOption: true, describe: 'a scenario file (*.yaml)' })
}

export type ExplainArgs = ArgsOf<typeof builder>

export function handler(argv: ExplainArgs): number {
  process.stdout.write(explainScenario(loadScenario(argv.file)) + '\n')
  return 0
}
