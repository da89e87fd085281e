/**
 * MECH=migrate (M5): migration of one page VRAM -> system racing a GPU fault on the same range.
 *
 * Frames: the VRAM (device-private) frame V and two system frames S0, S1 (one destination per
 * migrator). Each frame holds a content version; `latest` is the version the GPU last wrote.
 * Two migrators move the page to system memory: the VRAM eviction path (rule 52) and a CPU fault's
 * migrate_to_ram (rule 40). Each follows rule 39 (Documentation/mm/hmm.rst):
 *   collect the source page (migrate_vma_setup walks the page table and takes a reference), lock
 *   and isolate it and install a migration entry, which invalidates the GPU's mapping through the
 *   MMU notifier (set_seq + zap, rules 35, 56); allocate the destination and copy it with a copy-
 *   engine job whose dma_fence signals when the data is there (rule 32: copy-engine fences used to
 *   resolve faults are fine); migrate_vma_pages/finalize point the CPU page table at the
 *   destination and free the source.
 * LOCKING=kernel: the source page lock serialises the two (trylock; the loser skips the page,
 *   "best effort only", rule 59). LOCKING=none: no page lock, so both migrate the page they
 *   collected. COPYWAIT=yes: finalize waits on the copy's dma_fence; COPYWAIT=no commits first.
 * The GPU fault handler is the collision-retry loop (rule 34, detailed in MECH=mirror):
 *   read_begin, hmm_range_fault (which waits on a migration entry, rule 39 step 2), then under the
 *   update lock read_retry or program the PTE.
 */
import { LayoutBuilder, enumOf, int } from '../../../checker/layout.js'
import { type Action, type Cursor, type Model, type Reader, type Rule, sometimes } from '../../../checker/model.js'
import type { ParamValues } from '../../../checker/params.js'
import { dataSurvives, pageConservation, staleAccess } from '../../../properties/hmm.js'
import type { NarratedModel } from '../../../report/narrator.js'

const V = 0
const MIG = 3
const MST = { idle: 0, collected: 1, isolated: 2, copying: 3, copied: 4, done: 5 } as const
const WRITES = 2

export function migrate(params: ParamValues): NarratedModel<Action> {
  const locking = params.LOCKING as 'kernel' | 'none'
  const copyWait = params.COPYWAIT as 'yes' | 'no'
  const M = 2
  const dst = (m: number): number => 1 + m
  const b = new LayoutBuilder()
  const own = b.scalar('cpuMaps', enumOf('V', 'S0', 'S1', 'migration-entry'))
  const alloc = b.array('allocated', 3, int(0, 1))
  const ver = b.array('version', 3, int(0, WRITES))
  const latest = b.scalar('latest', int(0, WRITES))
  const lock = b.scalar('pageLock', int(-1, M - 1))
  const mst = b.array('migrator', M, enumOf('idle', 'collected', 'isolated', 'copying', 'copied', 'done'))
  const iseq = b.scalar('iseq', int(0, M))
  const pte = b.scalar('pte', int(-1, 2))
  const fst = b.scalar('fst', enumOf('idle', 'begun', 'faulted'))
  const fseq = b.scalar('fseq', int(0, M))
  const ff = b.scalar('ff', int(0, 2))
  const layout = b.build()
  const rules: Rule<Action>[] = []
  const rule = (action: Action, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => void rules.push({ action, guard, apply })

  for (let m = 0; m < M; m++) {
    rule(
      { name: 'migrate_collect', m },
      (s) => s.get(mst[m]!) === MST.idle && s.get(own) === V,
      (s) => s.set(mst[m]!, MST.collected),
    )
    rule(
      { name: 'migrate_nothing_to_do', m },
      (s) => s.get(mst[m]!) === MST.idle && s.get(own) !== V,
      (s) => s.set(mst[m]!, MST.done),
    )
    const mayIsolate = (s: Reader): boolean => locking === 'none' || (s.get(lock) === -1 && s.get(own) === V)
    rule(
      { name: 'migrate_lock_isolate', m },
      (s) => s.get(mst[m]!) === MST.collected && mayIsolate(s),
      (s) => {
        if (locking === 'kernel') s.set(lock, m)
        s.set(own, MIG)
        // migrate_vma_setup's invalidation: the notifier sets the seq and zaps the GPU PTE.
        s.set(iseq, s.get(iseq) + 1)
        s.set(pte, -1)
        s.set(mst[m]!, MST.isolated)
      },
    )
    if (locking === 'kernel') {
      rule(
        { name: 'migrate_skip_busy_page', m },
        (s) => s.get(mst[m]!) === MST.collected && !mayIsolate(s),
        (s) => s.set(mst[m]!, MST.done),
      )
    }
    rule(
      { name: 'migrate_alloc_copy', m },
      (s) => s.get(mst[m]!) === MST.isolated,
      (s) => {
        s.set(alloc[dst(m)]!, 1)
        s.set(mst[m]!, MST.copying)
      },
    )
    rule(
      { name: 'copy_fence_signals', m },
      (s) => s.get(mst[m]!) === MST.copying,
      (s) => {
        s.set(ver[dst(m)]!, s.get(ver[V]!))
        s.set(mst[m]!, MST.copied)
      },
    )
    rule(
      { name: 'migrate_pages_finalize', m },
      (s) => s.get(mst[m]!) === MST.copied || (copyWait === 'no' && s.get(mst[m]!) === MST.copying),
      (s) => {
        s.set(own, dst(m))
        s.set(alloc[V]!, 0)
        if (s.get(lock) === m) s.set(lock, -1)
        s.set(mst[m]!, MST.done)
      },
    )
  }

  // The GPU fault handler (collision-retry) and GPU writes through the PTE.
  rule(
    { name: 'gpu_fault_read_begin' },
    (s) => s.get(fst) === 0 && s.get(pte) < 0,
    (s) => {
      s.set(fseq, s.get(iseq))
      s.set(fst, 1)
    },
  )
  rule(
    { name: 'gpu_fault_hmm_range_fault' },
    (s) => s.get(fst) === 1 && s.get(own) !== MIG,
    (s) => {
      s.set(ff, s.get(own))
      s.set(fst, 2)
    },
  )
  rule(
    { name: 'gpu_fault_read_retry' },
    (s) => s.get(fst) === 2 && s.get(iseq) !== s.get(fseq),
    (s) => s.set(fst, 0),
  )
  rule(
    { name: 'gpu_fault_program_pte' },
    (s) => s.get(fst) === 2 && s.get(iseq) === s.get(fseq),
    (s) => {
      s.set(pte, s.get(ff))
      s.set(fst, 0)
    },
  )
  rule(
    { name: 'gpu_write' },
    (s) => s.get(pte) >= 0 && s.get(latest) < WRITES,
    (s) => {
      s.set(ver[s.get(pte)]!, s.get(latest) + 1)
      s.set(latest, s.get(latest) + 1)
    },
  )

  const initial = new Int32Array(layout.fieldCount)
  initial[own] = V
  initial[alloc[V]!] = 1
  initial[lock] = -1
  initial[pte] = V

  const inFlightDst = (s: Reader, f: number): boolean => f > 0 && (s.get(mst[f - 1]!) === MST.copying || s.get(mst[f - 1]!) === MST.copied)
  const sourceHeld = (s: Reader): boolean => mst.some((x) => s.get(x) >= MST.collected && s.get(x) <= MST.copied)
  const model: Model<Action> = {
    name: 'hmm',
    params: { MECH: 'migrate', LOCKING: locking, COPYWAIT: copyWait },
    about: `migration VRAM -> system racing a GPU fault (locking ${locking}, copy wait ${copyWait})`,
    layout,
    init: () => [initial],
    rules,
    properties: [
      staleAccess(
        (a) => (a.name === 'gpu_write' ? 0 : -1),
        (s) => s.get(pte) === s.get(own) && s.get(alloc[s.get(pte)]!) === 1,
      ),
      pageConservation((s) => {
        const o = s.get(own)
        if (o !== MIG && s.get(alloc[o]!) !== 1) return false // lost: the CPU maps a freed frame
        for (let f = 0; f < 3; f++) {
          if (s.get(alloc[f]!) === 1 && f !== o && !inFlightDst(s, f) && !(f === V && sourceHeld(s))) return false // duplicated
        }
        return true
      }),
      dataSurvives((s) => {
        const o = s.get(own)
        return o === MIG || s.get(ver[o]!) === s.get(latest)
      }),
      sometimes('the page reaches system memory after a GPU write', (s) => s.get(own) !== V && s.get(own) !== MIG && s.get(latest) >= 1),
      sometimes('the GPU faults the migrated page back in and writes it', (s) => s.get(pte) > 0 && s.get(latest) === WRITES),
    ],
  }
  return {
    model,
    narrator: {
      actors: () => ['eviction (migrator 0)', 'CPU fault migrate_to_ram (migrator 1)', 'copy engine', 'GPU fault handler', 'GPU'],
      describeStep: (_pre, a) => {
        const m = a.m as number
        const migrator = m === 0 ? 'eviction (migrator 0)' : 'CPU fault migrate_to_ram (migrator 1)'
        const text: Record<string, string> = {
          migrate_collect: 'migrate_vma_setup: collects the VRAM page (reference)',
          migrate_nothing_to_do: 'the page is no longer in VRAM: nothing to migrate',
          migrate_lock_isolate:
            locking === 'kernel'
              ? 'locks and isolates the page, installs a migration entry; the notifier zaps the GPU PTE'
              : 'isolates the page (no page lock), installs a migration entry; the notifier zaps the GPU PTE',
          migrate_skip_busy_page: 'trylock fails: skips the page (best effort)',
          migrate_alloc_copy: `allocates S${m} and submits the copy job (dma_fence)`,
          copy_fence_signals: `the copy into S${m} completes: its dma_fence signals`,
          migrate_pages_finalize: `migrate_vma_pages/finalize: the CPU maps S${m}; V is freed`,
          gpu_fault_read_begin: 'seq = mmu_interval_read_begin()',
          gpu_fault_hmm_range_fault: 'hmm_range_fault(): looks up the page',
          gpu_fault_read_retry: 'mmu_interval_read_retry() is true: retries',
          gpu_fault_program_pte: 'programs the GPU PTE under the update lock',
          gpu_write: 'writes the page through its PTE',
        }
        const actor = a.name.startsWith('gpu_fault')
          ? 'GPU fault handler'
          : a.name === 'gpu_write'
            ? 'GPU'
            : a.name === 'copy_fence_signals'
              ? 'copy engine'
              : migrator
        return { actor, text: text[a.name] ?? a.name }
      },
    },
  }
}
