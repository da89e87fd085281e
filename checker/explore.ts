/**
 * The search loop. One loop serves breadth-first and depth-first order; only the frontier differs
 * (BFS walks the state store in discovery order, DFS pops a stack). For each successor, in TLC's
 * order: fingerprint -> seen? skip : store with parent -> check properties -> enqueue.
 * Bounds are one test each in the loop.
 *
 * Hot-path rules: no allocation per successor, states packed in typed arrays, 64-bit fingerprints
 * in a typed-array table, parents as indices.
 */
import { fingerprint, fp, collisionProbability, collisionProbabilityOptimistic } from './fingerprint.js'
import type { Snapshot } from './checkpoint.js'
import { checkGraph, type OrderEdge, type TraceSite } from './graphChecks.js'
import type { Lasso } from './liveness.js'
import { ModelError } from './layout.js'
import { Cursor, type Action, type Invariant, type Model, type Reader, type Sometimes, type StepProperty, Values } from './model.js'
import { NO_PARENT, StateStore } from './stateStore.js'
import type { Bounds, CutBy, PropertyRef, SearchOrder, Stats, Verdict } from './verdict.js'
import { VisitedSet } from './visitedSet.js'

export interface ExploreOptions {
  readonly order?: SearchOrder
  readonly bounds?: Bounds
  /** called about every `progressIntervalMs` with a snapshot of the statistics */
  readonly onProgress?: (p: Progress) => void
  readonly progressIntervalMs?: number
  /** polled between expansions; returning true stops the run as inconclusive ('interrupted') */
  readonly shouldStop?: () => boolean
  /** explore one state per symmetry orbit (the model must declare `symmetry`) */
  readonly symmetry?: boolean
  /**
   * Hash compaction: keep 64-bit fingerprints, parents and rules, but not the states themselves
   * beyond the BFS frontier (about half the memory). Traces are rebuilt by re-executing rules.
   */
  readonly hashCompaction?: boolean
  /** continue a breadth-first search from a checkpoint */
  readonly resume?: Snapshot
  /** write checkpoints every `everyMs`, and when a bound or an interrupt stops the search */
  readonly checkpoint?: { readonly everyMs: number; write(s: Snapshot): void }
}

export interface Progress {
  readonly depth: number
  readonly distinctStates: number
  readonly transitions: number
  readonly queued: number
  readonly elapsedMs: number
  readonly statesPerSec: number
  readonly rssBytes: number
}

/** Where a violation is, in terms of stored states: the path to `stateIndex`, then maybe one more step. */
export interface ViolationSite {
  readonly property: PropertyRef
  readonly stateIndex: number
  /** for step properties: the violating transition out of `stateIndex` */
  readonly finalRule?: number
  /** further evidence traces (e.g. one per observed edge of a lock-order cycle) */
  readonly sites?: readonly TraceSite[]
  /** explanation lines */
  readonly detail?: readonly string[]
  /** for order properties: the order graph and its cycle */
  readonly graph?: { readonly edges: readonly OrderEdge[]; readonly cycle: readonly OrderEdge[] }
  /** for liveness properties: the lasso, as stored-state indices and the rules between them */
  readonly lasso?: Lasso
}

export interface Exploration<A extends Action = Action> {
  readonly model: Model<A>
  readonly verdict: Verdict
  readonly violation?: ViolationSite
  /** the stored states, for trace reconstruction */
  readonly store: StateStore
  /** first state reaching each `sometimes` property (index into store), or -1 */
  readonly witnesses: readonly number[]
  /** stored states are canonical orbit representatives */
  readonly symmetric: boolean
}

const DEFAULT_PROGRESS_MS = 5000

export function explore<A extends Action>(model: Model<A>, options: ExploreOptions = {}): Exploration<A> {
  const order = options.order ?? 'bfs'
  const bounds = options.bounds ?? {}
  const maxDepth = bounds.maxDepth ?? Infinity
  const maxStates = bounds.maxStates ?? Infinity
  const maxTimeMs = bounds.maxTimeMs ?? Infinity
  const maxMemory = bounds.maxMemoryBytes ?? Infinity
  const progressMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_MS

  const layout = model.layout
  const W = layout.words
  if (options.symmetry && !model.symmetry) throw new ModelError(`model '${model.name}' declares no symmetry to reduce by`)
  const canon = options.symmetry ? model.symmetry!.canonicalize.bind(model.symmetry) : undefined
  const rules = model.rules
  const nRules = rules.length
  const invariants = model.properties.filter((p): p is Invariant => p.kind === 'invariant')
  const steps = model.properties.filter((p): p is StepProperty<A> => p.kind === 'step')
  const sometimes = model.properties.filter((p): p is Sometimes => p.kind === 'sometimes')
  const deadlock = model.deadlock
  const needPost = invariants.length > 0 || sometimes.length > 0 || steps.length > 0

  const resume = options.resume
  if (resume && (order !== 'bfs' || resume.words !== W)) throw new ModelError('a checkpoint resumes breadth-first searches of the same state layout only')
  const visited = resume ? VisitedSet.restore(resume.visited, resume.visitedSizes) : new VisitedSet()
  const compact = options.hashCompaction ?? false
  if (compact && (order !== 'bfs' || resume || options.checkpoint || options.symmetry)) {
    throw new ModelError('hash compaction runs a breadth-first search without checkpoints or symmetry reduction')
  }
  if (compact && model.rules.length > 0xffff) throw new ModelError('hash compaction records rule numbers in 16 bits: at most 65535 rules')
  const store = resume ? StateStore.restore(W, [...resume.states], [...resume.parents], resume.size) : new StateStore(W, { compact })
  const cursor = new Cursor(layout)
  const cur = new Uint32Array(W)
  const out = new Uint32Array(W)
  cursor.out = out
  const postValues = new Int32Array(layout.slots)
  const derive = model.derive ? model.derive.bind(model) : undefined
  const post: Reader = new Values(postValues)
  const witnesses = resume ? [...resume.witnesses] : sometimes.map(() => -1)
  const witnessDepth = resume ? [...resume.witnessDepth] : sometimes.map(() => -1)
  let unreachedSometimes = witnesses.filter((w) => w === -1).length

  // DFS frontier: a stack of (index, depth) pairs in a growable typed array.
  let stack = new Uint32Array(order === 'dfs' ? 1 << 12 : 0)
  let sp = 0

  const start = Date.now() - (resume?.elapsedMs ?? 0)
  let transitions = resume?.transitions ?? 0
  let deepest = resume?.deepest ?? 0
  let peakRss = process.memoryUsage.rss()
  let violation: ViolationSite | undefined
  let cut: { by: CutBy; detail: string } | undefined
  let truncatedByDepth = resume?.truncatedByDepth ?? false
  let completeDepth = resume?.completeDepth ?? -1

  /** Check invariants and `sometimes` on the state decoded in postValues, stored at `index`. */
  const checkNew = (index: number, depth: number): boolean => {
    if (unreachedSometimes > 0) {
      for (let p = 0; p < sometimes.length; p++) {
        if (witnesses[p] === -1 && sometimes[p]!.holds(post)) {
          witnesses[p] = index
          witnessDepth[p] = depth
          unreachedSometimes--
        }
      }
    }
    for (let p = 0; p < invariants.length; p++) {
      const inv = invariants[p]!
      if (!inv.holds(post)) {
        violation = { property: ref(inv, 'invariant'), stateIndex: index }
        return false
      }
    }
    return true
  }

  const pushDfs = (index: number, depth: number): void => {
    if (sp + 2 > stack.length) {
      const bigger = new Uint32Array(stack.length * 2)
      bigger.set(stack)
      stack = bigger
    }
    stack[sp++] = index
    stack[sp++] = depth
  }

  // Initial states.
  try {
    for (const [position, init] of (resume ? [] : model.init()).entries()) {
      const words = layout.encode(init)
      if (canon) canon(words)
      fingerprint(words, 0, W)
      if (!visited.add(fp.hi, fp.lo)) continue
      const index = store.append(words, 0, NO_PARENT, position)
      layout.decodeInto(words, 0, postValues)
      derive?.(postValues)
      if (!checkNew(index, 0)) break
      if (order === 'dfs') pushDfs(index, 0)
    }
  } catch (e) {
    if (e instanceof RangeError) throw new ModelError(`initial state: ${e.message}`)
    throw e
  }

  // BFS bookkeeping: states [head, levelEnd) are at `depth`.
  let head = resume?.head ?? 0
  let depth = resume?.depth ?? 0
  let levelEnd = resume?.levelEnd ?? store.size
  let expansions = 0
  let lastCheckpoint = Date.now()
  const snapshot = (): Snapshot => ({
    words: W,
    size: store.size,
    head,
    depth,
    levelEnd,
    completeDepth,
    transitions,
    deepest,
    truncatedByDepth,
    witnesses: [...witnesses],
    witnessDepth: [...witnessDepth],
    elapsedMs: Date.now() - start,
    visitedSizes: visited.tables.sizes,
    visited: visited.tables.segments,
    states: store.chunks.states,
    parents: store.chunks.parents,
  })
  let nextPoll = 1024
  let lastProgress = start
  let memCheckAt = 0

  const memoryNow = (): number => visited.bytes + store.bytes + stack.byteLength

  search: while (violation === undefined) {
    if (order === 'bfs' ? head === store.size : sp === 0) break
    // Bounds that are cheap to test every time; the clock and memory are polled.
    if (store.size >= maxStates) {
      cut = { by: 'states', detail: `the state bound (${maxStates}) was reached` }
      break
    }
    if (++expansions >= nextPoll) {
      nextPoll = expansions + 1024
      const now = Date.now()
      if (now - start > maxTimeMs) {
        cut = { by: 'time', detail: `the time bound (${maxTimeMs / 1000}s) was reached` }
        break
      }
      if (options.shouldStop?.()) {
        cut = { by: 'interrupted', detail: 'the run was interrupted' }
        break
      }
      if (options.checkpoint && now - lastCheckpoint >= options.checkpoint.everyMs) {
        options.checkpoint.write(snapshot())
        lastCheckpoint = Date.now()
      }
      if (now - lastProgress >= progressMs) {
        lastProgress = now
        const rss = process.memoryUsage.rss()
        if (rss > peakRss) peakRss = rss
        options.onProgress?.({
          depth,
          distinctStates: store.size,
          transitions,
          queued: order === 'bfs' ? store.size - head : sp / 2,
          elapsedMs: now - start,
          statesPerSec: store.size / ((now - start) / 1000),
          rssBytes: rss,
        })
      }
    }
    // Before any structure grows, make sure the growth fits in the memory bound.
    if (store.size >= memCheckAt) {
      const rss = process.memoryUsage.rss()
      if (rss > peakRss) peakRss = rss
      const growsStore = store.size + nRules >= store.capacity
      // The visited set grows one segment (1/64 of it) at a time: at most growthBytes more.
      const projected = Math.max(rss, memoryNow()) + visited.growthBytes + (growsStore ? store.growthBytes : 0)
      if (projected > maxMemory) {
        cut = {
          by: 'memory',
          detail: `growing the visited set or state store would exceed the memory bound (${fmtBytes(maxMemory)})`,
        }
        break
      }
      memCheckAt = Math.min(store.size + 4096, growsStore ? Infinity : store.capacity - nRules)
    }

    // Pick the next state to expand (only now: a cut above leaves it for a resumed run).
    let index: number
    if (order === 'bfs') {
      if (head === levelEnd) {
        completeDepth = depth
        depth++
        levelEnd = store.size
      }
      index = head++
      if (compact && (index & 0xffff) === 0) store.release(index)
    } else {
      depth = stack[--sp]!
      index = stack[--sp]!
    }
    if (depth > deepest) deepest = depth

    store.read(index, cur)
    layout.decodeInto(cur, 0, cursor.pre)
    if (derive) derive(cursor.pre)
    let enabled = 0
    try {
      for (let r = 0; r < nRules; r++) {
        const rule = rules[r]!
        if (!rule.guard(cursor)) continue
        enabled++
        if (depth >= maxDepth) {
          truncatedByDepth = true
          break
        }
        for (let w = 0; w < W; w++) out[w] = cur[w]!
        rule.apply(cursor)
        transitions++
        if (steps.length > 0) {
          layout.decodeInto(out, 0, postValues)
          if (derive) derive(postValues)
          for (let p = 0; p < steps.length; p++) {
            const sp0 = steps[p]!
            if (!sp0.holds(cursor, rule.action, post)) {
              violation = { property: ref(sp0, 'step'), stateIndex: index, finalRule: r }
              break search
            }
          }
        }
        if (canon) canon(out)
        fingerprint(out, 0, W)
        if (!visited.add(fp.hi, fp.lo)) continue
        const next = store.append(out, 0, index, r)
        if (depth + 1 > deepest) deepest = depth + 1
        if (needPost) {
          if (steps.length === 0) {
            layout.decodeInto(out, 0, postValues)
            if (derive) derive(postValues)
          }
          if (!checkNew(next, depth + 1)) break search
        }
        if (order === 'dfs') pushDfs(next, depth + 1)
      }
    } catch (e) {
      if (isAllocationFailure(e)) {
        cut = { by: 'memory', detail: `allocation failed: ${(e as Error).message}` }
        break
      }
      if (e instanceof ModelError) throw e
      throw new ModelError(`the model threw while expanding a state: ${e instanceof Error ? e.message : String(e)}`)
    }
    if (enabled === 0 && deadlock !== undefined && !deadlock.terminal(cursor)) {
      violation = { property: { name: deadlock.name, kind: 'deadlock', ...(deadlock.cite ? { cite: deadlock.cite } : {}) }, stateIndex: index }
      break
    }
  }
  if (order === 'bfs' && violation === undefined && cut === undefined && head === store.size) completeDepth = depth
  // A search stopped by a bound or an interrupt leaves a checkpoint to resume from.
  // (A depth bound is not a stop: the run is complete for that bound, and is not resumed.)
  if (options.checkpoint && cut !== undefined && cut.by !== 'depth' && violation === undefined) options.checkpoint.write(snapshot())
  if (cut === undefined && violation === undefined && truncatedByDepth) {
    cut = { by: 'depth', detail: `states at depth ${maxDepth} had enabled actions that were not explored` }
  }
  const rssEnd = process.memoryUsage.rss()
  return conclude({
    model,
    store,
    order,
    bounds,
    symmetric: canon !== undefined,
    ...(violation ? { violation } : {}),
    ...(cut ? { cut } : {}),
    transitions,
    deepest,
    startMs: start,
    peakRss: Math.max(peakRss, rssEnd),
    storageBytes: memoryNow(),
    completeDepth: order === 'bfs' ? completeDepth : -1,
    witnesses,
    witnessDepth,
    ...(compact ? { storageNote: 'hash compaction (states not kept past the frontier; traces rebuilt from rules)' } : {}),
  })
}

/** Where a search ended, for `conclude`. */
export interface SearchEnd<A extends Action> {
  readonly model: Model<A>
  readonly store: StateStore
  readonly order: SearchOrder
  readonly bounds: Bounds
  readonly symmetric: boolean
  readonly violation?: ViolationSite
  readonly cut?: { by: CutBy; detail: string }
  readonly transitions: number
  readonly deepest: number
  readonly startMs: number
  readonly peakRss: number
  readonly storageBytes: number
  readonly completeDepth: number
  readonly witnesses: readonly number[]
  readonly witnessDepth: readonly number[]
  readonly storageNote?: string
}

/**
 * The common end of every search (sequential or parallel): the graph checks on the explored
 * state graph, the statistics, the scope, and the verdict.
 */
export function conclude<A extends Action>(e: SearchEnd<A>): Exploration<A> {
  const { model, store } = e
  let violation = e.violation
  const notes: string[] = []
  if (violation === undefined && store.compact) {
    const skipped = model.properties.filter((p) => p.kind === 'progress' || p.kind === 'order').map((p) => p.name)
    if (skipped.length) notes.push(`not checked under hash compaction (they need the stored state graph): ${skipped.join(', ')}`)
  } else if (violation === undefined) {
    const g = checkGraph(model, store, { complete: e.cut === undefined, symmetric: e.symmetric })
    notes.push(...g.notes)
    if (g.violation) {
      const v = g.violation
      violation = {
        property: v.property,
        stateIndex: v.site.stateIndex,
        ...(v.site.finalRule !== undefined ? { finalRule: v.site.finalRule } : {}),
        sites: v.sites,
        detail: v.detail,
        ...(v.graph ? { graph: v.graph } : {}),
        ...(v.lasso ? { lasso: v.lasso } : {}),
      }
    }
  }
  const W = model.layout.words
  const timeMs = Date.now() - e.startMs
  const n = store.size
  const stats: Stats = {
    distinctStates: n,
    transitions: e.transitions,
    maxDepth: e.deepest,
    timeMs,
    statesPerSec: timeMs > 0 ? Math.round(n / (timeMs / 1000)) : n * 1000,
    peakMemoryBytes: Math.max(e.peakRss, process.memoryUsage.rss()),
    storageBytes: e.storageBytes,
    stateBytes: W * 4,
    collisionProbability: collisionProbability(n),
    collisionProbabilityOptimistic: collisionProbabilityOptimistic(n, e.transitions),
  }
  const scope = {
    order: e.order,
    bounds: e.bounds,
    storage: `packed ${W * 4}-byte states, 64-bit fingerprints${e.symmetric ? `, symmetry-reduced (${model.symmetry!.describe})` : ''}${e.storageNote ? `, ${e.storageNote}` : ''}${
      store.compact ? `; probability that a state was omitted <= ${stats.collisionProbability.toExponential(1)}` : ''
    }`,
    completeDepth: e.completeDepth,
  }
  const common = { scope, stats, notes }
  const sometimesReport = model.properties
    .filter((p): p is Sometimes => p.kind === 'sometimes')
    .map((p, i) => ({
      name: p.name,
      ...(p.cite ? { cite: p.cite } : {}),
      reached: e.witnesses[i] !== -1,
      ...(e.witnesses[i] !== -1 ? { depth: e.witnessDepth[i]! } : {}),
    }))
  let verdict: Verdict
  if (violation) {
    const traceLength = violation.lasso ? violation.lasso.path.length - 1 : store.path(violation.stateIndex).length - 1 + (violation.finalRule !== undefined ? 1 : 0)
    verdict = { status: 'violated', property: violation.property, traceLength, ...common, sometimes: sometimesReport }
  } else if (e.cut) {
    verdict = { status: 'inconclusive', cutBy: e.cut.by, detail: e.cut.detail, ...common, sometimes: sometimesReport }
  } else {
    verdict = { status: 'proved', ...common, sometimes: sometimesReport }
  }
  return { model, verdict, ...(violation ? { violation } : {}), store, witnesses: e.witnesses, symmetric: e.symmetric }
}

/** Out of memory for a typed array, as opposed to a RangeError the model itself raised. */
function isAllocationFailure(e: unknown): boolean {
  return e instanceof RangeError && /allocation failed|Invalid (typed )?array( buffer)? length|Array buffer allocation/i.test(e.message)
}

function ref(p: { name: string; cite?: string }, kind: PropertyRef['kind']): PropertyRef {
  return { name: p.name, kind, ...(p.cite ? { cite: p.cite } : {}) }
}

export function fmtBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(1)} KiB`
  return `${b} B`
}
