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
import * as check from './check.js'
import * as explain from './explain.js'
import * as list from './list.js'
import * as merge from './merge.js'
import { type Command, type GlobalArgv, globalOptions } from './options.js'
import * as replay from './replay.js'
import * as schema from './schema.js'
import { notStarted } from './searchThread.js'
import { stopRequested } from './signals.js'
import * as simulate from './simulate.js'
import * as suite from './suite.js'

/** Parse `args`, run the command they name, and return its exit code. */
export async function main(args: string[]): Promise<number> {
  let code: number = EXIT.badInput
  const y: GlobalArgv = yargs(args).scriptName('fencecheck').usage('$0 <command> [options]').strict().recommendCommands().options(globalOptions)
  // Each command's handler gives the exit code; the command line keeps it until it is set below.
  const add = <U>(c: Command<U>): void => {
    y.command(c.command, c.describe, c.builder, async (argv) => {
      code = await c.handler(argv)
    })
  }
  add(check)
  add(simulate)
  add(merge)
  add(replay)
  add(explain)
  add(schema)
  add(list)
  add(suite)
  await y
    .demandCommand(1, 'name a command: check, replay, list or suite')
    .epilogue('exit codes: 0 proved, 1 violated, 2 bad input or usage, 3 inconclusive, 4 internal error')
    .fail((msg, err: Error | undefined) => {
      if (err) throw err
      throw /^Did you mean/.test(msg)
        ? new InputError('FC201', `unknown command. ${msg} (see fencecheck --help)`)
        : new InputError('FC200', `${msg} (see fencecheck --help)`)
    })
    .help()
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
}
