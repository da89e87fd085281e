/**
 * Classic textbook models, for checking the checker on systems with known answers.
 * Entries have the shape of model/registry.ts's ModelEntry.
 */
import type { ModelEntry } from '../registry.js'
import { BROKEN_MUTEX_PARAMS, brokenMutex } from './brokenMutex.js'
import { DIEHARD_PARAMS, diehard } from './diehard.js'
import { PETERSON_PARAMS, peterson } from './peterson.js'

export { BROKEN_MUTEX_PARAMS, brokenMutex } from './brokenMutex.js'
export { DIEHARD_PARAMS, diehard } from './diehard.js'
export { PETERSON_PARAMS, peterson } from './peterson.js'

export const CLASSIC_MODELS: ModelEntry[] = [
  {
    name: 'diehard',
    about: 'Die Hard jugs: a shortest way to measure GOAL gallons (violated on purpose: the trace is the solution)',
    params: DIEHARD_PARAMS,
    build: diehard,
  },
  {
    name: 'peterson',
    about: "Peterson's two-process mutual exclusion (proved)",
    params: PETERSON_PARAMS,
    build: peterson,
  },
  {
    name: 'broken-mutex',
    about: 'non-atomic test-then-set lock (violates mutual exclusion)',
    params: BROKEN_MUTEX_PARAMS,
    build: brokenMutex,
  },
]
