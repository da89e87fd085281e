/**
 * The worker thread that runs `check` and `simulate`. The search loop is synchronous; running it
 * here leaves the main thread free to receive Ctrl-C and SIGTERM and raise the shared stop flag,
 * which the loop polls, so an interrupted run ends with an inconclusive verdict and its statistics.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Interrupted } from '../checker/checkpoint.js'
import { ModelError } from '../checker/layout.js'
import { EXIT } from '../checker/verdict.js'
import { InputError } from '../checker/params.js'
import { FileError } from '../checker/yamlFile.js'
import { cmdCheck, cmdSimulate, onStopRequest } from './commands.js'
import type { WorkerReply } from './app.js'

const { command, argv, stopFlag } = workerData as { command: 'check' | 'simulate'; argv: never; stopFlag: Int32Array }
onStopRequest(() => Atomics.load(stopFlag, 0) === 1)

async function main(): Promise<WorkerReply> {
  try {
    const code = command === 'check' ? await cmdCheck(argv) : cmdSimulate(argv)
    return { code }
  } catch (e) {
    if (e instanceof Interrupted) {
      process.stderr.write(`fencecheck: ${e.message}; nothing was explored and the checkpoint is unchanged\n`)
      return { code: EXIT.inconclusive }
    }
    if (e instanceof InputError) return { error: { kind: 'input', code: e.code, message: e.message, ...(e.where ? { where: e.where } : {}), file: e instanceof FileError } }
    if (e instanceof ModelError) return { error: { kind: 'model', code: e.code, message: e.message } }
    return { error: { kind: 'internal', code: 'FC399', message: e instanceof Error ? e.message : String(e), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) } }
  }
}

main().then((reply) => parentPort!.postMessage(reply))
