/**
 * The dma_fence / hmm_fence rules as named, cited properties over GPU model states and steps.
 * Rule numbers 1-7 are Christian König's (seed 000, with Daniel Vetter's replies); the kernel's
 * own statements are cited from Documentation/driver-api/dma-buf.rst and drivers/dma-buf/.
 */
import {
  type Action,
  always,
  leadsTo,
  NOT_LISTED,
  type OmittedProperty,
  type ProgressProperty,
  type Property,
  type Reader,
  sometimes,
  step,
} from '../checker/model.js'
import { signaledOpSpans } from '../model/gpu/fenceOps.js'
import { opOf } from '../model/gpu/ops/index.js'
import { swappable } from '../model/gpu/ops/swap.js'
import { running, wsField } from '../model/gpu/ops/work.js'
import type { Goal, PropertyId, Step } from '../model/gpu/types.js'
import { PROPERTY_IDS } from '../model/gpu/types.js'
import { FS, type GpuView, JS, type RuleMeta } from '../model/gpu/view.js'
import { hasStuck } from '../model/gpu/waitFor.js'
import { FLUSH_DEPENDENCY, flushDependencyProperty, hasFlush } from './flushDependency.js'
import { lockOrderProperty } from './gpuLockOrder.js'
import { ATOMIC_NAMES, atomicProperties, hasAtomic } from './atomic.js'
import { DATA_SURVIVES, FAULT_ATTRIBUTION, PAGE_CONSERVATION, PROGRESS, STALE_ACCESS } from './hmm.js'
import { assertsHeld, LOCK_HELD, lockHeldProperty } from './lockHeld.js'
import { migrates, pageConservationProperty } from './pageConservation.js'
import { countsUsers, MM_LIFETIME, mmLifetime, processFaultAttribution } from './process.js'

export { PRIMED_ORDER } from './gpuLockOrder.js'

export const PROPERTY_NAMES = {
  deadlock: 'deadlock',
  progress: 'rules 1-3: dma_fence progress with adversarial userspace',
  rule1: 'rule 1: dma_fences never depend on hmm_fences',
  rule2: 'rule 2: hmm work never preempts dma_fence work',
  rule4: 'rule 4: a dma_fence waited on in a critical section never needs that section',
  rule5: 'rule 5: no hmm_fence wait in a critical section',
  rule6: 'rule 6: hmm dependencies of a dma_fence are awaited before any lock',
  rule7: 'rule 7: an hmm_fence that depends on a dma_fence signals after it',
  signalling: 'signalling section: no reclaim, no dma_resv, no waiter-held lock, no user fault',
  lockOrder: 'lock order (lockdep)',
  sanity: 'fence sanity: signals once, errors propagate',
  gpuAccess: STALE_ACCESS,
  memoryProgress: PROGRESS,
  nonblock: 'rule 38: a callback in a non-blockable invalidation never sleeps, and returns false only there',
  ...ATOMIC_NAMES,
  hang: 'hang-until-timeout: no bounded wait times out in a hang that only its timeout ends',
  dataSurvives: DATA_SURVIVES,
  pageConservation: PAGE_CONSERVATION,
  flushDependency: FLUSH_DEPENDENCY,
  faultAttribution: FAULT_ATTRIBUTION,
  mmLifetime: MM_LIFETIME,
  lockHeld: LOCK_HELD,
} as const

/** A progress goal's property name, and its id for --property (`progress:NAME`). */
export const goalName = (design: GpuView['design'], g: Goal): { name: string; id: string } => {
  const who = {
    thread: () => design.threads[g.index]!.name,
    job: () => design.jobs[g.index]!.name,
    fence: () => design.fences[g.index]!.name,
    work: () => design.works[g.index]!.name,
  }[g.kind]()
  const what = {
    thread: `thread ${who} completes its path`,
    job: `job ${who} signals its fence`,
    fence: `fence ${who} signals`,
    work: `work ${who} runs`,
  }[g.kind]
  return { name: `progress: ${what}`, id: `progress:${who}` }
}

export function gpuProperties(v: GpuView, perms: readonly { job: Int32Array; thread: Int32Array }[] = []): Property<Action>[] {
  const { design, f } = v
  const want = new Set(design.properties.filter((id) => !design.accepted.includes(id)))
  const fences = design.fences
  const meta = (a: Action): RuleMeta => v.meta.get(a)!
  const isDma = (i: number): boolean => fences[i]!.kind !== 'hmm'
  const cls = (l: number): string => design.locks[l]!.cls
  const inReclaim = (s: Reader, t: number): boolean => f.rpc[t]! >= 0 && s.get(f.rpc[t]!) > 0
  const inSignalling = (s: Reader, t: number): boolean => design.threads[t]!.signalling || s.get(f.sig[t]!) === 1
  /** seed 000's critical sections: notifiers, page faults, reclaim, and anything holding a lock */
  const inNotifier = (s: Reader, t: number): boolean => f.npc[t]! >= 0 && s.get(f.npc[t]!) > 0
  const critical = (s: Reader, t: number): boolean => v.criticalContext[t]! || inReclaim(s, t) || inNotifier(s, t) || v.heldBy(s, t).length > 0

  /** The step thread t is at, if it is a wait that blocks (its fence(s) pending). */
  const blockingWait = (s: Reader, t: number): { step: Step; fences: number[] } | undefined => {
    const st = v.stepAt(s, t).step
    const pending = st ? opOf(st).pendingFences?.(v, s, st) : undefined
    return st && pending?.length ? { step: st, fences: pending } : undefined
  }
  /** Does thread t's path create a dma_fence after step `from` (arm/push of kernel work, signal)? */
  const createsDmaLater = (t: number, s: Reader): boolean => {
    const th = design.threads[t]!
    return th.steps.slice(s.get(f.pc[t]!)).some((x) => opOf(x).createsDma?.(design, x) ?? false)
  }
  const actor = (a: Action): number => {
    const m = meta(a)
    return m.actor.kind === 'thread' ? m.actor.index : -1
  }

  const props: Property<Action>[] = []

  if (want.has('deadlock')) {
    props.push(
      always(PROPERTY_NAMES.deadlock, (s) => !hasStuck(v, s), {
        cite: 'no wait-for cycle or endless wait, even while other actors move; dma-fence.c DOC: fence signalling annotation',
      }),
    )
  }

  if (want.has('rule-1')) {
    // a kernel job can depend on an hmm_fence only through its declared dependencies or those it
    // captures from a dma_resv; the others are not looked at (the state of a job that cannot
    // break the rule is no field this property reads: partial-order reduction keeps it invisible)
    const mayDependOnHmm = design.jobs.map((job, j) => job.queue === 'kernel' && (f.jd[j]! >= 0 || job.deps.some((d) => fences[d]!.kind === 'hmm')))
    props.push(
      always(
        PROPERTY_NAMES.rule1,
        (s) => {
          for (let j = 0; j < design.jobs.length; j++) {
            if (!mayDependOnHmm[j]) continue
            const st = s.get(f.js[j]!)
            if (st === JS.idle || st === JS.done) continue
            if (v.depsOf(s, j).some((d) => fences[d]!.kind === 'hmm')) return false
          }
          for (let i = 0; i < fences.length; i++) {
            const src = v.proxyOf[i]!
            if (src >= 0 && isDma(i) && fences[src]!.kind === 'hmm' && s.get(f.px[i]!) === 1) return false
            // A dma_fence_array or chain armed over an hmm_fence is a dma_fence depending on it.
            const members = fences[i]!.members
            if (members && s.get(f.en[i]!) === 1 && members.some((m) => fences[m]!.kind === 'hmm')) return false
          }
          return true
        },
        { cite: 'seed 000 rule 1; dma-buf.rst "Indefinite DMA Fences": no future, proxy or userspace fences imported as DMA fences' },
      ),
    )
  }

  if (want.has('rule-2')) {
    props.push(
      step(PROPERTY_NAMES.rule2, (_pre, a) => meta(a).does !== 'preempt_dma', {
        cite: 'seed 000 rule 2; dma-buf.rst "Recoverable Hardware Page Faults Implications"',
      }),
    )
  }

  if (want.has('rule-4')) {
    props.push(
      step(
        PROPERTY_NAMES.rule4,
        (_pre, a, post) => {
          const t = actor(a)
          if (t < 0) return true
          const w = blockingWait(post, t)
          if (!w || !critical(post, t)) return true
          const held = new Set(v.heldBy(post, t).map(cls))
          for (const fe of w.fences) {
            if (!isDma(fe)) continue
            for (const l of v.signalPathLocks[fe]!) if (held.has(cls(l))) return false
            if (inReclaim(post, t) && v.signalPathReclaims[fe]) return false
          }
          return true
        },
        {
          cite: 'seed 000 rule 4; dma-fence.c DOC: fence cross-driver contract (waits under dma_resv, in shrinkers and notifiers are allowed, so signalling code may not take dma_resv nor reclaim)',
        },
      ),
    )
    // The same rule through the lock order (properties/gpuLockOrder.ts): the signaller takes a
    // lock ordered before one the waiter holds ("pulls in the entire established locking
    // hierarchy around dma_resv_lock()"), printed with one trace per edge.
    const waits = (s: Reader, t: number): number[] => {
      const w = blockingWait(s, t)
      return w && critical(s, t) ? w.fences.filter(isDma) : []
    }
    // Only a design with a fence wait and a signalling path can close such a cycle.
    const steps = [...design.threads.flatMap((th) => th.steps), ...v.reclaimSteps, ...design.notifiers.flatMap((n) => n.callback)]
    const waitsSomewhere = steps.some((x) => opOf(x).pendingFences !== undefined)
    const signalsSomewhere = design.threads.some((th) => th.steps.some((x) => opOf(x).signalPath?.(design, x) !== undefined))
    if (waitsSomewhere && signalsSomewhere)
      props.push({
        ...lockOrderProperty(v, PROPERTY_NAMES.rule4, waits),
        cite: 'seed 000 rule 4 through the lock order; dma-fence.c DOC: fence cross-driver contract',
      })
  }

  if (want.has('rule-6')) {
    props.push(
      step(
        PROPERTY_NAMES.rule6,
        (_pre, a, post) => {
          const t = actor(a)
          if (t < 0) return true
          const w = blockingWait(post, t)
          if (!w || !w.fences.some((fe) => fences[fe]!.kind === 'hmm')) return true
          return !(createsDmaLater(t, post) && (v.heldBy(post, t).length > 0 || inReclaim(post, t)))
        },
        { cite: 'seed 000 rule 6; drm_syncobj.c drm_syncobj_find_fence (lockdep_assert_none_held_once); drm-vm-bind-async.rst' },
      ),
    )
  }

  if (want.has('rule-5')) {
    props.push(
      step(
        PROPERTY_NAMES.rule5,
        (_pre, a, post) => {
          const t = actor(a)
          if (t < 0) return true
          const w = blockingWait(post, t)
          if (!w || !w.fences.some((fe) => fences[fe]!.kind === 'hmm')) return true
          return !critical(post, t)
        },
        { cite: 'seed 000 rule 5; drm-vm-bind-async.rst ("avoid waiting for memory fences with locks held"); drm_syncobj.c' },
      ),
    )
  }

  if (want.has('rule-7')) {
    props.push(
      step(
        PROPERTY_NAMES.rule7,
        (pre, a, post) => {
          const m = meta(a)
          const fe = m.signals
          if (fe === undefined || fences[fe]!.kind !== 'hmm' || post.get(f.fs[fe]!) !== FS.signalled || pre.get(f.fs[fe]!) !== FS.pending) return true
          const j = fences[fe]!.job
          if (j === undefined) return true
          return v.depsOf(pre, j).every((d) => !isDma(d) || pre.get(f.fs[d]!) !== FS.pending)
        },
        { cite: 'seed 000 rule 7; dma-buf.rst: indefinite fences may depend on DMA fences (the wait may be late, but it must happen)' },
      ),
    )
  }

  if (want.has('signalling')) {
    props.push(
      step(
        PROPERTY_NAMES.signalling,
        (pre, a) => {
          const t = actor(a)
          if (t < 0 || !inSignalling(pre, t)) return true
          const m = meta(a)
          const st = m.step
          if (!st) return true
          if (st.userFault) return false
          if ((opOf(st).reclaims?.(st) ?? false) && (m.does === 'alloc' || m.does === 'enter_reclaim')) return false
          if (m.acquires && (cls(m.acquires.lock) === 'dma_resv' || v.heldAtWait.has(m.acquires.lock))) return false
          return true
        },
        {
          cite: 'dma-fence.c DOC: fence signalling annotation and cross-driver contract; commit d0b9a9aef0a1 (no dma_resv, no GFP_KERNEL/NOFS/NOIO, no userspace faults)',
        },
      ),
    )
  }

  if (want.has('fence-sanity')) {
    props.push(
      step(
        PROPERTY_NAMES.sanity,
        (pre, a, post) => {
          const m = meta(a)
          const fe = m.signals
          if (fe === undefined) return true
          if (m.does === 'signal' && pre.get(f.fs[fe]!) !== FS.pending) return false
          if (pre.get(f.fs[fe]!) === FS.pending && post.get(f.fs[fe]!) === FS.signalled) {
            const j = fences[fe]!.job
            const deps = j !== undefined ? v.depsOf(pre, j) : v.fenceDeps[fe]!
            if (deps.some((d) => pre.get(f.fs[d]!) === FS.error)) return false
          }
          return true
        },
        { cite: 'dma-fence.c: a fence signals once (dma_fence_signal returns -EINVAL after); errors propagate to dependent fences (seed 001)' },
      ),
    )
  }

  if (want.has('gpu-access') && design.jobs.some((j) => j.accesses.length > 0 || j.uses.some((u) => swappable(design).has(u.bo)))) {
    // The GPU-access rules (compile.ts) fire exactly when the GPU may touch a page it must not.
    props.push(
      step(PROPERTY_NAMES.gpuAccess, (_pre, a) => meta(a).does !== 'access', {
        cite: 'rule 33: include/linux/mmu_notifier.h (mmu_interval_notifier_ops: "Upon return the caller must stop using any SPTEs"); rule 45: Documentation/gpu/drm-vm-bind-locking.rst',
      }),
    )
  }

  if (want.has('notifier-nonblock') && v.sites.some((x) => x.steps.length > 0)) {
    props.push(
      step(
        PROPERTY_NAMES.nonblock,
        (_pre, a) => {
          const m = meta(a)
          if (m.frame !== 'notifier' || !m.site) return true
          const st = m.step
          const facts = st ? opOf(st).lockdep : undefined
          if (st && facts?.returnsFalse?.(st, m)) return m.site.step.nonblock
          if (!m.site.step.nonblock || !st || m.does === 'return_false' || m.does === 'test_fence') return true
          // mutex_lock, dma_fence_wait and reclaiming allocations may sleep (might_sleep()).
          if (facts?.sleeps?.(st, m)) return false
          return true
        },
        {
          cite: 'rule 38: include/linux/mmu_notifier.h (invalidate_range_start: "cannot sleep" unless mmu_notifier_range_blockable(); ops->invalidate returns false only then)',
        },
      ),
    )
  }

  if (want.has('hang-until-timeout') && hasTimedWait(design)) props.push(hangUntilTimeout(v))
  if (want.has('flush-dependency') && hasFlush(design)) props.push(flushDependencyProperty(v))

  // A migration's finalize publishes the destination only after the copy's dma_fence (ops/migrate.ts).
  if (want.has('data-survives') && namesCopy(design))
    props.push(
      step(PROPERTY_NAMES.dataSurvives, (_pre, a) => meta(a).does !== 'migrate_finalize_uncopied', {
        cite: 'rule 39: Documentation/mm/hmm.rst (the driver copies before migrate_vma_pages commits); drivers/gpu/drm/amd/amdkfd/kfd_migrate.c: svm_migrate_copy_done @ v6.12',
      }),
    )

  // rule 39: no migration loses or duplicates a page frame (properties/pageConservation.ts)
  if (want.has('page-conservation') && migrates(design)) props.push(pageConservationProperty(v))

  if (want.has('fault-attribution') && design.processes && design.jobs.some((j) => j.accesses.length > 0)) props.push(processFaultAttribution(v))
  if (want.has('mm-lifetime') && countsUsers(v)) props.push(mmLifetime(v))
  if (want.has('lock-held') && assertsHeld(design)) props.push(lockHeldProperty(v))

  // CPU threads that fault (cpu_fault) are memory actors too: each must complete its access; so is a
  // thread whose hmm_range_fault faults another device's pages (get_pages with else:): it must get
  // out of its walk-fault-walk loop.
  const cpuFaulting = design.threads.flatMap((th, t) => (th.steps.some((s) => s.op === 'cpu_fault' || s.op === 'require_resident') ? [t] : []))
  const walking = rangeFaults(design)
  if (want.has('memory-progress') && (design.jobs.some((j) => j.accesses.length > 0) || cpuFaulting.length > 0 || walking.length > 0)) {
    // Retry loops must not livelock: under weak fairness per actor (every thread, every job's GPU
    // side, every fence mechanism), a stalled GPU (a fault pending, or a queue evicted) is served
    // and every invalidation ends. Userspace's own choices (completing its work) are not obliged,
    // nor are GPU accesses (they change nothing). One fairness group per actor; checker/liveness.ts.
    const accessing = design.jobs.map((j, i) => (j.accesses.length > 0 ? i : -1)).filter((i) => i >= 0)
    const calm = (s: Reader): boolean =>
      (f.active < 0 || s.get(f.active) === 0) &&
      accessing.every((j) => (f.pf[j]! < 0 || s.get(f.pf[j]!) === 0) && s.get(f.js[j]!) !== JS.suspended) &&
      cpuFaulting.every((t) => s.get(f.pc[t]!) === design.threads[t]!.steps.length) &&
      walking.every((w) => s.get(f.pc[w.t]!) < w.from || s.get(f.pc[w.t]!) > w.to)
    const T = design.threads.length
    const J = design.jobs.length
    const groups = [
      ...design.threads.map((th) => `thread ${th.name}`),
      ...design.jobs.map((j) => `job ${j.name} (GPU)`),
      ...fences.map((fe) => `fence ${fe.name}`),
    ]
    {
      props.push(
        leadsTo(
          PROPERTY_NAMES.memoryProgress,
          {
            trigger: (s) => !calm(s),
            goal: calm,
            fairness: (a) => {
              const m = meta(a)
              if (m.userspace || m.does === 'access') return -1
              return m.actor.kind === 'thread' ? m.actor.index : m.actor.kind === 'job' ? T + m.actor.index : T + J + m.actor.index
            },
            groups,
          },
          { cite: 'rule 34 (collision-retry), rule 73 (restore work retries until no eviction raced); weak fairness per actor' },
        ),
      )
    }
  }

  props.push(...goalProperties(v))

  if (want.has('dma-fence-progress') && fences.some((_, i) => isDma(i))) {
    const dma = fences.map((_, i) => i).filter(isDma)
    // A preempt fence and a composite (array, chain) signal only once signalling is enabled
    // (xe_preempt_fence.c: preempt_fence_enable_signaling, dma-fence-array.c:
    // dma_fence_array_enable_signaling, dma-fence-chain.c: dma_fence_chain_enable_signaling @ v6.12):
    // until a waiter, a callback or a poll enables it, nothing asks it to signal, and every future
    // waiter enables it without userspace. The obligation starts when signalling is enabled.
    const lazy = dma.map((i) => fences[i]!.kind === 'preempt' || fences[i]!.kind === 'array' || fences[i]!.kind === 'chain')
    const prog: ProgressProperty<Action> = {
      kind: 'progress',
      name: PROPERTY_NAMES.progress,
      cite: 'seed 000 rules 1-3; dma-buf.rst "Indefinite DMA Fences" and "Recoverable Hardware Page Faults Implications"',
      obligations: dma.length,
      label: (o) => `dma_fence ${fences[dma[o]!]!.name} signalling`,
      pending: (s, o) => s.get(f.pub[dma[o]!]!) === 1 && s.get(f.fs[dma[o]!]!) === FS.pending && (!lazy[o] || s.get(f.en[dma[o]!]!) === 1),
      done: (s, o) => s.get(f.fs[dma[o]!]!) !== FS.pending,
      allowed: (a) => !meta(a).userspace,
    }
    props.push(prog)
  }

  if (want.has('lock-order')) props.push(lockOrderProperty(v, PROPERTY_NAMES.lockOrder))
  props.push(...atomicProperties(v, want))

  // Vacuity guards: a proof means little if nothing ever happens. Under a declared symmetry the
  // interchangeable jobs (and their threads) share one witness, which any of them may reach:
  // the search keeps one member of each orbit, so per-job witnesses would be an artefact.
  const orbitOf = (i: number, key: 'job' | 'thread'): number[] => [...new Set(perms.map((p) => p[key][i]!))].sort((a, b) => a - b)
  const done = new Set<string>()
  design.threads.forEach((_, t) => {
    const orbit = perms.length ? orbitOf(t, 'thread') : [t]
    const id = `t${orbit.join(',')}`
    if (done.has(id)) return
    done.add(id)
    const names = orbit.map((x) => design.threads[x]!.name)
    const w = design.threads[t]!.work
    // A work item's path starts over after each run: its witness is a run that reaches the end.
    if (w !== undefined && orbit.length === 1) {
      props.push(sometimes(`work ${names[0]} completes a run`, (s) => s.get(f.pc[t]!) === 0 && running(s.get(wsField(f, w)))))
      return
    }
    props.push(
      sometimes(orbit.length > 1 ? `one of threads ${names.join(', ')} completes its path` : `thread ${names[0]} completes its path`, (s) =>
        orbit.some((x) => s.get(f.pc[x]!) === design.threads[x]!.steps.length && s.get(f.failed[x]!) === 0 && (f.rpc[x]! < 0 || s.get(f.rpc[x]!) === 0)),
      ),
    )
  })
  // A fence's signaled op runs only while the fence has not signalled: its witness is a run of it.
  for (const sp of signaledOpSpans(design)) {
    if (perms.length && orbitOf(sp.thread, 'thread').length > 1) continue
    const pc = f.pc[sp.thread]!
    props.push(
      sometimes(`thread ${design.threads[sp.thread]!.name} runs the signaled op of dma_fence ${design.fences[sp.fence]!.name}`, (s) => {
        const x = s.get(pc)
        return x > sp.at && x <= sp.end
      }),
    )
  }
  design.jobs.forEach((_, j) => {
    const orbit = perms.length ? orbitOf(j, 'job') : [j]
    const id = `j${orbit.join(',')}`
    if (done.has(id)) return
    done.add(id)
    const names = orbit.map((x) => design.jobs[x]!.name)
    // A hung job never completes; its witness is that the timeout handler's reset ends it.
    const hung = design.jobs[j]!.hangs
    const verb = hung ? 'is reset (its fence completes with an error)' : 'completes'
    props.push(
      sometimes(orbit.length > 1 ? `one of jobs ${names.join(', ')} ${verb}` : `job ${names[0]} ${verb}`, (s) =>
        orbit.some((x) => s.get(f.js[x]!) === JS.done && s.get(f.fs[design.jobs[x]!.fence]!) === (hung ? FS.error : FS.signalled)),
      ),
    )
  })
  design.ranges.forEach((r, ri) => {
    if (design.jobs.some((j) => j.accesses.includes(ri))) {
      props.push(sometimes(`range ${r.name} is mapped while the GPU may use it`, (s) => f.pte[ri]!.every((x) => s.get(x) === 1)))
    }
  })
  if (v.reclaimSteps.length > 0 && design.threads.some((_, t) => f.rpc[t]! >= 0)) {
    props.push(sometimes('reclaim runs', (s) => design.threads.some((_, t) => f.rpc[t]! >= 0 && s.get(f.rpc[t]!) > 0)))
  }
  // Each property carries its id; listed by name, one with nothing to check makes the run inconclusive.
  const idOf = new Map(PROPERTY_IDS.map((id) => [PROPERTY_NAMES[ID_KEY[id]] as string, id]))
  return props.map((p) => {
    const id = idOf.get(p.name)
    return { ...p, ...(id ? { id } : {}), ...(design.propertiesListed && p.kind !== 'sometimes' ? { requested: true } : {}) }
  })
}

/**
 * A bounded wait that times out while, timeouts aside, its thread could never go on: the timeout
 * ended a hang (a cycle or a dead end) that is still a bug, only hidden. The trace ends with the
 * timeout; its narration shows the wait-for graph it broke (describe.ts).
 */
function hangUntilTimeout(v: GpuView): Property<Action> {
  return step(
    PROPERTY_NAMES.hang,
    (pre, a) => {
      const m = v.meta.get(a)!
      if (m.does !== 'timeout' || m.actor.kind !== 'thread') return true
      return !v.waitFor(pre, { timeouts: 'ignore' }).stuck.includes(`thread:${m.actor.index}`)
    },
    {
      cite: 'drivers/dma-buf/dma-fence.c: dma_fence_wait_timeout (0 when the wait timed out); drivers/gpu/drm/ttm/ttm_bo.c: ttm_bo_wait_ctx (a 15 s bound turned into -EBUSY)',
    },
  )
}

/**
 * User-stated progress goals: on every weakly fair run (one fairness group per actor, as for
 * memory-progress; userspace's own choices and GPU accesses owe nothing), the goal's event happens;
 * a run that stops without it (the thread failed, everything else finished) violates it too.
 * The groups: each thread; each work item (its worker's steps, process_one_work picking it up, and
 * its delayed-work timer firing: one actor, so a timer that stays armed and a pending item whose
 * worker is free must eventually fire and run, while one re-armed or cancelled again and again is
 * owed nothing); each job on the GPU; each fence mechanism. A work goal is met when the item runs
 * (process_one_work picked it up).
 */
function goalProperties(v: GpuView): Property<Action>[] {
  const { design, f } = v
  const T = design.threads.length
  const J = design.jobs.length
  const groups = [
    ...design.threads.map((th) => (th.work !== undefined ? `work ${th.name} (worker and timer)` : `thread ${th.name}`)),
    ...design.jobs.map((j) => `job ${j.name} (GPU)`),
    ...design.fences.map((fe) => `fence ${fe.name}`),
  ]
  const fairness = (a: Action): number => {
    const m = v.meta.get(a)!
    if (m.userspace || m.does === 'access') return -1
    return m.actor.kind === 'thread' ? m.actor.index : m.actor.kind === 'job' ? T + m.actor.index : T + J + m.actor.index
  }
  return design.goals.map((g) => {
    const { name, id } = goalName(design, g)
    const goal =
      g.kind === 'thread'
        ? (s: Reader) =>
            s.get(f.pc[g.index]!) === design.threads[g.index]!.steps.length &&
            s.get(f.failed[g.index]!) === 0 &&
            (f.rpc[g.index]! < 0 || s.get(f.rpc[g.index]!) === 0)
        : g.kind === 'work'
          ? // process_one_work picked it up: it is running (or running and queued again)
            (s: Reader) => running(s.get(wsField(f, g.index)))
          : (s: Reader) => s.get(f.fs[g.kind === 'job' ? design.jobs[g.index]!.fence : g.index]!) !== FS.pending
    return {
      ...leadsTo(name, { goal, fairness, groups, stops: true }, { cite: "the scenario's progress: goals; weak fairness per actor (checker/liveness.ts)" }),
      id,
      requested: true,
    }
  })
}

/**
 * The properties of the catalogue this design does not check, and why: left out of the scenario's
 * `properties:` list, or with nothing to check in this design. A property the scenario lists by
 * name and that has nothing to check is `requested`: the run then cannot be proved.
 */
export function gpuOmitted(design: GpuView['design']): OmittedProperty[] {
  const out: OmittedProperty[] = []
  const want = new Set(design.properties)
  const listed = design.propertiesListed
  for (const id of PROPERTY_IDS) {
    if (!want.has(id)) out.push({ name: PROPERTY_NAMES[ID_KEY[id]], id, kind: KIND[id], reason: NOT_LISTED, requested: false })
  }
  const empty = (id: PropertyId, reason: string): void => {
    if (want.has(id))
      out.push({ name: PROPERTY_NAMES[ID_KEY[id]], id, kind: KIND[id], reason: listed ? reason : `does not apply: ${reason}`, requested: listed })
  }
  if (
    !design.jobs.some((j) => j.accesses.length > 0) &&
    !design.threads.some((th) => th.steps.some((s) => s.op === 'cpu_fault' || s.op === 'require_resident')) &&
    !rangeFaults(design).length
  )
    empty('memory-progress', 'no job accesses: a range, so no GPU stall has to be resolved')
  if (!design.fences.some((fe) => fe.kind !== 'hmm')) empty('dma-fence-progress', 'the design has no dma_fence')
  if (!design.processes || !design.jobs.some((j) => j.accesses.length > 0))
    empty('fault-attribution', 'no processes: declared whose GPU work accesses a range, so every fault has one address space')
  if (!(design.processes ?? []).length || !design.threads.some((th) => th.steps.some((s) => s.op === 'mmget' || s.op === 'mmget_not_zero' || s.op === 'mmput')))
    empty('mm-lifetime', 'no mmget/mmput step, so no address space is torn down')
  if (!hasAtomic(design)) {
    empty('might-sleep', 'no spinlock, irq handler or fence callback, so nothing runs in atomic context')
    empty('irq-safety', 'no spinlock, irq handler or fence callback')
  }
  if (design.accepted.includes('hang-until-timeout'))
    out.push({
      name: PROPERTY_NAMES.hang,
      kind: 'step',
      reason: 'accepted by the design (policies: { timeout: accept }): a hang only a timeout ends is its choice',
      requested: false,
    })
  else if (!hasTimedWait(design)) empty('hang-until-timeout', 'no bounded wait (timeout: true), so no timeout can end a hang')
  if (!namesCopy(design)) empty('data-survives', 'no migrate_vma_finalize names its copy job (copy:)')
  if (!migrates(design)) empty('page-conservation', 'no migrate_vma_setup, so no page migrates')
  if (!hasFlush(design)) empty('flush-dependency', 'no flush_work or flush_workqueue step')
  if (!assertsHeld(design)) empty('lock-held', 'no step asserts a lock held (get_pages: hmm_range_fault asserts the mmap_lock)')
  return out
}

/** Does a migration name its copy job (migrate_vma_finalize copy:, ops/migrate.ts)? */
const namesCopy = (design: GpuView['design']): boolean =>
  design.threads.some((th) => th.steps.some((s) => s.op === 'migrate_vma_finalize' && s.copy !== undefined))

/** hmm_range_fault calls that fault another device's pages (get_pages with else:): the thread, and
 * the steps from the call to the end of its fault (the walk-fault-walk loop). */
const rangeFaults = (design: GpuView['design']): { t: number; from: number; to: number }[] =>
  design.threads.flatMap((th, t) => th.steps.flatMap((s, i) => (s.op === 'get_pages' && s.else === 'branch' ? [{ t, from: i, to: i + s.branch! }] : [])))

/** Does any step wait with a timeout (ops/timeout.ts)? */
const hasTimedWait = (design: GpuView['design']): boolean =>
  [...design.threads.flatMap((th) => th.steps), ...design.reclaim.flatMap((r) => r.steps), ...design.notifiers.flatMap((n) => n.callback)].some(
    (st) => 'timeout' in st && st.timeout,
  )

const ID_KEY: Record<PropertyId, keyof typeof PROPERTY_NAMES> = {
  deadlock: 'deadlock',
  'dma-fence-progress': 'progress',
  'rule-1': 'rule1',
  'rule-2': 'rule2',
  'rule-4': 'rule4',
  'rule-5': 'rule5',
  'rule-6': 'rule6',
  'rule-7': 'rule7',
  signalling: 'signalling',
  'lock-order': 'lockOrder',
  'fence-sanity': 'sanity',
  'gpu-access': 'gpuAccess',
  'notifier-nonblock': 'nonblock',
  'memory-progress': 'memoryProgress',
  'might-sleep': 'mightSleep',
  'irq-safety': 'irqSafety',
  'hang-until-timeout': 'hang',
  'data-survives': 'dataSurvives',
  'page-conservation': 'pageConservation',
  'flush-dependency': 'flushDependency',
  'fault-attribution': 'faultAttribution',
  'mm-lifetime': 'mmLifetime',
  'lock-held': 'lockHeld',
}

const KIND: Record<PropertyId, OmittedProperty['kind']> = {
  deadlock: 'invariant',
  'dma-fence-progress': 'progress',
  'rule-1': 'invariant',
  'rule-2': 'step',
  'rule-4': 'step',
  'rule-5': 'step',
  'rule-6': 'step',
  'rule-7': 'step',
  signalling: 'step',
  'lock-order': 'order',
  'fence-sanity': 'step',
  'gpu-access': 'step',
  'notifier-nonblock': 'step',
  'memory-progress': 'liveness',
  'might-sleep': 'step',
  'irq-safety': 'order',
  'hang-until-timeout': 'step',
  'data-survives': 'step',
  'page-conservation': 'invariant',
  'flush-dependency': 'step',
  'fault-attribution': 'step',
  'mm-lifetime': 'step',
  'lock-held': 'step',
}
