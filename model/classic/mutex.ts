/**
 * What both two-process mutual-exclusion models check: at most one process in its critical
 * section, each process can get there (vacuity), and, since both loop for ever, no state is a
 * legitimate end (any state without successors is a deadlock).
 */
import { always, type DeadlockCheck, type Invariant, type Reader, type Sometimes, sometimes } from '../../checker/model.js'

export function mutexChecks(inCs: (s: Reader, process: 0 | 1) => boolean, cite?: string): { properties: (Invariant | Sometimes)[]; deadlock: DeadlockCheck } {
  return {
    properties: [
      always('mutual exclusion', (s) => !(inCs(s, 0) && inCs(s, 1)), cite !== undefined ? { cite } : {}),
      sometimes('process 0 in critical section', (s) => inCs(s, 0)),
      sometimes('process 1 in critical section', (s) => inCs(s, 1)),
    ],
    deadlock: { name: 'deadlock', cite: 'both processes loop forever: no state is terminal', terminal: () => false },
  }
}
