/**
 * The compiled design's successor function (Model.successors), specialised to the design instance
 * as the search meets its states: each rule's guard and effect are memoized by the fields they
 * read (checker/readMemo.ts). A rule's trie walks the few fields its guard and effect read and
 * ends in what the rule does there: nothing (disabled), or the words of the successor as one mask
 * and one value per touched word. The rules stay the definition: a miss runs the guard and the
 * effect once, recording, and test/model/memoRules.test.ts checks on every reachable state of
 * every bundled design that the successors are the rules' own, in the same order.
 */
import type { CompiledSuccessors } from '../../checker/codegen.js'
import type { StateLayout } from '../../checker/layout.js'
import { Cursor, type Action, type Property, type Reader, type Rule, Values } from '../../checker/model.js'
import { MemoBudget, memoOfOne, ReadMemo, type RecordingReader } from '../../checker/readMemo.js'

/** What a rule does in the states of one trie leaf: disabled, or the successor's words as (cur & and) | or. */
interface Effect {
  readonly and: Uint32Array
  readonly or: Uint32Array
  /** the words the effect touches */
  readonly words: Int32Array
}
const DISABLED: Effect = { and: new Uint32Array(0), or: new Uint32Array(0), words: new Int32Array(0) }

/** A Cursor whose reads of the pre-state (get, and post of a field not yet written) are recorded. */
class RecordingCursor extends Cursor {
  rec: RecordingReader | undefined
  readonly written: number[] = []
  private readonly fieldCount: number

  constructor(layout: StateLayout) {
    super(layout)
    this.fieldCount = layout.fieldCount
  }

  override get(f: number): number {
    return this.rec!.get(f)
  }

  override set(f: number, value: number): void {
    super.set(f, value)
    if (!this.written.includes(f)) this.written.push(f)
  }

  override post(f: number): number {
    if (f < this.fieldCount && !this.written.includes(f)) return this.rec!.get(f)
    return super.post(f)
  }
}

export function memoSuccessors(layout: StateLayout, rules: readonly Rule<Action>[], derive: ((v: Int32Array) => void) | undefined): CompiledSuccessors {
  const W = layout.words
  const slots = layout.slots
  const budget = new MemoBudget()
  const memos = rules.map(() => new ReadMemo<Effect>(slots, budget))
  const reqField = Int32Array.from(rules, (r) => r.requires?.field ?? -1)
  const reqValue = Int32Array.from(rules, (r) => r.requires?.value ?? 0)
  const vals = new Int32Array(slots)
  const pre: Reader = new Values(vals)
  const cursor = new RecordingCursor(layout)

  /** Run rule r on the state in `cur` (decoded in vals), recording what it reads. */
  const record = (r: number, memo: ReadMemo<Effect>, cur: Uint32Array): Effect => {
    const rule = rules[r]!
    memo.begin(pre)
    let e = DISABLED
    if (rule.guard(memo.first)) {
      cursor.rec = memo.first
      cursor.written.length = 0
      for (let w = 0; w < W; w++) cursor.out[w] = cur[w]!
      rule.apply(cursor)
      const mask = new Uint32Array(W)
      for (const f of cursor.written) mask[layout.wordOf[f]!]! |= (layout.maskOf[f]! << layout.shiftOf[f]!) >>> 0
      const words = [...mask.keys()].filter((w) => mask[w] !== 0)
      e = {
        and: Uint32Array.from(mask, (m) => ~m >>> 0),
        or: Uint32Array.from(mask, (m, w) => (cursor.out[w]! & m) >>> 0),
        words: Int32Array.from(words),
      }
    }
    memo.add(e)
    return e
  }

  const next = (cur: Uint32Array, out: Uint32Array, ruleOut: Int32Array): number => {
    layout.decodeInto(cur, 0, vals)
    if (derive) derive(vals)
    let n = 0
    let o = 0
    for (let r = 0; r < memos.length; r++) {
      const req = reqField[r]!
      if (req >= 0 && vals[req] !== reqValue[r]) continue
      const memo = memos[r]!
      const hit = memo.findIn(vals)
      const e = hit !== undefined && hit.leaf !== undefined ? hit.leaf : record(r, memo, cur)
      if (e === DISABLED) continue
      for (let w = 0; w < W; w++) out[o + w] = cur[w]!
      const ws = e.words
      for (let k = 0; k < ws.length; k++) {
        const w = ws[k]!
        out[o + w] = (cur[w]! & e.and[w]!) | e.or[w]!
      }
      ruleOut[n++] = r
      o += W
    }
    return n
  }
  return { next, source: `// ${rules.length} rules, memoized by the fields they read (model/gpu/memoRules.ts)` }
}

/**
 * The invariants, memoized by the fields they read (step properties and order edges are memoized
 * by the search itself, per rule: Model.readsOnlyThroughReaders). `unmemoized` names those that
 * read too much of a state for a memo to pay (the deadlock invariant reads every actor; its parts
 * are memoized in standing.ts). Each has a budget of its own, so one that grows large cannot
 * starve the others.
 */
export function memoInvariants(props: readonly Property<Action>[], slots: number, unmemoized: (p: Property<Action>) => boolean): Property<Action>[] {
  return props.map((p) => (p.kind === 'invariant' && !unmemoized(p) ? { ...p, holds: memoOfOne(slots, new MemoBudget(1 << 18), (s) => p.holds(s)) } : p))
}
