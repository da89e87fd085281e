/**
 * MECH=mirror: one device mirrors a CPU range through an MMU interval notifier (M1-M4, M6).
 *
 * Actors and their kernel sources (rule numbers from the kernel-rules reference):
 * - the CPU (munmap, NUMA migration or memory pressure, all alike here): invalidate_range_start
 *   makes the subscription seq odd and calls the interval notifiers covering the page; after they
 *   all return, invalidate_range_end makes the seq even and the page is freed and reused with a
 *   new generation (rules 33, 36, 37; mm/mmu_notifier.c). One invalidation at a time.
 * - the notifier callback: takes the driver update lock, mmu_interval_set_seq(), then zaps the
 *   GPU PTEs (XNACK on, rules 35, 56, 66), or quiesces the queue through the eviction fence
 *   (XNACK off, rules 24, 70-72), releases the lock and returns. Variants: `exit-early` returns at
 *   once when the process is exiting (M2); `clear` only clears the PTEs on no-fault hardware (M3b).
 * - the fault handler (XNACK on) or restore worker (XNACK off): the collision-retry loop of rule 34:
 *   seq = mmu_interval_read_begin() (waits while this notifier is being invalidated, rule 36),
 *   hmm_range_fault() snapshots the pages, take the update lock, mmu_interval_read_retry() -> retry,
 *   else program the PTEs under the lock (rules 34, 35, 55, 58); the restore worker also installs a
 *   new eviction fence and resumes the queue (rules 71, 73, 74).
 * - the preempt worker (XNACK off): enable_signaling on the eviction fence preempts the queue and
 *   the fence signals when the queue is off the hardware (rules 61, 70, 71).
 * - the GPU: accesses a page through its PTE (XNACK on: only through a valid PTE, an invalid one
 *   faults; XNACK off: whenever its queue runs, there being no fault path).
 *
 * Ranges (M6): with PAGES=2 and NOTIFIERS=chunked each page is its own range with its own notifier
 * (drm_gpusvm chunking, seed 004); with NOTIFIERS=partial one userptr VMA spans both pages but only
 * the first page's notifier is registered (seed 004, "a VMA may span multiple gpusvm notifiers").
 */
import { LayoutBuilder, bool, enumOf, int } from '../../../checker/layout.js'
import { type Action, type Cursor, leadsTo, type Model, type Reader, type Rule, sometimes } from '../../../checker/model.js'
import { InputError, type ParamValues } from '../../../checker/params.js'
import { PROGRESS, staleAccess } from '../../../properties/hmm.js'
import type { NarratedModel } from '../../../report/narrator.js'

const NST = { idle: 0, called: 1, locked: 2, evicting: 3, returned: 4 } as const
const FST = { idle: 0, begun: 1, faulted: 2, locked: 3 } as const
const LOCK = { free: 0, notifier: 1, handler: 2 } as const
const EF = { pending: 0, enabled: 1, signalled: 2 } as const

export function mirror(params: ParamValues): NarratedModel<Action> {
  const xnack = params.XNACK as 'on' | 'off'
  const notifier = params.NOTIFIER as 'zap' | 'exit-early' | 'preempt' | 'clear'
  const retry = params.RETRY as 'check' | 'none'
  const P = params.PAGES as number
  const chunking = params.NOTIFIERS as 'chunked' | 'partial'
  const EV = params.EVENTS as number
  const off = xnack === 'off'
  if (notifier === 'preempt' && !off)
    throw new InputError('FC138', 'parameter NOTIFIER=preempt needs XNACK=off (the eviction-fence path is the no-fault one, rule 72)')
  if (off && P !== 1) throw new InputError('FC138', 'parameter PAGES must be 1 with XNACK=off (the restore worker revalidates one range)')
  if (P === 1 && chunking === 'partial') throw new InputError('FC138', 'parameter NOTIFIERS=partial needs PAGES=2 (a VMA spanning two notifiers)')

  // Ranges the fault handler works on, and the notifier each one's seq comes from.
  const ranges: { pages: number[]; notifier: number }[] =
    P === 1
      ? [{ pages: [0], notifier: 0 }]
      : chunking === 'chunked'
        ? [
            { pages: [0], notifier: 0 },
            { pages: [1], notifier: 1 },
          ]
        : [{ pages: [0, 1], notifier: 0 }]
  // Registered notifiers and the pages their intervals cover.
  const notifiers: number[][] = P === 1 ? [[0]] : chunking === 'chunked' ? [[0], [1]] : [[0]]
  const N = notifiers.length
  const R = ranges.length
  const covering = (p: number): number[] => notifiers.flatMap((pages, n) => (pages.includes(p) ? [n] : []))

  const b = new LayoutBuilder()
  const gen = b.array('gen', P, int(0, EV))
  const pte = b.array('pte', P, int(-1, EV))
  const mmseq = b.scalar('mmseq', int(0, 2 * EV))
  const iseq = b.array('iseq', N, int(0, 2 * EV))
  const nst = b.array('nst', N, enumOf('idle', 'called', 'locked', 'evicting', 'returned'))
  const cpu = b.scalar('cpu', enumOf('idle', 'inval'))
  const cpuPage = b.scalar('cpuPage', int(0, P - 1))
  const events = b.scalar('events', int(0, EV))
  const lock = b.scalar('lock', enumOf('free', 'notifier', 'handler'))
  const fst = b.scalar('fst', enumOf('idle', 'begun', 'faulted', 'locked'))
  const fr = b.scalar('fr', int(0, R - 1))
  const fseq = b.scalar('fseq', int(0, 2 * EV))
  const fg = b.array('fg', P, int(0, EV))
  const retried = b.scalar('retried', bool)
  const exiting = notifier === 'exit-early' ? b.scalar('exiting', bool) : -1
  const queue = off ? b.scalar('queue', enumOf('running', 'stopped')) : -1
  const ef = off ? b.scalar('ef', enumOf('pending', 'enabled', 'signalled')) : -1
  const layout = b.build()

  const rules: Rule<Action>[] = []
  const rule = (action: Action, guard: (s: Reader) => boolean, apply: (s: Cursor) => void): void => void rules.push({ action, guard, apply })

  /** mmu_interval_read_begin() sleeps while the subscription is invalidating this notifier (rule 36). */
  const readBeginBlocked = (s: Reader, n: number): boolean => s.get(mmseq) % 2 === 1 && s.get(iseq[n]!) === s.get(mmseq)
  /** every notifier covering page p has returned from an invalidation of p that is in progress */
  const notifiersReturned = (s: Reader, p: number): boolean =>
    s.get(cpu) === 1 && s.get(cpuPage) === p && covering(p).every((n) => s.get(nst[n]!) === NST.returned)

  // --- CPU: invalidate_range_start / _end, then the page is freed and reused (rules 36, 37) ---
  for (let p = 0; p < P; p++) {
    rule(
      { name: 'cpu_invalidate_start', p },
      (s) => s.get(cpu) === 0 && s.get(events) < EV,
      (s) => {
        s.set(mmseq, s.get(mmseq) + 1)
        s.set(cpu, 1)
        s.set(cpuPage, p)
        for (const n of covering(p)) s.set(nst[n]!, NST.called)
      },
    )
  }
  rule(
    { name: 'cpu_invalidate_end' },
    (s) => s.get(cpu) === 1 && covering(s.get(cpuPage)).every((n) => s.get(nst[n]!) === NST.returned),
    (s) => {
      const p = s.get(cpuPage)
      for (const n of covering(p)) s.set(nst[n]!, NST.idle)
      s.set(mmseq, s.get(mmseq) + 1)
      s.set(gen[p]!, s.get(gen[p]!) + 1)
      s.set(cpu, 0)
      s.set(events, s.get(events) + 1)
    },
  )
  if (exiting >= 0)
    rule(
      { name: 'process_exit' },
      (s) => s.get(exiting) === 0,
      (s) => s.set(exiting, 1),
    )

  // --- the interval notifier callback (rules 33, 35, 56; XNACK off: 70-72) ---
  for (let n = 0; n < N; n++) {
    const pages = notifiers[n]!
    if (exiting >= 0) {
      // The design under review (M2): nothing to do, the process is exiting.
      rule(
        { name: 'notifier_exit_return', n },
        (s) => s.get(nst[n]!) === NST.called && s.get(exiting) === 1,
        (s) => s.set(nst[n]!, NST.returned),
      )
    }
    rule(
      { name: 'notifier_lock_set_seq', n },
      (s) => s.get(nst[n]!) === NST.called && s.get(lock) === LOCK.free && (exiting < 0 || s.get(exiting) === 0),
      (s) => {
        s.set(lock, LOCK.notifier)
        s.set(iseq[n]!, s.get(mmseq))
        s.set(nst[n]!, NST.locked)
      },
    )
    if (notifier === 'preempt') {
      // Quiesce: enable signalling on the eviction fence, then wait for it with the lock held.
      rule(
        { name: 'notifier_enable_signaling', n },
        (s) => s.get(nst[n]!) === NST.locked,
        (s) => {
          if (s.get(ef) === EF.pending) s.set(ef, EF.enabled)
          s.set(nst[n]!, NST.evicting)
        },
      )
      rule(
        { name: 'notifier_fence_wait_return', n },
        (s) => s.get(nst[n]!) === NST.evicting && s.get(ef) === EF.signalled,
        (s) => {
          s.set(lock, LOCK.free)
          s.set(nst[n]!, NST.returned)
        },
      )
    } else {
      rule(
        { name: 'notifier_zap_return', n },
        (s) => s.get(nst[n]!) === NST.locked,
        (s) => {
          for (const p of pages) s.set(pte[p]!, -1)
          s.set(lock, LOCK.free)
          s.set(nst[n]!, NST.returned)
        },
      )
    }
  }

  // --- preempt worker (XNACK off): the eviction fence's enable_signaling work (rules 61, 70, 71) ---
  if (off && notifier === 'preempt') {
    rule(
      { name: 'preempt_queue_signal' },
      (s) => s.get(ef) === EF.enabled,
      (s) => {
        s.set(queue, 1)
        s.set(ef, EF.signalled)
      },
    )
  }

  // --- fault handler (XNACK on) / restore worker (XNACK off): collision-retry (rules 34, 35, 55, 73) ---
  const who = off ? 'restore' : 'fault'
  for (let r = 0; r < R; r++) {
    const { pages, notifier: n } = ranges[r]!
    rule(
      { name: `${who}_read_begin`, r },
      (s) => s.get(fst) === FST.idle && (off ? s.get(queue) === 1 : pages.some((p) => s.get(pte[p]!) < 0)) && !readBeginBlocked(s, n),
      (s) => {
        s.set(fst, FST.begun)
        s.set(fr, r)
        s.set(fseq, s.get(iseq[n]!))
      },
    )
  }
  rule(
    { name: `${who}_hmm_range_fault` },
    (s) => s.get(fst) === FST.begun,
    (s) => {
      for (const p of ranges[s.get(fr)]!.pages) s.set(fg[p]!, s.get(gen[p]!))
      s.set(fst, FST.faulted)
    },
  )
  rule(
    { name: `${who}_take_update_lock` },
    (s) => s.get(fst) === FST.faulted && s.get(lock) === LOCK.free,
    (s) => {
      s.set(lock, LOCK.handler)
      s.set(fst, FST.locked)
    },
  )
  const mustRetry = (s: Reader): boolean => s.get(iseq[ranges[s.get(fr)]!.notifier]!) !== s.get(fseq)
  if (retry === 'check') {
    rule(
      { name: `${who}_read_retry` },
      (s) => s.get(fst) === FST.locked && mustRetry(s),
      (s) => {
        s.set(lock, LOCK.free)
        s.set(fst, FST.idle)
        s.set(retried, 1)
      },
    )
  }
  rule(
    { name: off ? 'restore_map_resume' : 'fault_program_ptes' },
    (s) => s.get(fst) === FST.locked && (retry === 'none' || !mustRetry(s)),
    (s) => {
      for (const p of ranges[s.get(fr)]!.pages) s.set(pte[p]!, s.get(fg[p]!))
      s.set(lock, LOCK.free)
      s.set(fst, FST.idle)
      if (off) {
        s.set(ef, EF.pending) // a new eviction fence, then resume (rule 71 steps 1, 7)
        s.set(queue, 0)
      }
    },
  )

  // --- the GPU accesses a page through its PTE ---
  for (let p = 0; p < P; p++) {
    rule({ name: 'gpu_access', p }, off ? (s) => s.get(queue) === 0 : (s) => s.get(pte[p]!) >= 0, () => {})
  }

  const initial = new Int32Array(layout.fieldCount)
  for (let p = 0; p < P; p++) initial[pte[p]!] = off ? 0 : -1 // XNACK off: mapped before the queue runs

  const fairness = (a: Action): number => {
    if (a.name === 'cpu_invalidate_end') return 0
    if (a.name.startsWith('notifier_')) return 1
    if (a.name.startsWith('fault_') || a.name.startsWith('restore_')) return 2
    if (a.name === 'preempt_queue_signal') return 3
    return -1 // cpu_invalidate_start, process_exit, gpu_access: the environment may stop
  }
  const mapped = (s: Reader): boolean => {
    for (let p = 0; p < P; p++) if (s.get(pte[p]!) !== s.get(gen[p]!)) return false
    return !off || s.get(queue) === 0
  }

  const params_: Record<string, string | number> = { MECH: 'mirror', XNACK: xnack, NOTIFIER: notifier, RETRY: retry, PAGES: P, EVENTS: EV }
  if (P === 2) params_.NOTIFIERS = chunking
  const model: Model<Action> = {
    name: 'hmm',
    params: params_,
    about: `HMM mirror: collision-retry vs. MMU interval notifier (XNACK ${xnack}, notifier ${notifier})`,
    layout,
    init: () => [initial],
    rules,
    properties: [
      staleAccess(
        (a) => (a.name === 'gpu_access' ? (a.p as number) : -1),
        (s, p) => s.get(pte[p]!) >= 0 && s.get(pte[p]!) === s.get(gen[p]!) && !notifiersReturned(s, p),
      ),
      leadsTo(
        PROGRESS,
        {
          trigger: (s) => !mapped(s),
          goal: mapped,
          fairness,
          groups: ['CPU (invalidate_range_end)', 'notifier callback', off ? 'restore worker' : 'GPU fault handler', 'preempt worker'],
        },
        { id: 'memory-progress', cite: 'rule 34 (collision-retry), rule 73 (restore work retries until no eviction raced)' },
      ),
      sometimes('a CPU invalidation completes', (s) => s.get(events) > 0),
      sometimes('the GPU maps a page reused after an invalidation', (s) => ranges.some((rg) => rg.pages.some((p) => s.get(pte[p]!) >= 1))),
      ...(retry === 'check' && EV >= 1 ? [sometimes('mmu_interval_read_retry sends the handler round again', (s: Reader) => s.get(retried) === 1)] : []),
      ...(off && notifier === 'preempt' ? [sometimes('the eviction fence signals with the queue preempted', (s: Reader) => s.get(ef) === EF.signalled)] : []),
    ],
  }
  return {
    model,
    narrator: {
      actors: () => ['CPU', 'notifier', off ? 'restore worker' : 'fault handler', ...(off ? ['preempt worker'] : []), 'GPU'],
      describeStep: (_pre, a) => {
        const actor =
          a.name.startsWith('cpu_') || a.name === 'process_exit'
            ? 'CPU'
            : a.name.startsWith('notifier_')
              ? 'notifier'
              : a.name.startsWith('fault_')
                ? 'fault handler'
                : a.name.startsWith('restore_')
                  ? 'restore worker'
                  : a.name === 'preempt_queue_signal'
                    ? 'preempt worker'
                    : 'GPU'
        const text: Record<string, string> = {
          cpu_invalidate_start: `invalidate_range_start on page ${String(a.p)}: seq odd, notifiers called`,
          cpu_invalidate_end: 'invalidate_range_end: seq even; the page is freed and reused (generation + 1)',
          process_exit: 'the process starts exiting',
          notifier_exit_return: 'the process is exiting: returns at once',
          notifier_lock_set_seq: 'takes the update lock, mmu_interval_set_seq()',
          notifier_enable_signaling: 'enables signalling on the eviction fence',
          notifier_fence_wait_return: 'the eviction fence signalled: unlocks and returns',
          notifier_zap_return: off ? 'clears the GPU PTEs, unlocks and returns (the queue keeps running)' : 'zaps the GPU PTEs, unlocks and returns',
          preempt_queue_signal: 'preempts the queue; the eviction fence signals',
          fault_read_begin: 'seq = mmu_interval_read_begin()',
          restore_read_begin: 'seq = mmu_interval_read_begin()',
          fault_hmm_range_fault: 'hmm_range_fault(): snapshots the pages',
          restore_hmm_range_fault: 'hmm_range_fault(): snapshots the pages',
          fault_take_update_lock: 'takes the update lock',
          restore_take_update_lock: 'takes the update lock',
          fault_read_retry: 'mmu_interval_read_retry() is true: unlocks and retries',
          restore_read_retry: 'an eviction raced: unlocks and retries',
          fault_program_ptes: 'programs the GPU PTEs under the lock',
          restore_map_resume: 'maps the pages, installs a new eviction fence, resumes the queue',
          gpu_access: `accesses page ${String(a.p)} through its PTE`,
        }
        return { actor, text: text[a.name] ?? a.name }
      },
    },
  }
}
