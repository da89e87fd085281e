/**
 * The search loop. One loop serves breadth-first and depth-first order; only the frontier differs
 * (BFS walks the state store in discovery order, DFS pops a stack). For each successor, in TLC's
 * order: fingerprint -> seen? skip : store with parent -> check properties -> enqueue.
 * Bounds are one test each in the loop.
 *
 * Hot-path rules: no allocation per successor, states packed in typed arrays, 64-bit fingerprints
 * in a typed-array table, parents as indices.
 */
import { fmtBytes } from './verdict.js'
import { exactFingerprints, fingerprint, fp, collisionProbability, collisionProbabilityOptimistic, secondWordBits } from './fingerprint.js'
import type { Snapshot } from './checkpoint.js'
import { DEADLOCK, Expander, STEP_VIOLATED, StateChecks, type SuccessorSink, TRUNCATED } from './expand.js'
import { type GraphCheckResult, GraphRecorder, indexStore, type OrderEdge, type TraceSite } from './graphChecks.js'
import type { Lasso } from './liveness.js'
import { ModelError } from './layout.js'
import { type Action, type Model, Values } from './model.js'
import { Reducer } from './por.js'
import { hasGraphChecks, type NotSelected, planProperties, type PropertyPlan, refOf, type SearchMode, type Selection, type Unchecked } from './plan.js'
import { IndexTable } from './typedLists.js'
import { NO_PARENT, StateStore } from './stateStore.js'
import type { Bounds, CutBy, PropertyRef, SearchOrder, Stats, Verdict } from './verdict.js'
import { VisitedIndex } from './visitedIndex.js'
import { VisitedSet } from './visitedSet.js'
import { VisitedStates } from './visitedStates.js'

export interface ExploreOptions<A extends Action = Action> {
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
  /** the property plan, when the caller made it (default: planned for these options) */
  readonly plan?: PropertyPlan<A>
  /** which properties to check (default: all the model states) */
  readonly select?: Selection
  /** partial-order reduction (checker/por.ts): stubborn sets where they keep the plan's properties */
  readonly por?: boolean
  /** sees the reducer after each reduced run (tests, benchmarks) */
  readonly onPor?: (r: Reducer) => void
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

export function explore<A extends Action>(model: Model<A>, options: ExploreOptions<A> = {}): Exploration<A> {
  if (options.por) return explorePor(model, options)
  return new Search(model, options).run()
}

/** states of an unreduced search the reducer first learns the visible fields from */
const POR_LEARN_STATES = 2000
const POR_ATTEMPTS = 3

/**
 * The reduced search (checker/por.ts): the fields the properties read are learned on a prefix of
 * the unreduced search, then reduced runs follow until one ends without a property reading a field
 * not yet known as visible after a reduction relied on the visible set (a run stops as soon as one
 * does, and is repeated with the larger set). A counterexample is a real
 * path of the model whichever run finds it. If the set keeps growing, the search is unreduced.
 */
function explorePor<A extends Action>(model: Model<A>, options: ExploreOptions<A>): Exploration<A> {
  if (options.resume || options.checkpoint || options.hashCompaction || options.symmetry)
    throw new ModelError('FC310', 'partial-order reduction runs without checkpoints, hash compaction or symmetry reduction')
  const info = model.por?.()
  if (!info) throw new ModelError('FC310', `model '${model.name}' declares no rule footprints to reduce by`)
  const plan = options.plan ?? planProperties(model, modeOf(options), options.select)
  const reducer = new Reducer(model, plan, info, () => true)
  // a run after which the visible fields grew is repeated: it stops as soon as they do
  const userStop = options.shouldStop
  const base: ExploreOptions<A> = { ...options, por: false, plan: reducer.plan, shouldStop: () => reducer.grew || (userStop?.() ?? false) }
  for (const init of model.init()) reducer.seed(new Values(Int32Array.from(init)))
  // (breadth-first for the shallow states, depth-first for deep ones)
  for (const order of ['bfs', 'dfs'] as const)
    new Search(model, { ...options, order, por: false, plan: reducer.plan, bounds: { maxStates: POR_LEARN_STATES } }).run()
  for (let attempt = 1; attempt <= POR_ATTEMPTS; attempt++) {
    reducer.restart()
    const e = new Search(model, base, reducer).run()
    options.onPor?.(reducer)
    if (!reducer.grew || e.violation !== undefined) {
      const n = (x: number): string => x.toLocaleString('en-US')
      const note = `partial-order reduction: ${n(reducer.reduced)} states expanded by a stubborn set, ${n(reducer.full)} fully (run ${attempt}); traces are real but not always the shortest`
      return { ...e, verdict: { ...e.verdict, notes: [...e.verdict.notes, note] } }
    }
  }
  const e = new Search(model, { ...options, por: false, plan }).run()
  const note = `partial-order reduction abandoned: the properties kept reading new fields over ${POR_ATTEMPTS} reduced runs; the search is unreduced`
  return { ...e, verdict: { ...e.verdict, notes: [...e.verdict.notes, note] } }
}

/** The search mode of a set of explore options (for the property plan). */
export function modeOf(options: ExploreOptions, workers = 1): SearchMode {
  return {
    order: options.order ?? 'bfs',
    workers,
    symmetry: options.symmetry ?? false,
    hashCompaction: options.hashCompaction ?? false,
    resumed: options.resume !== undefined,
    simulation: false,
    por: options.por ?? false,
  }
}

/**
 * One run of the search. The instance is the successor sink of its Expander: each successor of the
 * state being expanded arrives in `successor`, which deduplicates, stores and checks it. Fields,
 * not closure variables, keep the hot loop's state (V8 reads them as fast as locals).
 */
class Search<A extends Action> implements SuccessorSink {
  private readonly plan: PropertyPlan<A>
  private readonly ex: Expander<A>
  private readonly checks: StateChecks
  /** every planned invariant over the packed state (Invariant.packed), or undefined if one has none */
  private readonly packed: readonly ((words: Uint32Array, offset: number) => boolean)[] | undefined
  /**
   * The lean search takes the generated successors straight from the Expander's buffers (see
   * takeAll): the search is lean, the model has a generated successor function and no step
   * property needs the transitions.
   */
  private readonly direct: boolean
  /** the fingerprints of the states seen (absent in a lean search, which keeps `states` instead, and where `indexed` is) */
  private readonly visited: VisitedSet | undefined
  /** the lean search's visited set: the states themselves, no fingerprints (see visitedStates.ts) */
  private readonly states: VisitedStates | undefined
  /** the layout has a second word (the lean set's key is word 0 and word 1, or 0) */
  private readonly twoWords: boolean
  private readonly store: StateStore
  private readonly recorder: GraphRecorder<A> | undefined
  /** fingerprint -> index, kept when the recorder needs every edge's target (and `indexed` is absent) */
  private readonly index: IndexTable | undefined
  /** the visited set, when it also gives every edge's target its index (one probe a successor) */
  private readonly indexed: VisitedIndex | undefined
  private readonly dfs: boolean
  /** the store keeps the frontier's words only, though hash compaction was not asked for */
  private readonly lean: boolean
  private readonly out: Uint32Array
  // the state being expanded
  private src = 0
  private depth = 0
  deepest = 0
  violation: ViolationSite | undefined
  private stack = new Uint32Array(0)
  private sp = 0
  /** BFS: the first index of the level after the one being expanded (for the reducer's proviso) */
  private nextLevel = 0

  constructor(
    readonly model: Model<A>,
    readonly options: ExploreOptions<A>,
    reducer?: Reducer<A>,
  ) {
    const order = options.order ?? 'bfs'
    const W = model.layout.words
    if (options.symmetry && !model.symmetry) throw new ModelError('FC311', `model '${model.name}' declares no symmetry to reduce by`)
    const resume = options.resume
    if (resume && (order !== 'bfs' || resume.words !== W))
      throw new ModelError('FC310', 'a checkpoint resumes breadth-first searches of the same state layout only')
    const compact = options.hashCompaction ?? false
    if (compact && (order !== 'bfs' || resume || options.checkpoint || options.symmetry)) {
      throw new ModelError('FC310', 'hash compaction runs a breadth-first search without checkpoints or symmetry reduction')
    }
    if (compact && model.rules.length > 0xffff) throw new ModelError('FC312', 'hash compaction records rule numbers in 16 bits: at most 65535 rules')
    this.plan = options.plan ?? planProperties(model, modeOf(options), options.select)
    // With exact fingerprints the visited set holds every state itself: a plain breadth-first
    // search then keeps a state's words only until it is expanded, as hash compaction does, and
    // omits nothing by it (traces are rebuilt from the rules).
    this.lean =
      !compact &&
      order === 'bfs' &&
      !resume &&
      !options.checkpoint &&
      !options.symmetry &&
      !hasGraphChecks(this.plan) &&
      !reducer &&
      model.rules.length <= 0xffff &&
      exactFingerprints(model.layout)
    this.dfs = order === 'dfs'
    if (this.dfs) this.stack = new Uint32Array(1 << 12)
    this.recorder = hasGraphChecks(this.plan) ? new GraphRecorder(model, this.plan) : undefined
    // Where the recorder needs every edge's target, the visited set keeps each state's index: one
    // probe a successor. (The reducer asks the set and the index apart, and a checkpoint stores
    // the plain set: those keep the two.)
    const needsIndex = this.recorder?.needsEdges === true || (reducer !== undefined && !this.dfs)
    this.indexed = needsIndex && !resume && !options.checkpoint && !reducer ? new VisitedIndex() : undefined
    this.visited = resume ? VisitedSet.restore(resume.visited, resume.visitedSizes) : this.lean || this.indexed ? undefined : new VisitedSet()
    this.states = this.lean ? new VisitedStates(secondWordBits(model.layout)) : undefined
    this.twoWords = W > 1
    this.store = resume
      ? StateStore.resumed(W, [...resume.states], [...resume.parents], resume.size)
      : new StateStore(W, { compact: compact || this.lean, rules: model.rules.length })
    this.index = needsIndex && this.indexed === undefined ? new IndexTable() : undefined
    const observer = this.recorder?.observer
    // The reducer's cycle proviso: a successor found after this state. In breadth-first order a
    // state already queued at the next level counts: depth only grows along such edges, so every
    // cycle still has an edge out of a fully expanded state.
    if (reducer)
      reducer.isNew = (words, offset) => {
        fingerprint(words, offset, W)
        if (!this.visited!.has(fp.hi, fp.lo)) return true
        return !this.dfs && this.index!.get(fp.hi, fp.lo) >= this.nextLevel
      }
    this.ex = new Expander(model, this.plan, {
      symmetry: options.symmetry ?? false,
      ...(observer ? { observer } : {}),
      ...(reducer ? { reducer } : {}),
      fingerprints: !this.lean,
    })
    this.out = this.ex.out
    this.checks = new StateChecks(this.plan, resume)
    const inv = this.plan.invariants
    this.packed = inv.every((p) => p.packed !== undefined) ? inv.map((p) => p.packed!) : undefined
    this.direct = this.lean && this.ex.fast && this.plan.steps.length === 0
    this.deepest = resume?.deepest ?? 0
  }

  /** Is the state in `out` (with its fingerprint in `fp`, unless the search is lean) new? It is added if so. */
  private isNew(): boolean {
    const states = this.states
    if (states === undefined) return this.visited!.add(fp.hi, fp.lo)
    return states.add(this.out[0]!, this.twoWords ? this.out[1]! : 0)
  }

  /** A successor of state `src`, in `out` with its fingerprint in `fp` (unless the search is lean). */
  successor(rule: number): boolean {
    const depth = this.depth + 1
    let target: number
    const indexed = this.indexed
    const had = indexed !== undefined ? indexed.addOrGet(fp.hi, fp.lo, this.store.size) : 0
    if (indexed !== undefined ? had < 0 : this.isNew()) {
      target = this.store.append(this.out, 0, this.src, rule)
      if (this.index !== undefined) this.index.set(fp.hi, fp.lo, target)
      if (depth > this.deepest) this.deepest = depth
      if (this.checks.needed) {
        const broken = this.checks.unreached === 0 && this.packed !== undefined ? this.checkPacked(this.packed, this.out, 0) : this.checkDecoded(target, depth)
        if (broken >= 0) {
          this.violation = { property: refOf(this.plan.invariants[broken]!, 'invariant'), stateIndex: target }
          return false
        }
      }
      if (this.dfs) this.push(target, depth)
    } else if (indexed !== undefined) target = had
    else {
      if (this.index === undefined) return true
      target = this.index.get(fp.hi, fp.lo)
    }
    if (this.recorder !== undefined && (this.index !== undefined || indexed !== undefined)) this.recorder.edge(this.src, target, rule)
    return true
  }

  /** Has a successor broken a property? (a method, so the search loop reads the field afresh) */
  private violated(): boolean {
    return this.violation !== undefined
  }

  /** The new state in `out` against the invariants, decoded (and against the witnesses not reached yet). */
  private checkDecoded(target: number, depth: number): number {
    this.ex.decodePost()
    return this.checks.check(this.ex.post, target, depth)
  }

  /** The same over the packed state at `words[o]`, when every witness is reached and every invariant has a packed form. */
  private checkPacked(packed: readonly ((words: Uint32Array, offset: number) => boolean)[], words: Uint32Array, o: number): number {
    for (let p = 0; p < packed.length; p++) if (!packed[p]!(words, o)) return p
    return -1
  }

  /**
   * The lean search's `successor`, for all `n` successors the generated function left in the
   * Expander's buffers at once: no copy into `out` (unless a new state must be decoded), no sink
   * call per successor. The same successors in the same order, so the same states, indices and
   * checks. Returns how many successors it took: `n`, or fewer if a new state breaks an invariant
   * (`violation` is then set; the count includes the violating successor, as `expand` counts).
   */
  private takeAll(n: number): number {
    const words = this.ex.nextWords
    const rules = this.ex.nextRules
    const states = this.states!
    const store = this.store
    const checks = this.checks
    const two = this.twoWords
    const W = two ? 2 : 1
    const depth = this.depth + 1
    for (let i = 0, o = 0; i < n; i++, o += W) {
      if (!states.add(words[o]!, two ? words[o + 1]! : 0)) continue
      const target = store.append(words, o, this.src, rules[i])
      if (depth > this.deepest) this.deepest = depth
      if (!checks.needed) continue
      let broken: number
      if (checks.unreached === 0 && this.packed !== undefined) broken = this.checkPacked(this.packed, words, o)
      else {
        for (let w = 0; w < W; w++) this.out[w] = words[o + w]!
        this.ex.outChanged()
        broken = this.checkDecoded(target, depth)
      }
      if (broken >= 0) {
        this.violation = { property: refOf(this.plan.invariants[broken]!, 'invariant'), stateIndex: target }
        return i + 1
      }
    }
    return n
  }

  private push(index: number, depth: number): void {
    if (this.sp + 2 > this.stack.length) {
      const bigger = new Uint32Array(this.stack.length * 2)
      bigger.set(this.stack)
      this.stack = bigger
    }
    this.stack[this.sp++] = index
    this.stack[this.sp++] = depth
  }

  run(): Exploration<A> {
    const { model, options, store, visited, ex, plan } = this
    const order = options.order ?? 'bfs'
    const bounds = options.bounds ?? {}
    const maxDepth = bounds.maxDepth ?? Infinity
    const maxStates = bounds.maxStates ?? Infinity
    const maxTimeMs = bounds.maxTimeMs ?? Infinity
    const maxMemory = bounds.maxMemoryBytes ?? Infinity
    const progressMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_MS
    const layout = model.layout
    const W = layout.words
    const nRules = model.rules.length
    const compact = store.compact
    const resume = options.resume
    const recorder = this.recorder

    const start = Date.now() - (resume?.elapsedMs ?? 0)
    let transitions = resume?.transitions ?? 0
    let peakRss = process.memoryUsage.rss()
    let cut: { by: CutBy; detail: string } | undefined
    let truncatedByDepth = resume?.truncatedByDepth ?? false
    let completeDepth = resume?.completeDepth ?? -1
    // BFS bookkeeping: states [head, levelEnd) are at `depth`.
    let head = resume?.head ?? 0
    let depth = resume?.depth ?? 0
    let levelEnd = resume?.levelEnd ?? 0

    // Initial states.
    try {
      for (const [position, init] of (resume ? [] : model.init()).entries()) {
        const words = layout.encode(init)
        if (options.symmetry) model.symmetry!.canonicalize(words)
        fingerprint(words, 0, W)
        const isNew = this.states
          ? this.states.add(words[0]!, W > 1 ? words[1]! : 0)
          : this.indexed
            ? this.indexed.addOrGet(fp.hi, fp.lo, store.size) < 0
            : visited!.add(fp.hi, fp.lo)
        if (!isNew) continue
        const index = store.append(words, 0, NO_PARENT, position)
        this.index?.set(fp.hi, fp.lo, index)
        const v = new Values(new Int32Array(layout.slots))
        layout.decodeInto(words, 0, v.values)
        model.derive?.(v.values)
        const broken = this.checks.check(v, index, 0)
        if (broken >= 0) {
          this.violation = { property: refOf(plan.invariants[broken]!, 'invariant'), stateIndex: index }
          break
        }
        if (this.dfs) this.push(index, 0)
      }
    } catch (e) {
      if (e instanceof RangeError) throw new ModelError('FC301', `initial state: ${e.message}`)
      throw e
    }
    if (!resume) levelEnd = store.size
    this.nextLevel = levelEnd
    // A resumed run records the graph of the states expanded before the checkpoint again.
    if (resume && recorder) {
      const index = this.index ?? new IndexTable()
      if (this.index) for (let i = 0; i < store.size; i++) indexState(store, i, index, W)
      if (!recorder.backfill(store, head, index, options.symmetry ?? false, options.shouldStop)) cut = { by: 'interrupted', detail: 'the run was interrupted' }
    }

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
      deepest: this.deepest,
      truncatedByDepth,
      witnesses: [...this.checks.witnesses],
      witnessDepth: [...this.checks.witnessDepth],
      elapsedMs: Date.now() - start,
      // (checkpoints are of searches that are not lean, which keep fingerprints)
      visitedSizes: visited!.tables.sizes,
      visited: visited!.tables.segments,
      states: store.chunks.states,
      parents: store.chunks.parents,
    })
    let nextPoll = 1024
    let lastProgress = start
    let memCheckAt = 0
    const memoryNow = (): number =>
      (visited?.bytes ?? 0) +
      (this.indexed?.bytes ?? 0) +
      (this.states?.bytes ?? 0) +
      store.bytes +
      this.stack.byteLength +
      (recorder?.bytes ?? 0) +
      (this.index?.bytes ?? 0)

    search: while (this.violation === undefined && cut === undefined) {
      if (order === 'bfs' ? head === store.size : this.sp === 0) break
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
            queued: order === 'bfs' ? store.size - head : this.sp / 2,
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
        const projected = Math.max(rss, memoryNow()) + (this.states ?? this.indexed ?? visited!).growthBytes + (growsStore ? store.growthBytes : 0)
        if (projected > maxMemory) {
          cut = {
            by: 'memory',
            detail: `growing the visited set or state store would exceed the memory bound (${fmtBytes(maxMemory)})`,
          }
          break
        }
        // Reading the RSS is a system call: every 4096 states near the bound, every 65536 far from it.
        memCheckAt = Math.min(store.size + (projected * 2 < maxMemory ? 65536 : 4096), growsStore ? Infinity : store.capacity - nRules)
      }

      // Pick the next state to expand (only now: a cut above leaves it for a resumed run).
      let index: number
      if (order === 'bfs') {
        if (head === levelEnd) {
          completeDepth = depth
          depth++
          levelEnd = store.size
          this.nextLevel = levelEnd
        }
        index = head++
      } else {
        depth = this.stack[--this.sp]!
        index = this.stack[--this.sp]!
      }
      if (depth > this.deepest) this.deepest = depth
      ex.loadStored(store, index)
      if (compact && (index & 0xffff) === 0) store.release(index)
      this.src = index
      this.depth = depth
      if (recorder !== undefined) recorder.state(index, ex.cursor, store.isRoot(index))
      let res: number
      try {
        // The lean search's common case: successors taken in one pass (a state with none, or at
        // the depth bound, goes to the Expander, which decides deadlock and truncation).
        const n = this.direct && depth < maxDepth ? ex.generate() : 0
        if (n > 0) {
          transitions += this.takeAll(n)
          if (this.violated()) break search
          continue
        }
        res = ex.expand(this, depth >= maxDepth)
      } catch (e) {
        if (isAllocationFailure(e)) {
          cut = { by: 'memory', detail: `allocation failed: ${(e as Error).message}` }
          break
        }
        if (e instanceof ModelError) throw e
        throw new ModelError('FC302', `the model threw while expanding a state: ${e instanceof Error ? e.message : String(e)}`)
      }
      if (res === TRUNCATED) {
        truncatedByDepth = true
        continue
      }
      transitions += ex.enabled
      if (res === STEP_VIOLATED) {
        this.violation = { property: refOf(plan.steps[ex.brokenStep]!, 'step'), stateIndex: index, finalRule: ex.brokenRule }
        break search
      }
      if (res === DEADLOCK) {
        this.violation = { property: refOf(plan.deadlock!, 'deadlock'), stateIndex: index }
        break search
      }
    }
    const violation = this.violation
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
      plan,
      store,
      order,
      bounds,
      symmetric: options.symmetry ?? false,
      ...(violation ? { violation } : {}),
      ...(cut ? { cut } : {}),
      transitions,
      deepest: this.deepest,
      startMs: start,
      peakRss: Math.max(peakRss, rssEnd),
      storageBytes: memoryNow(),
      completeDepth: order === 'bfs' ? completeDepth : -1,
      witnesses: this.checks.witnesses,
      witnessDepth: this.checks.witnessDepth,
      ...(recorder ? { recorder } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      ...(compact
        ? {
            storageNote: this.lean
              ? 'states kept for the frontier only (traces rebuilt from rules)'
              : 'hash compaction (states not kept past the frontier; traces rebuilt from rules)',
          }
        : {}),
    })
  }
}

function indexState(store: StateStore, i: number, index: IndexTable, W: number): void {
  const w = new Uint32Array(W)
  store.read(i, w)
  index.addWords(w, i)
}

/** Where a search ended, for `conclude`. */
export interface SearchEnd<A extends Action> {
  readonly model: Model<A>
  readonly plan: PropertyPlan<A>
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
  /** the graph recorded during the search; absent: the stored states are expanded again */
  readonly recorder?: GraphRecorder<A>
  /** the graph checks, already run on `recorder` (the parallel search runs them before it merges
   * the workers' stores, which only a trace needs) */
  readonly graphChecked?: GraphCheckResult
  readonly shouldStop?: () => boolean
  readonly storageNote?: string
}

/**
 * The common end of every search (sequential or parallel): the graph checks on the explored
 * state graph, the statistics, the scope, and the verdict. A run that leaves any planned property
 * unchecked (the plan's, or one the graph could not decide) is never 'proved'.
 */
export function conclude<A extends Action>(e: SearchEnd<A>): Exploration<A> {
  const { model, store, plan } = e
  let violation = e.violation
  const notes: string[] = []
  const unchecked: Unchecked[] = [...plan.unchecked]
  const notSelected: NotSelected[] = [...plan.notSelected]
  if (violation === undefined && hasGraphChecks(plan)) {
    const g = graphCheck(e)
    notes.push(...g.notes)
    unchecked.push(...g.unchecked)
    notSelected.push(...g.notApplicable)
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
  const exact = exactFingerprints(model.layout)
  const stats: Stats = {
    distinctStates: n,
    transitions: e.transitions,
    maxDepth: e.deepest,
    timeMs,
    statesPerSec: timeMs > 0 ? Math.round(n / (timeMs / 1000)) : n * 1000,
    peakMemoryBytes: Math.max(e.peakRss, process.memoryUsage.rss()),
    storageBytes: e.storageBytes,
    stateBytes: W * 4,
    collisionProbability: exact ? 0 : collisionProbability(n),
    collisionProbabilityOptimistic: exact ? 0 : collisionProbabilityOptimistic(n, e.transitions),
  }
  const scope = {
    order: e.order,
    bounds: e.bounds,
    storage: `packed ${W * 4}-byte states, ${exact ? 'exact 64-bit fingerprints' : '64-bit fingerprints'}${e.symmetric ? `, symmetry-reduced (${model.symmetry!.describe})` : ''}${e.storageNote ? `, ${e.storageNote}` : ''}${
      store.compact && !exact ? `; probability that a state was omitted <= ${stats.collisionProbability.toExponential(1)}` : ''
    }`,
    completeDepth: e.completeDepth,
  }
  const notChecked = new Set([...unchecked, ...notSelected].map((u) => u.name))
  const common = { scope, stats, notes, checked: plan.checked.filter((p) => !notChecked.has(p.name)), unchecked, notSelected }
  const sometimesReport = plan.sometimes.map((p, i) => ({
    name: p.name,
    ...(p.cite ? { cite: p.cite } : {}),
    reached: e.witnesses[i] !== -1,
    ...(e.witnesses[i] !== -1 ? { depth: e.witnessDepth[i]! } : {}),
  }))
  let verdict: Verdict
  if (violation) {
    const traceLength = violation.lasso
      ? violation.lasso.path.length - 1
      : store.path(violation.stateIndex).length - 1 + (violation.finalRule !== undefined ? 1 : 0)
    verdict = { status: 'violated', property: violation.property, traceLength, ...common, sometimes: sometimesReport }
  } else if (e.cut) {
    verdict = { status: 'inconclusive', cutBy: e.cut.by, detail: e.cut.detail, ...common, sometimes: sometimesReport }
  } else if (unchecked.length > 0) {
    verdict = { status: 'inconclusive', cutBy: 'unchecked', detail: uncheckedText(unchecked), ...common, sometimes: sometimesReport }
  } else if (common.checked.length === 0 && notSelected.length > 0) {
    // Every property was left out (deselected, or not applicable): a proof of nothing is no proof.
    // (A model that states no property and leaves none out, as the tests' bare models, is a plain exhaustive search.)
    verdict = { status: 'inconclusive', cutBy: 'unchecked', detail: nothingCheckedText(notSelected), ...common, sometimes: sometimesReport }
  } else {
    verdict = { status: 'proved', ...common, sometimes: sometimesReport }
  }
  return { model, verdict, ...(violation ? { violation } : {}), store, witnesses: e.witnesses, symmetric: e.symmetric }
}

/** The graph checks of a finished search, on its recording or on its stored states expanded again. */
function graphCheck<A extends Action>(e: SearchEnd<A>): GraphCheckResult {
  if (e.graphChecked) return e.graphChecked
  const { model, plan, store } = e
  let recorder = e.recorder
  if (recorder === undefined) {
    recorder = new GraphRecorder(model, plan)
    const index = indexStore(store, model.layout.words)
    if (!recorder.backfill(store, store.size, index, e.symmetric, e.shouldStop)) {
      const graphProps = [...plan.progress, ...plan.order, ...plan.liveness]
      return {
        notes: [],
        notApplicable: [],
        unchecked: graphProps.map((p) => ({ ...refOf(p, p.kind), reason: 'the run was interrupted before the graph checks ended' })),
      }
    }
  }
  return recorder.check(store.size, (i) => store.parent(i), e.cut === undefined, e.shouldStop)
}

/** What was not checked, in one line: "name (reason); ...". */
export function uncheckedText(u: readonly Unchecked[]): string {
  return `not checked: ${u.map((x) => `'${x.name}' (${x.reason})`).join('; ')}`
}

/** Why a run that checked no property at all is inconclusive: what left each property out. */
export function nothingCheckedText(left: readonly NotSelected[]): string {
  const reasons = [...new Set(left.map((x) => x.reason))]
  return `no property was checked (${reasons.length ? `every property was left out: ${reasons.join('; ')}` : 'the model states none'})`
}

/** Out of memory for a typed array, as opposed to a RangeError the model itself raised. */
function isAllocationFailure(e: unknown): boolean {
  return e instanceof RangeError && /allocation failed|Invalid (typed )?array( buffer)? length|Array buffer allocation/i.test(e.message)
}

export { fmtBytes }
