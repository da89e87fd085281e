/**
 * The fencecheck command line: a thin typed yargs shell with one exit point. Library functions
 * return values; only the command layer prints, and only this file sets the exit code. It is
 * loaded by main.ts once the signal handlers are in place (see signals.ts).
 */
import { Worker } from 'node:worker_threads'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { fmtBytes } from '../checker/explore.js'
import { ModelError } from '../checker/layout.js'
import { InputError } from '../checker/params.js'
import { EXIT } from '../checker/verdict.js'
import { FileError } from '../checker/yamlFile.js'
import type { ErrorCode } from '../errors/codes.js'
import { loadScenario, SCENARIO_SCHEMA } from '../model/scenario.js'
import { RESULT_SCHEMA } from './resultSchema.js'
import { ITF_SCHEMA } from './itf.js'
import { cmdList, cmdMerge, cmdReplay, cmdSuite, DEFAULT_MEMORY } from './commands.js'
import { explainScenario } from './explain.js'
import { stopFlag, stopRequested } from './signals.js'

export interface WorkerReply {
  readonly code?: number
  readonly error?: { readonly kind: 'input' | 'model' | 'internal'; readonly code: ErrorCode; readonly message: string; readonly where?: string; readonly file?: boolean; readonly stack?: string }
}

/** A stop asked for before a command began: the command does not begin; exit 3 (interrupted). */
function notStarted(what: string): number {
  process.stderr.write(`fencecheck: interrupted before ${what} started; nothing was done\n`)
  return EXIT.inconclusive
}

/** Run `check` or `simulate` in a worker thread; the main thread keeps handling signals. */
function inWorker(command: 'check' | 'simulate', argv: unknown): Promise<number> {
  if (stopRequested()) return Promise.resolve(notStarted('the search'))
  return new Promise((resolvePromise, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { command, argv: JSON.parse(JSON.stringify(argv)), stopFlag } })
    let reply: WorkerReply | undefined
    w.on('message', (m: WorkerReply) => (reply = m))
    w.on('error', reject)
    w.on('exit', () => {
      if (!reply) return reject(new Error('the search worker stopped without a result'))
      if (reply.error) {
        const e = reply.error
        if (e.kind === 'input') return reject(e.file ? Object.assign(new InputError(e.code, e.message), { fromFile: true }) : new InputError(e.code, e.message, e.where))
        if (e.kind === 'model') return reject(new ModelError(e.code, e.message))
        return reject(Object.assign(new Error(e.message), { stack: e.stack }))
      }
      resolvePromise(reply.code ?? EXIT.internal)
    })
  })
}

const searchOptions = {
  param: { type: 'string', array: true, describe: 'model parameter NAME=VALUE (repeatable)' },
  order: { choices: ['bfs', 'dfs'], describe: 'search order (BFS gives shortest counterexamples)' },
  'max-depth': { type: 'number', describe: 'do not expand states at this depth' },
  'max-states': { type: 'number', describe: 'stop after this many distinct states' },
  'max-time': { type: 'string', describe: 'stop after this long (e.g. 90s, 10m)' },
  symmetry: { type: 'boolean', describe: 'explore one state per symmetry orbit (models that declare interchangeable jobs)' },
  'max-memory': { type: 'string', describe: `memory bound (e.g. 512MiB, 4GiB; default 75% of RAM = ${fmtBytes(DEFAULT_MEMORY)})` },
} as const

export async function main(args: string[]): Promise<number> {
  let code: number = EXIT.badInput
  const parser = yargs(args)
    .scriptName('fencecheck')
    .usage('$0 <command> [options]')
    .strict()
    .recommendCommands()
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress lines on stderr' })
    .command(
      'check <targets..>',
      'explore a built-in model or scenario files and print a verdict',
      (y) =>
        y
          .positional('targets', { type: 'string', array: true, demandOption: true, describe: 'a built-in model name (see list) or scenario file(s)' })
          .options(searchOptions)
          .option('format', { choices: ['text', 'json', 'itf'], default: 'text', describe: 'output format (itf: the Informal Trace Format of Apalache and Quint)' })
          .option('out', { type: 'string', describe: 'also write the JSON result (with its trace) to this file, for replay' })
          .option('hash-compaction', { type: 'boolean', describe: 'keep fingerprints, parents and rules but not the states (about half the memory); the verdict states the omission probability' })
          .option('workers', { type: 'number', describe: 'search on N worker threads (level-synchronous BFS: same verdict, counts and shortest trace)' })
          .option('report', { type: 'string', array: true, describe: 'write a report: FILE.md (with SVG graphs beside it), FILE.txt (mail), FILE.html (trace viewer), FILE.itf.json' })
          .option('checkpoint', { type: 'string', describe: 'write checkpoints to this folder (periodically, and when a bound or Ctrl-C stops the run)' })
          .option('checkpoint-every', { type: 'string', describe: 'checkpoint interval (default 10m)' })
          .option('resume', { type: 'string', describe: 'continue the run checkpointed in this folder (and keep checkpointing there)' }),
      async (argv) => {
        code = await inWorker('check', argv)
      },
    )
    .command(
      'simulate <target>',
      'seeded random walks for state spaces beyond exhaustive reach; reports coverage (never proves)',
      (y) =>
        y
          .positional('target', { type: 'string', demandOption: true, describe: 'a built-in model name or a scenario file' })
          .options(searchOptions)
          .option('seed', { type: 'number', default: 1, describe: 'random seed (the same seed gives the same walks)' })
          .option('walks', { type: 'number', default: 1000, describe: 'number of random walks' })
          .option('depth', { type: 'number', default: 1000, describe: 'steps per walk at most' })
          .option('format', { choices: ['text', 'json'], default: 'text', describe: 'output format' })
          .option('out', { type: 'string', describe: 'also write the JSON result to this file, for replay' })
          .option('swarm-index', { type: 'number', describe: 'this member of a swarm (default: $JOB_COMPLETION_INDEX)' })
          .option('swarm-count', { type: 'number', describe: 'swarm size; each member walks with its own seed' }),
      async (argv) => {
        code = await inWorker('simulate', argv)
      },
    )
    .command(
      'merge <files..>',
      'merge the JSON results of swarm members: any violation wins (the shortest), coverage adds up',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, demandOption: true })
          .option('format', { choices: ['text', 'json'], default: 'text' })
          .option('out', { type: 'string', describe: 'write the merged JSON result to this file' }),
      (argv) => {
        code = cmdMerge(argv as never)
      },
    )
    .command(
      'replay <file>',
      're-run a counterexample saved with --format json or --out: every step must be enabled and lead to the recorded state, and the end must violate the property',
      (y) => y.positional('file', { type: 'string', demandOption: true }),
      (argv) => {
        code = cmdReplay(argv as never)
      },
    )
    .command(
      'explain <file>',
      'print a scenario as the model understands it: engines, jobs, threads and their steps, policies, properties',
      (y) => y.positional('file', { type: 'string', demandOption: true }),
      (argv) => {
        process.stdout.write(explainScenario(loadScenario(argv.file as string)) + '\n')
        code = 0
      },
    )
    .command(
      'schema <which>',
      'print a published JSON Schema: result (the --format json document), scenario (scenario files), itf (the ITF trace shape)',
      (y) => y.positional('which', { choices: ['result', 'scenario', 'itf'], demandOption: true }),
      (argv) => {
        const which = argv.which as 'result' | 'scenario' | 'itf'
        const schema = which === 'result' ? RESULT_SCHEMA : which === 'scenario' ? SCENARIO_SCHEMA : ITF_SCHEMA
        process.stdout.write(JSON.stringify(schema, null, 2) + '\n')
        code = 0
      },
    )
    .command('list', 'list built-in models, their parameters, and the bundled scenarios', {}, () => {
      code = cmdList()
    })
    .command(
      'suite [dir]',
      'run every bundled scenario and print a verdict table; exits 1 if any verdict differs from its expectation',
      (y) =>
        y
          .positional('dir', { type: 'string', describe: 'scenario folder (default: the bundled scenarios/)' })
          .option('reports', { type: 'string', default: 'reports', describe: 'folder for index.html and each scenario\'s HTML and Markdown report' }),
      async (argv) => {
        code = await cmdSuite(argv as never)
      },
    )
    .demandCommand(1, 'name a command: check, replay, list or suite')
    .epilogue('exit codes: 0 proved, 1 violated, 2 bad input or usage, 3 inconclusive, 4 internal error')
    .fail((msg, err) => {
      if (err) throw err
      throw /^Did you mean/.test(msg) ? new InputError('FC201', `unknown command. ${msg} (see fencecheck --help)`) : new InputError('FC200', `${msg} (see fencecheck --help)`)
    })
    .help()
    .version()
  await parser.parseAsync()
  return code
}

/** Run the command named by the process arguments and set the exit code. */
export async function runCommandLine(): Promise<void> {
  if (stopRequested()) {
    process.exitCode = notStarted('the command')
    return
  }
  try {
    process.exitCode = await main(hideBin(process.argv))
  } catch (e) {
    if (e instanceof InputError) {
      const where = e instanceof FileError || (e as { fromFile?: boolean }).fromFile || !e.where || e.message.startsWith(e.where) ? '' : `${e.where}: `
      process.stderr.write(`fencecheck: ${e.code} ${where}${e.message}\n`)
      process.exitCode = EXIT.badInput
    } else if (e instanceof ModelError) {
      process.stderr.write(`fencecheck: ${e.code} model error: ${e.message}\n`)
      process.exitCode = EXIT.internal
    } else {
      process.stderr.write(`fencecheck: FC399 internal error: ${e instanceof Error ? e.message : String(e)}\n`)
      if (process.env.FENCECHECK_DEBUG) console.error(e)
      process.exitCode = EXIT.internal
    }
  }
}
