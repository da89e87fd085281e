/**
 * `fencecheck simulate TARGET`: seeded random walks, for state spaces beyond exhaustive reach.
 * It reports coverage and never proves; a violation it finds comes with its trace. Swarm members
 * walk with seeds of their own, and `merge` adds their results up. The walks run in a worker
 * thread (searchThread.ts); `runSimulate` is what the worker runs.
 */
import { InputError } from '../checker/params.js'
import type * as Simulate from '../checker/simulate.js'
import { EXIT } from '../checker/verdict.js'
import type * as Files from '../report/files.js'
import type * as SimulationReport from '../report/simulation.js'
import type { Simulation } from '../report/simulation.js'
import { type ArgsOf, type GlobalArgv, intOption, walkOptions } from './options.js'
import { prepareOutputs } from './outputs.js'
import type * as Search from './search.js'
import { inWorker } from './searchThread.js'
import type * as Target from './target.js'

// The walks, the models and the reports, loaded by loadSimulateModules in the search thread
// only: the main thread parses the command line and starts the thread without them.
let simulate: typeof Simulate.simulate
let writeWhole: typeof Files.writeWhole
let simulationJson: typeof SimulationReport.simulationJson
let simulationText: typeof SimulationReport.simulationText
let stopWasRequested: typeof Search.stopWasRequested
let resolveTarget: typeof Target.resolveTarget
let loadTargets: typeof Target.loadTargets
let shellWord: typeof Target.shellWord

/** Load what runSimulate needs (once; the worker thread calls it as it starts). */
export async function loadSimulateModules(): Promise<void> {
  const [sim, files, report, search, target] = await Promise.all([
    import('../checker/simulate.js'),
    import('../report/files.js'),
    import('../report/simulation.js'),
    import('./search.js'),
    import('./target.js'),
  ])
  ;({ simulate } = sim)
  ;({ writeWhole } = files)
  ;({ simulationJson, simulationText } = report)
  ;({ stopWasRequested } = search)
  ;({ resolveTarget, loadTargets, shellWord } = target)
}

export const command = 'simulate <target>'
export const describe = 'seeded random walks for state spaces beyond exhaustive reach; reports coverage (never proves)'

export function builder(y: GlobalArgv) {
  return y
    .positional('target', { type: 'string', demandOption: true, describe: 'what to walk: a built-in model name (see list) or a scenario file' })
    .options(walkOptions)
    .option('seed', { ...intOption('seed', 'random seed (the same seed gives the same walks)', 0), default: 1 })
    .option('walks', { ...intOption('walks', 'number of random walks', 1), default: 1000 })
    .option('depth', { ...intOption('depth', 'steps per walk at most', 1), default: 1000 })
    .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
    .option('out', { type: 'string', describe: 'also write the JSON result to this file, for replay' })
    .option('swarm-index', intOption('swarm-index', 'this member of a swarm, 0..count-1 (default: $JOB_COMPLETION_INDEX)', 0))
    .option('swarm-count', intOption('swarm-count', 'swarm size; each member walks with its own seed', 1))
}

export type SimulateArgs = ArgsOf<typeof builder>

export function handler(argv: SimulateArgs): Promise<number> {
  return inWorker({ command: 'simulate', argv })
}

/** The walks themselves, in the worker thread. */
export async function runSimulate(argv: SimulateArgs): Promise<number> {
  await loadSimulateModules()
  prepareOutputs({ out: argv.out })
  await loadTargets([argv.target])
  const r = resolveTarget(argv.target, argv)
  for (const [flag, v, min] of [
    ['--seed', argv.seed, 0],
    ['--walks', argv.walks, 1],
    ['--depth', argv.depth, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new InputError('FC212', `${flag} must be an integer >= ${min}, got ${v}`, flag)
  }
  const swarm = swarmOf(argv)
  // Each swarm member walks with its own seed, derived from the base seed and its index.
  const seed = swarm ? (argv.seed * 1_000_003 + swarm.index) >>> 0 : argv.seed
  const result = simulate(r.model, {
    seed,
    walks: argv.walks,
    depth: argv.depth,
    ...(r.bounds.maxTimeMs !== undefined ? { maxTimeMs: r.bounds.maxTimeMs } : {}),
    shouldStop: () => stopWasRequested(),
  })
  const t = r.target
  const params = t.scenario
    ? ''
    : Object.entries(t.params)
        .map(([k, v]) => ` --param ${k}=${v}`)
        .join('')
  const reproduce = `npx fencecheck simulate ${shellWord(t.scenario ? t.scenario.file : t.model)}${params} --seed ${seed} --walks ${argv.walks} --depth ${argv.depth}`
  const run: Simulation = {
    target: t,
    subject: { model: r.model, narrator: r.narrator },
    result,
    seed,
    walks: argv.walks,
    depth: argv.depth,
    ...(swarm ? { swarm: { ...swarm, baseSeed: argv.seed } } : {}),
    reproduce,
  }
  const doc = simulationJson(run)
  if (argv.out) writeWhole(argv.out, JSON.stringify(doc, null, 2) + '\n')
  process.stdout.write((argv.format === 'json' ? JSON.stringify(doc, null, 2) : simulationText(run)) + '\n')
  return result.status === 'violated' ? EXIT.violated : EXIT.inconclusive
}

/** --swarm-index/--swarm-count, the index defaulting to a Kubernetes Indexed Job's JOB_COMPLETION_INDEX. */
function swarmOf(argv: {
  readonly 'swarm-index'?: number | undefined
  readonly 'swarm-count'?: number | undefined
}): { index: number; count: number } | undefined {
  const count = argv['swarm-count']
  let index = argv['swarm-index']
  if (count === undefined) {
    if (index !== undefined) throw new InputError('FC213', '--swarm-index needs --swarm-count', '--swarm-index')
    return undefined
  }
  if (index === undefined && process.env.JOB_COMPLETION_INDEX !== undefined) index = Number(process.env.JOB_COMPLETION_INDEX)
  if (!Number.isInteger(count) || count < 1) throw new InputError('FC212', `--swarm-count must be an integer >= 1, got ${count}`, '--swarm-count')
  if (index === undefined || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new InputError('FC214', `--swarm-index must be an integer in 0..${count - 1} (or set JOB_COMPLETION_INDEX), got ${index}`, '--swarm-index')
  }
  return { index, count }
}
