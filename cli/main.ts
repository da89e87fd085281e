#!/usr/bin/env node
/**
 * The fencecheck command (the package's bin entry). Its first act is to take over Ctrl-C and
 * SIGTERM (see signals.ts); only then does it load the command line, which pulls in yargs, the
 * models and the checker and takes a noticeable time. A signal during that time is not lost.
 */
import { installSignalHandlers } from './signals.js'

installSignalHandlers()
const { runCommandLine } = await import('./app.js')
await runCommandLine()
