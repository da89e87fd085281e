/** A semantic mistake in a scenario's GPU design: the exact field, what is wrong and how to fix it. */
import type { ErrorCode } from '../../errors/codes.js'

export class SpecError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly path: readonly (string | number)[],
    message: string,
  ) {
    super(message)
  }
}
