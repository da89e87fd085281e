/**
 * The compiled design's successor function (Model.successors), specialised to the design instance
 * as the search meets its states: each actor's guards and effects are memoized by the fields they
 * read (checker/readMemo.ts). An actor's trie walks the few fields its rules read at its current
 * step and ends in what they do there: which are enabled, and each one's successor as one mask and
 * one value per touched word. The rules stay the definition: a miss runs the guard and the
 * effect once, recording, and test/model/memoRules.test.ts checks on every reachable state of
 * every bundled design that the successors are the rules' own, in the same order.
 */
import type { CompiledSuccessors } from '../../checker/codegen.js'
import type { StateLayout } from '../../checker/layout.js'
import { Cursor, type Action, type Property, type Reader, type Rule, Values } from '../../checker/model.js'
import { MemoBudget, memoOfOne, ReadMemo, type RecordingReader } from '../../checker/readMemo.js'

/** What one actor's rules do in the states of one trie leaf: the enabled ones, in rule order, and
 * each one's successor as (cur & and) | or over the words it touches. */
interface Enabled {
  readonly rules: Int32Array
  /** per enabled rule: its touched words, their and-masks and or-values, as consecutive triples */
  readonly writes: readonly Uint32Array[]
}

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

/**
 * The successor function over `rules`, one memo per actor (`all`: each actor's rule numbers, in
 * rule order; together every rule once): an actor's trie walks the fields its rules read at its
 * current step and ends in what they do there. The successors of all actors are then put in rule
 * order.
 */
export function memoSuccessors(
  layout: StateLayout,
  rules: readonly Rule<Action>[],
  derive: ((v: Int32Array) => void) | undefined,
  all: readonly (readonly number[])[],
): CompiledSuccessors & { readonly decoded: Int32Array } {
  // an actor without rules has nothing to look up: no memo is walked for it on every state
  const actors = all.filter((rs) => rs.length > 0)
  const W = layout.words
  const slots = layout.slots
  const budget = new MemoBudget(1 << 24)
  const memos = actors.map(() => new ReadMemo<Enabled>(slots, budget, layout))
  const vals = new Int32Array(slots)
  const pre: Reader = new Values(vals)
  const cursor = new RecordingCursor(layout)
  const found = new Int32Array(Math.max(1, rules.length))
  const foundWrites: Uint32Array[] = []

  /** Run actor a's rules on the state in `cur` (decoded in vals), recording what they read. */
  const record = (a: number, memo: ReadMemo<Enabled>, cur: Uint32Array): Enabled => {
    memo.begin(pre)
    const on: number[] = []
    const writes: Uint32Array[] = []
    for (const r of actors[a]!) {
      const rule = rules[r]!
      if (rule.requires && memo.first.get(rule.requires.field) !== rule.requires.value) continue
      if (!rule.guard(memo.first)) continue
      cursor.rec = memo.first
      cursor.written.length = 0
      for (let w = 0; w < W; w++) cursor.out[w] = cur[w]!
      rule.apply(cursor)
      const mask = new Uint32Array(W)
      for (const f of cursor.written) mask[layout.wordOf[f]!]! |= (layout.maskOf[f]! << layout.shiftOf[f]!) >>> 0
      const triples: number[] = []
      mask.forEach((m, w) => {
        if (m !== 0) triples.push(w, ~m >>> 0, (cursor.out[w]! & m) >>> 0)
      })
      on.push(r)
      writes.push(Uint32Array.from(triples))
    }
    const e: Enabled = { rules: Int32Array.from(on), writes }
    memo.add(e)
    return e
  }

  const next = (cur: Uint32Array, out: Uint32Array, ruleOut: Int32Array): number => {
    layout.decodeInto(cur, 0, vals)
    if (derive) derive(vals)
    let n = 0
    for (let a = 0; a < memos.length; a++) {
      const memo = memos[a]!
      const hit = memo.findIn(vals)
      const e = hit ?? record(a, memo, cur)
      const rs = e.rules
      for (let k = 0; k < rs.length; k++) {
        // insertion into rule order (a handful of successors)
        const r = rs[k]!
        let at = n++
        while (at > 0 && found[at - 1]! > r) {
          found[at] = found[at - 1]!
          foundWrites[at] = foundWrites[at - 1]!
          at--
        }
        found[at] = r
        foundWrites[at] = e.writes[k]!
      }
    }
    for (let i = 0; i < n; i++) {
      const o = i * W
      for (let w = 0; w < W; w++) out[o + w] = cur[w]!
      const t = foundWrites[i]!
      for (let k = 0; k < t.length; k += 3) {
        const w = t[k]!
        out[o + w] = (cur[w]! & t[k + 1]!) | t[k + 2]!
      }
      ruleOut[i] = found[i]!
    }
    return n
  }
  return {
    next,
    decoded: vals,
    source: `// ${rules.length} rules of ${actors.length} actors with rules, memoized by the fields they read (model/gpu/memoRules.ts)`,
  }
}

/**
 * The invariants, memoized by the fields they read (step properties and order edges are memoized
 * by the search itself, per rule: Model.readsOnlyThroughReaders). `unmemoized` names those that
 * read too much of a state for a memo to pay (the deadlock invariant reads every actor; its parts
 * are memoized in standing.ts). Each has a budget of its own, so one that grows large cannot
 * starve the others.
 */
export function memoInvariants(props: readonly Property<Action>[], layout: StateLayout, unmemoized: (p: Property<Action>) => boolean): Property<Action>[] {
  return props.map((p) =>
    p.kind === 'invariant' && !unmemoized(p) ? { ...p, holds: memoOfOne(layout.slots, new MemoBudget(1 << 20), (s) => p.holds(s), layout) } : p,
  )
}
