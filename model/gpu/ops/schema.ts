/** JSON Schema fragments the step modifiers share. */
import { ERROR_CODES, USAGES } from '../types.js'
import type { Modifier, Schema } from './op.js'

/** The outcome words a failure may end in (steps.ts: outcomeWord reads the same set). */
const OUTCOMES = ['skip', 'retry', 'fail', 'again', ...ERROR_CODES] as const

/**
 * An outcome, or a failure branch: a list of steps, optionally ending in an outcome
 * (ops/branch.ts: attachBranch). A step is `#/definitions/step` of the published scenario schema.
 */
export const BRANCH_SCHEMA = (outcomes: readonly string[] = OUTCOMES): Schema => ({
  anyOf: [{ enum: [...outcomes] }, { type: 'array', minItems: 1, items: { anyOf: [{ enum: [...outcomes] }, { $ref: '#/definitions/step' }] } }],
})

/** else: what a failing step does */
export const ELSE = (dflt: string): Modifier => ({
  doc:
    `what a failure does: skip (leave the path), retry (try again), fail (the thread fails), again (callbacks: return false), ` +
    `an error code (${ERROR_CODES.join(', ')}), or a list of steps optionally ending in one of these (a failure branch); default ${dflt}`,
  schema: BRANCH_SCHEMA(),
})
/** nonblock: again (notifier callbacks) */
export const NONBLOCK: Modifier = {
  doc: 'in a non-blockable invalidation, do not sleep: test instead, and return false from the callback if it would block (rule 38)',
  schema: { const: 'again' },
}
/** ifFaultPending: skip */
export const FAULT_POLICY: Modifier = {
  doc: 'skip: back off while a GPU page fault is pending instead of waiting',
  schema: { const: 'skip' },
}
export const USAGE = (dflt: string): Modifier => ({ doc: `a dma_resv usage (default ${dflt})`, schema: { enum: USAGES } })
export const NAME = (description: string) => ({ type: 'string', description }) as const
