/**
 * Breadth-first search on several cores: worker threads, each owning the states whose fingerprint
 * hashes to it (see parallelWorker.ts). The search is level-synchronous: a level is expanded by all
 * workers, successors owned elsewhere are exchanged at the barrier, and only then does the next
 * level start.
 *
 * Contract: a run unbounded or bounded by depth or states gives exactly the serial breadth-first
 * search's result (explore.ts): verdict, property, counterexample trace, distinct states,
 * transitions, depths and `sometimes` witnesses, also when the search stops at a violation or the
 * state bound in the middle of a level, and for the graph properties checked afterwards. This
 * holds because every state gets its serial index (see parallelWorker.ts for how), and the
 * coordinator reconstructs where the serial search would have stopped. Time, memory and
 * interrupts stop the workers wherever they are: such a run is inconclusive, with its own counts.
 *
 * Models cannot be sent to a thread, so each worker builds its own from `factory` (a module URL
 * exporting `buildFromSpec`) and `spec` (plain data: a built-in model and its parameters, or a
 * scenario file).
 */
import { Worker } from 'node:worker_threads'
import { type Exploration, type ExploreOptions, conclude, fmtBytes, modeOf } from './explore.js'
import { type GraphCheckResult, GraphRecorder } from './graphChecks.js'
import { hasGraphChecks, planProperties } from './plan.js'
import { ModelError } from './layout.js'
import type { Action, Model } from './model.js'
import type { Command, ExpandEvent, Replies, Reply, WorkerSetup, WorkerStart } from './parallelWorker.js'
import { StateStore } from './stateStore.js'
import type { CutBy, PropertyRef } from './verdict.js'

export interface ModelSource {
  /** URL of a module exporting `buildFromSpec(spec): Model` */
  readonly factory: string
  readonly spec: unknown
}

/**
 * The coordinator's side of the worker protocol (parallelWorker.ts): one outstanding command per
 * worker, answered by a Reply that names the command. A reply to another command, or a worker's
 * error, rejects the wait.
 */
class Pool {
  private readonly waiting = new Map<Worker, { readonly cmd: keyof Replies; resolve: (m: Reply) => void; reject: (e: unknown) => void }>()
  constructor(readonly workers: Worker[]) {
    for (const w of workers) {
      // A worker posts only Replies (parallelWorker.ts: reply()); this is their structured clone.
      w.on('message', (m: Reply) => {
        const p = this.waiting.get(w)
        this.waiting.delete(w)
        if (p && m.cmd !== p.cmd) p.reject(new Error(`a search worker answered '${m.cmd}' while '${p.cmd}' was awaited`))
        else p?.resolve(m)
      })
      w.on('error', (e) => {
        const p = this.waiting.get(w)
        this.waiting.delete(w)
        p?.reject(e)
      })
    }
  }
  next<C extends keyof Replies>(w: Worker, cmd: C): Promise<Replies[C]> {
    return new Promise<Replies[C]>((resolve, reject) => {
      // The message handler resolves only with a reply whose cmd is `cmd`, so its body is a Replies[C].
      this.waiting.set(w, { cmd, resolve: (m) => resolve(m.body as Replies[C]), reject })
    })
  }
  /** Send each worker its command (all of one kind) and wait for every reply. */
  async all<C extends Command['cmd']>(
    send: (w: Worker, i: number) => Command & { readonly cmd: C },
    transfer: (i: number) => ArrayBuffer[] = () => [],
  ): Promise<Replies[C][]> {
    const commands = this.workers.map((w, i) => send(w, i))
    const replies = this.workers.map((w, i) => this.next(w, commands[i]!.cmd))
    this.workers.forEach((w, i) => w.postMessage(commands[i], transfer(i)))
    return Promise.all(replies)
  }
}

/** Workers started before their search (prestartWorkers), until a search of that many takes them. */
let prestarted: { readonly factory: string; readonly workers: Worker[]; readonly stop: Int32Array } | undefined

function startWorkers(factory: string, count: number): { readonly factory: string; readonly workers: Worker[]; readonly stop: Int32Array } {
  const stop = new Int32Array(new SharedArrayBuffer(4))
  const workers = Array.from(
    { length: count },
    (_, index) => new Worker(new URL('./parallelWorker.js', import.meta.url), { workerData: { factory, index, count, stop } satisfies WorkerStart }),
  )
  return { factory, workers, stop }
}

/**
 * Start `count` workers now, before the search that will use them is asked for, so that each
 * loads the checker and `factory`'s modules while this thread still loads and builds its own
 * target (the CLI calls this as soon as it knows the number of workers). They wait for their
 * setup and, until a search takes them, do not keep the process alive. The next
 * exploreParallel with that factory and count takes them; a second call before that does nothing.
 */
export function prestartWorkers(factory: string, count: number): void {
  if (prestarted !== undefined || count < 2 || count > 64) return
  prestarted = startWorkers(factory, count)
  for (const w of prestarted.workers) w.unref()
}

type ViolationKind = 'invariant' | 'step' | 'deadlock'

/** Where the serial search stops in a level: its first violation, or the state bound. */
interface LevelEvent {
  readonly kind: ViolationKind | 'states'
  readonly property: number
  /** (parent serial index) * KEY + ordinal: where the serial search meets it */
  readonly key: number
  /** at the same key: a step violation, then the successor's invariants, then the state bound */
  readonly rank: number
  /** the state being expanded at the event (for the state bound: the last one) and its transitions before the event */
  readonly parent: number
  readonly ordinal: number
  readonly rule?: number
}

/** How many of the ascending `sorted` are below `x`. */
function below(sorted: ArrayLike<number>, x: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

export async function exploreParallel<A extends Action>(
  model: Model<A>,
  source: ModelSource,
  options: ExploreOptions<A> & { workers: number },
): Promise<Exploration<A>> {
  const N = options.workers
  if (!Number.isInteger(N) || N < 1 || N > 64) throw new RangeError(`workers must be an integer in 1..64, got ${N}`)
  if ((options.order ?? 'bfs') !== 'bfs') throw new ModelError('FC310', 'parallel search is breadth-first')
  if (options.resume || options.checkpoint) throw new ModelError('FC310', 'checkpoints are taken by the single-worker search')
  if (options.symmetry && !model.symmetry) throw new ModelError('FC311', `model '${model.name}' declares no symmetry to reduce by`)
  // Keys (parent serial index, ordinal) are packed in a double: parent * KEY + ordinal, exact below 2^53.
  const KEY = model.rules.length + 1
  if (KEY >= 2 ** 21) throw new ModelError('FC312', 'the parallel search orders successors by rule: at most 2^21 - 2 rules')
  const bounds = options.bounds ?? {}
  const maxStates = bounds.maxStates ?? Infinity
  const maxTimeMs = bounds.maxTimeMs ?? Infinity
  const maxMemory = bounds.maxMemoryBytes ?? Infinity
  const start = Date.now()
  const started = prestarted?.factory === source.factory && prestarted.workers.length === N ? prestarted : startWorkers(source.factory, N)
  if (started === prestarted) prestarted = undefined
  const { workers, stop } = started
  for (const w of workers) w.ref()
  const pool = new Pool(workers)
  const setup: WorkerSetup = {
    spec: source.spec,
    symmetry: options.symmetry ?? false,
    maxDepth: bounds.maxDepth ?? Infinity,
    mode: modeOf(options, N),
    ...(options.select ? { select: options.select } : {}),
  }
  const ready = workers.map((w) => pool.next(w, 'ready'))
  let cut: { by: CutBy; detail: string } | undefined
  let peakRss = process.memoryUsage.rss()
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

  const plan = planProperties(model, modeOf(options, N), options.select)
  const { invariants, steps, sometimes } = plan
  const reached = new Uint8Array(sometimes.length)
  const witnesses = sometimes.map(() => -1)
  const witnessDepth = sometimes.map(() => -1)
  /** owners[s]: the worker storing the state with serial index s */
  let owners = new Uint8Array(1 << 16)
  let total = 0

  /** Serial indices of a level's new states, from each worker's sorted keys (a k-way merge). */
  const number = (keys: readonly Float64Array[]): Uint32Array[] => {
    const maps = keys.map((k) => new Uint32Array(k.length))
    const added = keys.reduce((n, k) => n + k.length, 0)
    if (total + added > owners.length) {
      let cap = owners.length
      while (cap < total + added) cap *= 2
      const bigger = new Uint8Array(cap)
      bigger.set(owners)
      owners = bigger
    }
    const pos = new Int32Array(N)
    for (let s = total; s < total + added; s++) {
      let w = -1
      let min = Infinity
      for (let v = 0; v < N; v++) {
        const p = pos[v]!
        if (p < keys[v]!.length && keys[v]![p]! < min) {
          min = keys[v]![p]!
          w = v
        }
      }
      maps[w]![pos[w]!++] = s
      owners[s] = w
    }
    return maps
  }

  try {
    for (const w of workers) w.postMessage(setup)
    await Promise.all(ready)
    let absorbed = await pool.all(() => ({ cmd: 'init', reached }))
    /** depth of the states in `absorbed` */
    let depth = 0
    let expandEvent: LevelEvent | undefined
    let transitions = 0
    let levelTransitions = 0
    let completeDepth = -1
    let deepest = 0
    let truncated = false
    let storage = 0
    let violation: { event: LevelEvent & { kind: ViolationKind }; stateIndex: number } | undefined
    /** the serial indices of the workers' newest states, until an `expand` sends them */
    let unsent: Uint32Array[] | undefined
    /** the states the serial search would have expanded: all but those after the state bound's parent */
    let expandedUpTo = Infinity
    for (;;) {
      const keys = absorbed.map((r) => r.keys)
      const base = total
      const maps = number(keys)
      unsent = maps
      const added = keys.reduce((n, k) => n + k.length, 0)
      storage = absorbed.reduce((n, r) => n + r.visitedBytes + r.storeBytes, 0)
      // The level's first violation: the expansion's, or a new state's invariant, whichever comes first.
      let event = expandEvent
      let eventState = event?.parent ?? -1
      absorbed.forEach((r, w) => {
        if (!r.invariant) return
        const key = r.keys[r.invariant.offset]!
        if (event && (event.key < key || (event.key === key && event.rank < 1))) return
        event = { kind: 'invariant', property: r.invariant.property, key, rank: 1, parent: Math.floor(key / KEY), ordinal: key % KEY }
        eventState = maps[w]![r.invariant.offset]!
      })
      // The state bound, where the serial search applies it: before each expansion, so it stops
      // after expanding the parent of its (maxStates)th state, unless a violation comes first.
      if (depth > 0 && base < maxStates && base + added >= maxStates) {
        const w = owners[maxStates - 1]!
        const parent = Math.floor(keys[w]![below(maps[w]!, maxStates - 1)]! / KEY)
        const key = parent * KEY + KEY - 1
        if (!event || key < event.key) event = { kind: 'states', property: 0, key, rank: 2, parent, ordinal: KEY - 1 }
      }
      // The states the serial search holds at that point: those keyed before it (at it, for a
      // state bound), and an invariant's violator.
      const upTo = !event ? Infinity : event.kind === 'states' ? event.key + 1 : event.key
      total = !event ? base + added : event.kind === 'invariant' ? eventState + 1 : base + keys.reduce((n, k) => n + below(k, upTo), 0)
      for (let p = 0; p < sometimes.length; p++) {
        if (reached[p]) continue
        let first = Infinity
        absorbed.forEach((r, w) => {
          if (r.witness[p]! >= 0) first = Math.min(first, maps[w]![r.witness[p]!]!)
        })
        if (first < total) {
          witnesses[p] = first
          witnessDepth[p] = depth
          reached[p] = 1
        }
      }
      if (event) {
        if (depth > 0) {
          // Transitions: the complete levels, this level's states before the event's parent, and
          // the parent's own up to the event (all of them before a state bound, none for a deadlock).
          const e = event
          const stopAfter = e.kind === 'states'
          const before = await pool.all(() => ({ cmd: 'count', below: stopAfter ? e.parent + 1 : e.parent }))
          transitions += before.reduce((n, r) => n + r.transitions, 0) + (stopAfter || e.kind === 'deadlock' ? 0 : e.ordinal + 1)
        }
        completeDepth = Math.max(-1, depth - 2)
        deepest = depth === 0 || total > base ? depth : depth - 1
        if (event.kind === 'states') {
          cut = { by: 'states', detail: `the state bound (${maxStates}) was reached` }
          expandedUpTo = event.parent + 1
        } else violation = { event: event as LevelEvent & { kind: ViolationKind }, stateIndex: eventState }
        break
      }
      transitions += levelTransitions
      if (added === 0) {
        completeDepth = deepest = Math.max(0, depth - 1)
        break
      }
      completeDepth = depth - 1
      deepest = depth
      if (Date.now() - lastProgress >= (options.progressIntervalMs ?? 5000)) {
        lastProgress = Date.now()
        const el = lastProgress - start
        options.onProgress?.({
          depth,
          distinctStates: total,
          transitions,
          queued: added,
          elapsedMs: el,
          statesPerSec: total / (el / 1000),
          rssBytes: process.memoryUsage.rss(),
        })
      }
      // Only the initial states can reach the state bound at a level's end (it is then applied before any expansion).
      if (total >= maxStates && !cut) cut = { by: 'states', detail: `the state bound (${maxStates}) was reached` }
      if (cut) break

      const expanded = await pool.all(
        (_w, i) => ({ cmd: 'expand', depth, serials: maps[i]! }),
        (i) => [maps[i]!.buffer as ArrayBuffer],
      )
      unsent = undefined
      if (expanded.some((r) => r.truncated)) truncated = true
      // A stopped worker left the level incomplete: its first violation is not known.
      if (expanded.some((r) => r.stopped)) break
      levelTransitions = expanded.reduce((n, r) => n + r.transitions, 0)
      expandEvent = undefined
      for (const r of expanded) {
        const e: ExpandEvent | undefined = r.event
        if (!e) continue
        const key = e.state * KEY + e.ordinal
        if (expandEvent && expandEvent.key < key) continue
        expandEvent = {
          kind: e.kind,
          property: e.property,
          key,
          rank: 0,
          parent: e.state,
          ordinal: e.ordinal,
          ...(e.rule !== undefined ? { rule: e.rule } : {}),
        }
      }
      // Route the boxes: worker i receives what every other worker sent it.
      const inboxes = workers.map((_, i) => expanded.flatMap((r) => (r.boxes[i] ? [r.boxes[i]] : [])))
      absorbed = await pool.all(
        (_w, i) => ({ cmd: 'absorb', inboxes: inboxes[i]!, limit: expandEvent?.key ?? Infinity, reached }),
        (i) => inboxes[i]!.map((b) => b.buffer as ArrayBuffer),
      )
      depth++
    }
    if (!cut && !violation && truncated) cut = { by: 'depth', detail: `states at depth ${bounds.maxDepth} had enabled actions that were not explored` }

    // The stores are merged in serial order only when states must be read back (a trace, a
    // lasso's prefix): merging copies them. Worker stores list their states in serial order too.
    const W = model.layout.words
    const graphs = violation === undefined && hasGraphChecks(plan)
    let store = StateStore.restore(W, [], [], total)
    let recorder: GraphRecorder<A> | undefined
    let graphChecked: GraphCheckResult | undefined
    if (violation !== undefined || graphs) {
      const finals = await pool.all((_w, i) => ({ cmd: 'finish', serials: unsent?.[i] ?? new Uint32Array(0) }))
      let merged: StateStore | undefined
      const merge = (): StateStore => {
        if (merged) return merged
        const parts = finals.map((f) => StateStore.restore(W, f.states, f.parents, f.size))
        const next = new Int32Array(N)
        const words = new Uint32Array(W)
        merged = new StateStore(W)
        for (let s = 0; s < total; s++) {
          const w = owners[s]!
          const local = next[w]!++
          parts[w]!.read(local, words)
          merged.append(words, 0, parts[w]!.parent(local))
        }
        return merged
      }
      // The graph the workers recorded while they searched, joined in serial order and checked
      // here: the stores are merged only if the checks find a violation to trace.
      if (graphs && finals.every((f) => f.graph !== undefined)) {
        recorder = new GraphRecorder(model, plan)
        recorder.joinSearched(
          finals.map((f) => f.graph!),
          owners,
          total,
          expandedUpTo,
        )
        graphChecked = recorder.check(total, (i) => merge().parent(i), cut === undefined, options.shouldStop)
        if (graphChecked.violation) store = merge()
      } else store = merge()
    }

    const ref = (e: LevelEvent & { kind: ViolationKind }): PropertyRef => {
      const p = e.kind === 'invariant' ? invariants[e.property]! : e.kind === 'step' ? steps[e.property]! : model.deadlock!
      return { name: p.name, kind: e.kind, ...(p.cite ? { cite: p.cite } : {}) }
    }
    return conclude({
      model,
      plan,
      store,
      order: 'bfs',
      bounds,
      symmetric: options.symmetry ?? false,
      ...(violation
        ? {
            violation: {
              property: ref(violation.event),
              stateIndex: violation.stateIndex,
              ...(violation.event.rule !== undefined ? { finalRule: violation.event.rule } : {}),
            },
          }
        : {}),
      ...(cut && !violation ? { cut } : {}),
      transitions,
      deepest,
      startMs: start,
      peakRss,
      storageBytes: storage,
      completeDepth,
      witnesses,
      witnessDepth,
      ...(recorder ? { recorder } : {}),
      ...(graphChecked ? { graphChecked } : {}),
      storageNote: `${N} workers, fingerprints partitioned by owner`,
    })
  } finally {
    clearInterval(watch)
    await Promise.all(workers.map((w) => w.terminate()))
  }
}
