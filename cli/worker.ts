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
import { runCheck } from './check.js'
import { onStopRequest } from './search.js'
import type { WorkerReply, WorkerTask } from './searchThread.js'
import { runSimulate } from './simulate.js'

// What searchThread.ts posts: the task as plain data, and the stop flag it shares.
const { task, stopFlag } = workerData as { readonly task: WorkerTask; readonly stopFlag: Int32Array }
onStopRequest(() => Atomics.load(stopFlag, 0) === 1)

async function main(): Promise<WorkerReply> {
  try {
    const code = task.command === 'check' ? await runCheck(task.argv) : runSimulate(task.argv)
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
