/**
 * Ctrl-C and SIGTERM at any moment. The bin entry (main.ts) installs these handlers before any
 * other module loads, so no signal finds the process without them.
 *
 * Contract: the first SIGINT or SIGTERM raises the stop flag, which is shared with the search
 * worker; the search polls it and ends with an inconclusive verdict ('interrupted'), exit 3, and a
 * command that has not started yet does not start (exit 3 too). A second signal of either kind
 * ends the process at once with 128 + the signal number, as a shell reports a killed command:
 * 130 for SIGINT, 143 for SIGTERM. Checkpoints are swapped in by rename, so aborting while one is
 * being written leaves the previous one intact.
 */

/** Element 0 becomes 1 when the user asks the run to stop. */
export const stopFlag = new Int32Array(new SharedArrayBuffer(4))

export function stopRequested(): boolean {
  return Atomics.load(stopFlag, 0) === 1
}

const ABORT_CODE = { SIGINT: 130, SIGTERM: 143 } as const
const FIRST_MESSAGE = {
  SIGINT: '\nfencecheck: interrupted; finishing with an inconclusive verdict (press Ctrl-C again to abort)\n',
  SIGTERM: 'fencecheck: terminated; finishing with an inconclusive verdict (a second SIGTERM ends the process at once)\n',
} as const

let signalled = false

export function installSignalHandlers(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (signalled) {
        process.stderr.write(`fencecheck: aborted by a second ${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'}\n`)
        process.exit(ABORT_CODE[sig])
      }
      signalled = true
      Atomics.store(stopFlag, 0, 1)
      process.stderr.write(FIRST_MESSAGE[sig])
    })
  }
}

/**
 * A closed output: the reader of stdout (or stderr) went away, as `fencecheck check x.yaml | head -1`
 * does after one line. A C program would die of SIGPIPE, and the shell would report 128 + 13; Node
 * ignores SIGPIPE, and the write fails with EPIPE instead. Contract: the first EPIPE raises the
 * stop flag as a first Ctrl-C does (the search ends at its next poll, every file it writes is still
 * written whole, a checkpoint is swapped in by rename), what is still written to the closed stream
 * is dropped, and the process exits quietly with 141.
 */
export const CLOSED_OUTPUT_CODE = 141

let closed = false

/** Has stdout or stderr been closed by its reader? */
export function outputClosed(): boolean {
  return closed
}

export function installPipeHandlers(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e
      closed = true
      Atomics.store(stopFlag, 0, 1)
      process.exitCode = CLOSED_OUTPUT_CODE
    })
  }
}
