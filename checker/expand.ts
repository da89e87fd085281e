/**
 * The one expansion step: decode a state, run the guards, apply each enabled rule, check the step
 * properties, canonicalize, fingerprint, and decide whether the state is a deadlock. The serial
 * and parallel searches, the simulator, the graph checks and replay all expand states through
 * this class, so what "checked" means cannot drift between them (STYLE §12).
 *
 * Hot path: one Expander per search, reused for every state; no allocation per successor. The
 * successor is handed to a sink in `out` (packed, canonical when reducing), with its fingerprint
 * in `fp` (unless the sink keeps whole states and said it needs none); `decodePost()` decodes it
 * on demand, once.
 *
 * Non-null assertions in the search loop (this file, explore.ts, visitedSet.ts, fingerprint.ts,
 * and layout.ts's encode/decode) stay. Under noUncheckedIndexedAccess every `a[i]` may be
 * undefined to the compiler; there the index is in range by construction: a word below the
 * layout's `words`, a rule number below `rules.length`, a property index the plan handed out, a
 * slot under the visited table's mask. A `!` costs nothing at run time, where `?? 0` or a check
 * would add a branch to every read of the inner loop. The few on members (`model.symmetry!`,
 * `plan.deadlock!`) rest on a check made once before the loop (symmetry requested only with a
 * declared symmetry; DEADLOCK returned only when the plan has a deadlock check).
 */
import type { SuccessorFn } from './codegen.js'
import { fingerprint, fp } from './fingerprint.js'
import { Cursor, type Action, type Model, type Reader, type Rule, Values } from './model.js'
import { DECODE, MemoBudget, ReadMemo } from './readMemo.js'
import type { PropertyPlan } from './plan.js'
import type { Reducer } from './por.js'
import type { StateStore } from './stateStore.js'

/** What `expand` found. */
export const EXPANDED = 0
/** a step property failed on the transition `brokenRule` (property index `brokenStep`) */
export const STEP_VIOLATED = 1
/** no rule is enabled and the model does not call the state terminal */
export const DEADLOCK = 2
/** the state is at the depth bound and has an enabled rule that was not taken */
export const TRUNCATED = 3
/** the sink asked to stop */
export const STOPPED = 4

/** Receives each successor of the loaded state. Return false to stop expanding it. */
export interface SuccessorSink {
  successor(rule: number): boolean
}

/** Sees every transition before canonicalization (pre-state, action, concrete post-state). */
export interface TransitionObserver<A extends Action> {
  transition(src: number, rule: number, pre: Reader, action: A, post: Reader): void
  /** A transition that reads as one already shown (the same fields, with the same values) adds
   * nothing: a search of a model that reads only through Readers may show only the first. */
  readonly repeatable?: boolean
}

export class Expander<A extends Action = Action> {
  private readonly preCursor: Cursor
  /** the successor's packed words */
  readonly out: Uint32Array
  /** the successor, decoded (valid after decodePost) */
  readonly postValues: Int32Array
  readonly post: Reader
  /** enabled rules of the loaded state, set when `expand` returns */
  enabled = 0
  /** after STEP_VIOLATED: which step property (index into plan.steps) and which rule */
  brokenStep = -1
  brokenRule = -1
  /** index of the loaded state, passed to the observer */
  index = 0
  private readonly cur: Uint32Array
  private readonly rules: readonly Rule<A>[]
  /** each rule's required field and value (Rule.requires), -1 for none: tested before its guard */
  private readonly reqField: Int32Array
  private readonly reqValue: Int32Array
  private readonly W: number
  private postReady = false
  private readonly derive: ((v: Int32Array) => void) | undefined
  private readonly canon: ((w: Uint32Array) => void) | undefined
  /** the model's generated successor function (the fast path), and its output buffers */
  private readonly next: SuccessorFn | undefined
  /** the decoded state the generated function leaves behind, if it says (Model.successors) */
  private readonly nextDecoded: Int32Array | undefined
  /** the successors the generated function wrote (successor i's words at i * words) and their rules */
  readonly nextWords: Uint32Array
  readonly nextRules: Int32Array
  /** is the loaded state decoded into the cursor? (the fast path decodes it only on demand) */
  private preReady = false
  /** fingerprint each successor into `fp` before the sink sees it (a sink that keeps whole states does not need it) */
  private readonly fingerprints: boolean
  /** per rule, the first step property its transitions break (-1: none), memoized by what the
   * properties and the observer read (Model.readsOnlyThroughReaders, a repeatable observer): a
   * transition that reads as one already checked is not checked again, nor shown to the observer.
   * Absent: each property is run, and the observer shown, every time. */
  private readonly transMemo: ReadMemo<number>[] | undefined

  constructor(
    readonly model: Model<A>,
    readonly plan: PropertyPlan<A>,
    opts: {
      readonly symmetry?: boolean
      readonly observer?: TransitionObserver<A>
      readonly generic?: boolean
      /** partial-order reduction: keeps a stubborn set of each state's successors (checker/por.ts) */
      readonly reducer?: Reducer<A>
      /** fingerprint each successor (a lean search keeps whole states and needs none) */
      readonly fingerprints?: boolean
    } = {},
  ) {
    const layout = model.layout
    this.W = layout.words
    this.rules = model.rules
    this.reqField = Int32Array.from(model.rules, (r) => r.requires?.field ?? -1)
    this.reqValue = Int32Array.from(model.rules, (r) => r.requires?.value ?? 0)
    this.preCursor = new Cursor(layout)
    this.cur = new Uint32Array(this.W)
    this.out = new Uint32Array(this.W)
    this.preCursor.out = this.out
    const compiled = opts.generic || !model.successors ? undefined : model.successors()
    this.next = compiled?.next
    this.nextDecoded = compiled?.decoded
    this.reducer = opts.reducer
    const all = this.next !== undefined || this.reducer !== undefined
    this.nextWords = new Uint32Array(all ? Math.max(1, this.rules.length) * this.W : 0)
    this.nextRules = new Int32Array(all ? Math.max(1, this.rules.length) : 0)
    this.postValues = new Int32Array(layout.slots)
    this.post = new Values(this.postValues)
    this.derive = model.derive ? model.derive.bind(model) : undefined
    const sym = opts.symmetry ? model.symmetry : undefined
    this.canon = sym ? sym.canonicalize.bind(sym) : undefined
    this.observer = opts.observer
    this.fingerprints = opts.fingerprints ?? true
    const budget = new MemoBudget(1 << 23)
    const memoizable = model.readsOnlyThroughReaders === true && (opts.observer === undefined || opts.observer.repeatable === true)
    this.transMemo =
      memoizable && (plan.steps.length > 0 || opts.observer !== undefined)
        ? model.rules.map(() => new ReadMemo<number>(layout.slots, budget, layout))
        : undefined
  }

  /**
   * Check the transition by rule r of the loaded state, its successor in `out`: the first step
   * property it breaks (index into plan.steps), or -1, after showing it to the observer. With the
   * memo, a transition that reads as one already checked is neither checked nor shown again.
   */
  private checkTransition(r: number): number {
    const pre = this.cursor
    const memo = this.transMemo?.[r]
    if (memo !== undefined && !memo.broken) {
      // The memo reads the successor's stored fields from its words: most transitions need no decode.
      const hit = memo.findPacked(pre.pre, this.out, this.model.layout)
      if (hit !== undefined && hit !== DECODE) return hit
      this.decodePost()
      memo.begin(pre, this.post)
      const p = this.checkAndShow(r, memo.first, memo.second)
      memo.add(p)
      return p
    }
    this.decodePost()
    return this.checkAndShow(r, pre, this.post)
  }

  private checkAndShow(r: number, pre: Reader, post: Reader): number {
    const steps = this.plan.steps
    const action = this.rules[r]!.action
    for (let p = 0; p < steps.length; p++) if (!steps[p]!.holds(pre, action, post)) return p
    if (this.observer !== undefined) this.observer.transition(this.index, r, pre, action, post)
    return -1
  }

  private readonly observer: TransitionObserver<A> | undefined
  private readonly reducer: Reducer<A> | undefined

  /** the loaded (pre-)state, decoded; guards and effects read it */
  get cursor(): Cursor {
    if (!this.preReady) {
      this.model.layout.decodeInto(this.cur, 0, this.preCursor.pre)
      if (this.derive) this.derive(this.preCursor.pre)
      this.preReady = true
    }
    return this.preCursor
  }

  /** Does this expander use the model's generated successor function? */
  get fast(): boolean {
    return this.next !== undefined
  }

  /**
   * The loaded state's successors by the generated function alone, into `nextWords` and
   * `nextRules`: how many. No check, canonicalization or fingerprint (a lean search's sink does
   * what it needs itself). Only when `fast`.
   */
  generate(): number {
    return this.next!(this.cur, this.nextWords, this.nextRules)
  }

  /** Load stored state `index` of `store` to expand; the observer sees it as state `shown` (the parallel search's workers show serial indices). */
  loadStored(store: StateStore, index: number, shown = index): void {
    store.read(index, this.cur)
    this.preReady = false
    this.index = shown
  }

  /** Load the state to expand from `words` at `offset`. */
  load(words: Uint32Array, offset: number, index: number): void {
    const cur = this.cur
    for (let w = 0; w < this.W; w++) cur[w] = words[offset + w]!
    this.preReady = false
    this.index = index
  }

  /**
   * Expand the loaded state: every enabled rule in rule order, each successor checked against the
   * step properties, then canonicalized and fingerprinted and given to `sink`. At the depth bound
   * (`atBound`) no rule is applied: the state is only tested for being stuck or truncated.
   */
  expand(sink: SuccessorSink, atBound: boolean): number {
    if (this.next !== undefined || this.reducer !== undefined) return this.expandFast(sink, atBound)
    const rules = this.rules
    const n = rules.length
    const cursor = this.cursor
    const out = this.out
    const cur = this.cur
    const W = this.W
    const steps = this.plan.steps
    const nSteps = steps.length
    const observer = this.observer
    const canon = this.canon
    const pre = cursor.pre
    const reqField = this.reqField
    const reqValue = this.reqValue
    let enabled = 0
    for (let r = 0; r < n; r++) {
      const req = reqField[r]!
      if (req >= 0 && pre[req] !== reqValue[r]) continue
      const rule = rules[r]!
      if (!rule.guard(cursor)) continue
      enabled++
      if (atBound) {
        this.enabled = enabled
        return TRUNCATED
      }
      for (let w = 0; w < W; w++) out[w] = cur[w]!
      rule.apply(cursor)
      this.postReady = false
      if (nSteps > 0 || observer !== undefined) {
        this.decodePost()
        for (let p = 0; p < nSteps; p++) {
          if (!steps[p]!.holds(cursor, rule.action, this.post)) {
            this.brokenStep = p
            this.brokenRule = r
            this.enabled = enabled
            return STEP_VIOLATED
          }
        }
        if (observer !== undefined) observer.transition(this.index, r, cursor, rule.action, this.post)
      }
      if (canon !== undefined) {
        canon(out)
        this.postReady = false
      }
      if (this.fingerprints) fingerprint(out, 0, W)
      if (!sink.successor(r)) {
        this.enabled = enabled
        return STOPPED
      }
    }
    this.enabled = enabled
    return enabled === 0 && this.stuck() ? DEADLOCK : EXPANDED
  }

  /**
   * `expand` on the generated successor function: the same successors in the same order, then
   * the same checks, canonicalization and fingerprint as the rule-by-rule path.
   */
  private expandFast(sink: SuccessorSink, atBound: boolean): number {
    const all = this.next !== undefined ? this.next(this.cur, this.nextWords, this.nextRules) : this.allSuccessors()
    if (this.nextDecoded !== undefined && !this.preReady) {
      this.preCursor.pre.set(this.nextDecoded)
      this.preReady = true
    }
    if (all === 0) {
      this.enabled = 0
      return this.stuck() ? DEADLOCK : EXPANDED
    }
    if (atBound) {
      this.enabled = 1
      return TRUNCATED
    }
    const n = this.reducer !== undefined ? this.reducer.reduce(this.cursor, all, this.nextWords, this.nextRules) : all
    const words = this.nextWords
    const ruleOf = this.nextRules
    const out = this.out
    const W = this.W
    const nSteps = this.plan.steps.length
    const observer = this.observer
    const canon = this.canon
    for (let i = 0; i < n; i++) {
      const base = i * W
      for (let w = 0; w < W; w++) out[w] = words[base + w]!
      const r = ruleOf[i]!
      this.postReady = false
      if (nSteps > 0 || observer !== undefined) {
        const p = this.checkTransition(r)
        if (p >= 0) {
          this.brokenStep = p
          this.brokenRule = r
          this.enabled = i + 1
          return STEP_VIOLATED
        }
      }
      if (canon !== undefined) {
        canon(out)
        this.postReady = false
      }
      if (this.fingerprints) fingerprint(out, 0, W)
      if (!sink.successor(r)) {
        this.enabled = i + 1
        return STOPPED
      }
    }
    this.enabled = all
    return EXPANDED
  }

  /** Every successor of the loaded state, rule by rule, into the fast path's buffers (for the reducer). */
  private allSuccessors(): number {
    const cursor = this.cursor
    const W = this.W
    let n = 0
    for (let r = 0; r < this.rules.length; r++) {
      const rule = this.rules[r]!
      if (!rule.guard(cursor)) continue
      for (let w = 0; w < W; w++) this.out[w] = this.cur[w]!
      rule.apply(cursor)
      this.nextWords.set(this.out, n * W)
      this.nextRules[n++] = r
    }
    return n
  }

  /** The loaded state has no enabled rule: is it a deadlock (not terminal)? */
  private stuck(): boolean {
    const d = this.plan.deadlock
    return d !== undefined && !d.terminal(this.cursor)
  }

  /** The caller wrote another successor into `out`: the next decodePost decodes it afresh. */
  outChanged(): void {
    this.postReady = false
  }

  /** Decode the successor in `out` into `post` (once per successor). */
  decodePost(): void {
    if (this.postReady) return
    this.model.layout.decodeInto(this.out, 0, this.postValues)
    if (this.derive) this.derive(this.postValues)
    this.postReady = true
  }

  /** Apply rule `r` (enabled in the loaded state) without checks: its successor is left in `out`, not canonicalized. */
  applyRule(r: number): void {
    const cursor = this.cursor
    for (let w = 0; w < this.W; w++) this.out[w] = this.cur[w]!
    this.rules[r]!.apply(cursor)
    this.postReady = false
  }

  /** Is rule r enabled in the loaded state? */
  isEnabled(r: number): boolean {
    return this.rules[r]!.guard(this.cursor)
  }

  /** The rules enabled in the loaded state, in rule order. */
  enabledRules(): number[] {
    const out: number[] = []
    for (let r = 0; r < this.rules.length; r++) if (this.rules[r]!.guard(this.cursor)) out.push(r)
    return out
  }

  /** Is the loaded state a deadlock (no rule enabled, not terminal)? */
  isDeadlock(): boolean {
    for (let r = 0; r < this.rules.length; r++) if (this.rules[r]!.guard(this.cursor)) return false
    return this.stuck()
  }
}

/**
 * The checks on a newly stored state: `sometimes` witnesses, then invariants. One instance per
 * search; `witnesses[p]` is the index of the first state found reaching witness p (or -1).
 */
export class StateChecks {
  readonly witnesses: number[]
  readonly witnessDepth: number[]
  /** `sometimes` witnesses not reached yet (while there are, `check` needs the decoded state) */
  unreached: number
  /** does anything need the decoded state (an invariant, or a witness not yet reached)? */
  needed: boolean

  constructor(
    readonly plan: Pick<PropertyPlan, 'invariants' | 'sometimes'>,
    from?: { readonly witnesses: readonly number[]; readonly witnessDepth: readonly number[] },
  ) {
    this.witnesses = from ? [...from.witnesses] : plan.sometimes.map(() => -1)
    this.witnessDepth = from ? [...from.witnessDepth] : plan.sometimes.map(() => -1)
    this.unreached = this.witnesses.filter((w) => w === -1).length
    this.needed = plan.invariants.length > 0 || this.unreached > 0
  }

  /** Check the state `s`, stored at `index`: the index of the first broken invariant, or -1. */
  check(s: Reader, index: number, depth: number): number {
    if (this.unreached > 0) {
      const sometimes = this.plan.sometimes
      for (let p = 0; p < sometimes.length; p++) {
        if (this.witnesses[p] === -1 && sometimes[p]!.holds(s)) {
          this.witnesses[p] = index
          this.witnessDepth[p] = depth
          this.unreached--
        }
      }
      if (this.unreached === 0) this.needed = this.plan.invariants.length > 0
    }
    const inv = this.plan.invariants
    for (let p = 0; p < inv.length; p++) if (!inv[p]!.holds(s)) return p
    return -1
  }
}

export { fp }
