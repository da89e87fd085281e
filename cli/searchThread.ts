/**
 * `check` and `simulate` run their search in a worker thread (worker.ts), so the main thread
 * stays free to turn Ctrl-C and SIGTERM into a clean stop: it raises the shared stop flag, which
 * the search polls. The worker sends back the exit code, or the error to report.
 */
import { Worker } from 'node:worker_threads'
import { ModelError } from '../checker/layout.js'
import type { ErrorCode } from '../errors/codes.js'
import { InputError } from '../checker/params.js'
import { EXIT } from '../checker/verdict.js'
import type { CheckArgs } from './check.js'
import { stopFlag, stopRequested } from './signals.js'
import type { SimulateArgs } from './simulate.js'

/** What the worker is asked to run: a command and its parsed arguments (as plain data). */
export type WorkerTask = { readonly command: 'check'; readonly argv: CheckArgs } | { readonly command: 'simulate'; readonly argv: SimulateArgs }

export interface WorkerReply {
  readonly code?: number
  readonly error?: {
    readonly kind: 'input' | 'model' | 'internal'
    readonly code: ErrorCode
    readonly message: string
    readonly where?: string
    readonly file?: boolean
    readonly stack?: string
  }
}

/** A stop asked for before a command began: the command does not begin; exit 3 (interrupted). */
export function notStarted(what: string): number {
  process.stderr.write(`fencecheck: interrupted before ${what} started; nothing was done\n`)
  return EXIT.inconclusive
}

/**
 * What the worker thread is started with: the shared stop flag, and the command it is likely to
 * run, whose modules it loads while the task is on its way (the task comes as a message).
 */
export interface WorkerStart {
  readonly stopFlag: Int32Array
  readonly command: WorkerTask['command']
}

/** The worker started before the command line was parsed (see prestartWorker), until a task takes it. */
let prestarted: Worker | undefined

const startWorker = (command: WorkerTask['command']): Worker =>
  new Worker(new URL('./worker.js', import.meta.url), { workerData: { stopFlag, command } satisfies WorkerStart })

/**
 * Start the search thread now, before the command line is parsed, so that it loads the checker,
 * the models and the reports while the main thread loads and runs the parser (each thread loads
 * its modules for itself). The worker waits for its task; until one is posted it does not keep
 * the process alive, so a command that ends without a search (a usage error, say) exits as
 * before. main.ts calls this for the commands that search, with the one the command line names.
 */
export function prestartWorker(command: WorkerTask['command']): void {
  if (prestarted === undefined) {
    prestarted = startWorker(command)
    prestarted.unref()
  }
}

/** Run a task in a worker thread; resolves to its exit code, rejects with the error it reports. */
export function inWorker(task: WorkerTask): Promise<number> {
  if (stopRequested()) return Promise.resolve(notStarted('the search'))
  return new Promise((resolvePromise, reject) => {
    const w = prestarted ?? startWorker(task.command)
    prestarted = undefined
    w.ref()
    w.postMessage(JSON.parse(JSON.stringify(task)) as WorkerTask)
    let reply: WorkerReply | undefined
    w.on('message', (m: WorkerReply) => (reply = m))
    w.on('error', reject)
    w.on('exit', () => {
      if (!reply) return reject(new Error('the search worker stopped without a result'))
      if (reply.error) {
        const e = reply.error
        if (e.kind === 'input')
          return reject(e.file ? Object.assign(new InputError(e.code, e.message), { fromFile: true }) : new InputError(e.code, e.message, e.where))
        if (e.kind === 'model') return reject(new ModelError(e.code, e.message))
        return reject(Object.assign(new Error(e.message), { stack: e.stack }))
      }
      resolvePromise(reply.code ?? EXIT.internal)
    })
  })
}
