/**
 * The GPU model's narrator: its states, steps and changes in kernel vocabulary (describe.ts), why
 * a stuck state is stuck and the wait-for graph of a state (waitFor.ts), and its actors in the
 * order a reviewer reads them: threads, then jobs, then the fences that signal on their own.
 */
import type { Action } from '../../checker/model.js'
import type { Narrator } from '../../report/narrator.js'
import type { GpuView } from './compile.js'
import { describeChange, describeState, describeStep } from './describe.js'
import { waitFor } from './waitFor.js'
import { gpuExplainers } from '../../properties/gpuStateWords.js'

export function gpuNarrator(view: GpuView): Narrator<Action> {
  const { threads, jobs, fences } = view.design
  return {
    explain: (s) => waitFor(view, s).describe(),
    describeStep: (pre, a, post) => describeStep(view, pre, a, post),
    describeState: (s) => describeState(view, s),
    describeChange: (field, before, after) => describeChange(view.design, field, before, after),
    actors: () => [
      ...threads.map((th) => th.name),
      ...jobs.map((j) => `${j.queue === 'user' ? 'compute' : 'kernel'} job ${j.name}`),
      ...fences.filter((fe) => fe.kind === 'preempt').map((fe) => `preempt fence ${fe.name}`),
      ...fences.filter((_, i) => view.proxyOf[i]! >= 0).map((fe) => `fence ${fe.name}`),
    ],
    graph: (s) => waitFor(view, s).toDot(),
    ...gpuExplainers(view),
  }
}
