/**
 * The worker thread that runs `check` and `simulate` (see searchThread.ts). The search loop is
 * synchronous; running it here leaves the main thread free to receive Ctrl-C and SIGTERM and raise
 * the shared stop flag, which the loop polls, so an interrupted run ends with an inconclusive
 * verdict and its statistics.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Interrupted } from '../checker/checkpoint.js'
import { ModelError } from '../checker/layout.js'
import { FileError, InputError } from '../checker/params.js'
import { EXIT } from '../checker/verdict.js'
import { loadCheckModules, runCheck } from './check.js'
import { onStopRequest } from './search.js'
import type { WorkerReply, WorkerStart, WorkerTask } from './searchThread.js'
import { loadSimulateModules, runSimulate } from './simulate.js'

// What searchThread.ts starts the thread with: the stop flag it shares. The task comes as a
// message, as plain data: the thread may be started before the command line is parsed.
const { stopFlag, command } = workerData as WorkerStart
onStopRequest(() => Atomics.load(stopFlag, 0) === 1)
// Load what the command the thread was started for runs while the task is on its way (the
// task's own command loads what it needs when it runs, should it be the other one).
const loaded = command === 'simulate' ? loadSimulateModules() : loadCheckModules()
loaded.catch(() => undefined) // a failure is reported when the task awaits it
const nextTask = new Promise<WorkerTask>((resolve) => parentPort!.once('message', resolve))

async function main(): Promise<WorkerReply> {
  try {
    const task = await nextTask
    await loaded
    const code = task.command === 'check' ? await runCheck(task.argv) : await runSimulate(task.argv)
    return { code }
  } catch (e) {
    if (e instanceof Interrupted) {
      process.stderr.write(`fencecheck: ${e.message}; nothing was explored and the checkpoint is unchanged\n`)
      return { code: EXIT.inconclusive }
    }
    if (e instanceof InputError)
      return { error: { kind: 'input', code: e.code, message: e.message, ...(e.where ? { where: e.where } : {}), file: e instanceof FileError } }
    if (e instanceof ModelError) return { error: { kind: 'model', code: e.code, message: e.message } }
    return {
      error: {
        kind: 'internal',
        code: 'FC399',
        message: e instanceof Error ? e.message : String(e),
        ...(e instanceof Error && e.stack ? { stack: e.stack } : {}),
      },
    }
  }
}

void main().then((reply) => parentPort!.postMessage(reply))
