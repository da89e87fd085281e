/**
 * The model with no deadlock check. The optional member is left out rather than set to
 * undefined: under exactOptionalPropertyTypes an absent member and an undefined one differ.
 */
export function noDeadlockCheck<M extends { readonly deadlock?: unknown }>(m: M): Omit<M, 'deadlock'> {
  const { deadlock: _dropped, ...rest } = m
  return rest
}
