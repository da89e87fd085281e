/** `fencecheck schema WHICH`: a published JSON Schema (the result document, scenario files, ITF traces). */
import { SCENARIO_SCHEMA } from '../model/index.js'
import { ITF_SCHEMA } from '../report/itfSchema.js'
import { RESULT_SCHEMA } from '../report/resultSchema.js'
import type { ArgsOf, GlobalArgv } from './options.js'

export const command = 'schema <which>'
export const describe = 'print a published JSON Schema: result (the --format json document), scenario (scenario files), itf (the ITF trace shape)'

export function builder(y: GlobalArgv) {
  return y.positional('which', {
    choices: ['result', 'scenario', 'itf'] as const,
    demandOption: true,
    describe: 'result: the --format json document; scenario: scenario files; itf: the ITF trace shape',
  })
}

export type SchemaArgs = ArgsOf<typeof builder>

const SCHEMAS = { result: RESULT_SCHEMA, scenario: SCENARIO_SCHEMA, itf: ITF_SCHEMA } as const

export function handler(argv: SchemaArgs): number {
  process.stdout.write(JSON.stringify(SCHEMAS[argv.which], null, 2) + '\n')
  return 0
}
