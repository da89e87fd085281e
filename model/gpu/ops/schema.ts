/** JSON Schema fragments the step modifiers share. */
import { USAGES } from '../types.js'
import type { Modifier } from './op.js'

/** else: what a failing step does */
export const ELSE = (dflt: string): Modifier => ({
  doc: `what a failure does: skip (leave the path), retry (try again), fail (the thread fails), again (callbacks: return false); default ${dflt}`,
  schema: { enum: ['skip', 'retry', 'fail', 'again'] },
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
