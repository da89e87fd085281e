/**
 * A test helper for `node --import`: it holds the loading of the command line proper (cli/app.js,
 * which the bin entry cli/main.js imports once its signal handlers are in place) until the file
 * named by FENCECHECK_TEST_RELEASE exists, and says so on stderr first. A test can then deliver a
 * signal at the moment a signal used to kill the process: after start-up, before yargs, the
 * models and the checker have loaded. Nothing in the command line knows about this helper.
 */
import { existsSync, watch, writeSync } from 'node:fs'
import { register, type ResolveHook } from 'node:module'
import { basename, dirname } from 'node:path'
import { isMainThread } from 'node:worker_threads'

export const HOLDING = 'test helper: holding the load of cli/app.js'

// Loaded twice: by --import on the main thread (which registers the hook) and as the hook module.
if (isMainThread) register(import.meta.url)

export const resolve: ResolveHook = async (specifier, context, next) => {
  const release = process.env.FENCECHECK_TEST_RELEASE
  if (release && specifier === './app.js' && context.parentURL?.endsWith('/cli/main.js')) {
    writeSync(2, `${HOLDING}\n`)
    await appears(release)
  }
  return next(specifier, context)
}

/** Resolves once `file` exists (watching its folder: no polling, no fixed wait). */
function appears(file: string): Promise<void> {
  return new Promise((done) => {
    const w = watch(dirname(file), (_event, name) => {
      if ((name === null || name === basename(file)) && existsSync(file)) finish()
    })
    const finish = (): void => {
      w.close()
      done()
    }
    if (existsSync(file)) finish()
  })
}
