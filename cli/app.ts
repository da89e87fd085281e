/**
 * The fencecheck command line: a thin typed yargs shell with one exit point. Each command is a
 * module of its own (check.ts, simulate.ts, ...) exporting its `builder` and `handler`; a handler
 * returns the exit code, and only this file sets it. Library functions return values; only the
 * command layer prints. This file is loaded by main.ts once the signal handlers are in place.
 */
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { ModelError } from '../checker/layout.js'
import { FileError, InputError } from '../checker/params.js'
import { EXIT } from '../checker/verdict.js'
import { type Command, type GlobalArgv, globalOptions, lastValueError } from './options.js'
import { notStarted } from './searchThread.js'
import { CLOSED_OUTPUT_CODE, outputClosed, stopRequested } from './signals.js'
import { joinNegativeValues, usageError } from './usage.js'

/**
 * The commands, in the order --help lists them, each loaded only when needed: a command's module
 * pulls in what it runs (the models, the checker, the reports), which takes a noticeable part of
 * a short run's time, so a run loads the one command it names.
 */
/** Registers a loaded command with the parser. */
type Adder = <U>(c: Command<U>) => void

const COMMANDS: Record<string, () => Promise<(add: Adder) => void>> = {
  check: async () => {
    const c = await import('./check.js')
    return (add) => add(c)
  },
  simulate: async () => {
    const c = await import('./simulate.js')
    return (add) => add(c)
  },
  merge: async () => {
    const c = await import('./merge.js')
    return (add) => add(c)
  },
  replay: async () => {
    const c = await import('./replay.js')
    return (add) => add(c)
  },
  explain: async () => {
    const c = await import('./explain.js')
    return (add) => add(c)
  },
  schema: async () => {
    const c = await import('./schema.js')
    return (add) => add(c)
  },
  list: async () => {
    const c = await import('./list.js')
    return (add) => add(c)
  },
  suite: async () => {
    const c = await import('./suite.js')
    return (add) => add(c)
  },
}
const NAMES = Object.keys(COMMANDS)

/**
 * The commands `args` may run: the one named by the first word that is not an option, when no
 * other word is a command's name too (an option's value could then be that word, and yargs, not
 * this guess, decides); otherwise every command (for --help, a bare or mistyped command, ...).
 */
export function commandsToLoad(args: readonly string[]): string[] {
  const first = args.find((a) => !a.startsWith('-'))
  if (first === undefined || !NAMES.includes(first)) return NAMES
  return args.some((a) => a !== first && NAMES.includes(a)) ? NAMES : [first]
}

/** What each command needs (for a message when it is missing), and what its exit codes mean (its help's epilogue). */
const ABOUT: Record<string, { readonly needs?: string; readonly exits: string; readonly hints?: Record<string, string> }> = {
  check: {
    needs: 'a target: a built-in model name (see fencecheck list) or a scenario file',
    exits:
      'exit codes: 0 proved, 1 violated, 2 bad input or usage, 3 inconclusive (a bound or an interrupt cut the search, or a property was not checked), ' +
      "4 internal error, 5 the verdict differs from the scenario's expect: (or the proof is vacuous)",
  },
  simulate: {
    needs: 'a target: a built-in model name (see fencecheck list) or a scenario file',
    exits: 'exit codes: 1 a walk found a violation, 3 no violation found (walks never prove), 2 bad input or usage, 4 internal error',
    hints: {
      'max-depth': 'a walk has no search depth; --depth sets its length in steps',
      'max-states': 'walks keep no visited set to bound; --walks sets how many walks',
      order: 'walks are random, not breadth- or depth-first; --seed fixes them',
      'max-memory': 'walks keep no visited set; only --max-time bounds them',
      property: 'walks check every property they meet; select properties with check',
      'skip-property': 'walks check every property they meet; select properties with check',
      symmetry: 'walks are not reduced by symmetry; use check --symmetry',
    },
  },
  merge: {
    needs: 'result files: the JSON results (--out or --format json) of the runs to merge',
    exits: 'exit codes: 0 every member proved, 1 some member found a violation, 3 otherwise, 2 a file is not a result or of another target',
  },
  replay: {
    needs: 'a result file: the JSON result of check --out (or --format json)',
    exits: 'exit codes: 0 the trace replays and violates what it claims, 2 it does not (or the file is not a result)',
  },
  explain: { needs: 'a scenario file (*.yaml)', exits: 'exit codes: 0 explained, 2 the file is not a valid scenario' },
  schema: { needs: 'which schema: result, scenario or itf', exits: 'exit codes: 0 printed, 2 usage' },
  list: { exits: 'exit codes: 0 listed, 2 usage' },
  suite: {
    exits:
      'exit codes: 0 every scenario meets its expectation, 1 some verdict differs from its expectation, 2 some file is not a valid scenario (its row says why) or the folder is missing',
  },
}

/** The options a command's builder declares (with the global ones and --help), for suggestions. */
function optionsOf(builder: (y: GlobalArgv) => unknown): string[] {
  const y = yargs([]).options(globalOptions)
  builder(y)
  // getOptions is yargs's own view of what was declared; @types/yargs does not list it.
  const declared = (y as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key
  return [...Object.keys(declared), 'help']
}

/**
 * yargs renders a command's whole help text as it starts the command's handler, and keeps it
 * should the handler ask for help later; no handler here does (--help and usage errors are
 * answered before any handler runs, and render the text then). The rendering measures every
 * line's width, a noticeable part of a short run's time, so it is not done. (The usage
 * instance is yargs's own; @types/yargs does not list getInternalMethods.)
 */
function skipHelpCache(y: GlobalArgv): void {
  const internal = y as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }
  internal.getInternalMethods().getUsageInstance().cacheHelpMessage = () => undefined
}

/** Parse `args`, run the command they name, and return its exit code. */
export async function main(rawArgs: string[]): Promise<number> {
  const args = joinNegativeValues(rawArgs)
  let code: number = EXIT.badInput
  const y: GlobalArgv = yargs(args).scriptName('fencecheck').usage('$0 <command> [options]').strict().options(globalOptions)
  skipHelpCache(y)
  const names: string[] = [...NAMES]
  const builders = new Map<string, (y: GlobalArgv) => unknown>()
  // Each command's handler gives the exit code; the command line keeps it until it is set below.
  const add: Adder = <U>(c: Command<U>): void => {
    const name = c.command.split(' ')[0]!
    builders.set(name, c.builder)
    y.command(
      c.command,
      c.describe,
      (yy) => c.builder(yy).epilogue(ABOUT[name]?.exits ?? ''),
      async (argv) => {
        code = await c.handler(argv)
      },
    )
  }
  for (const register of await Promise.all(commandsToLoad(args).map((n) => COMMANDS[n]!()))) register(add)
  if (args.length === 0) {
    // Bare `fencecheck`: every command, as --help lists them, and a usage exit.
    process.stderr.write((await y.getHelp()) + '\n')
    throw usageError('Not enough non-option arguments: got 0, need at least 1', {
      command: undefined,
      commands: names,
      options: [],
      positionals: undefined,
      args,
    })
  }
  await y
    .demandCommand(1)
    .epilogue('exit codes: 0 proved, 1 violated, 2 bad input or usage, 3 inconclusive, 4 internal error, 5 expectation not met (see each command --help)')
    .fail((message: string | undefined, err: Error | undefined) => {
      const msg = message ?? err?.message ?? ''
      const refused = lastValueError()
      if (err && refused && refused.message === err.message) throw refused
      // yargs's own errors (YError) are usage messages too; anything else is a fault of ours.
      if (err && err.name !== 'YError') throw err
      const command = names.find((n) => n === args.find((a) => !a.startsWith('-')))
      const options = command ? optionsOf(builders.get(command)!) : Object.keys(globalOptions)
      const about = command ? ABOUT[command] : undefined
      throw usageError(msg, { command, commands: names, options, positionals: about?.needs, args, ...(about?.hints ? { hints: about.hints } : {}) })
    })
    .help()
    .alias('h', 'help')
    .version()
    .parseAsync()
  return code
}

/** Run the command named by the process arguments and set the exit code: the one exit point. */
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
  // Whatever the command concluded, its reader did not see it: the code says so (signals.ts).
  if (outputClosed()) process.exitCode = CLOSED_OUTPUT_CODE
}
