/**
 * Classic textbook models, for checking the checker on systems with known answers.
 * Entries have the shape of model/registry.ts's ModelEntry.
 */
import type { Action, Model } from '../../checker/model.js'
import { type NarratedModel, PLAIN } from '../../report/narrator.js'
import type { ModelEntry } from '../registry.js'
import { BROKEN_MUTEX_PARAMS, brokenMutex } from './brokenMutex.js'
import { DIEHARD_PARAMS, diehard } from './diehard.js'
import { PETERSON_PARAMS, peterson } from './peterson.js'
import { RETRY_PARAMS, retry } from './retry.js'

export { BROKEN_MUTEX_PARAMS, brokenMutex } from './brokenMutex.js'
export { DIEHARD_PARAMS, diehard } from './diehard.js'
export { PETERSON_PARAMS, peterson } from './peterson.js'

/** The classic models read as they are: actions and fields in their plain form. */
const plain =
  <P>(build: (p: P) => Model<Action>) =>
  (p: P): NarratedModel<Action> => ({ model: build(p), narrator: PLAIN })

export const CLASSIC_MODELS: ModelEntry[] = [
  {
    name: 'diehard',
    about: 'Die Hard jugs: a shortest way to measure GOAL gallons (violated on purpose: the trace is the solution)',
    params: DIEHARD_PARAMS,
    build: plain(diehard),
  },
  {
    name: 'peterson',
    about: "Peterson's two-process mutual exclusion (proved)",
    params: PETERSON_PARAMS,
    build: plain(peterson),
  },
  {
    name: 'broken-mutex',
    about: 'non-atomic test-then-set lock (violates mutual exclusion)',
    params: BROKEN_MUTEX_PARAMS,
    build: plain(brokenMutex),
  },
  {
    name: 'retry',
    about: 'tiny liveness models with known answers: a polite back-off livelock, a cycle that is unfair, an intermittently enabled goal',
    params: RETRY_PARAMS,
    build: plain(retry),
  },
]
