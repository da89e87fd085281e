/**
 * The built-in model `hmm`: the memory-and-migration half of the domain (pages, ranges, GPU PTEs,
 * MMU interval notifiers with the kernel's collision-retry, migration, XNACK on/off, several
 * devices, a proxy process). MECH picks the mechanism; the other parameters pick the design
 * variant under review. Each mechanism is a small pure transition system in its own file; the
 * properties they share are in properties/hmm.ts. Scenarios: scenarios/mem/.
 */
import type { Action } from '../../../checker/model.js'
import type { ParamSpec, ParamValues } from '../../../checker/params.js'
import type { NarratedModel } from '../../../report/narrator.js'
import { cpufault, multidev } from './contention.js'
import { migrate } from './migrate.js'
import { mirror } from './mirror.js'
import { proxy } from './proxy.js'

export const MECHS = ['mirror', 'migrate', 'multidev', 'cpufault', 'proxy'] as const

export const HMM_PARAMS: readonly ParamSpec[] = [
  {
    name: 'MECH',
    kind: 'enum',
    values: MECHS,
    default: 'mirror',
    doc: 'mirror (notifier vs. collision-retry, M1-M4, M6) | migrate (M5) | multidev (M8) | cpufault (M9) | proxy (M7)',
  },
  {
    name: 'XNACK',
    kind: 'enum',
    values: ['on', 'off'],
    default: 'on',
    doc: 'mirror: on = the GPU faults on an invalid PTE; off = no-fault hardware, the queue must be quiesced',
  },
  {
    name: 'NOTIFIER',
    kind: 'enum',
    values: ['zap', 'exit-early', 'preempt', 'clear'],
    default: 'zap',
    doc: 'mirror: zap PTEs | zap but return early while the process exits (bug) | preempt the queue via the eviction fence (XNACK off) | only clear PTEs (bug on XNACK off)',
  },
  { name: 'RETRY', kind: 'enum', values: ['check', 'none'], default: 'check', doc: 'mirror: mmu_interval_read_retry() under the update lock | none (bug)' },
  { name: 'PAGES', kind: 'int', min: 1, max: 2, default: 1, doc: 'mirror: pages in the mirrored CPU range' },
  {
    name: 'NOTIFIERS',
    kind: 'enum',
    values: ['chunked', 'partial'],
    default: 'chunked',
    doc: 'mirror, PAGES=2: one range and notifier per chunk | one VMA over both, only the first notifier registered (bug)',
  },
  { name: 'EVENTS', kind: 'int', min: 1, max: 2, default: 1, doc: 'mirror: CPU invalidations (munmap, NUMA migration, memory pressure)' },
  { name: 'LOCKING', kind: 'enum', values: ['kernel', 'none'], default: 'kernel', doc: 'migrate: the source page lock serialises migrations | none (bug)' },
  { name: 'COPYWAIT', kind: 'enum', values: ['yes', 'no'], default: 'yes', doc: "migrate: finalize waits on the copy job's dma_fence | no (bug)" },
  {
    name: 'ORDER',
    kind: 'enum',
    values: ['evict-retry', 'serialized'],
    default: 'serialized',
    doc: 'multidev: each device evicts and retries | a per-range migration lock',
  },
  {
    name: 'REFORDER',
    kind: 'enum',
    values: ['ref-first', 'trylock-first'],
    default: 'trylock-first',
    doc: 'cpufault: page reference before the page trylock | after it',
  },
  { name: 'THREADS', kind: 'int', min: 2, max: 3, default: 2, doc: 'cpufault: CPU threads faulting the device-private page' },
  {
    name: 'SVM',
    kind: 'enum',
    values: ['process', 'per-device'],
    default: 'per-device',
    doc: 'proxy: one process-wide SVM address space | a mirror per device and guest',
  },
]

/** The mechanism MECH names, with its narrator. */
export function hmm(params: ParamValues): NarratedModel<Action> {
  switch (params.MECH as (typeof MECHS)[number]) {
    case 'mirror':
      return mirror(params)
    case 'migrate':
      return migrate(params)
    case 'multidev':
      return multidev(params)
    case 'cpufault':
      return cpufault(params)
    case 'proxy':
      return proxy(params)
  }
}
