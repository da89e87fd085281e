/**
 * Partial-order reduction with stubborn sets (Valmari, "Stubborn sets for reduced state space
 * generation", 1991; Godefroid's persistent sets, LNCS 1032, 1996), under the visibility and cycle
 * conditions SPIN's ample sets add (Holzmann and Peled, "An improvement in formal verification",
 * 1994; Clarke, Grumberg and Peled, "Model Checking", ch. 10): in each state a set of rules S is
 * built by closure from one enabled rule, and only S's enabled rules are expanded.
 *
 * Footprints are static: the model declares, for every rule, the actor it belongs to and the state
 * fields its guard and effect may touch (model/gpu/footprint.ts, from the op modules' name
 * references by role). Two rules are dependent when one writes a place the other reads or writes,
 * unless they can never be enabled in one state: two path steps of one thread at different
 * positions, or two threads' rules of which one runs holding a lock the other holds or needs free
 * (`neverCoEnabled`, checked over every bundled state space by test/checker/por.test.ts).
 * Refinements of that relation where the dependency is only apparent (each checked by the same
 * test over every bundled state space):
 *  - Counters (`Counter`, `accordOn`): a counting resource (an engine's CU pool, the free pages of
 *    a memory pool) is a place of its own, and a rule that takes units (its guard monotone in the
 *    free units) accords with one that releases units (its guard never reads the count): neither
 *    disables the other, and both orders reach one state (the effects add constants to the count,
 *    or the count is derived from fields each writes alone). Two takes stay dependent. For D2, a
 *    take disabled by the count is enabled first by a release or another writer, never by a take.
 *  - Lock claims include a failed write trylock's ('B': the lock is not free), so it is never
 *    enabled with a successful write acquisition of the same lock; and the locks a reclaim step
 *    runs holding (model/gpu/footprint.ts).
 *  - Rules the model knows are never enabled (`dead`: the resume of a job nothing preempts) may
 *    never fire: they are in no closure.
 * The closure, in the loaded state s:
 *  - D1: for an enabled rule of S, every rule dependent on it that may still fire (a forward-only
 *    thread never runs a step behind its position again) is in S.
 *  - D2: for a disabled rule of S, a necessary enabling set is in S: its guard is evaluated in s
 *    through a reader that records what it reads, and every rule that may be the first to write
 *    one of those places is added. A guard that read only places keeping their values stays false
 *    (it is a pure function of what it read), so any path that enables the rule writes one of them
 *    first. A path step of a thread at another position cannot be that first writer: it waits for
 *    its thread's position to change, so the first writers of the position are taken instead.
 *  - D0: S has an enabled rule (the seed). Every enabled actor's first enabled rule seeds a
 *    closure; the one with the fewest enabled rules that passes C2 and C3 is expanded.
 * D0-D2 make S persistent: a path of rules outside S from s never touches what S's enabled rules
 * touch, so each of them commutes with the whole path and stays enabled along it.
 *  - C2 (visibility): no enabled rule of S touches a field an invariant reads, or a field a step
 *    property reads beyond the acting rule's own footprint and its actor's own fields (the held
 *    locks of the acting thread count as its own: only it takes or drops them); and none records a
 *    lock-order edge here, or moves its thread to a lock it may block on (lockdep records the
 *    attempt). The fields properties read are recorded as they are evaluated; a run during which
 *    a property read a field not yet known as visible after a reduction relied on the set is
 *    repeated with the larger set (explore.ts), and a run that keeps growing it is made unreduced.
 *    A stable invariant (once false, false in every successor: the deadlock check's "stuck
 *    actors") needs no visibility: a state where it fails is reached by the reduced search too.
 *  - C3 (cycle proviso, for breadth- and depth-first search alike): every successor of S is a
 *    state not yet visited. Then every edge out of a reduced state leads to a state found after
 *    it, so every cycle of the reduced graph passes through a fully expanded state, and no rule is
 *    postponed for ever.
 * Kept: deadlocks and the stuck actors of the wait-for invariant (D0-D2, C3), invariants and step
 * properties (C2), the lock-order graph (C2 on acquisitions). Not kept: progress ("can still be
 * done" is a branching property, which persistent sets do not preserve) and liveness (fair cycles;
 * the proviso keeps no fairness): the plan leaves them unchecked (plan.ts). Witnesses reached are
 * real; one not reached may be reachable. Traces are real paths of the model, but not the shortest.
 */
import type { Action, Model, Reader } from './model.js'
import type { PropertyPlan } from './plan.js'

/**
 * What a rule needs of a lock whenever it is enabled: its thread holds it for writing ('W') or
 * reading ('R'), or the lock is free ('FW': no owner and no readers, a write acquisition; 'FR': no
 * owner, a read acquisition), or not free for a write acquisition ('B': a failed trylock).
 */
export interface LockClaim {
  readonly lock: number
  readonly kind: 'W' | 'R' | 'FW' | 'FR' | 'B'
}

/**
 * A counting resource (a pool of units) as a place of its own, and what each rule does with it:
 * 0 anything (it reads or writes the count arbitrarily, or not at all), 1 take (its guard is
 * monotone in the free units: true stays true when more are free; its effect never gives units
 * back), 2 release (its guard never reads the count; its effect never takes units), 3 untouched
 * (its declared footprint names the place, but it neither reads nor changes the count). Where the
 * count is a stored field, the effects of takes and releases add a constant to it.
 */
export interface Counter {
  readonly place: number
  readonly kind: Int8Array
  /**
   * Is the count abundant in this state: will every take that may still fire find its units free
   * (as far as this counter goes), whatever runs from here? Then two takes accord here, and in every
   * state reached from here (it must stay abundant). Without it, two takes always depend.
   */
  readonly abundant?: (s: Reader) => boolean
  /** the state slot holding the count (a stored field or a derived slot), and whether it counts free or taken units (for the tests) */
  readonly slot: number
  readonly counts: 'free' | 'taken'
}

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
  /** per rule: 1 when it is never enabled (the model knows no rule sets up what it needs) */
  readonly dead?: Uint8Array
  /** counting resources among the places (see Counter) */
  readonly counters?: readonly Counter[]
  /** fields split into finer places (a lock's reader mask: one bit per thread) */
  readonly subLocations: ReadonlyMap<number, readonly number[]>
  /** derived slots (beyond the stored fields) and the stored fields each is computed from */
  readonly derivedInputs: ReadonlyMap<number, readonly number[]>
  /** fields a step property reads to learn which locks the acting thread holds (only it changes that) */
  readonly locksHeldFields: readonly number[]
  /** per rule: the path step of a thread it runs at (enabled only while the thread's position
   * field holds it), or -1 (any time: reclaim, callbacks, GPU) */
  readonly position: Int32Array
  /** fields and the values no rule changes once the field holds one (a signalled fence that is never re-armed) */
  readonly finalValues: ReadonlyMap<number, readonly number[]>
  /** per rule: what it needs of locks whenever it is enabled */
  readonly lockClaims: readonly (readonly LockClaim[])[]
  /** per actor: the field holding its path position (-1: none), and whether that position only moves forward */
  readonly pcField: Int32Array
  readonly forward: Uint8Array
  /** names of stable invariants (once false, false in every successor) */
  readonly stable: readonly string[]
  /** what the lock-order graph records for this transition (from, to), and whether it moves its
   * thread onto a lock it may block on while holding something (lockdep records the attempt) */
  orderEffect(pre: Reader, action: Action, post: Reader): { readonly edges: readonly (readonly [string, string])[]; readonly blocks: boolean }
}

/** Can claims c and d of two threads on one lock never hold at once? */
const excludes = (c: LockClaim['kind'], d: LockClaim['kind']): boolean =>
  (c === 'W' && d !== 'B') || (d === 'W' && c !== 'B') || (c === 'R' && d === 'FW') || (c === 'FW' && (d === 'R' || d === 'B')) || (c === 'B' && d === 'FW')

/**
 * Do two rules of these kinds on one counter commute wherever both are enabled, as far as the
 * counter goes? A release and a take: the release's guard never reads the count, so the take
 * cannot disable it; the take's guard is monotone in the free units, so the release (which only
 * frees units) cannot disable it; neither enables the other's effect to differ, as each effect
 * writes its own fields and the count is derived from them. Two releases likewise. Two takes do
 * not: one may take the last units the other needs. A rule that leaves the count alone and never
 * reads it commutes with every rule as far as the counter goes.
 */
export const accordOn = (a: number, b: number): boolean => a === 3 || b === 3 || (a === 2 && b !== 0) || (b === 2 && a !== 0)

/** Can rules x and y never be enabled in one state (statically: positions of one thread, locks)? */
export function neverCoEnabled(info: PorInfo, x: number, y: number): boolean {
  if (info.actorOf[x] === info.actorOf[y]) {
    const p = info.position[x]!
    const q = info.position[y]!
    return p >= 0 && q >= 0 && p !== q
  }
  if (info.actorOf[x]! >= info.threadActors || info.actorOf[y]! >= info.threadActors) return false
  for (const c of info.lockClaims[x]!) for (const d of info.lockClaims[y]!) if (c.lock === d.lock && excludes(c.kind, d.kind)) return true
  return false
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

/** A reader that lists the slots read through it (once each, read[0..count)) since `clear`. */
class ListingReader implements Reader {
  inner: Reader = { get: () => 0 }
  readonly read: Int32Array
  count = 0
  private readonly seen: Int32Array
  private tick = 0
  constructor(slots: number) {
    this.seen = new Int32Array(slots)
    this.read = new Int32Array(slots)
  }
  clear(): void {
    this.count = 0
    this.tick++
  }
  get(f: number): number {
    if (this.seen[f] !== this.tick) {
      this.seen[f] = this.tick
      this.read[this.count++] = f
    }
    return this.inner.get(f)
  }
}
export class Reducer<A extends Action = Action> {
  /** states expanded with a stubborn set / with every enabled rule */
  reduced = 0
  full = 0
  /** candidate sets turned down: holding every enabled rule (D1, D2), visible (C2), successor already visited (C3) */
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
  private readonly visible: Uint32Array
  /** per actor: fields no other actor's rule touches */
  private readonly own: Uint32Array
  private readonly held: Uint32Array
  private readonly marks: Uint8Array
  private readonly postValues: Int32Array
  private readonly post: Reader
  private readonly guardReader: ListingReader
  /** per state: the stamp, each rule's index among the enabled ones (or -1), each actor's position */
  private tick = 0
  private readonly enabledAt: Int32Array
  private readonly actorSeen: Uint8Array
  private readonly pcNow: Int32Array
  /** the necessary enabling sets of the loaded state, computed once each (with stamps to collect them) */
  private closureTick = 0
  private readonly nesStamp: Int32Array
  private readonly needPc: Int32Array
  /** bitsets of rules (ruleWords words each): per rule its dependents, per state the rules that
   * may still fire and those enabled, per rule its enabling set; a closure's members and to-do */
  private readonly ruleWords: number
  private readonly depBits: Uint32Array
  private readonly aliveBits: Uint32Array
  private readonly enabledBits: Uint32Array
  private readonly nesBits: Uint32Array
  private readonly member: Uint32Array
  private readonly todo: Uint32Array
  /** per state: the rules not waiting for their thread to move (path steps at its position, and
   * rules of no position); per place its writers; per actor its rules; scratch */
  private readonly hereBits: Uint32Array
  private readonly writerBits: Uint32Array
  private readonly actorBits: Uint32Array
  private readonly tmp: Uint32Array
  private readonly waiting: Int32Array
  /** per slot: the places it stands for (a field split into finer places, a derived slot's inputs), its final values */
  private readonly placesOfSlot: Int32Array[]
  private readonly finalOf: (readonly number[] | undefined)[]
  /** the counters that know when they are abundant, and those of them that are not in the loaded state */
  private readonly conditional: { readonly counter: Counter; readonly kind: Int8Array; readonly takers: Uint32Array }[]
  private scarce: { readonly kind: Int8Array; readonly takers: Uint32Array }[] = []
  /** per counter place: the rules' kinds, and the takes as a bitset of rules */
  private readonly takersOf: ReadonlyMap<number, { readonly kind: Int8Array; readonly takers: Uint32Array }>
  private relied = false
  /** lock-order edges (from, to) that transitions of this run's graph record */
  private readonly knownEdges = new Set<string>()

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
    // dependent: one writes a place the other reads or writes, and both may be enabled at once;
    // through a counter, a take and a release, or two releases, are not (see `accordOn`)
    const counters = info.counters ?? []
    const counterMask = new Uint32Array(W)
    for (const c of counters) counterMask[c.place >>> 5]! |= 1 << (c.place & 31)
    const clash = (x: number, y: number): boolean => {
      for (let w = 0; w < W; w++)
        if ((((this.fw[x * W + w]! & this.fp[y * W + w]!) | (this.fp[x * W + w]! & this.fw[y * W + w]!)) & ~counterMask[w]!) !== 0) return true
      for (const c of counters) {
        const p = c.place
        if (!((this.bit(this.fw, x * W, p) && this.bit(this.fp, y * W, p)) || (this.bit(this.fp, x * W, p) && this.bit(this.fw, y * W, p)))) continue
        // two takes of a counter that knows when it is abundant depend on each other only in the
        // states where it is not (the closure adds them there: `scarce`)
        if (c.kind[x] === 1 && c.kind[y] === 1 && c.abundant) continue
        if (!accordOn(c.kind[x]!, c.kind[y]!)) return true
      }
      return false
    }
    const deps: number[][] = Array.from({ length: n }, () => [])
    for (let x = 0; x < n; x++)
      for (let y = x + 1; y < n; y++)
        if (clash(x, y) && !neverCoEnabled(info, x, y)) {
          deps[x]!.push(y)
          deps[y]!.push(x)
        }
    const writers: number[][] = Array.from({ length: PL }, () => [])
    const writtenBy = new Int32Array(PL).fill(-1)
    for (let r = 0; r < n; r++) {
      const a = info.actorOf[r]!
      for (let x = 0; x < PL; x++) {
        if (!this.bit(this.fw, r * W, x)) continue
        writers[x]!.push(r)
        writtenBy[x] = writtenBy[x] === -1 || writtenBy[x] === a ? a : -2
      }
    }
    // a place is an actor's own when no other actor's rule writes it
    this.own = new Uint32Array(A * W)
    for (let a = 0; a < A; a++) for (let x = 0; x < PL; x++) if (writtenBy[x] === -1 || writtenBy[x] === a) this.own[a * W + (x >>> 5)]! |= 1 << (x & 31)
    this.held = new Uint32Array(W)
    for (const x of info.locksHeldFields) this.held[x >>> 5]! |= 1 << (x & 31)
    this.visible = new Uint32Array(W)
    this.marks = new Uint8Array(layout.slots)
    this.postValues = new Int32Array(layout.slots)
    this.post = { get: (f: number) => this.postValues[f]! }
    this.guardReader = new ListingReader(layout.slots)
    this.enabledAt = new Int32Array(n)
    this.actorSeen = new Uint8Array(A)
    this.pcNow = new Int32Array(A)
    this.nesStamp = new Int32Array(n)
    this.needPc = new Int32Array(A)
    this.waiting = new Int32Array(A)
    const RW = (this.ruleWords = Math.max(1, Math.ceil(n / 32)))
    this.depBits = new Uint32Array(n * RW)
    for (let x = 0; x < n; x++) for (const y of deps[x]!) this.depBits[x * RW + (y >>> 5)]! |= 1 << (y & 31)
    this.aliveBits = new Uint32Array(RW)
    this.enabledBits = new Uint32Array(RW)
    this.nesBits = new Uint32Array(n * RW)
    this.member = new Uint32Array(RW)
    this.todo = new Uint32Array(RW)
    this.hereBits = new Uint32Array(RW)
    this.tmp = new Uint32Array(RW)
    this.writerBits = new Uint32Array(PL * RW)
    for (let x = 0; x < PL; x++) for (const r of writers[x]!) this.writerBits[x * RW + (r >>> 5)]! |= 1 << (r & 31)
    this.actorBits = new Uint32Array(A * RW)
    for (let r = 0; r < n; r++) this.actorBits[info.actorOf[r]! * RW + (r >>> 5)]! |= 1 << (r & 31)
    const asPlaces = (f: number): readonly number[] => info.subLocations.get(f) ?? [f]
    this.placesOfSlot = Array.from({ length: layout.slots }, (_, f) =>
      Int32Array.from(f < this.F ? asPlaces(f) : (info.derivedInputs.get(f) ?? []).flatMap(asPlaces)),
    )
    this.finalOf = Array.from({ length: layout.slots }, (_, f) => (f < this.F ? info.finalValues.get(f) : undefined))
    this.takersOf = new Map(
      counters.map((c) => {
        const b = new Uint32Array(RW)
        for (let r = 0; r < n; r++) if (c.kind[r] === 1) b[r >>> 5]! |= 1 << (r & 31)
        return [c.place, { kind: c.kind, takers: b }] as const
      }),
    )
    this.conditional = counters.filter((c) => c.abundant).map((c) => ({ counter: c, ...this.takersOf.get(c.place)! }))
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

  /** May rule r still fire (a forward-only thread never runs a step behind its position again)? */
  private alive(r: number): boolean {
    if (this.info.dead?.[r] === 1) return false
    const a = this.info.actorOf[r]!
    const p = this.info.position[r]!
    return !(this.info.forward[a] === 1 && p >= 0 && p < this.pcNow[a]!)
  }

  /** Does rule r wait for its thread's position to change (a path step at another position)? */
  private elsewhere(r: number): boolean {
    const p = this.info.position[r]!
    return p >= 0 && p !== this.pcNow[this.info.actorOf[r]!]!
  }

  /** Rules one of which fires before the disabled rule x can be enabled (D2), in the loaded state:
   * row x of `nesBits` (computed once a state). */
  private enablers(pre: Reader, x: number): void {
    if (this.nesStamp[x] === this.tick) return
    this.nesStamp[x] = this.tick
    const RW = this.ruleWords
    const out = this.nesBits
    const o = x * RW
    out.fill(0, o, o + RW)
    const g = this.guardReader
    g.clear()
    g.inner = pre
    this.model.rules[x]!.guard(g)
    const mark = ++this.closureTick
    const { needPc, aliveBits: alive, hereBits: here, writerBits: wr, actorBits, tmp } = this
    const actorOf = this.info.actorOf
    const waiting = this.waiting
    let nWaiting = 0
    for (let gi = 0; gi < g.count; gi++) {
      const f = g.read[gi]!
      // a field holding a final value is written by no rule from here on (only with that value)
      const fin = this.finalOf[f]
      if (fin !== undefined && fin.includes(pre.get(f))) continue
      for (const p of this.placesOfSlot[f]!) {
        const wb = p * RW
        // a take of a counter stays disabled while only other takes change the count (it is
        // monotone in the free units): they are never the first to enable it
        const c = this.takersOf.get(p)
        const skip = c !== undefined && c.kind[x] === 1 ? c.takers : undefined
        let any = 0
        for (let k = 0; k < RW; k++) {
          const ws = wr[wb + k]! & alive[k]! & (skip ? ~skip[k]! : 0xffffffff)
          out[o + k]! |= ws & here[k]!
          tmp[k] = ws & ~here[k]!
          any |= tmp[k]!
        }
        if (any === 0) continue
        // a path step at another position writes nothing before its thread moves
        for (let k = 0; k < RW; k++) {
          let bits = tmp[k]!
          while (bits !== 0) {
            const b = 31 - Math.clz32(bits & -bits)
            bits &= ~(1 << b)
            const a = actorOf[k * 32 + b]!
            if (needPc[a] === mark) continue
            needPc[a] = mark
            waiting[nWaiting++] = a
          }
        }
      }
    }
    // ... so the first writers of its position come first (its own steps at the position, others' rules that set it)
    for (let wi = 0; wi < nWaiting; wi++) {
      const a = waiting[wi]!
      const pb = this.info.pcField[a]! * RW
      for (let k = 0; k < RW; k++) out[o + k]! |= wr[pb + k]! & alive[k]! & (here[k]! | ~actorBits[a * RW + k]!)
    }
  }

  /** The enabled rules (their indices among the loaded state's) of the closure from `seed`, or
   * undefined once it holds `bound` of them (bitsets of rules: members, and those still to visit). */
  private closure(pre: Reader, seed: number, bound: number): number[] | undefined {
    const RW = this.ruleWords
    const member = this.member
    const todo = this.todo
    const en = this.enabledBits
    member.fill(0)
    todo.fill(0)
    member[seed >>> 5] = 1 << (seed & 31)
    todo[seed >>> 5] = 1 << (seed & 31)
    let count = 0
    for (let w = 0; w < RW;) {
      const bits = todo[w]!
      if (bits === 0) {
        w++
        continue
      }
      const b = 31 - Math.clz32(bits & -bits)
      todo[w] = bits & ~(1 << b)
      const x = w * 32 + b
      let row: Uint32Array
      let o: number
      if (((en[w]! >>> b) & 1) === 1) {
        if (++count >= bound) return undefined
        row = this.depBits
        o = x * RW
        // the other takes of a counter that is not abundant here
        for (const c of this.scarce) {
          if (c.kind[x] !== 1) continue
          for (let k = 0; k < RW; k++) {
            const add = c.takers[k]! & this.aliveBits[k]! & ~member[k]!
            member[k]! |= add
            todo[k]! |= add
          }
          w = 0
        }
      } else {
        this.enablers(pre, x)
        row = this.nesBits
        o = x * RW
      }
      let back = w
      for (let k = 0; k < RW; k++) {
        const add = row[o + k]! & this.aliveBits[k]! & ~member[k]!
        if (add === 0) continue
        member[k]! |= add
        todo[k]! |= add
        if (k < back) back = k
      }
      w = back
    }
    const out: number[] = []
    for (let w = 0; w < RW; w++) {
      let bits = member[w]! & en[w]!
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits)
        bits &= ~(1 << b)
        out.push(this.enabledAt[w * 32 + b]!)
      }
    }
    return out.sort((a, b) => a - b)
  }

  /** C2 and C3 on the enabled rules of a candidate set (their indices among the loaded state's). */
  private passes(pre: Reader, set: readonly number[], words: Uint32Array, rules: Int32Array): boolean {
    const W = this.words
    const SW = this.model.layout.words
    for (const i of set) {
      const r = rules[i]!
      for (let w = 0; w < W; w++)
        if ((this.fw[r * W + w]! & this.visible[w]!) !== 0) {
          this.rejected.visible++
          return false
        }
      if (this.plan.order.length > 0) {
        const e = this.orderEffect(pre, words, rules, i)
        if (e.blocks || e.edges.some(([a, b]) => !this.knownEdges.has(`${a}\u0000${b}`))) {
          this.rejected.visible++
          return false
        }
      }
    }
    for (const i of set)
      if (!this.isNew(words, i * SW)) {
        this.rejected.proviso++
        return false
      }
    return true
  }

  /** The lock-order effect of the i-th successor. */
  private orderEffect(pre: Reader, words: Uint32Array, rules: Int32Array, i: number): ReturnType<PorInfo['orderEffect']> {
    this.model.layout.decodeInto(words, i * this.model.layout.words, this.postValues)
    this.model.derive?.(this.postValues)
    return this.info.orderEffect(pre, this.model.rules[rules[i]!]!.action, this.post)
  }

  /** The edges the first k successors record (they are expanded: the run's graph has them). */
  private record(pre: Reader, k: number, words: Uint32Array, rules: Int32Array): number {
    if (this.plan.order.length > 0)
      for (let i = 0; i < k; i++) for (const [a, b] of this.orderEffect(pre, words, rules, i).edges) this.knownEdges.add(`${a}\u0000${b}`)
    return k
  }

  /**
   * Reduce the successors of the loaded state `pre`: `rules[0..n)` and their packed successors in
   * `words` (W words each). Keeps a stubborn set's enabled rules, compacted to the front in their
   * order, and returns how many (n when the state is fully expanded).
   */
  reduce(pre: Reader, n: number, words: Uint32Array, rules: Int32Array): number {
    const info = this.info
    const SW = this.model.layout.words
    const nRules = this.model.rules.length
    this.tick++
    // the enabled rules, and the first of each actor (the seeds)
    const seeds: number[] = []
    const actorSeen = this.actorSeen
    actorSeen.fill(0)
    this.enabledBits.fill(0)
    for (let i = 0; i < n; i++) {
      const r = rules[i]!
      this.enabledBits[r >>> 5]! |= 1 << (r & 31)
      this.enabledAt[r] = i
      const a = info.actorOf[r]!
      if (actorSeen[a] === 0) {
        actorSeen[a] = 1
        seeds.push(r)
      }
    }
    if (seeds.length < 2) {
      this.full++
      return this.record(pre, n, words, rules)
    }
    for (let a = 0; a < info.actors; a++) this.pcNow[a] = info.pcField[a]! >= 0 ? pre.get(info.pcField[a]!) : 0
    if (this.conditional.length > 0) this.scarce = this.conditional.filter((c) => !c.counter.abundant!(pre))
    this.aliveBits.fill(0)
    this.hereBits.fill(0)
    for (let r = 0; r < nRules; r++) {
      if (this.alive(r)) this.aliveBits[r >>> 5]! |= 1 << (r & 31)
      if (!this.elsewhere(r)) this.hereBits[r >>> 5]! |= 1 << (r & 31)
    }
    // the smallest set that passes C2 and C3, the first seed's of equal ones: a closure stops
    // once it holds as many enabled rules as the best so far (or all of them)
    let best: number[] | undefined
    for (const s of seeds) {
      const c = this.closure(pre, s, best ? best.length : n)
      if (!c) {
        if (!best) this.rejected.dependent++
        continue
      }
      if (this.passes(pre, c, words, rules)) best = c
      if (best?.length === 1) break
    }
    if (!best) {
      this.full++
      return this.record(pre, n, words, rules)
    }
    for (let k = 0; k < best.length; k++) {
      const i = best[k]!
      if (i === k) continue
      rules[k] = rules[i]!
      words.copyWithin(k * SW, i * SW, (i + 1) * SW)
    }
    this.relied = true
    this.reduced++
    return this.record(pre, best.length, words, rules)
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
    this.knownEdges.clear()
  }
}
