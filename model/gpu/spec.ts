/**
 * From a scenario file's GPU design (already shape-checked by the JSON Schema) to a GpuDesign with
 * every name resolved. Every semantic mistake is a SpecError naming the exact field, what is wrong
 * and how to fix it.
 */
import { declareHardware, declareJobs, declareMemory, type DesignInput, type Hardware, type Memory, resolvers } from './declare.js'
import { SpecError } from './errors.js'
import { findLibrary, LIBRARY, type LibraryPath } from './library.js'
import { opOf } from './ops/index.js'
import type { Obj, Path } from './parse.js'
import { callbackList, callbackSteps, expandSignals } from './fenceDecls.js'
import { checkConditions, checkLocking, readGoals } from './pathChecks.js'
import { FenceOpsReader } from './fenceOps.js'
import type { StepReader } from './steps.js'
import { declareWork } from './workSpec.js'
import { checkRelease, expandPuts } from './ops/mm.js'
import { checkDevicePrivateOwners } from './ops/mirror.js'
import { checkInvalidations, declareProcesses, placeInProcesses, processList, type ProcessDecls } from './processes.js'
import { CONTEXTS, type Context, type GpuDesign, type Notifier, PROPERTY_IDS, type PropertyId, type ReclaimPath, type Step, type Thread } from './types.js'

export { SpecError }
export { type DesignInput, MAX_FENCES } from './declare.js'
export const MAX_THREADS = 8

export function buildDesign(d: DesignInput): GpuDesign {
  const hw = declareHardware(d)
  const pr = declareProcesses(d.processes, hw.claim)
  const mem0 = declareMemory(d, hw)
  const mem = { ...mem0, ...placeInProcesses(pr, d, mem0.pages, mem0.notifierPages, mem0.ranges) }
  const jobs = declareJobs(hw, mem)
  const { policies, engines, locks, fences, buffers, usageOf, jobIn, job } = hw
  const { pages, ranges } = mem
  const wk = declareWork(d, hw.claim)
  const reader = new FenceOpsReader(
    {
      policies,
      locks,
      fences,
      jobs,
      notifierNames: mem.notifierIn.map((n) => n.name as string),
      callbacks: hw.callbackDecls,
      resolve: { ...resolvers(hw, mem), ...wk.resolve, process: pr.process },
      pageList: mem.pageList,
      setUsage: hw.setUsage,
    },
    d.fences ?? [],
    jobIn.length,
  )
  // Each process's release op (steps the last mmput runs), read before the paths that put.
  const release = (d.processes ?? []).map((P, i) => {
    hw.inMm(i)
    const steps = reader.read((P.release as unknown[] | undefined) ?? [], ['processes', i, 'release'])
    checkRelease(steps, ['processes', i, 'release'])
    return steps
  })
  hw.inMm(undefined)
  const processes = processList(pr, release)
  const { threads, reclaim, notifiers, works } = readPaths(d, hw, mem, reader, wk, pr, (steps) =>
    expandPuts(steps, processes, (p) => pages.flatMap((pg, i) => ((pg.process ?? 0) === p ? [i] : []))),
  )
  checkInvalidations(pages, pr.names, [...threads.flatMap((th) => th.steps), ...reclaim.flatMap((r) => r.steps)])
  checkDevicePrivateOwners({ pages, ranges, engines: hw.engines }, [...threads.flatMap((th) => th.steps), ...reclaim.flatMap((r) => r.steps)])

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
  if ((d.symmetry ?? []).length > 0 && (wk.count > 0 || (d.pools ?? []).length > 0))
    throw new SpecError(
      'FC190',
      ['symmetry'],
      'symmetry groups are not supported together with work items and pools (their states would have to move with the jobs); remove symmetry:',
    )
  if ((d.symmetry ?? []).length > 0 && (pages.length > 0 || ranges.length > 0)) {
    throw new SpecError(
      'FC190',
      ['symmetry'],
      'symmetry groups are not supported together with pages and ranges (their PTEs and seqs would have to move with the jobs); remove symmetry:',
    )
  }
  // Swapping jobs renames threads, but an mm owns its threads, mm_users and mmap_lock: a swap that
  // moves a thread into another process is no symmetry of the design.
  if ((d.symmetry ?? []).length > 0 && pr.names.length > 0)
    throw new SpecError(
      'FC190',
      ['symmetry'],
      `symmetry groups are not supported together with processes: (${pr.names.join(', ')}): each mm owns its threads, mm_users and mmap_lock, which would have to move with the jobs; remove symmetry: or processes:`,
    )
  if ((d.symmetry ?? []).length > 0 && (hw.callbackDecls.length > 0 || fences.some((fe) => fe.members !== undefined)))
    throw new SpecError(
      'FC196',
      ['symmetry'],
      'symmetry groups are not supported together with fence callbacks, fence ops or composite fences (they name fences of particular jobs); remove symmetry:',
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

  checkConditions([...threads.flatMap((th) => th.steps), ...reclaim.flatMap((r) => r.steps), ...notifiers.flatMap((n) => n.callback)])
  const goals = readGoals(d.progress ?? [], {
    thread: threads.map((th) => th.name),
    job: jobs.map((j) => j.name),
    fence: fences.map((fe) => fe.name),
    work: works.threads.map((w) => w.name),
  })
  const accepted: PropertyId[] = policies.timeout === 'accept' ? ['hang-until-timeout'] : []

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
    callbacks: callbackList(hw.callbackDecls, (d.threads ?? []).length),
    reclaim,
    usageOf,
    properties: props as PropertyId[],
    propertiesListed: d.properties !== undefined,
    policies,
    symmetry,
    pages,
    notifiers,
    ranges,
    goals,
    accepted,
    ...works.design([...threads.flatMap((th) => th.steps), ...reclaim.flatMap((r) => r.steps), ...notifiers.flatMap((n) => n.callback)]),
    ...(processes.length > 0 ? { processes } : {}),
  }
}

/** Threads, reclaim paths and notifier callbacks: their steps read, checked and linked. */
function readPaths(
  d: DesignInput,
  hw: Hardware,
  mem: Memory,
  reader: StepReader,
  wk: ReturnType<typeof declareWork>,
  pr: ProcessDecls,
  expandMm: (steps: Step[]) => Step[],
): { threads: Thread[]; reclaim: ReclaimPath[]; notifiers: Notifier[]; works: ReturnType<ReturnType<typeof declareWork>['items']> } {
  const { policies, claim, locks, buffers } = hw
  const { ranges, notifierIn, notifierPages } = mem
  const linkMemorySteps = (steps: Step[], who: string): Step[] => steps.map((s, k) => opOf(s).link?.(steps, k, who, { ranges }) ?? s)

  const threadIn = d.threads ?? []
  const callbackDecls = hw.callbackDecls
  if (threadIn.length + callbackDecls.length + wk.count > MAX_THREADS)
    throw new SpecError(
      'FC148',
      [threadIn.length > MAX_THREADS ? 'threads' : wk.count ? 'work' : 'callbacks'],
      `${threadIn.length} threads, ${callbackDecls.length} callbacks and ${wk.count} work items (each callback and work item runs as a thread); at most ${MAX_THREADS} actors with paths are supported`,
    )
  const threads: Thread[] = threadIn.map((th, i) => {
    claim(th.name as string, `thread #${i + 1}`, ['threads', i, 'name'])
    const hasPath = th.path !== undefined
    const hasSteps = th.steps !== undefined
    if (hasPath === hasSteps)
      throw new SpecError('FC170', ['threads', i], `thread '${th.name as string}' needs exactly one of 'path: LIBRARY_PATH' or 'steps: [...]'`)
    let steps: Step[]
    // a bare mmap_lock in its steps is its own process's (processes.ts)
    hw.inMm(pr.names.length > 0 ? pr.process(th.process, ['threads', i, 'process']) : undefined)
    let context = th.context as Context | undefined
    let signalling = th.signalling as boolean | undefined
    let origin = 'custom'
    if (hasPath) {
      const lib = findLibrary(th.path as string)
      if (!lib)
        throw new SpecError('FC142', ['threads', i, 'path'], `no library path '${th.path as string}' (library: ${LIBRARY.map((l) => l.name).join(', ')})`)
      steps = readLibrary(reader, lib, th.with, ['threads', i], policies)
      context ??= lib.context
      signalling ??= lib.signalling ?? false
      origin = lib.name
    } else {
      if (th.with !== undefined) throw new SpecError('FC171', ['threads', i, 'with'], `'with' binds a library path's parameters; this thread has its own steps`)
      steps = reader.read(th.steps as unknown[], ['threads', i, 'steps'])
    }
    steps = expandMm(expandSignals(steps, hw.fences))
    if (steps.length === 0) throw new SpecError('FC172', ['threads', i, 'steps'], `thread '${th.name as string}' has no steps`)
    if (context !== undefined && !(CONTEXTS as readonly string[]).includes(context))
      throw new SpecError('FC145', ['threads', i, 'context'], `unknown context '${context}'`)
    checkLocking(steps, `thread '${th.name as string}'`, locks, buffers)
    steps = linkMemorySteps(steps, `thread '${th.name as string}'`)
    if (th.repeat !== undefined && typeof th.repeat !== 'boolean') throw new SpecError('FC155', ['threads', i, 'repeat'], 'must be true or false')
    // A job-timeout handler (timedout: JOB, ops/tdr.ts) is a signalling path as a whole: "timeout,
    // gpu reset and gpu hang recovery code" (dma-fence.c, DOC: fence signalling annotation).
    signalling ??= steps.some((s) => s.op === 'timedout')
    const cpu = wk.cpu(th.cpu, ['threads', i, 'cpu'])
    const base = { name: th.name as string, context: context ?? 'process', signalling, steps, origin, repeat: th.repeat === true }
    const process = pr.names.length > 0 ? { process: pr.process(th.process, ['threads', i, 'process']) } : {}
    return cpu !== undefined ? { ...base, cpu, ...process } : { ...base, ...process }
  })

  hw.inMm(undefined)
  // Each callback's steps run as a thread of context 'callback' (ops/callback.ts).
  callbackDecls.forEach((c, k) => {
    const body = reader.read(c.steps as unknown[], [...c.where, 'steps'])
    checkLocking(body, `callback '${c.name}'`, locks, buffers)
    const steps = linkMemorySteps(callbackSteps(c, k, hw.fences, body), `callback '${c.name}'`)
    threads.push({ name: c.name, context: 'callback', callbackOn: c.fence, signalling: false, steps, origin: 'callback', repeat: false })
  })
  // Work items are actors with paths too: each runs its callback's steps after a work_start step.
  const works = wk.items(threads.length, (raw, where) => {
    const steps = expandMm(reader.read(raw, where))
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
      steps = readLibrary(reader, lib, o.with, where, policies)
      name = (o.name as string | undefined) ?? lib.name
      origin = lib.name
    } else if (o.steps !== undefined) {
      steps = reader.read(o.steps as unknown[], [...where, 'steps'])
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
    reader.inCallback = i
    // an interval notifier's callback runs in the invalidation of its pages' mm
    hw.inMm(mem.pages[notifierPages[i]![0]!]?.process)
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
      steps = readLibrary(reader, lib, n.with, where, policies)
      origin = lib.name
    } else {
      if (n.with !== undefined)
        throw new SpecError('FC171', [...where, 'with'], `'with' binds a library path's parameters; this notifier has its own callback steps`)
      steps = reader.read(n.callback as unknown[], [...where, 'callback'])
    }
    reader.inCallback = undefined
    hw.inMm(undefined)
    checkLocking(steps, `the callback of notifier '${n.name as string}'`, locks, buffers)
    return { name: n.name as string, pages: notifierPages[i]!, callback: steps, origin }
  })

  return { threads, reclaim, notifiers, works }
}

/**
 * A library path's steps, read for the user's thread, reclaim path or callback at `where`. A name
 * the library's steps cannot resolve is reported at the user's own field, in the user's terms: the
 * parameter that carries it (from `with:`, or its default) and how to fix it, not the library's
 * internal step path.
 */
function readLibrary(reader: StepReader, lib: LibraryPath, given: unknown, where: Path, policies: Hardware['policies']): Step[] {
  const bound = reader.bind(lib.name, given, [...where, 'with'])
  try {
    return reader.read(lib.steps(bound, policies), [...where, 'path'])
  } catch (e) {
    if (!(e instanceof SpecError) || e.path[where.length] !== 'path' || !where.every((x, k) => e.path[k] === x)) throw e
    const step = e.path[where.length + 1]
    const withs = (given ?? {}) as Record<string, unknown>
    const param = lib.params.find((p) => e.message.includes(`'${bound[p.name]}'`) || e.message.includes(`'${bound[p.name]}.`))
    const at = typeof step === 'number' ? ` (its step ${step + 1})` : ''
    if (!param) throw new SpecError(e.code, [...where, 'path'], `library path '${lib.name}'${at}: ${e.message}`)
    const v = bound[param.name]!
    const fromWith = withs[param.name] !== undefined
    throw new SpecError(
      e.code,
      fromWith ? [...where, 'with', param.name] : [...where, 'path'],
      `library path '${lib.name}'${at} uses its parameter '${param.name}' (${param.doc}) = '${v}'${fromWith ? '' : ', its default'}: ${e.message}; ` +
        (fromWith ? `name a declared one under with:` : `declare '${v}', or bind another with with: { ${param.name}: NAME }`),
    )
  }
}
