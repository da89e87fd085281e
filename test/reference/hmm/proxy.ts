/**
 * MECH=proxy (M7, seed 002): a host proxy process acts for two guest processes. Each guest maps
 * its CPU range A..B to GPU range C..D (legal: they are different processes).
 *
 * SVM=process: one process-wide shared virtual address space (KFD's per-process SVM): both guests'
 *   mirrors land in the proxy's single GPU address space, and a GPU fault carries only that
 *   address space's id. Oak Zeng's question in seed 002: "Which guest process will this fault be
 *   directed to and handled? ... there is no way to figure out."
 * SVM=per-device: Christian König's alternative in seed 002: a mirror per device and per guest
 *   ("a range A..B of the process address space is mapped into a range C..D of the GPU address
 *   space"), each in its own GPU VM, so the fault's VM identifies one mirror (rule 54: the
 *   notifier lock and range tree are per GPU address space).
 */
import { LayoutBuilder, bool, enumOf } from '../../../checker/layout.js'
import { type Action, type Cursor, type Model, type Reader, type Rule, sometimes } from '../../../checker/model.js'
import type { ParamValues } from '../../../checker/params.js'
import { faultAttribution } from '../../../properties/hmm.js'
import type { NarratedModel } from '../../../report/narrator.js'

export function proxy(params: ParamValues): NarratedModel<Action> {
  const svm = params.SVM as 'process' | 'per-device'
  const G = 2
  const b = new LayoutBuilder()
  const bound = b.array('mirrored', G, bool)
  const flt = b.array('fault', G, enumOf('none', 'pending', 'served'))
  const layout = b.build()
  const rules: Rule<Action>[] = []
  const rule = (action: Action, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => void rules.push({ action, guard, apply })
  /** the GPU address space guest g's mirror and queue live in */
  const spaceOf = (g: number): number => (svm === 'process' ? 0 : g)
  for (let g = 0; g < G; g++) {
    rule(
      { name: 'mirror_range', g },
      (s) => s.get(bound[g]!) === 0,
      (s) => s.set(bound[g]!, 1),
    )
    rule(
      { name: 'gpu_fault', g },
      (s) => s.get(bound[g]!) === 1 && s.get(flt[g]!) === 0,
      (s) => s.set(flt[g]!, 1),
    )
    rule(
      { name: 'handle_fault', g },
      (s) => s.get(flt[g]!) === 1,
      (s) => s.set(flt[g]!, 2),
    )
  }
  /** mirrors covering C..D in the address space the fault of guest g arrives in */
  const claimants = (s: Reader, g: number): number => {
    let n = 0
    for (let h = 0; h < G; h++) if (s.get(bound[h]!) === 1 && spaceOf(h) === spaceOf(g)) n++
    return n
  }
  const model: Model<Action> = {
    name: 'hmm',
    params: { MECH: 'proxy', SVM: svm },
    about: `a proxy process for two guests (${svm === 'process' ? 'process-wide SVM' : 'per-device mirrors'})`,
    layout,
    init: () => [new Int32Array(layout.fieldCount)],
    rules,
    properties: [
      faultAttribution((pre, a) => (a.name === 'handle_fault' ? claimants(pre, a.g as number) : -1)),
      sometimes('a GPU fault of each guest is served', (s) => flt.every((f) => s.get(f) === 2)),
    ],
  }
  return {
    model,
    narrator: {
      actors: () => ['guest 0', 'guest 1', 'GPU fault handler'],
      describeStep: (pre, a) => {
        const g = a.g as number
        if (a.name === 'mirror_range') return { actor: `guest ${g}`, text: `mirrors CPU A..B to GPU C..D in address space ${spaceOf(g)}` }
        if (a.name === 'gpu_fault') return { actor: `guest ${g}`, text: `its shader faults at C..D in address space ${spaceOf(g)}` }
        return { actor: 'GPU fault handler', text: `handles the fault: ${claimants(pre, g)} mirror(s) claim C..D in address space ${spaceOf(g)}` }
      },
    },
  }
}
