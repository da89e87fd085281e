/**
 * The declarations of a scenario's GPU design, every name resolved: engines, locks (mmap_lock is
 * built in, every buffer brings its dma_resv), fences (one per job, plus declared ones), buffers,
 * pages, notifier subscriptions, ranges and jobs, with the lookups steps resolve names through.
 */
import { DEFAULT_POLICIES, type Policies } from './library.js'
import { SpecError } from './errors.js'
import { completeFences } from './fenceDecls.js'
import type { Obj, Path, Role } from './parse.js'
import { type Buffer, type Engine, type Fence, type Job, type Lock, type Page, type Range, type Usage, usageKey } from './types.js'

export const MAX_FENCES = 24

export interface DesignInput {
  engines?: Obj[]
  memory?: { vram?: number; system?: number }
  locks?: Obj[]
  buffers?: Obj[]
  fences?: Obj[]
  jobs?: Obj[]
  threads?: Obj[]
  callbacks?: Obj[]
  reclaim?: unknown[]
  policies?: Partial<Policies>
  properties?: string[]
  symmetry?: string[][]
  pages?: Obj[]
  notifiers?: Obj[]
  ranges?: Obj[]
  progress?: Obj[]
  workqueues?: Obj[]
  work?: Obj[]
  pools?: Obj[]
  cpus?: number
  processes?: Obj[]
}

/** engines, locks, fences, buffers and the name lookups */
export function declareHardware(d: DesignInput) {
  const policies: Policies = { ...DEFAULT_POLICIES, ...(d.policies ?? {}) }
  const names = new Map<string, string>()
  const claim = (name: string, what: string, path: Path): void => {
    const prior = names.get(name)
    if (prior)
      throw new SpecError(
        'FC140',
        path,
        `the name '${name}' is already used by ${prior}; names of engines, locks, buffers, fences, jobs, threads, pages, notifiers and ranges must be unique`,
      )
    names.set(name, what)
  }

  const engines = declareEngines(d, claim)
  const engineIx = new Map(engines.map((e, i) => [e.name, i]))

  // Locks: mmap_lock is built in; every buffer brings its dma_resv ("<bo>.resv"). With several
  // processes each mm has its own (mm_struct.mmap_lock), P.mmap_lock, all of lockdep's one class.
  const mms = (d.processes ?? []).map((p) => p.name as string)
  const perMm = mms.length > 1
  const locks: Lock[] = [{ name: perMm ? `${mms[0]!}.mmap_lock` : 'mmap_lock', kind: 'rwsem', cls: 'mmap_lock' }]
  names.set('mmap_lock', 'the built-in mmap_lock')
  mms.forEach((P, i) => {
    if (perMm) claim(`${P}.mmap_lock`, `the mmap_lock of process ${P}`, ['processes', i, 'name'])
    if (perMm && i > 0) locks.push({ name: `${P}.mmap_lock`, kind: 'rwsem', cls: 'mmap_lock' })
  })
  const bufferIn = d.buffers ?? []
  for (const [i, b] of bufferIn.entries()) {
    claim(b.name as string, `buffer #${i + 1}`, ['buffers', i, 'name'])
    claim(`${b.name as string}.resv`, `the dma_resv of buffer ${b.name as string}`, ['buffers', i, 'name'])
  }
  for (const [i, l] of (d.locks ?? []).entries()) {
    claim(l.name as string, `lock #${i + 1}`, ['locks', i, 'name'])
    locks.push({ name: l.name as string, kind: (l.kind as Lock['kind'] | undefined) ?? 'mutex', cls: l.name as string })
  }
  for (const b of bufferIn) locks.push({ name: `${b.name as string}.resv`, kind: 'ww', cls: 'dma_resv' })
  const lockIx = new Map(locks.map((l, i) => [l.name, i]))
  const mmapLocks = perMm ? mms.map((P) => lockIx.get(`${P}.mmap_lock`)!) : [0]
  /** the process whose mm a bare `mmap_lock` names while a path is read (its own; none for a reclaim path, work item or fence callback) */
  let mm: number | undefined

  // Fences: one per job (named after it), plus declared ones.
  const jobIn = d.jobs ?? []
  const fences = declareFences(d, jobIn, engines, engineIx, claim)
  const jobIx = new Map(jobIn.map((j, i) => [j.name as string, i]))
  const fenceIx = new Map(fences.map((f, i) => [f.name, i]))
  const fence = (name: unknown, path: Path): number => {
    const i = fenceIx.get(name as string)
    if (i === undefined)
      throw new SpecError(
        'FC141',
        path,
        `no fence named '${String(name)}' (fences: ${[...fenceIx.keys()].join(', ') || 'none'}; every job's fence is named after the job)`,
      )
    return i
  }
  // Fence locks, composite fences and callbacks (fenceDecls.ts).
  const callbackDecls = completeFences(d.fences ?? [], d.callbacks ?? [], fences, jobIn.length, locks, lockIx, fence, claim)
  const job = (name: unknown, path: Path): number => {
    const i = jobIx.get(name as string)
    if (i === undefined) throw new SpecError('FC141', path, `no job named '${String(name)}' (jobs: ${[...jobIx.keys()].join(', ') || 'none'})`)
    return i
  }
  const lock = (name: unknown, path: Path): number => {
    if (name === 'mmap_lock' && perMm) {
      if (mm === undefined)
        throw new SpecError(
          'FC149',
          path,
          `with several processes each mm has its own mmap_lock, and this path belongs to none (a reclaim path, work item or fence callback): name it (${mms.map((P) => `${P}.mmap_lock`).join(', ')})`,
        )
      return mmapLocks[mm]!
    }
    const i = lockIx.get(name as string)
    if (i === undefined)
      throw new SpecError(
        'FC141',
        path,
        `no lock named '${String(name)}' (locks: ${[...lockIx.keys()].join(', ')}; declare it under locks:, or use BO.resv for a buffer's dma_resv)`,
      )
    return i
  }
  const bufferIx = new Map(bufferIn.map((b, i) => [b.name as string, i]))
  const buffer = (name: unknown, path: Path): number => {
    const i = bufferIx.get(name as string)
    if (i === undefined) throw new SpecError('FC141', path, `no buffer named '${String(name)}' (buffers: ${[...bufferIx.keys()].join(', ') || 'none'})`)
    return i
  }

  const usageOf = new Map<string, Usage>()
  const setUsage = (bo: number, fe: number, u: Usage, path: Path): void => {
    const k = usageKey(bo, fe)
    const prior = usageOf.get(k)
    if (prior && prior !== u)
      throw new SpecError(
        'FC175',
        path,
        `fence '${fences[fe]!.name}' is already in ${bufferIn[bo]!.name as string}'s dma_resv with usage ${prior}; one usage per fence and buffer`,
      )
    usageOf.set(k, u)
  }

  const buffers: Buffer[] = bufferIn.map((b, i) => {
    const fs = ((b.fences as unknown[] | undefined) ?? []).map((x, k) => {
      const entry = typeof x === 'string' ? { fence: x, usage: 'write' } : (x as { fence: string; usage?: string })
      const fe = fence(entry.fence, ['buffers', i, 'fences', k])
      setUsage(i, fe, (entry.usage as Usage | undefined) ?? 'write', ['buffers', i, 'fences', k])
      return fe
    })
    return {
      name: b.name as string,
      placement: (b.placement as 'vram' | 'system' | undefined) ?? 'vram',
      fences: fs,
      lock: lockIx.get(`${b.name as string}.resv`)!,
    }
  })
  return {
    policies,
    names,
    claim,
    engines,
    engineIx,
    locks,
    lockIx,
    /** set the process whose mmap_lock a bare `mmap_lock` names in the steps read next */
    inMm: (p: number | undefined): void => {
      mm = p
    },
    bufferIn,
    fences,
    callbackDecls,
    jobIn,
    jobIx,
    fence,
    job,
    lock,
    buffer,
    usageOf,
    setUsage,
    buffers,
  }
}
export type Hardware = ReturnType<typeof declareHardware>

/** Each job's fence (named after it), then the declared fences (a preempt fence names its job). */
function declareFences(
  d: DesignInput,
  jobIn: Obj[],
  engines: readonly { readonly name: string }[],
  engineIx: ReadonlyMap<string, number>,
  claim: (name: string, what: string, path: Path) => void,
): Fence[] {
  const fences: Fence[] = []
  for (const [i, j] of jobIn.entries()) {
    claim(j.name as string, `job #${i + 1}`, ['jobs', i, 'name'])
    if (engineIx.get(j.engine as string) === undefined) {
      throw new SpecError('FC141', ['jobs', i, 'engine'], `no engine named '${j.engine as string}' (engines: ${engines.map((e) => e.name).join(', ')})`)
    }
    fences.push({ name: j.name as string, kind: j.queue === 'user' ? 'hmm' : 'dma', job: i })
  }
  const jobIx = new Map(jobIn.map((j, i) => [j.name as string, i]))
  for (const [i, fe] of (d.fences ?? []).entries()) {
    claim(fe.name as string, `fence #${i + 1}`, ['fences', i, 'name'])
    const kind = fe.kind as Fence['kind']
    let of: number | undefined
    if (kind === 'preempt') {
      if (fe.of === undefined)
        throw new SpecError('FC173', ['fences', i], `preempt fence '${fe.name as string}' needs 'of: JOB' (the queue it takes off the hardware)`)
      of = jobIx.get(fe.of as string)
      if (of === undefined) throw new SpecError('FC141', ['fences', i, 'of'], `no job named '${fe.of as string}'`)
    } else if (fe.of !== undefined) throw new SpecError('FC174', ['fences', i, 'of'], `'of' applies to preempt fences only`)
    fences.push({ name: fe.name as string, kind, ...(of !== undefined ? { of } : {}) })
  }
  if (fences.length > MAX_FENCES)
    throw new SpecError('FC148', ['fences'], `${fences.length} fences (one per job plus declared ones); at most ${MAX_FENCES} are supported`)
  return fences
}

/** The engines (CUs, preemption, flush, XNACK); CPU-only designs need none, GPU jobs do. */
function declareEngines(d: DesignInput, claim: (name: string, what: string, path: Path) => void): Engine[] {
  if ((!d.engines || d.engines.length === 0) && (d.jobs ?? []).length > 0)
    throw new SpecError('FC146', ['engines'], 'GPU jobs need at least one engine to run on (for example: engines: [{ name: gfx, cus: 1 }])')
  return (d.engines ?? []).map((e, i) => {
    claim(e.name as string, `engine #${i + 1}`, ['engines', i, 'name'])
    const cus = e.cus as number
    const reserve = (e.reserveForDma as number | undefined) ?? 0
    if (reserve > cus) throw new SpecError('FC147', ['engines', i, 'reserveForDma'], `reserves ${reserve} CUs but the engine has only ${cus}`)
    return {
      name: e.name as string,
      cus,
      preempt: (e.preempt as Engine['preempt'] | undefined) ?? 'none',
      hmmPreemptsDma: (e.hmmPreemptsDma as boolean | undefined) ?? false,
      reserveForDma: reserve,
      flush: (e.flush as boolean | undefined) ?? false,
      xnack: e.xnack === undefined || e.xnack === true || e.xnack === 'on',
    }
  })
}

/** The device whose VRAM a device-private page is in (a page's `device:`): an engine; only with at: vram. */
function pageDevice(v: unknown, at: Page['at'], path: Path, engineIx: ReadonlyMap<string, number>, engines: readonly Engine[]): number {
  if (v === undefined) return 0
  if (at !== 'vram')
    throw new SpecError('FC155', path, `a page's device is the one whose VRAM holds it; this page is at ${at} (write at: vram, or drop device:)`)
  const e = engineIx.get(v as string)
  if (e === undefined) throw new SpecError('FC141', path, `no engine named ${JSON.stringify(v)} (engines: ${engines.map((x) => x.name).join(', ') || 'none'})`)
  return e
}

/** pages, notifier subscriptions (their callbacks are read once steps can be) and GPU ranges */
export function declareMemory(d: DesignInput, hw: Hardware) {
  const { claim, engineIx, engines } = hw
  // Memory: pages, notifier subscriptions (callbacks are read once steps can be), GPU ranges.
  const pages: Page[] = (d.pages ?? []).map((pg, i) => {
    claim(pg.name as string, `page #${i + 1}`, ['pages', i, 'name'])
    const at = (pg.at as Page['at'] | undefined) ?? 'system'
    return { name: pg.name as string, at, device: pageDevice(pg.device, at, ['pages', i, 'device'], engineIx, engines) }
  })
  const pageIx = new Map(pages.map((pg, i) => [pg.name, i]))
  const page = (name: unknown, path: Path): number => {
    const i = pageIx.get(name as string)
    if (i === undefined)
      throw new SpecError('FC141', path, `no page named '${String(name)}' (pages: ${[...pageIx.keys()].join(', ') || 'none; declare them under pages:'})`)
    return i
  }
  const pageList = (v: unknown, path: Path): number[] => {
    const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined
    if (!list || list.length === 0) throw new SpecError('FC176', path, 'must be a page name or a non-empty list of page names')
    const out = list.map((x, k) => page(x, Array.isArray(v) ? [...path, k] : path))
    if (new Set(out).size !== out.length) throw new SpecError('FC176', path, 'lists a page twice')
    return out
  }
  const notifierIn = d.notifiers ?? []
  for (const [i, n] of notifierIn.entries()) claim(n.name as string, `notifier #${i + 1}`, ['notifiers', i, 'name'])
  const notifierIx = new Map(notifierIn.map((n, i) => [n.name as string, i]))
  const notifier = (name: unknown, path: Path): number => {
    const i = notifierIx.get(name as string)
    if (i === undefined)
      throw new SpecError(
        'FC141',
        path,
        `no notifier named '${String(name)}' (notifiers: ${[...notifierIx.keys()].join(', ') || 'none; declare them under notifiers:'})`,
      )
    return i
  }
  const notifierPages = notifierIn.map((n, i) => pageList(n.pages, ['notifiers', i, 'pages']))
  const ranges: Range[] = (d.ranges ?? []).map((r, i) => {
    claim(r.name as string, `range #${i + 1}`, ['ranges', i, 'name'])
    const e = engineIx.get(r.engine as string)
    if (e === undefined)
      throw new SpecError(
        'FC141',
        ['ranges', i, 'engine'],
        `no engine named '${r.engine as string}' (engines: ${engines.map((x) => x.name).join(', ')}); a range lives in one device's page tables`,
      )
    const ps = pageList(r.pages, ['ranges', i, 'pages'])
    const ns = ((r.notifiers as unknown[] | undefined) ?? []).map((x, k) => notifier(x, ['ranges', i, 'notifiers', k]))
    for (const [k, n] of ns.entries()) {
      if (!notifierPages[n]!.some((p) => ps.includes(p)))
        throw new SpecError('FC177', ['ranges', i, 'notifiers', k], `notifier '${notifierIn[n]!.name as string}' covers none of the range's pages`)
    }
    const mapped = (r.mapped as boolean | undefined) ?? false
    if (mapped) {
      const absent = ps.find((p) => pages[p]!.at === 'none')
      if (absent !== undefined)
        throw new SpecError(
          'FC178',
          ['ranges', i, 'mapped'],
          `page '${pages[absent]!.name}' is not present (at: none), so its PTE cannot start valid; set mapped: false or give the page a location`,
        )
    }
    return { name: r.name as string, engine: e, pages: ps, notifiers: ns, mapped }
  })
  const rangeIx = new Map(ranges.map((r, i) => [r.name, i]))
  const range = (name: unknown, path: Path): number => {
    const i = rangeIx.get(name as string)
    if (i === undefined)
      throw new SpecError('FC141', path, `no range named '${String(name)}' (ranges: ${[...rangeIx.keys()].join(', ') || 'none; declare them under ranges:'})`)
    return i
  }
  return { pages, page, pageList, notifierIn, notifier, notifierPages, ranges, range }
}
export type Memory = ReturnType<typeof declareMemory>

/** jobs: dependencies, buffers used (implicit dependencies), ranges accessed */
export function declareJobs(hw: Hardware, mem: Memory): Job[] {
  const { jobIn, fence, buffer, setUsage, engineIx, engines } = hw
  const { range, ranges } = mem
  const jobs: Job[] = jobIn.map((j, i) => {
    const deps = ((j.deps as string[] | undefined) ?? []).map((x, k) => fence(x, ['jobs', i, 'deps', k]))
    const uses = ((j.uses as unknown[] | undefined) ?? []).map((x, k) => {
      const entry = typeof x === 'string' ? { bo: x, usage: 'write' } : (x as { bo: string; usage?: string })
      const bo = buffer(entry.bo, ['jobs', i, 'uses', k])
      const usage = (entry.usage as Usage | undefined) ?? 'write'
      setUsage(bo, i, usage, ['jobs', i, 'uses', k])
      return { bo, usage }
    })
    const e = engineIx.get(j.engine as string)!
    const accesses = ((j.accesses as unknown[] | undefined) ?? []).map((x, k) => {
      const r = range(x, ['jobs', i, 'accesses', k])
      if (ranges[r]!.engine !== e)
        throw new SpecError(
          'FC179',
          ['jobs', i, 'accesses', k],
          `range '${ranges[r]!.name}' is in the page tables of ${engines[ranges[r]!.engine]!.name}, but job '${j.name as string}' runs on ${engines[e]!.name}`,
        )
      return r
    })
    // On XNACK-on hardware an access through an invalid PTE faults: the job's faults come from its PTEs.
    const pteFaults = accesses.length > 0 && engines[e]!.xnack
    if (pteFaults && j.faults === false)
      throw new SpecError(
        'FC180',
        ['jobs', i, 'faults'],
        `job '${j.name as string}' accesses ranges on ${engines[e]!.name}, which has XNACK on, so it faults whenever a PTE is invalid; remove faults: false (or set xnack: off on the engine)`,
      )
    if ((j.cus as number | undefined) !== undefined && (j.cus as number) > engines[engineIx.get(j.engine as string)!]!.cus) {
      throw new SpecError(
        'FC147',
        ['jobs', i, 'cus'],
        `needs ${j.cus as number} CUs but engine '${j.engine as string}' has ${engines[engineIx.get(j.engine as string)!]!.cus}`,
      )
    }
    return {
      name: j.name as string,
      engine: engineIx.get(j.engine as string)!,
      queue: (j.queue as 'kernel' | 'user' | undefined) ?? 'kernel',
      fence: i,
      deps,
      uses,
      faults: pteFaults || ((j.faults as boolean | undefined) ?? false),
      cus: (j.cus as number | undefined) ?? 1,
      submitted: true, // fixed below once threads are known
      propagateErrors: (j.propagateErrors as boolean | undefined) ?? true,
      waitsDeps: (j.waitsDeps as boolean | undefined) ?? true,
      hangs: (j.hangs as boolean | undefined) ?? false,
      accesses,
    }
  })
  return jobs
}

/** the name lookups by role, for the step parser */
export const resolvers = (hw: Hardware, mem: Memory): Partial<Record<Role, (name: unknown, path: Path) => number>> => ({
  lock: hw.lock,
  engine: (name, path) => {
    const e = hw.engineIx.get(name as string)
    if (e === undefined)
      throw new SpecError('FC141', path, `no engine named '${String(name)}' (engines: ${hw.engines.map((x) => x.name).join(', ') || 'none'})`)
    return e
  },
  fence: hw.fence,
  job: hw.job,
  buffer: hw.buffer,
  page: mem.page,
  range: mem.range,
  notifier: mem.notifier,
})
