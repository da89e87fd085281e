/**
 * Breadth-first search on several cores: worker threads, each owning the states whose fingerprint
 * hashes to it (see parallelWorker.ts). The search is level-synchronous: a level is expanded by all
 * workers, successors owned elsewhere are exchanged at the barrier, and only then does the next
 * level start. So counterexamples are shortest, as in the sequential search, and the run is
 * deterministic: the same states, counts, verdict and trace every time, whatever the timing.
 *
 * Models cannot be sent to a thread, so each worker builds its own from `factory` (a module URL
 * exporting `buildFromSpec`) and `spec` (plain data: a built-in model and its parameters, or a
 * scenario file).
 */
import { Worker } from 'node:worker_threads'
import { type Exploration, type ExploreOptions, conclude, fmtBytes, modeOf } from './explore.js'
import { hasGraphChecks, planProperties } from './plan.js'
import { ModelError } from './layout.js'
import type { Action, Invariant, Model, StepProperty } from './model.js'
import type { Command, FoundViolation, WorkerInit } from './parallelWorker.js'
import { NO_PARENT, StateStore } from './stateStore.js'
import type { CutBy, PropertyRef } from './verdict.js'

export interface ModelSource {
  /** URL of a module exporting `buildFromSpec(spec): Model` */
  readonly factory: string
  readonly spec: unknown
}

interface Reply {
  size?: number
  found?: FoundViolation[]
  stopped?: boolean
  transitions?: number
  truncated?: boolean
  boxes?: ArrayBuffer[]
  visitedBytes?: number
  storeBytes?: number
}

class Pool {
  private readonly waiting = new Map<Worker, { resolve: (m: unknown) => void; reject: (e: unknown) => void }>()
  constructor(readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (m) => {
        const p = this.waiting.get(w)
        this.waiting.delete(w)
        p?.resolve(m)
      })
      w.on('error', (e) => {
        const p = this.waiting.get(w)
        this.waiting.delete(w)
        p?.reject(e)
      })
    }
  }
  next<T>(w: Worker): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(w, { resolve: resolve as (m: unknown) => void, reject })
    })
  }
  async all<T>(send: (w: Worker, i: number) => Command | undefined, transfer: (i: number) => ArrayBuffer[] = () => []): Promise<T[]> {
    const replies = this.workers.map((w) => this.next<T>(w))
    this.workers.forEach((w, i) => {
      const c = send(w, i)
      if (c) w.postMessage(c, transfer(i))
    })
    return Promise.all(replies)
  }
}

export async function exploreParallel<A extends Action>(model: Model<A>, source: ModelSource, options: ExploreOptions & { workers: number }): Promise<Exploration<A>> {
  const N = options.workers
  if (!Number.isInteger(N) || N < 1 || N > 64) throw new RangeError(`workers must be an integer in 1..64, got ${N}`)
  if ((options.order ?? 'bfs') !== 'bfs') throw new ModelError('parallel search is breadth-first')
  if (options.resume || options.checkpoint) throw new ModelError('checkpoints are taken by the single-worker search')
  if (options.symmetry && !model.symmetry) throw new ModelError(`model '${model.name}' declares no symmetry to reduce by`)
  const plan = planProperties(model, modeOf(options, N))
  const bounds = options.bounds ?? {}
  const maxStates = bounds.maxStates ?? Infinity
  const maxTimeMs = bounds.maxTimeMs ?? Infinity
  const maxMemory = bounds.maxMemoryBytes ?? Infinity
  const stop = new Int32Array(new SharedArrayBuffer(4))
  const start = Date.now()
  const init = (index: number): WorkerInit => ({
    factory: source.factory,
    spec: source.spec,
    index,
    count: N,
    stop,
    symmetry: options.symmetry ?? false,
    maxDepth: bounds.maxDepth ?? Infinity,
  })
  const workers = Array.from({ length: N }, (_, i) => new Worker(new URL('./parallelWorker.js', import.meta.url), { workerData: init(i) }))
  const pool = new Pool(workers)
  let cut: { by: CutBy; detail: string } | undefined
  let peakRss = process.memoryUsage.rss()
  let storage = 0
  let total = 0
  let lastProgress = start
  // The main thread is free while the workers search: it watches the clock, memory and Ctrl-C.
  const watch = setInterval(() => {
    const now = Date.now()
    const rss = process.memoryUsage.rss()
    peakRss = Math.max(peakRss, rss)
    if (cut) return
    if (now - start > maxTimeMs) cut = { by: 'time', detail: `the time bound (${maxTimeMs / 1000}s) was reached` }
    else if (rss > maxMemory) cut = { by: 'memory', detail: `the process reached the memory bound (${fmtBytes(maxMemory)})` }
    else if (options.shouldStop?.()) cut = { by: 'interrupted', detail: 'the run was interrupted' }
    if (cut) Atomics.store(stop, 0, 1)
  }, 100)
  try {
    await Promise.all(workers.map((w) => pool.next(w)))
    const inits = await pool.all<Reply>(() => ({ cmd: 'init' }))
    const found: FoundViolation[] = inits.flatMap((r) => r.found ?? [])
    total = inits.reduce((n, r) => n + r.size!, 0)
    let transitions = 0
    let depth = 0
    let completeDepth = -1
    let truncated = false
    while (found.length === 0 && !cut) {
      const expanded = await pool.all<Reply>(() => ({ cmd: 'expand', depth }))
      transitions = expanded.reduce((n, r) => n + r.transitions!, 0)
      truncated = expanded.some((r) => r.truncated)
      found.push(...expanded.flatMap((r) => r.found ?? []))
      if (expanded.some((r) => r.stopped)) break
      // Route the outboxes: worker i receives what every other worker sent it, in worker order.
      const inboxes = workers.map((_, i) => expanded.map((r) => r.boxes![i]!).filter((b) => b.byteLength > 0))
      const absorbed = await pool.all<Reply>(
        (_w, i) => ({ cmd: 'absorb', depth, inboxes: inboxes[i]! }),
        (i) => inboxes[i]!,
      )
      found.push(...absorbed.flatMap((r) => r.found ?? []))
      const now = absorbed.reduce((n, r) => n + r.size!, 0)
      storage = absorbed.reduce((n, r) => n + r.visitedBytes! + r.storeBytes!, 0)
      const added = now - total
      total = now
      completeDepth = depth
      depth++
      if (Date.now() - lastProgress >= (options.progressIntervalMs ?? 5000)) {
        lastProgress = Date.now()
        const el = lastProgress - start
        options.onProgress?.({ depth, distinctStates: total, transitions, queued: added, elapsedMs: el, statesPerSec: total / (el / 1000), rssBytes: process.memoryUsage.rss() })
      }
      if (added === 0) {
        completeDepth = depth
        break
      }
      if (total >= maxStates && !cut) cut = { by: 'states', detail: `the state bound (${maxStates}) was reached (checked at level ends)` }
    }
    if (!cut && found.length === 0 && truncated) cut = { by: 'depth', detail: `states at depth ${bounds.maxDepth} had enabled actions that were not explored` }

    // Gather the stores and merge them in BFS order: level by level, worker by worker.
    const finals = await pool.all<{ states: Uint32Array[]; parents: Uint32Array[]; size: number; levelStart: number[]; witness: { state: number; depth: number }[]; transitions: number }>(() => ({ cmd: 'finish' }))
    const W = model.layout.words
    // Merge only when states must be read back (traces, graph checks): it copies the stores.
    const needMerge = found.length > 0 || hasGraphChecks(plan)
    const parts = finals.map((f) => StateStore.restore(W, f.states, f.parents, f.size))
    const merged = needMerge ? new StateStore(W) : StateStore.restore(W, [], [], total)
    const maps = finals.map((f) => new Int32Array(needMerge ? f.size : 0))
    const levels = Math.max(...finals.map((f) => f.levelStart.length))
    let deepest = 0
    for (let L = 0; L < levels; L++) {
      for (const f of finals) if ((f.levelStart[L] ?? f.size) < (f.levelStart[L + 1] ?? f.size)) deepest = L
    }
    if (needMerge) {
      const words = new Uint32Array(W)
      for (let L = 0; L < levels; L++) {
        for (let w = 0; w < N; w++) {
          const f = finals[w]!
          const from = f.levelStart[L] ?? f.size
          const to = f.levelStart[L + 1] ?? f.size
          for (let local = from; local < to; local++) {
            parts[w]!.read(local, words)
            const g = parts[w]!.parent(local)
            const parent = g === NO_PARENT ? NO_PARENT : maps[g % N]![Math.floor(g / N)]!
            maps[w]![local] = merged.append(words, 0, parent)
          }
        }
      }
    }
    const toMerged = (g: number): number => (needMerge ? maps[g % N]![Math.floor(g / N)]! : 0)

    // The violation: the shortest, then the first in merged (BFS) order; the same every run.
    const best = found
      .map((v) => ({ v, at: toMerged(v.state) }))
      .sort((a, b) => a.v.length - b.v.length || a.at - b.at || (a.v.rule ?? -1) - (b.v.rule ?? -1))[0]
    const invariants = model.properties.filter((p): p is Invariant => p.kind === 'invariant')
    const steps = model.properties.filter((p): p is StepProperty<A> => p.kind === 'step')
    const ref = (v: FoundViolation): PropertyRef => {
      const p = v.kind === 'invariant' ? invariants[v.property]! : v.kind === 'step' ? steps[v.property]! : model.deadlock!
      return { name: p.name, kind: v.kind, ...(p.cite ? { cite: p.cite } : {}) }
    }
    const nSometimes = finals[0]!.witness.length
    const witnesses: number[] = []
    const witnessDepth: number[] = []
    for (let p = 0; p < nSometimes; p++) {
      const hits = finals.map((f) => f.witness[p]!).filter((w) => w.state >= 0)
      const first = hits.map((w) => ({ ...w, at: toMerged(w.state) })).sort((a, b) => a.depth - b.depth || a.at - b.at || a.state - b.state)[0]
      witnesses.push(first ? first.at : -1)
      witnessDepth.push(first ? first.depth : -1)
    }
    return conclude({
      model,
      plan,
      store: merged,
      order: 'bfs',
      bounds,
      symmetric: options.symmetry ?? false,
      ...(best ? { violation: { property: ref(best.v), stateIndex: best.at, ...(best.v.rule !== undefined ? { finalRule: best.v.rule } : {}) } } : {}),
      ...(cut && !best ? { cut } : {}),
      transitions: finals.reduce((n, f) => n + f.transitions, 0),
      deepest,
      startMs: start,
      peakRss,
      storageBytes: storage,
      completeDepth,
      witnesses,
      witnessDepth,
      storageNote: `${N} workers, fingerprints partitioned by owner`,
    })
  } finally {
    clearInterval(watch)
    await Promise.all(workers.map((w) => w.terminate()))
  }
}
