/**
 * One worker of the parallel breadth-first search (parallel.ts). The worker owns the states whose
 * fingerprint hashes to it: it stores them, deduplicates them in its own visited set, checks
 * their invariants and `sometimes` properties, and records what the graph checks need of them
 * (their labels, order-edge sites, and the edges into them; see GraphRecorder.joinSearched).
 *
 * The order contract, which makes the run equal to the serial BFS (explore.ts): every state has a
 * serial index, its position in the serial search's store. A successor is keyed by (serial index
 * of its parent, ordinal of the transition among the parent's transitions); the serial search
 * stores a new state where its smallest key is first met, so the next level in serial order is
 * its new states sorted by smallest key. Each worker expands its frontier in serial order, so
 * every box it fills (one per owner, its own included) is sorted by key; the owner merges its
 * boxes by key, so the first copy of a state it meets carries that state's smallest key, and its
 * new states are stored in key order. The coordinator merges the workers' sorted keys into serial
 * indices and sends each worker the serial indices of its new states, the parents of the next
 * level's keys.
 *
 * Violations are ordered the way the serial search meets them: while expanding state i, for each
 * enabled rule, its step properties, then (if the successor is new) the successor's invariants;
 * after all rules, deadlock. A worker stops at its own first step violation or deadlock, and stops
 * storing at its own first invariant violation or at the coordinator's `limit`: nothing after
 * either can come before the run's first violation.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { fingerprint, fp } from './fingerprint.js'
import { DEADLOCK, Expander, STEP_VIOLATED, type SuccessorSink, TRUNCATED } from './expand.js'
import { type Action, type Model, type Reader, Values } from './model.js'
import { GraphRecorder, type SearchedGraph } from './graphChecks.js'
import { hasGraphChecks, planProperties, type SearchMode, type Selection } from './plan.js'
import { NO_PARENT, StateStore } from './stateStore.js'
import { U32List } from './typedLists.js'
import { VisitedIndex } from './visitedIndex.js'
import { VisitedSet } from './visitedSet.js'

/**
 * What a worker is started with (its workerData): enough to load the model's modules while the
 * coordinator is still loading its own target (see prestartWorkers in parallel.ts).
 */
export interface WorkerStart {
  readonly factory: string
  readonly index: number
  readonly count: number
  readonly stop: Int32Array
}

/** The worker's first message: the model to build and the search to run. It answers `ready`. */
export interface WorkerSetup {
  readonly spec: unknown
  readonly symmetry: boolean
  readonly maxDepth: number
  /** the coordinator's search mode and property selection: the worker plans the same properties */
  readonly mode: SearchMode
  readonly select?: Selection
}

/** The first step violation or deadlock a worker met while expanding its frontier. */
export interface ExpandEvent {
  readonly kind: 'step' | 'deadlock'
  readonly property: number
  /** serial index of the expanded state */
  readonly state: number
  /** transitions of that state before this one (for deadlock: the number of rules) */
  readonly ordinal: number
  /** the violating rule (step properties) */
  readonly rule?: number
}

export interface ExpandReply {
  readonly event?: ExpandEvent
  /** transitions fired in this level (complete only when neither `event` nor `stopped`) */
  readonly transitions: number
  readonly truncated: boolean
  /** the stop flag was raised: this level is incomplete */
  readonly stopped: boolean
  /** per destination worker (none for this one): successors as records [words, parent, ordinal] */
  readonly boxes: (Uint32Array | undefined)[]
}

export interface AbsorbReply {
  /** keys of the new states, in local (= key) order */
  readonly keys: Float64Array
  /** the first new state (offset among the new states) failing an invariant, and which */
  readonly invariant?: { readonly offset: number; readonly property: number }
  /** per `sometimes` property: offset of the first new state satisfying it, or -1 */
  readonly witness: readonly number[]
  readonly size: number
  readonly visitedBytes: number
  readonly storeBytes: number
}

export interface CountReply {
  /** transitions fired by this worker's frontier states before the given serial index */
  readonly transitions: number
}

export interface FinishReply {
  /** the store's chunks, transferred: the coordinator owns them from here on */
  readonly states: Uint32Array[]
  readonly parents: Uint32Array[]
  readonly size: number
  /** the graph this worker recorded while it searched (when the plan has graph checks) */
  readonly graph?: SearchedGraph
}

export type Command =
  | { readonly cmd: 'init'; readonly reached: Uint8Array }
  | { readonly cmd: 'expand'; readonly depth: number; readonly serials: Uint32Array }
  | { readonly cmd: 'absorb'; readonly inboxes: readonly Uint32Array[]; readonly limit: number; readonly reached: Uint8Array }
  | { readonly cmd: 'count'; readonly below: number }
  /** `serials`: those of this worker's newest states, when no `expand` sent them */
  | { readonly cmd: 'finish'; readonly serials: Uint32Array }

/** What a worker answers to each command; `ready` answers its setup, once its model is built. */
export interface Replies {
  readonly ready: Record<string, never>
  readonly init: AbsorbReply
  readonly expand: ExpandReply
  readonly absorb: AbsorbReply
  readonly count: CountReply
  readonly finish: FinishReply
}

/** Every message a worker posts: the reply to `cmd`, named so the coordinator can check it got the one it waits for. */
export interface Reply<C extends keyof Replies = keyof Replies> {
  readonly cmd: C
  readonly body: Replies[C]
}

if (!parentPort) throw new Error('parallelWorker.js runs as a worker thread of the parallel search')
const port = parentPort
// workerData is the structured clone of the WorkerStart that parallel.ts passes to new Worker().
const start = workerData as WorkerStart
const N = start.count
const me = start.index
// The model's modules load while the setup is on its way; the coordinator sends nothing else before `ready`.
const factory = import(start.factory) as Promise<{ readonly buildFromSpec: (spec: unknown) => Model<Action> }>
// The first message is the structured clone of the WorkerSetup that parallel.ts posts.
const init = await new Promise<WorkerSetup>((resolve) => port.once('message', resolve))
const model = (await factory).buildFromSpec(init.spec)
const layout = model.layout
const W = layout.words
const rules = model.rules
const nRules = rules.length
// The coordinator's plan, so property indices mean the same on both sides.
const plan = planProperties(model, init.mode, init.select)
const { invariants, sometimes } = plan
/** every invariant over the packed state (Invariant.packed), or undefined if one has none */
const packed = invariants.every((p) => p.packed !== undefined) ? invariants.map((p) => p.packed!) : undefined
const canon = init.symmetry ? model.symmetry!.canonicalize.bind(model.symmetry) : undefined
const derive = model.derive ? model.derive.bind(model) : undefined
/**
 * The graph checks' recording, while the search runs: the labels of the states this worker
 * expands (by local index), order edges through the Expander's observer (sites by serial
 * index), and, when the checks need every edge, the edges into this worker's states, recorded
 * where their targets are deduplicated (absorb).
 */
const recorder = hasGraphChecks(plan) ? new GraphRecorder(model, plan) : undefined
const edges = recorder?.needsEdges === true
const ex = new Expander(model, plan, { symmetry: init.symmetry, ...(recorder?.observer ? { observer: recorder.observer } : {}) })
/** serial index of the state being expanded, and how many transitions it has fired */
let expanding = 0
let ordinal = 0
/** Each successor goes to its owner's box, keyed by (parent serial index, ordinal). */
const sink: SuccessorSink = {
  successor: (rule) => {
    const owner = fp.hi % N
    // States of earlier levels are dropped here already when this worker owns them (unless the
    // edge to them is recorded: the owner records it when it deduplicates).
    if (edges || owner !== me || !visited!.has(fp.hi, fp.lo)) emit(owner, expanding, ordinal, rule)
    ordinal++
    return true
  },
}

/** A record in a box: the state's words, its parent's serial index, the transition's ordinal, the state's fingerprint (hi, lo) and the rule. */
const REC = W + 5
/** key = parent * KEY + ordinal; exact in a double while parent < 2^32 and KEY < 2^21 (checked by the coordinator) */
const KEY = nRules + 1

/** the fingerprints of this worker's states; with every edge recorded, with their local indices */
const visited = edges ? undefined : new VisitedSet()
const indexed = edges ? new VisitedIndex() : undefined
const store = new StateStore(W)
/** the recorded edges into this worker's states: source (serial), ordinal, target (local index; serial once finished), rule */
const edgeSrc = new U32List()
const edgeOrdinal = new U32List()
const edgeDst = new U32List()
const edgeRule = new U32List()
/** serial index of each local state (every stored state is expanded once; frontiers come in order) */
const serialOf = new U32List()
const out = ex.out
const postValues = new Int32Array(layout.slots)
const post: Reader = new Values(postValues)
let truncated = false

/** The frontier: local indices [frontierFrom, frontierTo), their serial indices and out-degrees. */
let frontierFrom = 0
let frontierTo = 0
let serials: Uint32Array = new Uint32Array(0)
let outdeg = new Uint32Array(0)

/** Boxes, one per destination (this worker's own included), and their used lengths in words. */
const boxes: Uint32Array[] = Array.from({ length: N }, () => new Uint32Array(1024 * REC))
const boxLen = new Int32Array(N)

function emit(to: number, parent: number, ordinal: number, rule: number): void {
  let box = boxes[to]!
  const o = boxLen[to]!
  if (o + REC > box.length) {
    const bigger = new Uint32Array(box.length * 2)
    bigger.set(box.subarray(0, o))
    boxes[to] = box = bigger
  }
  for (let i = 0; i < W; i++) box[o + i] = out[i]!
  box[o + W] = parent
  box[o + W + 1] = ordinal
  box[o + W + 2] = fp.hi
  box[o + W + 3] = fp.lo
  box[o + W + 4] = rule
  boxLen[to] = o + REC
}

/**
 * Expand frontier state `k` (local index frontierFrom + k, serial index `serial`, at `depth`), as
 * the serial search does: each successor goes to its owner's box with key (serial, ordinal), and
 * outdeg[k] is set to the number of transitions fired. On a step violation or a deadlock it stops
 * there and returns the event.
 */
function expandState(k: number, serial: number, depth: number): ExpandEvent | undefined {
  const local = frontierFrom + k
  ex.loadStored(store, local, serial)
  recorder?.state(local, ex.cursor, store.isRoot(local))
  expanding = serial
  ordinal = 0
  const res = ex.expand(sink, depth >= init.maxDepth)
  if (res === TRUNCATED) {
    truncated = true
    outdeg[k] = 0
    return undefined
  }
  outdeg[k] = ex.enabled
  if (res === STEP_VIOLATED) return { kind: 'step', property: ex.brokenStep, state: serial, ordinal: ex.enabled - 1, rule: ex.brokenRule }
  if (res === DEADLOCK) return { kind: 'deadlock', property: 0, state: serial, ordinal: nRules }
  return undefined
}

function expandLevel(depth: number): ExpandReply {
  let transitions = 0
  let stopped = false
  let event: ExpandEvent | undefined
  outdeg = new Uint32Array(frontierTo - frontierFrom)
  for (let k = 0; k < outdeg.length; k++) {
    if ((k & 1023) === 1023 && Atomics.load(start.stop, 0) === 1) {
      stopped = true
      break
    }
    event = expandState(k, serials[k]!, depth)
    transitions += outdeg[k]!
    if (event) break
  }
  const sent = boxes.map((b, i) => (i === me ? undefined : b.subarray(0, boxLen[i])))
  // The sent boxes are transferred; start the next level's at the size this one needed.
  for (let i = 0; i < N; i++) {
    if (i === me) continue
    boxes[i] = new Uint32Array(Math.max(1024 * REC, boxLen[i]!))
    boxLen[i] = 0
  }
  return { ...(event ? { event } : {}), transitions, truncated, stopped, boxes: sent }
}

/**
 * Store the new states of the level from `streams` (each sorted by key), merged by key, checking
 * each as the serial search does; stop before `limit` or after the first invariant violation.
 */
function absorb(streams: readonly Uint32Array[], limit: number, reached: Uint8Array): AbsorbReply {
  const n = streams.length
  const pos = new Int32Array(n)
  const heads = new Float64Array(n)
  const keyAt = (s: number): number => {
    const box = streams[s]!
    const o = pos[s]!
    return o < box.length ? box[o + W]! * KEY + box[o + W + 1]! : Infinity
  }
  for (let s = 0; s < n; s++) heads[s] = keyAt(s)
  const from = store.size
  let keys = new Float64Array(1024)
  let added = 0
  let invariant: AbsorbReply['invariant']
  const witness = sometimes.map(() => -1)
  let unreached = 0
  for (let p = 0; p < sometimes.length; p++) if (!reached[p]) unreached++
  const check = invariants.length > 0 || unreached > 0
  for (;;) {
    let s = 0
    for (let t = 1; t < n; t++) if (heads[t]! < heads[s]!) s = t
    const key = heads[s]!
    if (key >= limit) break
    const box = streams[s]!
    const o = pos[s]!
    pos[s] = o + REC
    heads[s] = keyAt(s)
    const hi = box[o + W + 2]!
    const lo = box[o + W + 3]!
    const parent = box[o + W]!
    if (indexed !== undefined) {
      const had = indexed.addOrGet(hi, lo, store.size)
      if (parent !== NO_PARENT) {
        edgeSrc.push(parent)
        edgeOrdinal.push(box[o + W + 1]!)
        edgeDst.push(had >= 0 ? had : store.size)
        edgeRule.push(box[o + W + 4]!)
      }
      if (had >= 0) continue
    } else if (!visited!.add(hi, lo)) continue
    store.append(box, o, parent)
    if (added === keys.length) {
      const bigger = new Float64Array(keys.length * 2)
      bigger.set(keys)
      keys = bigger
    }
    const offset = added++
    keys[offset] = key
    if (!check) continue
    if (unreached === 0 && packed !== undefined) {
      // Every witness is reached and every invariant reads the packed state: no decode (as explore.ts's checkPacked).
      let failed = -1
      for (let p = 0; p < packed.length && failed < 0; p++) if (!packed[p]!(box, o)) failed = p
      if (failed >= 0) {
        invariant = { offset, property: failed }
        break
      }
      continue
    }
    layout.decodeInto(box, o, postValues)
    derive?.(postValues)
    if (unreached > 0) {
      for (let p = 0; p < sometimes.length; p++) {
        if (!reached[p] && witness[p] === -1 && sometimes[p]!.holds(post)) {
          witness[p] = offset
          unreached--
        }
      }
    }
    let failed = -1
    for (let p = 0; p < invariants.length && failed < 0; p++) if (!invariants[p]!.holds(post)) failed = p
    if (failed >= 0) {
      invariant = { offset, property: failed }
      break
    }
  }
  frontierFrom = from
  frontierTo = store.size
  return {
    keys: keys.slice(0, added),
    ...(invariant ? { invariant } : {}),
    witness,
    size: store.size,
    visitedBytes: (visited ?? indexed!).bytes + edgeSrc.bytes * 4,
    storeBytes: store.bytes,
  }
}

/** The initial states this worker owns, as one stream keyed by position (parent NO_PARENT). */
function initialStream(): Uint32Array {
  const inits = model.init()
  const box = new Uint32Array(inits.length * REC)
  let o = 0
  for (const [position, v] of inits.entries()) {
    const words = layout.encode(v)
    if (canon) canon(words)
    fingerprint(words, 0, W)
    if (fp.hi % N !== me) continue
    box.set(words, o)
    box[o + W] = NO_PARENT
    box[o + W + 1] = position
    box[o + W + 2] = fp.hi
    box[o + W + 3] = fp.lo
    box[o + W + 4] = 0
    o += REC
  }
  return box.subarray(0, o)
}

/** The recorded edges, their targets as serial indices (every local state has one: sent with its `expand`, or with `finish`). */
function finishedEdges(): Pick<SearchedGraph, 'src' | 'ordinal' | 'dst' | 'rule'> {
  const dst = edgeDst.array()
  for (let e = 0; e < dst.length; e++) dst[e] = serialOf.get(dst[e]!)
  return { src: edgeSrc.array(), ordinal: edgeOrdinal.array(), dst, rule: edgeRule.array() }
}

function reply<C extends keyof Replies>(cmd: C, body: Replies[C], transfer: ArrayBuffer[] = []): void {
  const m: Reply<C> = { cmd, body }
  port.postMessage(m, transfer)
}

// Messages from the coordinator are the structured clones of the Commands that parallel.ts posts.
port.on('message', (c: Command) => {
  switch (c.cmd) {
    case 'init': {
      const r = absorb([initialStream()], Infinity, c.reached)
      reply('init', r, [r.keys.buffer as ArrayBuffer])
      return
    }
    case 'expand': {
      serials = c.serials
      if (edges) for (let k = 0; k < serials.length; k++) serialOf.push(serials[k]!)
      const r = expandLevel(c.depth)
      reply(
        'expand',
        r,
        r.boxes.flatMap((b) => (b ? [b.buffer as ArrayBuffer] : [])),
      )
      return
    }
    case 'absorb': {
      const own = boxes[me]!.subarray(0, boxLen[me])
      const r = absorb([own, ...c.inboxes], c.limit, c.reached)
      boxLen[me] = 0
      reply('absorb', r, [r.keys.buffer as ArrayBuffer])
      return
    }
    case 'count': {
      // Transitions fired by this worker's frontier states that come before `below` in serial order.
      let sum = 0
      for (let k = 0; k < outdeg.length && serials[k]! < c.below; k++) sum += outdeg[k]!
      reply('count', { transitions: sum })
      return
    }
    case 'finish': {
      if (edges) for (let k = 0; k < c.serials.length; k++) serialOf.push(c.serials[k]!)
      const { states, parents } = store.chunks
      const graph = recorder?.searched(store.size, finishedEdges())
      const buffers = [...states, ...parents].map((a) => a.buffer as ArrayBuffer)
      if (graph)
        buffers.push(graph.src.buffer as ArrayBuffer, graph.ordinal.buffer as ArrayBuffer, graph.dst.buffer as ArrayBuffer, graph.rule.buffer as ArrayBuffer)
      reply('finish', { states: [...states], parents: [...parents], size: store.size, ...(graph ? { graph } : {}) }, buffers)
      return
    }
  }
})
reply('ready', {})
