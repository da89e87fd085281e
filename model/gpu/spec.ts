/**
 * From a scenario file's GPU design (already shape-checked by the JSON Schema) to a GpuDesign with
 * every name resolved. Every semantic mistake is a SpecError naming the exact field, what is wrong
 * and how to fix it.
 */
import { SpecError } from './errors.js'
import { opOf, STEP_KEYS, syntaxOf } from './ops/index.js'
import type { Role } from './ops/op.js'
import type { ParseCx } from './parse.js'
import { DEFAULT_POLICIES, findLibrary, LIBRARY, type Policies } from './library.js'
import { declareWork } from './workSpec.js'
import {
  type Buffer,
  CONTEXTS,
  type Notifier,
  type Page,
  type Range,
  type Context,
  type Engine,
  type Fence,
  type GpuDesign,
  type Job,
  type Lock,
  PROPERTY_IDS,
  type PropertyId,
  type ReclaimPath,
  type Step,
  type Thread,
  USAGES,
  type Usage,
  usageKey,
} from './types.js'

export { SpecError }

type Path = (string | number)[]
type Obj = Record<string, unknown>

export const MAX_FENCES = 24
export const MAX_THREADS = 8

export interface DesignInput {
  engines?: Obj[]
  memory?: { vram?: number; system?: number }
  locks?: Obj[]
  buffers?: Obj[]
  fences?: Obj[]
  jobs?: Obj[]
  threads?: Obj[]
  reclaim?: unknown[]
  policies?: Partial<Policies>
  properties?: string[]
  symmetry?: string[][]
  pages?: Obj[]
  notifiers?: Obj[]
  ranges?: Obj[]
  workqueues?: Obj[]
  work?: Obj[]
  pools?: Obj[]
  cpus?: number
}

export function buildDesign(d: DesignInput): GpuDesign {
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

  if (!d.engines || d.engines.length === 0)
    throw new SpecError('FC146', ['engines'], 'a GPU design needs at least one engine (for example: engines: [{ name: gfx, cus: 1 }])')
  const engines: Engine[] = d.engines.map((e, i) => {
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
  const engineIx = new Map(engines.map((e, i) => [e.name, i]))

  // Locks: mmap_lock is built in; every buffer brings its dma_resv ("<bo>.resv").
  const locks: Lock[] = [{ name: 'mmap_lock', kind: 'rwsem', cls: 'mmap_lock' }]
  names.set('mmap_lock', 'the built-in mmap_lock')
  const bufferIn = d.buffers ?? []
  for (const [i, b] of bufferIn.entries()) {
    claim(b.name as string, `buffer #${i + 1}`, ['buffers', i, 'name'])
    claim(`${b.name as string}.resv`, `the dma_resv of buffer ${b.name as string}`, ['buffers', i, 'name'])
  }
  for (const [i, l] of (d.locks ?? []).entries()) {
    claim(l.name as string, `lock #${i + 1}`, ['locks', i, 'name'])
    locks.push({ name: l.name as string, kind: (l.kind as 'mutex' | 'rwsem' | undefined) ?? 'mutex', cls: l.name as string })
  }
  for (const b of bufferIn) locks.push({ name: `${b.name as string}.resv`, kind: 'ww', cls: 'dma_resv' })
  const lockIx = new Map(locks.map((l, i) => [l.name, i]))

  // Fences: one per job (named after it), plus declared ones.
  const jobIn = d.jobs ?? []
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
  const job = (name: unknown, path: Path): number => {
    const i = jobIx.get(name as string)
    if (i === undefined) throw new SpecError('FC141', path, `no job named '${String(name)}' (jobs: ${[...jobIx.keys()].join(', ') || 'none'})`)
    return i
  }
  const lock = (name: unknown, path: Path): number => {
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

  // Memory: pages, notifier subscriptions (callbacks are read once steps can be), GPU ranges.
  const pages: Page[] = (d.pages ?? []).map((pg, i) => {
    claim(pg.name as string, `page #${i + 1}`, ['pages', i, 'name'])
    return { name: pg.name as string, at: (pg.at as Page['at'] | undefined) ?? 'system' }
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
      accesses,
    }
  })

  // Steps. `inCallback` is the notifier whose callback is being read, if any.
  let inCallback: number | undefined
  const normSteps = (raw: unknown[], base: Path, depth = 0): Step[] => {
    const out: Step[] = []
    raw.forEach((item, k) => out.push(...normStep(item, [...base, k], depth)))
    return out
  }
  const normStep = (item: unknown, where: Path, depth: number): Step[] => {
    let op: string
    let arg: unknown
    let mods: Obj = {}
    if (typeof item === 'string') {
      op = item
      if (!syntaxOf(op)?.bare) {
        if (syntaxOf(op)) throw new SpecError('FC150', where, `step '${op}' needs an argument (write '${op}: NAME')`)
        throw new SpecError('FC144', where, `unknown step '${op}' (steps: ${STEP_KEYS.join(', ')})`)
      }
    } else if (item && typeof item === 'object' && !Array.isArray(item)) {
      const keys = Object.keys(item)
      const ops = keys.filter((key) => syntaxOf(key) !== undefined)
      if (ops.length === 0) throw new SpecError('FC144', where, `unknown step '${keys[0] ?? ''}' (steps: ${STEP_KEYS.join(', ')})`)
      if (ops.length > 1) throw new SpecError('FC151', where, `one operation per step; this one has ${ops.join(' and ')} (split it into two steps)`)
      op = ops[0]!
      arg = (item as Obj)[op]
      mods = { ...(item as Obj) }
      delete mods[op]
      const takes = Object.keys(syntaxOf(op)!.modifiers ?? {})
      for (const m of Object.keys(mods)) {
        if (!takes.includes(m)) {
          throw new SpecError(
            'FC152',
            [...where, m],
            `unknown field '${m}' for step '${op}'${takes.length ? ` (it takes: ${takes.join(', ')})` : ' (it takes no modifiers)'}`,
          )
        }
      }
    } else throw new SpecError('FC153', where, 'a step is a name (begin_signalling) or a one-key map (lock: X)')
    const syntax = syntaxOf(op)!
    if (inCallback !== undefined && syntax.notInCallback) {
      throw new SpecError(
        'FC161',
        where,
        `step '${op}' cannot run inside an MMU-notifier callback (notifier ${notifierIn[inCallback]!.name as string}); the callback runs inside the CPU's invalidation`,
      )
    }
    return syntax.parse(parseCx(op, arg, mods, where, depth))
  }
  const parseCx = (op: string, arg: unknown, mods: Obj, where: Path, depth: number): ParseCx => {
    const str = (v: unknown, what: string): string => {
      if (typeof v !== 'string' || v === '') throw new SpecError('FC154', [...where, op], `${what} must be a name, got ${JSON.stringify(v)}`)
      return v
    }
    const ref = (role: Role, name: unknown, path: Path): number => {
      const find = RESOLVE[role]
      if (!find) throw new Error(`no resolver for role ${role}`)
      return find(name, path)
    }
    const syntax = syntaxOf(op)!
    return {
      key: op,
      where,
      raw: arg,
      mods,
      inCallback,
      locks,
      fences,
      jobs,
      notifierNames: notifierIn.map((n) => n.name as string),
      policies,
      depth,
      str: (what) => str(arg, what),
      arg: () => {
        const a = syntax.arg!
        return a.role === 'page' ? pageList(arg, [...where, op])[0]! : ref(a.role!, str(arg, a.what), [...where, op])
      },
      mod: (name) => ref(syntax.modifiers![name]!.role!, mods[name], [...where, name]),
      ref,
      pageList,
      outcome: (v, dflt) => {
        if (v === undefined) return dflt
        if (v === 'again') {
          if (inCallback === undefined)
            throw new SpecError(
              'FC160',
              [...where, 'else'],
              "'again' (return false from the invalidate callback, rule 38) is only for steps of a notifier callback",
            )
          return v
        }
        if (v !== 'skip' && v !== 'retry' && v !== 'fail')
          throw new SpecError(
            'FC155',
            [...where, 'else'],
            `must be skip, retry or fail${inCallback !== undefined ? ', or again' : ''}, got ${JSON.stringify(v)}`,
          )
        return v
      },
      usage: (v, dflt) => {
        if (v === undefined) return dflt
        if (!(USAGES as readonly unknown[]).includes(v))
          throw new SpecError('FC155', [...where, 'usage'], `must be one of ${USAGES.join(', ')} (dma_resv usages), got ${JSON.stringify(v)}`)
        return v as Usage
      },
      // In a callback: in a non-blockable invalidation, trylock / test the fence instead of sleeping,
      // and return false if that fails (amdgpu_hmm_invalidate_gfx, xe_vma_userptr_invalidate; rule 38).
      nonblock: () => {
        if (mods.nonblock === undefined) return {}
        if (mods.nonblock !== 'again')
          throw new SpecError(
            'FC155',
            [...where, 'nonblock'],
            `must be again (in a non-blockable invalidation: do not sleep, return false), got ${JSON.stringify(mods.nonblock)}`,
          )
        if (inCallback === undefined) throw new SpecError('FC160', [...where, 'nonblock'], 'nonblock applies to steps of a notifier callback only')
        return { nonblock: 'again' }
      },
      faultPolicy: () => {
        if (mods.ifFaultPending === undefined) return {}
        if (mods.ifFaultPending !== 'skip')
          throw new SpecError('FC155', [...where, 'ifFaultPending'], `must be skip, got ${JSON.stringify(mods.ifFaultPending)}`)
        return { ifFaultPending: 'skip' }
      },
      setUsage,
      library: (name, given) => {
        if (depth > 4) throw new SpecError('FC157', where, 'library paths nest too deep')
        const lib = findLibrary(name)
        if (!lib) throw new SpecError('FC142', [...where, op], `no library path '${name}' (library: ${LIBRARY.map((l) => l.name).join(', ')})`)
        const raw = lib.steps(bind(lib.name, given, [...where, 'with']), policies)
        return normSteps(raw, where, depth + 1).map((s) => ({ ...s, where }))
      },
    }
  }
  const wk = declareWork(d, claim)
  const RESOLVE: Partial<Record<Role, (name: unknown, path: Path) => number>> = { lock, fence, job, buffer, page, range, notifier, ...wk.resolve }
  const bind = (libName: string, given: unknown, where: Path): Record<string, string> => {
    const lib = findLibrary(libName)!
    const g = (given ?? {}) as Obj
    if (typeof g !== 'object' || Array.isArray(g)) throw new SpecError('FC166', where, 'must be a map of parameter: value')
    const out: Record<string, string> = {}
    for (const k of Object.keys(g)) {
      if (!lib.params.some((p) => p.name === k))
        throw new SpecError(
          'FC167',
          [...where, k],
          `library path '${libName}' has no parameter '${k}' (its parameters: ${lib.params.map((p) => p.name).join(', ')})`,
        )
    }
    for (const p of lib.params) {
      const v = g[p.name] ?? p.default
      if (v === undefined) throw new SpecError('FC168', where, `library path '${libName}' needs parameter '${p.name}' (${p.doc}); add it under with:`)
      // A value that is not a name is kept as its JSON, so the error it leads to shows what was written.
      out[p.name] = typeof v === 'string' ? v : JSON.stringify(v)
    }
    return out
  }

  /** Each op checks its step against the earlier ones of the path (read_retry finds its read_begin). */
  const linkMemorySteps = (steps: Step[], who: string): Step[] => steps.map((s, k) => opOf(s).link?.(steps, k, who, { ranges }) ?? s)

  const threadIn = d.threads ?? []
  if (threadIn.length + wk.count > MAX_THREADS)
    throw new SpecError(
      'FC148',
      [threadIn.length > MAX_THREADS ? 'threads' : 'work'],
      `${threadIn.length} threads and ${wk.count} work items; at most ${MAX_THREADS} actors with paths are supported`,
    )
  const threads: Thread[] = threadIn.map((th, i) => {
    claim(th.name as string, `thread #${i + 1}`, ['threads', i, 'name'])
    const hasPath = th.path !== undefined
    const hasSteps = th.steps !== undefined
    if (hasPath === hasSteps)
      throw new SpecError('FC170', ['threads', i], `thread '${th.name as string}' needs exactly one of 'path: LIBRARY_PATH' or 'steps: [...]'`)
    let steps: Step[]
    let context = th.context as Context | undefined
    let signalling = th.signalling as boolean | undefined
    let origin = 'custom'
    if (hasPath) {
      const lib = findLibrary(th.path as string)
      if (!lib)
        throw new SpecError('FC142', ['threads', i, 'path'], `no library path '${th.path as string}' (library: ${LIBRARY.map((l) => l.name).join(', ')})`)
      steps = normSteps(lib.steps(bind(lib.name, th.with, ['threads', i, 'with']), policies), ['threads', i, 'path'])
      context ??= lib.context
      signalling ??= lib.signalling ?? false
      origin = lib.name
    } else {
      if (th.with !== undefined) throw new SpecError('FC171', ['threads', i, 'with'], `'with' binds a library path's parameters; this thread has its own steps`)
      steps = normSteps(th.steps as unknown[], ['threads', i, 'steps'])
    }
    if (steps.length === 0) throw new SpecError('FC172', ['threads', i, 'steps'], `thread '${th.name as string}' has no steps`)
    if (context !== undefined && !(CONTEXTS as readonly string[]).includes(context))
      throw new SpecError('FC145', ['threads', i, 'context'], `unknown context '${context}'`)
    checkLocking(steps, `thread '${th.name as string}'`, locks, buffers)
    steps = linkMemorySteps(steps, `thread '${th.name as string}'`)
    if (th.repeat !== undefined && typeof th.repeat !== 'boolean') throw new SpecError('FC155', ['threads', i, 'repeat'], 'must be true or false')
    const cpu = wk.cpu(th.cpu, ['threads', i, 'cpu'])
    return {
      name: th.name as string,
      context: context ?? 'process',
      signalling: signalling ?? false,
      steps,
      origin,
      repeat: th.repeat === true,
      ...(cpu !== undefined ? { cpu } : {}),
    }
  })
  // Work items are actors with paths too: each runs its callback's steps after a work_start step.
  const works = wk.items(threads.length, (raw, where) => {
    const steps = normSteps(raw, where)
    checkLocking(steps, `work item '${String(where[1])}'`, locks, buffers)
    return linkMemorySteps(steps, `work item at ${where.join('.')}`)
  })
  threads.push(...works.threads)

  const reclaim: ReclaimPath[] = (d.reclaim ?? []).map((r, i) => {
    const where: Path = ['reclaim', i]
    let steps: Step[]
    let name: string
    let origin = 'custom'
    if (typeof r === 'string') {
      throw new SpecError('FC170', where, `write a reclaim path as { path: ${r}, with: { ... } } or { name: N, steps: [...] }`)
    }
    const o = r as Obj
    if (o.path !== undefined) {
      const lib = findLibrary(o.path as string)
      if (!lib) throw new SpecError('FC142', [...where, 'path'], `no library path '${o.path as string}' (library: ${LIBRARY.map((l) => l.name).join(', ')})`)
      steps = normSteps(lib.steps(bind(lib.name, o.with, [...where, 'with']), policies), [...where, 'path'])
      name = (o.name as string | undefined) ?? lib.name
      origin = lib.name
    } else if (o.steps !== undefined) {
      steps = normSteps(o.steps as unknown[], [...where, 'steps'])
      name = (o.name as string | undefined) ?? `reclaim #${i + 1}`
    } else throw new SpecError('FC170', where, "a reclaim path needs 'path: LIBRARY_PATH' or 'steps: [...]'")
    for (const [k, s] of steps.entries()) {
      if (opOf(s).notInReclaim) {
        throw new SpecError('FC162', s.where, `step '${s.op}' cannot run inside reclaim (reclaim path ${name}, step ${k + 1})`)
      }
    }
    checkLocking(steps, `reclaim path '${name}'`, locks, buffers)
    return { name, steps: linkMemorySteps(steps, `reclaim path '${name}'`), origin }
  })

  const notifiers: Notifier[] = notifierIn.map((n, i) => {
    const where: Path = ['notifiers', i]
    inCallback = i
    let steps: Step[]
    let origin = 'custom'
    if ((n.path === undefined) === (n.callback === undefined))
      throw new SpecError(
        'FC170',
        where,
        `notifier '${n.name as string}' needs exactly one of 'callback: [...]' (its invalidate callback's steps) or 'path: LIBRARY_PATH'`,
      )
    if (n.path !== undefined) {
      const lib = findLibrary(n.path as string)
      if (!lib) throw new SpecError('FC142', [...where, 'path'], `no library path '${n.path as string}' (library: ${LIBRARY.map((l) => l.name).join(', ')})`)
      steps = normSteps(lib.steps(bind(lib.name, n.with, [...where, 'with']), policies), [...where, 'path'])
      origin = lib.name
    } else {
      if (n.with !== undefined)
        throw new SpecError('FC171', [...where, 'with'], `'with' binds a library path's parameters; this notifier has its own callback steps`)
      steps = normSteps(n.callback as unknown[], [...where, 'callback'])
    }
    inCallback = undefined
    checkLocking(steps, `the callback of notifier '${n.name as string}'`, locks, buffers)
    return { name: n.name as string, pages: notifierPages[i]!, callback: steps, origin }
  })

  // Who pushes which job; jobs nobody pushes are submitted at start.
  const pushedBy = new Map<number, Path>()
  for (const th of threads) {
    for (const s of th.steps) {
      const push = (opOf(s).provides?.(s) ?? []).find((x) => x.kind === 'submit')
      if (push && 'job' in push) {
        if (pushedBy.has(push.job))
          throw new SpecError('FC181', s.where, `job '${jobs[push.job]!.name}' is pushed twice (also at ${pushedBy.get(push.job)!.join('.')})`)
        pushedBy.set(push.job, s.where as Path)
      }
    }
  }
  const finalJobs = jobs.map((j, i) => {
    const explicit = jobIn[i]!.submitted as boolean | undefined
    if (explicit === true && pushedBy.has(i))
      throw new SpecError(
        'FC182',
        ['jobs', i, 'submitted'],
        `job '${j.name}' is submitted at start but also pushed by a thread (at ${pushedBy.get(i)!.join('.')})`,
      )
    return { ...j, submitted: explicit ?? !pushedBy.has(i) }
  })

  const props = d.properties ?? [...PROPERTY_IDS]
  props.forEach((p, k) => {
    if (!(PROPERTY_IDS as readonly string[]).includes(p))
      throw new SpecError('FC143', ['properties', k], `unknown property '${p}' (properties: ${PROPERTY_IDS.join(', ')})`)
  })

  const seen = new Set<number>()
  if ((d.symmetry ?? []).length > 0 && (pages.length > 0 || ranges.length > 0)) {
    throw new SpecError(
      'FC190',
      ['symmetry'],
      'symmetry groups are not supported together with pages and ranges (their PTEs and seqs would have to move with the jobs); remove symmetry:',
    )
  }
  if ((d.symmetry ?? []).length > 0 && (works.threads.length > 0 || (d.pools ?? []).length > 0))
    throw new SpecError(
      'FC190',
      ['symmetry'],
      'symmetry groups are not supported together with work items and pools (their states would have to move with the jobs); remove symmetry:',
    )
  const symmetry = (d.symmetry ?? []).map((g, k) => {
    if (g.length < 2) throw new SpecError('FC191', ['symmetry', k], 'a symmetry group names at least two interchangeable jobs')
    return g.map((name, i) => {
      const j = job(name, ['symmetry', k, i])
      if (seen.has(j)) throw new SpecError('FC192', ['symmetry', k, i], `job '${name}' is in two symmetry groups`)
      seen.add(j)
      return j
    })
  })

  const vram = d.memory?.vram ?? 0
  const system = d.memory?.system ?? 8
  return {
    engines,
    memory: { vram, system },
    locks,
    fences,
    jobs: finalJobs,
    buffers,
    threads,
    reclaim,
    usageOf,
    properties: props as PropertyId[],
    propertiesListed: d.properties !== undefined,
    policies,
    symmetry,
    pages,
    notifiers,
    ranges,
    ...works.design([...threads.flatMap((th) => th.steps), ...reclaim.flatMap((r) => r.steps), ...notifiers.flatMap((n) => n.callback)]),
  }
}

/** Lock discipline along a straight-line path: no unlock of a lock not held, no recursive locking,
 * nothing held at the end, and evict only under the buffer's dma_resv (TTM's rule). */
function checkLocking(steps: readonly Step[], who: string, locks: readonly Lock[], buffers: readonly Buffer[]): void {
  const held = new Map<number, readonly (string | number)[]>()
  for (const s of steps) {
    const op = opOf(s)
    const took = op.takes?.(s)
    const gave = op.releases?.(s)
    const need = op.needsHeld?.({ buffers }, s)
    if (took) {
      if (held.has(took.lock))
        throw new SpecError(
          'FC185',
          s.where,
          `${who} takes '${locks[took.lock]!.name}' while already holding it (recursive locking deadlocks; unlock it first)`,
        )
      held.set(took.lock, s.where)
    } else if (gave !== undefined) {
      if (!held.has(gave))
        throw new SpecError('FC186', s.where, `${who} unlocks '${locks[gave]!.name}' but does not hold it here (lock it earlier in the same path)`)
      held.delete(gave)
    } else if (need && !held.has(need.lock)) throw new SpecError('FC187', s.where, `${who} ${need.why}`)
  }
  if (held.size > 0) {
    const [first, at] = [...held.entries()][0]!
    throw new SpecError('FC188', at, `${who} takes '${locks[first]!.name}' here and never releases it (add an unlock step before the path ends)`)
  }
}
