/**
 * Properties of the R1 reference model.
 */
import { always, type Invariant } from '../checker/model.js'
import type { Field } from '../checker/layout.js'

interface PageFields {
  readonly free: Field
  readonly bo: readonly Field[]
  readonly kst: readonly Field[]
}

const RES = 0
const OK = 4

/**
 * Page conservation: free + #{k: kst[k]=OK} + #{g: bo[g]=RES} = M + G. Every page is free, held
 * by a compute job that allocated it, or backing a resident buffer object: eviction and
 * completion move pages, never create or lose them.
 */
export function pageConservation(f: PageFields, total: number, K: number, G: number): Invariant {
  return always(
    'page conservation',
    (s) => {
      let n = s.get(f.free)
      for (let k = 0; k < K; k++) if (s.get(f.kst[k]!) === OK) n++
      for (let g = 0; g < G; g++) if (s.get(f.bo[g]!) === RES) n++
      return n === total
    },
    { id: 'page-conservation', cite: 'R1 spec: free + #{k: kst[k]=OK} + #{g: bo[g]=RES} = M + G' },
  )
}
