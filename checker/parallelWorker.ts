/**
 * One worker of the parallel breadth-first search (parallel.ts). The worker owns the states whose
 * fingerprint hashes to it: it stores them, deduplicates them in its own visited set and checks
 * their invariants. Each level it expands the frontier it owns; successors it owns are inserted at
 * once, the others go to their owner's inbox, absorbed after the level's barrier in worker order.
 * Every step is deterministic, so the run is the same run to run, and levels stay whole, so
 * counterexamples stay shortest.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { fingerprint, fp } from './fingerprint.js'
import { Cursor, type Action, type Invariant, type Model, type Reader, type Sometimes, type StepProperty, Values } from './model.js'
import { StateStore } from './stateStore.js'
import { VisitedSet } from './visitedSet.js'

export interface WorkerInit {
  readonly factory: string
  readonly spec: unknown
  readonly index: number
  readonly count: number
  readonly stop: Int32Array
  readonly symmetry: boolean
  readonly maxDepth: number
}

/** A violation found by a worker, with a key that orders violations the same way every run. */
export interface FoundViolation {
  readonly kind: 'invariant' | 'step' | 'deadlock'
  readonly property: number
  /** global id of the state (the pre-state for step violations and deadlocks) */
  readonly state: number
  readonly rule?: number
  /** length of the counterexample */
  readonly length: number
}

export type Command =
  | { readonly cmd: 'init' }
  | { readonly cmd: 'expand'; readonly depth: number }
  | { readonly cmd: 'absorb'; readonly depth: number; readonly inboxes: readonly ArrayBuffer[] }
  | { readonly cmd: 'finish' }

const init = workerData as WorkerInit
const N = init.count
const me = init.index
const { buildFromSpec } = (await import(init.factory)) as { buildFromSpec(spec: unknown): Model<Action> }
const model = buildFromSpec(init.spec)
const layout = model.layout
const W = layout.words
const rules = model.rules
const invariants = model.properties.filter((p): p is Invariant => p.kind === 'invariant')
const steps = model.properties.filter((p): p is StepProperty<Action> => p.kind === 'step')
const sometimes = model.properties.filter((p): p is Sometimes => p.kind === 'sometimes')
const canon = init.symmetry ? model.symmetry!.canonicalize.bind(model.symmetry) : undefined
const derive = model.derive ? model.derive.bind(model) : undefined

const visited = new VisitedSet()
const store = new StateStore(W)
const cursor = new Cursor(layout)
const cur = new Uint32Array(W)
const out = new Uint32Array(W)
cursor.out = out
const postValues = new Int32Array(layout.slots)
const post: Reader = new Values(postValues)
/** first state (global id) and depth reaching each `sometimes` */
const witness = sometimes.map(() => ({ state: -1, depth: -1 }))
/** local index where each level starts */
const levelStart: number[] = [0]
let transitions = 0
let truncated = false

const globalId = (local: number): number => local * N + me
const ownerOf = (hi: number): number => hi % N

/** Outboxes: per destination, records of [W words, parent global id]. */
let outbox: Uint32Array[] = []
let outLen: number[] = []
const resetOutboxes = (): void => {
  outbox = Array.from({ length: N }, () => new Uint32Array(1024 * (W + 1)))
  outLen = Array.from({ length: N }, () => 0)
}
const send = (to: number, words: Uint32Array, parent: number): void => {
  let box = outbox[to]!
  if (outLen[to]! + W + 1 > box.length) {
    const bigger = new Uint32Array(box.length * 2)
    bigger.set(box)
    outbox[to] = box = bigger
  }
  const o = outLen[to]!
  for (let i = 0; i < W; i++) box[o + i] = words[i]!
  box[o + W] = parent
  outLen[to] = o + W + 1
}

/** Insert a state this worker owns; check it. Returns a violation if an invariant fails. */
function insert(words: Uint32Array, parent: number, depth: number, found: FoundViolation[]): void {
  fingerprint(words, 0, W)
  if (!visited.add(fp.hi, fp.lo)) return
  const local = store.append(words, 0, parent)
  if (invariants.length === 0 && sometimes.length === 0) return
  layout.decodeInto(words, 0, postValues)
  derive?.(postValues)
  for (let p = 0; p < sometimes.length; p++) {
    if (witness[p]!.state === -1 && sometimes[p]!.holds(post)) witness[p] = { state: globalId(local), depth }
  }
  for (let p = 0; p < invariants.length; p++) {
    if (!invariants[p]!.holds(post)) {
      found.push({ kind: 'invariant', property: p, state: globalId(local), length: depth })
      return
    }
  }
}

function expandLevel(depth: number): { found: FoundViolation[]; stopped: boolean } {
  const found: FoundViolation[] = []
  resetOutboxes()
  const start = levelStart[levelStart.length - 1]!
  const end = store.size
  levelStart.push(end)
  for (let index = start; index < end; index++) {
    if ((index & 1023) === 0 && Atomics.load(init.stop, 0) === 1) return { found, stopped: true }
    store.read(index, cur)
    layout.decodeInto(cur, 0, cursor.pre)
    if (derive) derive(cursor.pre)
    let enabled = 0
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!
      if (!rule.guard(cursor)) continue
      enabled++
      if (depth >= init.maxDepth) {
        truncated = true
        break
      }
      for (let w = 0; w < W; w++) out[w] = cur[w]!
      rule.apply(cursor)
      transitions++
      if (steps.length > 0) {
        layout.decodeInto(out, 0, postValues)
        if (derive) derive(postValues)
        for (let p = 0; p < steps.length; p++) {
          if (!steps[p]!.holds(cursor, rule.action, post)) found.push({ kind: 'step', property: p, state: globalId(index), rule: r, length: depth + 1 })
        }
      }
      if (canon) canon(out)
      fingerprint(out, 0, W)
      const owner = ownerOf(fp.hi)
      if (owner === me) insert(out, globalId(index), depth + 1, found)
      else send(owner, out, globalId(index))
    }
    if (enabled === 0 && model.deadlock && !model.deadlock.terminal(cursor)) {
      found.push({ kind: 'deadlock', property: 0, state: globalId(index), length: depth })
    }
  }
  return { found, stopped: false }
}

function absorb(depth: number, inboxes: readonly ArrayBuffer[]): FoundViolation[] {
  const found: FoundViolation[] = []
  const words = new Uint32Array(W)
  for (const buf of inboxes) {
    const box = new Uint32Array(buf)
    for (let o = 0; o < box.length; o += W + 1) {
      for (let i = 0; i < W; i++) words[i] = box[o + i]!
      insert(words, box[o + W]!, depth + 1, found)
    }
  }
  return found
}

parentPort!.on('message', (c: Command) => {
  switch (c.cmd) {
    case 'init': {
      const found: FoundViolation[] = []
      for (const v of model.init()) {
        const words = layout.encode(v)
        if (canon) canon(words)
        fingerprint(words, 0, W)
        if (ownerOf(fp.hi) === me) insert(words, 0xffffffff, 0, found)
      }
      parentPort!.postMessage({ size: store.size, found })
      return
    }
    case 'expand': {
      const { found, stopped } = expandLevel(c.depth)
      const boxes = outbox.map((b, i) => b.slice(0, outLen[i]!).buffer)
      parentPort!.postMessage({ found, stopped, transitions, truncated, boxes }, boxes)
      return
    }
    case 'absorb': {
      const found = absorb(c.depth, c.inboxes)
      parentPort!.postMessage({ size: store.size, visitedBytes: visited.bytes, storeBytes: store.bytes, found })
      return
    }
    case 'finish': {
      const { states, parents } = store.chunks
      const buffers = [...states, ...parents].map((a) => a.buffer as ArrayBuffer)
      parentPort!.postMessage({ states, parents, size: store.size, levelStart, witness, transitions }, buffers)
      return
    }
  }
})
parentPort!.postMessage({ ready: true })
