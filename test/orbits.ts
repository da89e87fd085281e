import type { Exploration } from '../checker/explore.js'
import type { Action } from '../checker/model.js'

/** The number of symmetry orbits among the states of an unreduced run: canonicalize each, count the distinct results. */
export function countOrbits(full: Exploration<Action>): number {
  const m = full.model
  const orbits = new Set<string>()
  const w = new Uint32Array(m.layout.words)
  for (let i = 0; i < full.store.size; i++) {
    full.store.read(i, w)
    m.symmetry!.canonicalize(w)
    orbits.add(w.join(','))
  }
  return orbits.size
}
