/**
 * A test helper for `node --import`: the packages named in FENCECHECK_TEST_REFUSE (comma-separated)
 * cannot be loaded, in the main thread or in a worker thread (each thread runs --import itself).
 * A test can then show that a command does without them: it would fail to load otherwise. Nothing
 * in the command line knows about this helper.
 */
import Module, { register, type ResolveHook } from 'node:module'

const refused = new Set((process.env.FENCECHECK_TEST_REFUSE ?? '').split(',').filter((s) => s !== ''))
const refusal = (specifier: string): Error => new Error(`test helper: '${specifier}' may not be loaded here`)

// import: a resolve hook (run on the loader's own thread).
register(import.meta.url)
export const resolve: ResolveHook = (specifier, context, next) => {
  if (refused.has(specifier)) throw refusal(specifier)
  return next(specifier, context)
}

// require (createRequire), which this Node version does not pass through resolve hooks.
const cjs = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown }
const load = cjs._load
cjs._load = function (request: string, ...rest: unknown[]): unknown {
  if (refused.has(request)) throw refusal(request)
  return load.call(this, request, ...rest)
}
