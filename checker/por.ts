/**
 * Partial-order reduction with ample sets, as SPIN does it (Holzmann and Peled, "An improvement in
 * formal verification", 1994; Clarke, Grumberg and Peled, "Model Checking", ch. 10): in a state
 * where one actor's enabled rules commute with everything the other actors can still do, are
 * invisible to the selected properties, and lead to states not yet visited, only that actor's
 * enabled rules are expanded.
 *
 * Footprints are static: the model declares, for every rule, the actor it belongs to and the state
 * fields its guard and effect may touch (model/gpu/footprint.ts, from the op modules' name
 * references by role). Two rules are independent when their footprints are disjoint; then neither
 * enables, disables or changes the effect of the other. The conditions, for an actor A:
 *  - C0: the ample set is A's enabled rules, not empty.
 *  - C1: every rule of A that may fire from A's current position (enabled or not: a disabled one
 *    could otherwise be enabled by another actor and fire first) is independent of every rule any
 *    other actor may still fire (its rules, less the earlier steps of a thread that only moves
 *    forward). Nothing another actor does can then interfere with A before A moves.
 *  - C2 (visibility): no rule of the set touches a field an invariant reads, or a field a step
 *    property reads beyond the acting rule's own footprint and its actor's own fields (the held
 *    locks of the acting thread count as its own: only it takes or drops them); and none records a
 *    lock-order edge here, or moves its thread to a lock it may block on (lockdep records the
 *    attempt). The fields properties read are recorded as they are evaluated; a run during which
 *    a property read a field not yet known as visible after a reduction relied on the set is
 *    repeated with the larger set (explore.ts), and a run that keeps growing it is made unreduced.
 *    A stable invariant (once false, false in every successor: the deadlock check's "stuck
 *    actors") needs no visibility: a state where it fails is reached by the reduced search too.
 *  - C3 (cycle proviso, for breadth- and depth-first search alike): every successor of the set is
 *    a state not yet visited. Then every edge out of a reduced state leads to a state found after
 *    it, so every cycle of the reduced graph passes through a fully expanded state, and no rule is
 *    postponed for ever.
 * Kept: deadlocks and the stuck actors of the wait-for invariant (C0, C1, C3), invariants and step
 * properties (C2), the lock-order graph (C2 on acquisitions). Not kept: progress ("can still be
 * done" is a branching property, which ample sets do not preserve) and liveness (fair cycles; the
 * proviso keeps no fairness): the plan leaves them unchecked (plan.ts). Witnesses reached are real;
 * one not reached may be reachable. Traces are real paths of the model, but not the shortest.
 */
import type { Action, Model, Reader } from './model.js'
import type { PropertyPlan } from './plan.js'

/** What a model tells the reducer about its rules. */
export interface PorInfo {
  /** actors: threads first (0..threadActors-1), then the model's other actors */
  readonly actors: number
  readonly threadActors: number
  /** the actor of each rule */
  readonly actorOf: Int32Array
  /** places: the stored fields, then finer places the model splits some fields into */
  readonly places: number
  /** per rule: the places its guard and effect may read (or write), and may write ('all': any) */
  readonly reads: readonly (readonly number[] | 'all')[]
  readonly writes: readonly (readonly number[] | 'all')[]
  /** fields split into finer places (a lock's reader mask: one bit per thread) */
  readonly subLocations: ReadonlyMap<number, readonly number[]>
  /** derived slots (beyond the stored fields) and the stored fields each is computed from */
  readonly derivedInputs: ReadonlyMap<number, readonly number[]>
  /** fields a step property reads to learn which locks the acting thread holds (only it changes that) */
  readonly locksHeldFields: readonly number[]
  /** per rule: the path step of a thread it runs at, or -1 (any time: reclaim, callbacks, GPU) */
  readonly position: Int32Array
  /** per rule: the field of the frame it runs in (reclaim, a notifier callback), enabled only while
   * that field is not 0, or -1; per actor: the last path position from which it may enter a frame */
  readonly frameField: Int32Array
  readonly lastEntry: Int32Array
  /** per actor: the field holding its path position, and whether that position only moves forward */
  readonly pcField: Int32Array
  readonly forward: Uint8Array
  /** names of stable invariants (once false, false in every successor) */
  readonly stable: readonly string[]
  /** would the lock-order graph record an edge for this transition (or its thread's blocked attempt next)? */
  orderVisible(pre: Reader, action: Action, post: Reader): boolean
}

/** A reader that records the slots read through it into `marks`. */
class TrackingReader implements Reader {
  inner: Reader = { get: () => 0 }
  constructor(readonly marks: Uint8Array) {}
  get(f: number): number {
    this.marks[f] = 1
    return this.inner.get(f)
  }
}

export class Reducer<A extends Action = Action> {
  /** states expanded with an ample set / with every enabled rule */
  reduced = 0
  full = 0
  /** candidate actors turned down: interfering (C1), visible (C2), successor already visited (C3) */
  readonly rejected = { dependent: 0, visible: 0, proviso: 0 }
  /** the visible fields grew after a reduction relied on them: the run must be repeated */
  grew = false
  /** the plan, with its properties reading through trackers */
  readonly plan: PropertyPlan<A>
  private readonly F: number
  private readonly words: number
  /** per rule, the places it reads or writes, and those it writes, as bitsets */
  private readonly fp: Uint32Array
  private readonly fw: Uint32Array
  /** per actor, read and write bitsets of the rules it may still fire / may fire now, by position
   * (one row unless it moves forward only); and of its frame rules, with the fields that open them */
  private readonly futureMask: { r: Uint32Array; w: Uint32Array }[]
  private readonly currentMask: { r: Uint32Array; w: Uint32Array }[]
  private readonly frameMask: { r: Uint32Array; w: Uint32Array }[]
  private readonly frameFields: number[][]
  private readonly othersW: Uint32Array
  private readonly visible: Uint32Array
  /** per actor: fields no other actor's rule touches */
  private readonly own: Uint32Array
  private readonly held: Uint32Array
  private readonly others: Uint32Array
  private readonly marks: Uint8Array
  private readonly postValues: Int32Array
  private readonly post: Reader
  private readonly group: Int32Array
  private readonly stamp: Int32Array
  private relied = false

  constructor(
    readonly model: Model<A>,
    plan: PropertyPlan<A>,
    readonly info: PorInfo,
    /** is the successor in words[offset..] a state not yet visited? (the search sets it) */
    public isNew: (words: Uint32Array, offset: number) => boolean,
  ) {
    const layout = model.layout
    this.F = layout.fieldCount
    const PL = info.places
    const W = (this.words = Math.max(1, Math.ceil(PL / 32)))
    const n = model.rules.length
    this.fp = new Uint32Array(n * W)
    this.fw = new Uint32Array(n * W)
    const fill = (b: Uint32Array, r: number, xs: readonly number[] | 'all'): void => {
      if (xs === 'all') for (let w = 0; w < W; w++) b[r * W + w] = 0xffffffff
      else for (const x of xs) b[r * W + (x >>> 5)]! |= 1 << (x & 31)
    }
    for (let r = 0; r < n; r++) {
      fill(this.fp, r, info.reads[r]!)
      fill(this.fp, r, info.writes[r]!)
      fill(this.fw, r, info.writes[r]!)
    }
    const A = info.actors
    const rulesOf: number[][] = Array.from({ length: A }, () => [])
    for (let r = 0; r < n; r++) rulesOf[info.actorOf[r]!]!.push(r)
    const maxPos = (a: number): number => rulesOf[a]!.reduce((m, r) => Math.max(m, info.position[r]!), 0) + 1
    const orInto = (m: { r: Uint32Array; w: Uint32Array }, o: number, r: number): void => {
      for (let w = 0; w < W; w++) {
        m.r[o + w]! |= this.fp[r * W + w]!
        m.w[o + w]! |= this.fw[r * W + w]!
      }
    }
    const masks = (rows: number): { r: Uint32Array; w: Uint32Array } => ({ r: new Uint32Array(rows * W), w: new Uint32Array(rows * W) })
    this.futureMask = []
    this.currentMask = []
    this.frameMask = []
    this.frameFields = []
    for (let a = 0; a < A; a++) {
      const P = info.forward[a] ? maxPos(a) + 1 : 1
      const fut = masks(P)
      const cur = masks(P)
      const fm = masks(1)
      const ff = new Set<number>()
      for (let p = 0; p < P; p++)
        for (const r of rulesOf[a]!) {
          const at = info.position[r]!
          const frame = info.frameField[r]! >= 0
          if (frame) {
            if (p === 0) {
              orInto(fm, 0, r)
              ff.add(info.frameField[r]!)
            }
            if (!info.forward[a] || p <= info.lastEntry[a]!) orInto(fut, p * W, r)
            continue
          }
          if (!info.forward[a] || at < 0 || at >= p) orInto(fut, p * W, r)
          if (!info.forward[a] || at < 0 || at === p) orInto(cur, p * W, r)
        }
      this.futureMask.push(fut)
      this.currentMask.push(cur)
      this.frameMask.push(fm)
      this.frameFields.push([...ff])
    }
    this.own = new Uint32Array(A * W)
    // a place is an actor's own when no other actor's rule writes it
    const writtenBy = new Int32Array(PL).fill(-1)
    for (let r = 0; r < n; r++) {
      const a = info.actorOf[r]!
      for (let x = 0; x < PL; x++) {
        if (((this.fw[r * W + (x >>> 5)]! >>> (x & 31)) & 1) === 0) continue
        writtenBy[x] = writtenBy[x] === -1 || writtenBy[x] === a ? a : -2
      }
    }
    for (let a = 0; a < A; a++) for (let x = 0; x < PL; x++) if (writtenBy[x] === -1 || writtenBy[x] === a) this.own[a * W + (x >>> 5)]! |= 1 << (x & 31)
    this.held = new Uint32Array(W)
    for (const x of info.locksHeldFields) this.held[x >>> 5]! |= 1 << (x & 31)
    this.visible = new Uint32Array(W)
    this.others = new Uint32Array(W)
    this.othersW = new Uint32Array(W)
    this.marks = new Uint8Array(layout.slots)
    this.postValues = new Int32Array(layout.slots)
    this.post = { get: (f: number) => this.postValues[f]! }
    this.group = new Int32Array(n)
    this.stamp = new Int32Array(A).fill(-1)
    this.plan = this.wrapPlan(plan)
  }

  /** Add the fields marked (derived slots as their inputs) to the visible set, less `except` (a rule's own). */
  private learn(except: (x: number) => boolean): void {
    const m = this.marks
    const add = (x: number): void => {
      if (except(x)) return
      const w = x >>> 5
      const b = 1 << (x & 31)
      if ((this.visible[w]! & b) === 0) {
        this.visible[w]! |= b
        if (this.relied) this.grew = true
      }
    }
    const sub = this.info.subLocations
    const place = (x: number): void => {
      const s = sub.get(x)
      if (s) for (const y of s) add(y)
      else add(x)
    }
    for (let x = 0; x < m.length; x++) {
      if (m[x] === 0) continue
      m[x] = 0
      if (x < this.F) place(x)
      else for (const y of this.info.derivedInputs.get(x) ?? []) place(y)
    }
  }

  private bit(mask: Uint32Array, o: number, x: number): boolean {
    return ((mask[o + (x >>> 5)]! >>> (x & 31)) & 1) === 1
  }

  /** The properties, reading through trackers that add what they read to the visible fields. */
  private wrapPlan(plan: PropertyPlan<A>): PropertyPlan<A> {
    const a = new TrackingReader(this.marks)
    const b = new TrackingReader(this.marks)
    const stable = new Set(this.info.stable)
    const ruleOf = new Map<Action, number>()
    this.model.rules.forEach((r, i) => ruleOf.set(r.action, i))
    const W = this.words
    const none = (): boolean => false
    return {
      ...plan,
      invariants: plan.invariants.map((p) =>
        stable.has(p.name) || stable.has(p.id ?? '')
          ? p
          : {
              ...p,
              holds: (s: Reader) => {
                a.inner = s
                const v = p.holds(a)
                this.learn(none)
                return v
              },
            },
      ),
      steps: plan.steps.map((p) => ({
        ...p,
        holds: (pre: Reader, act: A, post: Reader) => {
          a.inner = pre
          b.inner = post
          const v = p.holds(a, act, b)
          const r = ruleOf.get(act)!
          const actor = this.info.actorOf[r]!
          const thread = actor < this.info.threadActors
          this.learn((x) => this.bit(this.fp, r * W, x) || this.bit(this.own, actor * W, x) || (thread && this.bit(this.held, 0, x)))
          return v
        },
      })),
    }
  }

  /** Seed the visible fields from the invariants on a state (the initial ones). */
  seed(s: Reader): void {
    for (const p of this.plan.invariants) p.holds(s)
  }

  /**
   * Reduce the successors of the loaded state `pre`: `rules[0..n)` and their packed successors in
   * `words` (W words each). Keeps an ample set, compacted to the front, and returns its size (n
   * when the state is fully expanded).
   */
  reduce(pre: Reader, n: number, words: Uint32Array, rules: Int32Array): number {
    const info = this.info
    const W = this.words
    const SW = this.model.layout.words
    // the actors with an enabled rule, in rule order
    let actors = 0
    const stampOf = this.stamp
    const group = this.group
    for (let i = 0; i < n; i++) {
      const a = info.actorOf[rules[i]!]!
      if (stampOf[a] !== this.reduced + this.full) {
        stampOf[a] = this.reduced + this.full
        group[actors++] = a
      }
    }
    if (actors < 2) {
      this.full++
      return n
    }
    const rowOf = (a: number): number => {
      if (!info.forward[a]) return 0
      const pc = pre.get(info.pcField[a]!)
      const rows = this.futureMask[a]!.r.length / W
      return Math.min(pc, rows - 1) * W
    }
    for (let g = 0; g < actors; g++) {
      const A = group[g]!
      // C1: nothing A may do now touches what another actor may still do
      const others = this.others
      const othersW = this.othersW
      others.fill(0)
      othersW.fill(0)
      for (let B = 0; B < info.actors; B++) {
        if (B === A) continue
        const fut = this.futureMask[B]!
        const o = rowOf(B)
        for (let w = 0; w < W; w++) {
          others[w]! |= fut.r[o + w]!
          othersW[w]! |= fut.w[o + w]!
        }
      }
      // dependent: one writes a place the other reads or writes
      const clash = (m: { r: Uint32Array; w: Uint32Array }, o: number): boolean => {
        for (let w = 0; w < W; w++) if ((m.w[o + w]! & others[w]!) !== 0 || (m.r[o + w]! & othersW[w]!) !== 0) return true
        return false
      }
      let ok = !clash(this.currentMask[A]!, rowOf(A))
      // A's reclaim or callback rules, while it runs one
      if (ok && this.frameFields[A]!.some((x) => pre.get(x) !== 0)) ok = !clash(this.frameMask[A]!, 0)
      if (!ok) {
        this.rejected.dependent++
        continue
      }
      // C2 and C3 on each enabled rule of A
      for (let i = 0; i < n && ok; i++) {
        const r = rules[i]!
        if (info.actorOf[r] !== A) continue
        for (let w = 0; w < W; w++) if ((this.fw[r * W + w]! & this.visible[w]!) !== 0) ok = false
        if (ok && this.plan.order.length > 0) {
          this.model.layout.decodeInto(words, i * SW, this.postValues)
          this.model.derive?.(this.postValues)
          if (info.orderVisible(pre, this.model.rules[r]!.action, this.post)) ok = false
        }
        if (!ok) {
          this.rejected.visible++
          break
        }
        if (!this.isNew(words, i * SW)) {
          this.rejected.proviso++
          ok = false
        }
      }
      if (!ok) continue
      // keep A's rules, compacted to the front
      let k = 0
      for (let i = 0; i < n; i++) {
        if (info.actorOf[rules[i]!] !== A) continue
        if (k !== i) {
          rules[k] = rules[i]!
          words.copyWithin(k * SW, i * SW, (i + 1) * SW)
        }
        k++
      }
      this.relied = true
      this.reduced++
      return k
    }
    this.full++
    return n
  }

  /** Fields some property was seen to read (for tests and reports). */
  visibleFields(): number[] {
    const out: number[] = []
    for (let x = 0; x < this.info.places; x++) if (this.bit(this.visible, 0, x)) out.push(x)
    return out
  }

  /** Start a new run with what was learned so far. */
  restart(): void {
    this.grew = false
    this.relied = false
    this.reduced = 0
    this.full = 0
    this.rejected.dependent = this.rejected.visible = this.rejected.proviso = 0
    this.stamp.fill(-1)
  }
}
