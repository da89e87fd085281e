#!/usr/bin/env node
/**
 * The fencecheck command (the package's bin entry). Its first act is to take over Ctrl-C and
 * SIGTERM, and a closed stdout (see signals.ts); only then does it load the command line, which pulls in yargs and the
 * command it names, and takes a noticeable time. A signal during that time is not lost.
 *
 * A command that searches (check, simulate) runs in a worker thread; that thread is started
 * first, so that it loads the checker and the models while this thread loads the parser (see
 * prestartWorker). A command that turns out not to search leaves it unused.
 */
import { installPipeHandlers, installSignalHandlers } from './signals.js'
import { prestartWorker } from './searchThread.js'

installSignalHandlers()
installPipeHandlers()
const args = process.argv.slice(2)
const first = args.find((a) => !a.startsWith('-'))
if ((first === 'check' || first === 'simulate') && !args.some((a) => a === '--help' || a === '-h' || a === '--version')) prestartWorker(first)
const { runCommandLine } = await import('./app.js')
await runCommandLine()
