/**
 * The step ops not yet split into modules of their own, behind the same interface.
 */
import type { Reader } from '../../../checker/model.js'
import { addBit } from '../context.js'
import { SpecError } from '../errors.js'
import type { ParseCx } from '../parse.js'
import { EVENTS, GFPS, type Gfp, type MemEvent, type Step, reclaims } from '../types.js'
import { FS, JS, PAGE, PLACE, PTE, nodeId } from '../view.js'
import type { OpModule, StepSyntax } from './op.js'

const LEGACY_KEYS: readonly string[] = [
  'enable_signaling',
  'signal',
  'alloc',
  'free',
  'evict',
  'preempt',
  'resume',
  'arm',
  'push',
  'submit',
  'add_fence',
  'begin_signalling',
  'end_signalling',
  'user_fault',
  'await_fault',
  'resolve_fault',
  'await_deps',
  'run',
  'syncobj_stall',
  'syncobj_proxy',
  'invalidate',
  'set_seq',
  'read_begin',
  'get_pages',
  'read_retry',
  'map',
  'zap',
  'await_evicted',
  'destroy_queue',
  'new_fence',
  'use',
]
const BARE = new Set(['begin_signalling', 'end_signalling', 'user_fault', 'set_seq'])
const MODIFIERS: Record<string, readonly string[]> = {
  signal: ['error'],
  alloc: ['pool', 'else'],
  evict: ['else'],
  add_fence: ['fence', 'usage'],
  syncobj_stall: ['to'],
  syncobj_proxy: ['to'],
  invalidate: ['event', 'nonblock'],
  read_retry: ['else'],
  use: ['with'],
}
const NOT_IN_CALLBACK = new Set([
  'invalidate',
  'read_begin',
  'get_pages',
  'read_retry',
  'map',
  'await_fault',
  'resolve_fault',
  'await_deps',
  'run',
  'arm',
  'push',
  'await_evicted',
])

function legacyParse(px: ParseCx): Step[] {
  const op = px.key
  const where = px.where
  const w = { where }
  const arg = px.raw
  const mods = px.mods
  const str = (v: unknown, what: string): string => {
    if (typeof v !== 'string' || v === '') throw new SpecError('FC154', [...where, op], `${what} must be a name, got ${JSON.stringify(v)}`)
    return v
  }
  const fence = (n: unknown, path: (string | number)[]) => px.ref('fence', n, path)
  const job = (n: unknown, path: (string | number)[]) => px.ref('job', n, path)
  const buffer = (n: unknown, path: (string | number)[]) => px.ref('buffer', n, path)
  const range = (n: unknown, path: (string | number)[]) => px.ref('range', n, path)
  const notifier = (n: unknown, path: (string | number)[]) => px.ref('notifier', n, path)
  const outcome = px.outcome
  const usage = px.usage
  const fences = px.fences
  const jobs = px.jobs
  const inCallback = px.inCallback
  const lockIx = new Map(px.locks.map((l, i) => [l.name, i]))
  const setUsage = px.setUsage
  const pageList = px.pageList
  switch (op) {
    case 'enable_signaling':
      return [{ ...w, op: 'enable_signaling', fence: fence(str(arg, 'the fence'), [...where, op]) }]
    case 'signal':
      if (mods.error !== undefined && typeof mods.error !== 'boolean') throw new SpecError('FC155', [...where, 'error'], 'must be true or false')
      return [{ ...w, op: 'signal', fence: fence(str(arg, 'the fence'), [...where, op]), error: mods.error === true }]
    case 'alloc': {
      const g = str(arg, 'the gfp').replace(/^GFP_/, '') as Gfp
      if (!GFPS.includes(g)) throw new SpecError('FC155', [...where, op], `unknown gfp '${String(arg)}' (one of ${GFPS.map((x) => `GFP_${x}`).join(', ')})`)
      const pool = mods.pool ?? 'system'
      if (pool !== 'vram' && pool !== 'system') throw new SpecError('FC155', [...where, 'pool'], `must be vram or system, got ${JSON.stringify(pool)}`)
      return [{ ...w, op: 'alloc', gfp: g, pool, else: outcome(mods.else, 'fail') }]
    }
    case 'free': {
      const pool = str(arg, 'the pool')
      if (pool !== 'vram' && pool !== 'system') throw new SpecError('FC155', [...where, op], `must be vram or system, got ${JSON.stringify(pool)}`)
      return [{ ...w, op: 'free', pool }]
    }
    case 'evict':
      return [{ ...w, op: 'evict', bo: buffer(str(arg, 'the buffer'), [...where, op]), else: outcome(mods.else, 'skip') }]
    case 'preempt':
    case 'resume':
    case 'arm':
    case 'push':
    case 'await_fault':
    case 'resolve_fault':
    case 'await_deps':
    case 'run': {
      const j = job(str(arg, 'the job'), [...where, op])
      if ((op === 'await_fault' || op === 'resolve_fault') && !jobs[j]!.faults)
        throw new SpecError('FC164', [...where, op], `job '${jobs[j]!.name}' cannot fault (set faults: true on it)`)
      return [{ ...w, op, job: j }]
    }
    case 'submit': {
      const j = job(str(arg, 'the job'), [...where, op])
      return [
        { ...w, op: 'arm', job: j },
        { ...w, op: 'push', job: j },
      ]
    }
    case 'add_fence': {
      const bo = buffer(str(arg, 'the buffer'), [...where, op])
      if (mods.fence === undefined) throw new SpecError('FC156', where, `add_fence needs 'fence: NAME'`)
      const fe = fence(mods.fence, [...where, 'fence'])
      const u = usage(mods.usage, 'write')
      setUsage(bo, fe, u, where)
      return [{ ...w, op: 'add_fence', bo, fence: fe, usage: u }]
    }
    case 'begin_signalling':
    case 'end_signalling':
      return [{ ...w, op }]
    case 'user_fault':
      // copy_from_user()/get_user_pages(): mmap_lock for read and a page allocation that may reclaim.
      return [
        { ...w, userFault: true, op: 'lock', lock: lockIx.get('mmap_lock')!, mode: 'read' },
        { ...w, userFault: true, op: 'alloc', gfp: 'KERNEL', pool: 'system', else: 'fail' },
        { ...w, userFault: true, op: 'unlock', lock: lockIx.get('mmap_lock')! },
      ]
    case 'syncobj_stall':
    case 'syncobj_proxy': {
      const from = fence(str(arg, 'the hmm fence'), [...where, op])
      if (mods.to === undefined) throw new SpecError('FC156', where, `${op} needs 'to: DMA_FENCE' (the dma_fence it hands out)`)
      const to = fence(mods.to, [...where, 'to'])
      if (op === 'syncobj_proxy') return [{ ...w, op: 'syncobj_proxy', from, to }]
      // Stall with no locks held until the hmm_fence signals, then hand out a signalled fence
      // (drm_syncobj_find_fence WAIT_FOR_SUBMIT).
      return [
        { ...w, op: 'wait', fence: from },
        { ...w, op: 'signal', fence: to, error: false },
      ]
    }
    case 'invalidate': {
      const event = (mods.event ?? 'unmap') as MemEvent
      if (!(EVENTS as readonly unknown[]).includes(event))
        throw new SpecError('FC155', [...where, 'event'], `must be one of ${EVENTS.join(', ')}, got ${JSON.stringify(mods.event)}`)
      if (mods.nonblock !== undefined && typeof mods.nonblock !== 'boolean') throw new SpecError('FC155', [...where, 'nonblock'], 'must be true or false')
      return [{ ...w, op: 'invalidate', pages: pageList(arg, [...where, op]), event, nonblock: mods.nonblock === true }]
    }
    case 'set_seq': {
      if (inCallback === undefined)
        throw new SpecError(
          'FC160',
          where,
          "set_seq (mmu_interval_set_seq) is called from a notifier's invalidate callback; move it under notifiers: [{ callback: [...] }]",
        )
      if (arg !== undefined && notifier(str(arg, 'the notifier'), [...where, op]) !== inCallback) {
        throw new SpecError(
          'FC163',
          [...where, op],
          `the callback of notifier '${px.notifierNames[inCallback]!}' can only set its own seq (write set_seq without an argument)`,
        )
      }
      return [{ ...w, op: 'set_seq', notifier: inCallback }]
    }
    case 'read_begin':
    case 'get_pages':
    case 'map':
    case 'zap':
      return [{ ...w, op, range: range(str(arg, 'the range'), [...where, op]) }]
    case 'read_retry':
      return [{ ...w, op: 'read_retry', range: range(str(arg, 'the range'), [...where, op]), else: outcome(mods.else, 'retry'), back: -1 }]
    case 'await_evicted':
    case 'destroy_queue':
      return [{ ...w, op, job: job(str(arg, 'the job'), [...where, op]) }]
    case 'new_fence': {
      const fe = fence(str(arg, 'the fence'), [...where, op])
      if (fences[fe]!.kind !== 'preempt')
        throw new SpecError('FC165', [...where, op], `'${fences[fe]!.name}' is a ${fences[fe]!.kind} fence; new_fence re-arms a preempt/eviction fence`)
      return [{ ...w, op, fence: fe }]
    }
    case 'use':
      return px.library(str(arg, 'the library path'), mods.with)
  }
  throw new SpecError('FC144', where, `unknown step '${op}'`)
}

export const legacyOp: OpModule = {
  ops: [
    'enable_signaling',
    'signal',
    'alloc',
    'free',
    'evict',
    'preempt',
    'resume',
    'arm',
    'push',
    'add_fence',
    'begin_signalling',
    'end_signalling',
    'await_fault',
    'resolve_fault',
    'await_deps',
    'run',
    'syncobj_proxy',
    'invalidate',
    'set_seq',
    'read_begin',
    'get_pages',
    'read_retry',
    'map',
    'zap',
    'await_evicted',
    'destroy_queue',
    'new_fence',
  ],
  syntax: LEGACY_KEYS.map((key): StepSyntax => ({
    key,
    doc: key,
    ...(BARE.has(key) ? { bare: true } : {}),
    ...(MODIFIERS[key] ? { modifiers: Object.fromEntries(MODIFIERS[key].map((m) => [m, { doc: m, schema: {} }])) } : {}),
    ...(NOT_IN_CALLBACK.has(key) ? { notInCallback: true } : {}),
    parse: legacyParse,
  })),
  refs: {
    preempt: { job: 'job' },
    resume: { job: 'job' },
    arm: { job: 'job' },
    push: { job: 'job' },
    await_fault: { job: 'job' },
    resolve_fault: { job: 'job' },
    await_deps: { job: 'job' },
    run: { job: 'job' },
    await_evicted: { job: 'job' },
    destroy_queue: { job: 'job' },
    enable_signaling: { fence: 'fence' },
    signal: { fence: 'fence' },
    new_fence: { fence: 'fence' },
    add_fence: { bo: 'buffer', fence: 'fence' },
    syncobj_proxy: { from: 'fence', to: 'fence' },
    evict: { bo: 'buffer' },
    read_begin: { range: 'range' },
    get_pages: { range: 'range' },
    read_retry: { range: 'range' },
    map: { range: 'range' },
    zap: { range: 'range' },
    set_seq: { notifier: 'notifier' },
    invalidate: { pages: 'page' },
  },
  cite: [],
  reclaims: (s) => s.op === 'alloc' && reclaims(s.gfp),
  provides: (s) =>
    s.op === 'push'
      ? [{ kind: 'submit', job: s.job }]
      : s.op === 'run'
        ? [{ kind: 'run', job: s.job }]
        : s.op === 'resolve_fault'
          ? [{ kind: 'serve_fault', job: s.job }]
          : s.op === 'resume'
            ? [{ kind: 'resume', job: s.job }]
            : s.op === 'signal'
              ? [{ kind: 'signal', fence: s.fence }]
              : [],
  signalPath: (d, s) =>
    s.op === 'run' || s.op === 'await_deps' ? { fence: d.jobs[s.job]!.fence, whole: true } : s.op === 'signal' ? { fence: s.fence, whole: false } : undefined,
  createsDma: (d, x) => ((x.op === 'arm' || x.op === 'push') && d.jobs[x.job]!.queue === 'kernel') || (x.op === 'signal' && d.fences[x.fence]!.kind !== 'hmm'),
  lockdep: {
    // a reclaiming allocation may sleep
    sleeps: (st, m) => st.op === 'alloc' && reclaims(st.gfp) && m.does === 'alloc',
  },
  rules(k, step) {
    const { cx, p, t, th, base, m, add, F, J } = k
    const { engines, jobs, fences, buffers, pages, notifiers, ranges } = cx.design
    const { fs, en, pub, js, pf, fdone, place, resv, vram, system, pte, pfn, snap, inval, active, npc, pc, rf, rpc, sig, px, pageAt } = cx.f
    const T = cx.T
    const layout = cx.layout
    const { canReclaim, siteAt } = cx.paths
    const { outcome, pushJob, finishJob, killJob, depsSettled, depErrored, siteGuard, notifierPos, stepRules } = cx
    switch (step.op) {
      case 'enable_signaling': {
        const fe = step.fence
        add(
          { name: 'enable_signaling', ...base, fence: F(fe) },
          m('enable'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(fs[fe]!) === FS.pending) c.set(en[fe]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'signal': {
        const fe = step.fence
        const err = step.error
        add(
          { name: err ? 'dma_fence_set_error+signal' : 'dma_fence_signal', ...base, fence: F(fe) },
          m('signal', { signals: fe, userspace: th.context === 'userspace' }),
          (s) => p.at_(s),
          (c) => {
            // A second signal is a no-op in the kernel (-EINVAL); fence sanity flags it.
            if (c.get(fs[fe]!) === FS.pending) c.set(fs[fe]!, err ? FS.error : FS.signalled)
            // Force-completing the fence of a job that is not on the hardware removes the job (hang
            // recovery); a running job goes on and will signal again.
            const j = fences[fe]!.job
            if (j !== undefined) {
              const st = c.get(js[j]!)
              if (st === JS.queued || st === JS.ready || st === JS.preempted || st === JS.suspended) c.set(js[j]!, JS.done)
            }
            p.advance(c)
          },
        )
        return
      }
      case 'alloc': {
        const { gfp, pool } = step
        const mem = pool === 'vram' ? vram : system
        const canEnter = p.frame === 'path' && canReclaim[t]! && reclaims(gfp)
        add(
          { name: 'alloc', ...base, gfp: `GFP_${gfp}`, pool },
          m('alloc'),
          (s) => p.at_(s) && s.get(mem) > 0,
          (c) => {
            c.set(mem, c.get(mem) - 1)
            if (rf[t]! >= 0) c.set(rf[t]!, 0)
            p.advance(c)
          },
        )
        if (canEnter) {
          // Direct reclaim runs the shrinkers and MMU notifiers in the allocating thread's context,
          // holding fs_reclaim (mm/page_alloc.c fs_reclaim_acquire; dma-fence.c cross-driver contract).
          add(
            { name: 'enter_reclaim', ...base, gfp: `GFP_${gfp}`, pool },
            m('enter_reclaim'),
            (s) => p.at_(s) && s.get(mem) === 0 && s.get(rf[t]!) === 0,
            (c) => c.set(rpc[t]!, 1),
          )
        }
        const o = step.else
        add(
          { name: 'alloc_failed', ...base, gfp: `GFP_${gfp}`, pool, then: o },
          m(o === 'retry' ? 'spin' : 'alloc_failed'),
          canEnter ? (s) => p.at_(s) && s.get(mem) === 0 && s.get(rf[t]!) === 1 : (s) => p.at_(s) && s.get(mem) === 0,
          (c) => {
            if (rf[t]! >= 0) c.set(rf[t]!, 0)
            outcome(p, o, c)
          },
        )
        return
      }
      case 'free': {
        const mem = step.pool === 'vram' ? vram : system
        add(
          { name: 'free_page', ...base, pool: step.pool },
          m('free'),
          (s) => p.at_(s),
          (c) => {
            c.set(mem, Math.min(c.get(mem) + 1, layout.maxOf[mem]!))
            p.advance(c)
          },
        )
        return
      }
      case 'evict': {
        const bo = step.bo
        // TTM eviction (ttm_bo.c): under the BO's resv, after its fences; the copy runs on an
        // engine the faulting work cannot block (dma-buf.rst rule: independent hardware).
        add(
          { name: 'evict', ...base, bo: buffers[bo]!.name },
          m('evict'),
          (s) => p.at_(s) && s.get(place[bo]!) === PLACE.vram && s.get(system) > 0,
          (c) => {
            c.set(place[bo]!, PLACE.system)
            c.set(vram, c.get(vram) + 1)
            c.set(system, c.get(system) - 1)
            p.advance(c)
          },
        )
        add(
          { name: 'evict_nothing', ...base, bo: buffers[bo]!.name },
          m('evict'),
          (s) => p.at_(s) && s.get(place[bo]!) === PLACE.system,
          (c) => p.advance(c),
        )
        const o = step.else
        add(
          { name: 'evict_failed', ...base, bo: buffers[bo]!.name, then: o },
          m('evict_failed'),
          (s) => p.at_(s) && s.get(place[bo]!) === PLACE.vram && s.get(system) === 0,
          (c) => outcome(p, o, c),
        )
        return
      }
      case 'preempt': {
        const j = step.job
        const eng = engines[jobs[j]!.engine]!
        const stoppable = (s: Reader): boolean => pf[j]! < 0 || s.get(pf[j]!) === 0 || eng.preempt === 'faulting'
        add(
          { name: 'preempt_queue', ...base, job: J(j) },
          m('preempt'),
          (s) => {
            if (!p.at_(s)) return false
            const st = s.get(js[j]!)
            return st === JS.ready || st === JS.preempted || (st === JS.running && stoppable(s))
          },
          (c) => {
            c.set(js[j]!, JS.suspended)
            p.advance(c)
          },
        )
        add(
          { name: 'preempt_queue_idle', ...base, job: J(j) },
          m('preempt'),
          (s) => {
            if (!p.at_(s)) return false
            const st = s.get(js[j]!)
            return st === JS.idle || st === JS.queued || st === JS.suspended || st === JS.done
          },
          (c) => p.advance(c),
        )
        return
      }
      case 'resume': {
        const j = step.job
        add(
          { name: 'resume_queue', ...base, job: J(j) },
          m('resume'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(js[j]!) === JS.suspended) c.set(js[j]!, JS.ready)
            p.advance(c)
          },
        )
        return
      }
      case 'arm': {
        const j = step.job
        // drm_sched_job_arm(): the fence becomes publishable; the signalling section starts (dma-fence.c).
        add(
          { name: 'drm_sched_job_arm', ...base, job: J(j) },
          m('arm'),
          (s) => p.at_(s),
          (c) => {
            c.set(pub[jobs[j]!.fence]!, 1)
            c.set(sig[t]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'push': {
        const j = step.job
        const job = jobs[j]!
        const e = job.engine
        const flush = engines[e]!.flush && job.queue === 'kernel'
        const faultCapableOnE = jobs.map((k, i) => (k.engine === e && k.faults ? i : -1)).filter((i) => i >= 0)
        add(
          { name: 'drm_sched_entity_push_job', ...base, job: J(j) },
          m('push'),
          // Engine flush (dma-buf.rst option (d)): before a dma_fence becomes visible, pending page
          // faults must be flushed and fault-capable work preempted.
          flush ? (s) => p.at_(s) && faultCapableOnE.every((k) => !(s.get(js[k]!) === JS.running && s.get(pf[k]!) === 1)) : (s) => p.at_(s),
          (c) => {
            if (flush) for (const k of faultCapableOnE) if (c.get(js[k]!) === JS.running) c.set(js[k]!, JS.preempted)
            pushJob(c, j)
            c.set(sig[t]!, 0)
            p.advance(c)
          },
        )
        return
      }
      case 'add_fence': {
        const { bo, fence: fe } = step
        // dma_resv_add_fence(): readers see it at once (RCU), so the fence is published here (dma-fence.c).
        add(
          { name: 'dma_resv_add_fence', ...base, bo: buffers[bo]!.name, fence: F(fe), usage: step.usage },
          m('publish'),
          (s) => p.at_(s),
          (c) => {
            c.set(resv[bo]!, addBit(c.post(resv[bo]!), fe))
            c.set(pub[fe]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'begin_signalling':
      case 'end_signalling': {
        const on = step.op === 'begin_signalling' ? 1 : 0
        add(
          { name: `dma_fence_${step.op}`, ...base },
          m(step.op),
          (s) => p.at_(s),
          (c) => {
            c.set(sig[t]!, on)
            p.advance(c)
          },
        )
        return
      }
      case 'await_fault': {
        const j = step.job
        add(
          { name: 'gpu_page_fault', ...base, job: J(j) },
          m('fault_received'),
          (s) => p.at_(s) && s.get(pf[j]!) === 1,
          (c) => p.advance(c),
        )
        add(
          { name: 'no_fault', ...base, job: J(j) },
          m('no_fault'),
          fdone[j]! >= 0
            ? (s) => p.at_(s) && (s.get(js[j]!) === JS.done || (s.get(fdone[j]!) === 1 && s.get(pf[j]!) === 0))
            : (s) => p.at_(s) && s.get(js[j]!) === JS.done,
          (c) => c.set(pc[t]!, th.steps.length),
        )
        return
      }
      case 'resolve_fault': {
        const j = step.job
        add(
          { name: 'resolve_fault', ...base, job: J(j) },
          m('resolve_fault'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(pf[j]!) === 1) c.set(pf[j]!, 0)
            p.advance(c)
          },
        )
        return
      }
      case 'await_deps': {
        const j = step.job
        add(
          { name: 'drm_sched_dependencies', ...base, job: J(j) },
          m('deps_ready'),
          (s) => p.at_(s) && s.get(js[j]!) === JS.queued && depsSettled(s, j),
          (c) => p.advance(c),
        )
        return
      }
      case 'run': {
        const j = step.job
        add(
          { name: 'run_job', ...base, job: J(j) },
          m('run'),
          (s) => p.at_(s) && s.get(js[j]!) === JS.queued,
          (c) => {
            if (jobs[j]!.propagateErrors && depErrored(c, j)) finishJob(c, j, true)
            else c.set(js[j]!, JS.ready)
            p.advance(c)
          },
        )
        return
      }
      case 'syncobj_proxy': {
        const { from, to } = step
        add(
          { name: 'syncobj_proxy_fence', ...base, from: F(from), to: F(to) },
          m('proxy'),
          (s) => p.at_(s),
          (c) => {
            c.set(px[to]!, 1)
            c.set(pub[to]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'invalidate': {
        const x = siteAt.get(`${t}:${p.frame}:${p.at}`)!
        const L_ = x.steps.length
        const pg = step.pages.map((q) => pages[q]!.name).join(',')
        // mmu_notifier_invalidate_range_start(): the mm's seq becomes odd (rule 36) and stays odd
        // while any invalidation is in flight (rule 37); then the covering callbacks run.
        add(
          { name: step.nonblock ? 'invalidate_range_start_nonblock' : 'invalidate_range_start', ...base, pages: pg, event: step.event },
          m('invalidate_start'),
          (s) => p.at_(s),
          (c) => {
            c.set(active, c.get(active) + 1)
            c.set(npc[t]!, L_ > 0 ? 1 : L_ + 1)
          },
        )
        for (let k = 0; k < L_; k++) stepRules(notifierPos(x, k), x.steps[k]!)
        // Every callback returned: the CPU side goes on and the pages change (a new generation):
        // unmap/exit/pressure free or swap them out, migrate moves them to a new frame.
        add(
          { name: 'cpu_pages_change', ...base, pages: pg, event: step.event },
          m('invalidate_pages', { site: x }),
          (s) => s.get(npc[t]!) === L_ + 1 && siteGuard(x)(s),
          (c) => {
            for (const q of step.pages) {
              ranges.forEach((r, ri) => {
                const k = r.pages.indexOf(q)
                if (k >= 0 && c.get(pte[ri]![k]!) === PTE.valid) c.set(pte[ri]![k]!, PTE.stale)
              })
              for (let u = 0; u < T; u++) if (pfn[u]![q]! >= 0) c.set(pfn[u]![q]!, 0)
              if (step.event !== 'migrate') c.set(pageAt[q]!, PAGE.none)
            }
            c.set(npc[t]!, L_ + 2)
          },
        )
        // mmu_notifier_invalidate_range_end(): when the last one ends the seq turns even again.
        add(
          { name: 'invalidate_range_end', ...base, pages: pg },
          m('invalidate_end', { site: x }),
          (s) => s.get(npc[t]!) === L_ + 2 && siteGuard(x)(s),
          (c) => {
            const left = c.get(active) - 1
            c.set(active, left)
            if (left === 0) for (const fld of inval) c.set(fld, 0)
            c.set(npc[t]!, 0)
            p.advance(c)
          },
        )
        return
      }
      case 'set_seq': {
        const n = step.notifier
        // mmu_interval_set_seq(): the subscription takes the mm's odd seq, so every read_retry on a
        // seq read before now reports a collision, and read_begin waits until the seq is even.
        add(
          { name: 'mmu_interval_set_seq', ...base, notifier: notifiers[n]!.name },
          m('set_seq'),
          (s) => p.at_(s),
          (c) => {
            c.set(inval[n]!, 1)
            for (let u = 0; u < T; u++) if (snap[u]![n]! >= 0) c.set(snap[u]![n]!, 0)
            p.advance(c)
          },
        )
        return
      }
      case 'read_begin': {
        const ns = ranges[step.range]!.notifiers
        add(
          { name: 'mmu_interval_read_begin', ...base, range: ranges[step.range]!.name },
          m('read_begin'),
          (s) => p.at_(s) && ns.every((n) => s.get(inval[n]!) === 0),
          (c) => {
            for (const n of ns) c.set(snap[t]![n]!, 1)
            p.advance(c)
          },
        )
        return
      }
      case 'get_pages': {
        const r = ranges[step.range]!
        // hmm_range_fault(): faults missing pages in and returns their pfns (current generations).
        add(
          { name: 'hmm_range_fault', ...base, range: r.name },
          m('get_pages'),
          (s) => p.at_(s),
          (c) => {
            for (const q of r.pages) {
              if (c.get(pageAt[q]!) === PAGE.none) c.set(pageAt[q]!, PAGE.system)
              c.set(pfn[t]![q]!, 1)
            }
            p.advance(c)
          },
        )
        return
      }
      case 'read_retry': {
        const r = ranges[step.range]!
        const fresh = (s: Reader): boolean => r.notifiers.every((n) => s.get(snap[t]![n]!) === 1)
        add(
          { name: 'mmu_interval_read_retry', ...base, range: r.name, collision: false },
          m('read_retry'),
          (s) => p.at_(s) && fresh(s),
          (c) => p.advance(c),
        )
        const o = step.else
        add(
          { name: 'mmu_interval_read_retry', ...base, range: r.name, collision: true, then: o },
          m('collision'),
          (s) => p.at_(s) && !fresh(s),
          (c) => {
            if (o === 'retry') p.jump(c, step.back)
            else outcome(p, o, c)
          },
        )
        return
      }
      case 'map': {
        const ri = step.range
        const r = ranges[ri]!
        // Program the GPU PTEs with the pfns get_pages returned: stale if the page changed since.
        add(
          { name: 'program_gpu_ptes', ...base, range: r.name },
          m('map'),
          (s) => p.at_(s),
          (c) => {
            r.pages.forEach((q, k) => c.set(pte[ri]![k]!, c.get(pfn[t]![q]!) === 1 ? PTE.valid : PTE.stale))
            p.advance(c)
          },
        )
        return
      }
      case 'zap': {
        const ri = step.range
        add(
          { name: 'zap_gpu_ptes', ...base, range: ranges[ri]!.name },
          m('zap'),
          (s) => p.at_(s),
          (c) => {
            for (const fld of pte[ri]!) c.set(fld, PTE.invalid)
            p.advance(c)
          },
        )
        return
      }
      case 'await_evicted': {
        const j = step.job
        // The restore work the eviction scheduled (kfd_svm.c svm_range_evict -> restore work).
        add(
          { name: 'restore_work_scheduled', ...base, job: J(j) },
          m('evicted'),
          (s) => p.at_(s) && s.get(js[j]!) === JS.suspended,
          (c) => p.advance(c),
        )
        add(
          { name: 'no_eviction', ...base, job: J(j) },
          m('no_fault'),
          (s) => p.at_(s) && s.get(js[j]!) === JS.done,
          (c) => c.set(pc[t]!, th.steps.length),
        )
        return
      }
      case 'destroy_queue': {
        const j = step.job
        // The queue is torn down (process exit: kfd_process_notifier_release, xe_exec_queue_kill):
        // its work is gone and its fence completes with an error if it had not signalled.
        add(
          { name: 'destroy_queue', ...base, job: J(j) },
          m('destroy'),
          (s) => p.at_(s),
          (c) => {
            killJob(c, j)
            p.advance(c)
          },
        )
        return
      }
      case 'new_fence': {
        const fe = step.fence
        // A fresh eviction/preempt fence replaces the signalled one (amdgpu_amdkfd_fence_create in
        // restore_process_bos; xe_preempt_fence re-arm on rebind).
        add(
          { name: 'install_new_fence', ...base, fence: F(fe) },
          m('new_fence'),
          (s) => p.at_(s),
          (c) => {
            if (c.get(fs[fe]!) !== FS.pending) {
              c.set(fs[fe]!, FS.pending)
              c.set(en[fe]!, 0)
            }
            p.advance(c)
          },
        )
        return
      }
    }
  },
  waitsOn(wc, step) {
    const { v, s, n } = wc
    const { design, f } = v
    const t = wc.t
    const edge = (_n: unknown, to: string, why: string) => wc.edge(to, why)
    const T = nodeId.thread
    const Jn = nodeId.job
    const Fn = nodeId.fence
    const fenceName = wc.fenceName
    switch (step.op) {
      case 'preempt':
        edge(n, Jn(step.job), `waits to preempt job ${design.jobs[step.job]!.name} (it has a page fault pending)`)
        break
      case 'await_deps':
      case 'run':
        if (s.get(f.js[step.job]!) === JS.idle) {
          design.threads.forEach((other, o) => {
            const opc = s.get(f.pc[o]!)
            if (other.steps.some((x, k) => k >= opc && x.op === 'push' && x.job === step.job))
              edge(n, T(o), `waits for thread ${other.name} to submit job ${design.jobs[step.job]!.name}`)
          })
          n.mode = 'any'
        } else
          for (const d of v.depsOf(s, step.job))
            if (s.get(f.fs[d]!) === FS.pending) edge(n, Fn(d), `waits for dependency ${fenceName(d)} of job ${design.jobs[step.job]!.name}`)
        break
      case 'await_fault':
        edge(n, Jn(step.job), `waits for job ${design.jobs[step.job]!.name} to fault`)
        break
      case 'await_evicted':
        edge(n, Jn(step.job), `waits for job ${design.jobs[step.job]!.name}'s queue to be evicted`)
        break
      case 'read_begin': {
        // mmu_interval_read_begin() sleeps until the mm's seq turns even: every invalidation in
        // flight must end (rule 37).
        design.threads.forEach((other, o) => {
          if (o !== t && f.npc[o]! >= 0 && s.get(f.npc[o]!) > 0)
            edge(n, T(o), `mmu_interval_read_begin(${design.ranges[step.range]!.name}) waits for ${other.name}'s invalidation to end`)
        })
        break
      }
      case 'push': {
        const e = design.jobs[step.job]!.engine
        design.jobs.forEach((k, i) => {
          if (k.engine === e && k.faults && f.pf[i]! >= 0 && s.get(f.pf[i]!) === 1) edge(n, Jn(i), `engine flush waits for job ${k.name}'s page fault`)
        })
        break
      }
      default:
        break
    }
  },
  text(d, s) {
    const F = (i: number): string => `${d.fences[i]!.kind === 'hmm' ? 'hmm_fence' : 'dma_fence'} ${d.fences[i]!.name}`
    const J = (i: number): string => d.jobs[i]!.name
    const B = (i: number): string => d.buffers[i]!.name
    const R = (i: number): string => `range ${d.ranges[i]!.name}`
    const uf = s.userFault ? ' [copy_from_user]' : ''
    switch (s.op) {
      case 'enable_signaling':
        return `dma_fence_enable_sw_signaling(${F(s.fence)})`
      case 'signal':
        return s.error ? `dma_fence_set_error + dma_fence_signal(${F(s.fence)})` : `dma_fence_signal(${F(s.fence)})`
      case 'alloc':
        return `alloc_page(GFP_${s.gfp}) from ${s.pool}${s.gfp === 'KERNEL' || s.gfp === 'NOFS' || s.gfp === 'NOIO' ? ' (may reclaim)' : ''}, on failure ${s.else}${uf}`
      case 'free':
        return `free a ${s.pool} page`
      case 'evict':
        return `evict ${B(s.bo)} to system memory, on failure ${s.else}`
      case 'preempt':
        return `preempt (suspend) queue of job ${J(s.job)}`
      case 'resume':
        return `resume queue of job ${J(s.job)}`
      case 'arm':
        return `drm_sched_job_arm(${J(s.job)}): its fence becomes visible; signalling section begins`
      case 'push':
        return `drm_sched_entity_push_job(${J(s.job)}): implicit deps from its buffers, fence installed; signalling section ends`
      case 'add_fence':
        return `dma_resv_add_fence(${B(s.bo)}, ${F(s.fence)}, ${s.usage.toUpperCase()})`
      case 'begin_signalling':
        return 'dma_fence_begin_signalling()'
      case 'end_signalling':
        return 'dma_fence_end_signalling()'
      case 'await_fault':
        return `wait for a GPU page fault from job ${J(s.job)}`
      case 'resolve_fault':
        return `map the page; job ${J(s.job)} continues`
      case 'await_deps':
        return `wait (scheduler callbacks) for the dependencies of job ${J(s.job)}`
      case 'run':
        return `run_job(${J(s.job)}): hand it to the hardware`
      case 'syncobj_proxy':
        return `hand out ${F(s.to)} as a proxy that signals with ${F(s.from)}`
      case 'invalidate':
        return `${s.event === 'exit' ? 'exit_mmap: unmap' : s.event === 'migrate' ? 'migrate (NUMA/compaction)' : s.event === 'pressure' ? 'reclaim (unmap under memory pressure)' : s.event === 'oom' ? 'OOM reaper: unmap' : 'munmap'} of page${s.pages.length > 1 ? 's' : ''} ${s.pages.map((p) => d.pages[p]!.name).join(', ')}: mmu_notifier_invalidate_range_start${s.nonblock ? '_nonblock' : ''}`
      case 'set_seq':
        return `mmu_interval_set_seq(${d.notifiers[s.notifier]!.name})`
      case 'read_begin':
        return `seq = mmu_interval_read_begin(${R(s.range)})`
      case 'get_pages':
        return `hmm_range_fault(${R(s.range)}): fault the pages in, snapshot their pfns`
      case 'read_retry':
        return `mmu_interval_read_retry(${R(s.range)}, seq), on collision ${s.else === 'retry' ? 'go back to read_begin' : s.else}`
      case 'map':
        return `program ${d.engines[d.ranges[s.range]!.engine]!.name}'s PTEs for ${R(s.range)} from the snapshot`
      case 'zap':
        return `zap ${d.engines[d.ranges[s.range]!.engine]!.name}'s PTEs for ${R(s.range)}`
      case 'await_evicted':
        return `wait until the queue of job ${J(s.job)} is evicted (restore work scheduled)`
      case 'destroy_queue':
        return `destroy the queue of job ${J(s.job)} (its fence completes with an error)`
      case 'new_fence':
        return `install a new eviction fence ${d.fences[s.fence]!.name}`
    }

    return s.op
  },
}
