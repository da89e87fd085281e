/**
 * Generated successor functions: a model may offer, beside its rules, one JavaScript function
 * that computes every successor of a packed state at once, with the guards and effects written
 * out over the state's words (no Reader or Cursor calls, no decode, no range check where the
 * layout already guarantees the value). The Expander uses it as its fast path; the rules stay
 * the model's definition and the oracle the generated function is tested against, successor by
 * successor (test/checker/codegen.test.ts).
 *
 * A model writes the function with a SuccessorWriter: it names each rule's cases (a guard and
 * the fields it assigns, as expressions over the pre-state) in rule order, and `compile` turns
 * them into straight-line code, compiled with `new Function` once per search.
 */
import { type Field, ModelError, type StateLayout } from './layout.js'

/**
 * Every successor of the packed state in `cur`, in rule order: successor i's words at
 * `out[i * words]`, the number of the rule that produced it at `rules[i]`. Returns how many there
 * are. `out` holds at least rules × words values, `rules` at least one per rule.
 */
export type SuccessorFn = (cur: Uint32Array, out: Uint32Array, rules: Int32Array) => number

/** A predicate over a packed state: its words from `offset` on. */
export type PackedPredicate = (words: Uint32Array, offset: number) => boolean

/**
 * A predicate over the packed state, generated: `build` writes it as a JavaScript expression over
 * the state's fields, `v(f)` naming the value of stored field f (read with one shift and mask, as
 * the successor function reads it). A model gives one beside an invariant's `holds`, so that a
 * search tests it without decoding each new state; the test suite compares the two state by state.
 */
export function compilePredicate(layout: StateLayout, build: (v: (f: Field) => string) => string): PackedPredicate {
  const used = new Set<Field>()
  const v = (f: Field): string => {
    if (!(f >= 0 && f < layout.fieldCount)) throw new RangeError(`field ${f} is not a stored field of the layout`)
    used.add(f)
    return `v${f}`
  }
  const expr = build(v)
  const lines = [...fieldReads(layout, used, 'o'), `return (${expr});`]
  const source = `function holds(cur, o) {\n${lines.join('\n')}\n}`
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated once per model from its own field expressions (see above)
  const make = new Function(`"use strict"; return ${source}`) as () => PackedPredicate
  return make()
}

/** The generated lines that read the state's words and then each used field's value. */
function fieldReads(L: StateLayout, used: ReadonlySet<Field>, offset?: string): string[] {
  const lines: string[] = []
  for (let w = 0; w < L.words; w++) lines.push(`const w${w} = cur[${offset === undefined ? w : `${offset} + ${w}`}];`)
  for (const f of [...used].sort((a, b) => a - b)) {
    const min = L.minOf[f]!
    lines.push(`const v${f} = ((w${L.wordOf[f]} >>> ${L.shiftOf[f]}) & ${L.maskOf[f]})${min ? ` + (${min})` : ''};`)
  }
  return lines
}

export interface CompiledSuccessors {
  readonly next: SuccessorFn
  /** the generated source, for tests and for reading */
  readonly source: string
}

/** One assignment of an effect: field := an expression over the pre-state (or a constant). */
export type Write = readonly [Field, string | number]

/**
 * Builds a successor function over a layout. Expressions are JavaScript over the pre-state:
 * `v(f)` names the decoded value of stored field f, and `let` adds a named value computed once per
 * state (a model's derived values, say). Effects read the pre-state only, as guards do.
 */
export class SuccessorWriter {
  private readonly prelude: string[] = []
  private readonly cases: string[] = []
  private readonly used = new Set<Field>()
  private lastRule = -1

  constructor(
    readonly layout: StateLayout,
    readonly ruleCount: number,
  ) {}

  /** The pre-state value of stored field f, as an expression. */
  v(f: Field): string {
    if (!(f >= 0 && f < this.layout.fieldCount)) throw new RangeError(`field ${f} is not a stored field of the layout`)
    this.used.add(f)
    return `v${f}`
  }

  /** A value computed once per state before any guard, named `name` in later expressions. */
  let(name: string, expr: string): string {
    if (!/^[a-z_][A-Za-z0-9_]*$/.test(name) || /^v\d+$/.test(name)) throw new RangeError(`'${name}' is not a name the generated code may bind`)
    this.prelude.push(`const ${name} = ${expr};`)
    return name
  }

  /**
   * A case of rule `rule`: when `guard` holds, the successor is the pre-state with `writes`
   * applied. Cases come in rule order; a rule may have several cases, which must exclude each
   * other (at most one holds in any state), so that each rule yields at most one successor.
   */
  rule(rule: number, guard: string, writes: readonly Write[]): void {
    if (!Number.isInteger(rule) || rule < this.lastRule || rule >= this.ruleCount) throw new RangeError(`rule ${rule} is out of order (after ${this.lastRule})`)
    this.lastRule = rule
    const L = this.layout
    const body: string[] = []
    const touched = new Set<number>()
    const assigned = new Set<Field>()
    for (const [f, value] of writes) {
      if (assigned.has(f)) throw new RangeError(`rule ${rule} assigns field '${L.name(f)}' twice`)
      assigned.add(f)
      const w = L.wordOf[f]!
      const sh = L.shiftOf[f]!
      const mask = L.maskOf[f]!
      const min = L.minOf[f]!
      const keep = ~(mask << sh) >>> 0
      touched.add(w)
      if (typeof value === 'number') {
        if (!(Number.isInteger(value) && value >= min && value <= L.maxOf[f]!)) {
          throw new RangeError(`rule ${rule} writes ${value} to field '${L.name(f)}', outside its range ${min}..${L.maxOf[f]}`)
        }
        body.push(`p${w} = (p${w} & ${keep}) | ${((value - min) << sh) >>> 0};`)
      } else {
        // A computed value: checked against the declared range, as Cursor.set checks it.
        body.push(`{ const x = ${value}; if (!(x >= ${min} && x <= ${L.maxOf[f]})) fail(${f}, x); p${w} = (p${w} & ${keep}) | ((x - ${min}) << ${sh}); }`)
      }
    }
    const W = L.words
    const copy = Array.from({ length: W }, (_, w) => (touched.has(w) ? `let p${w} = w${w};` : '')).join(' ')
    const store = Array.from({ length: W }, (_, w) => `out[o + ${w}] = ${touched.has(w) ? `p${w}` : `w${w}`};`).join(' ')
    this.cases.push(`if (${guard}) { ${copy} ${body.join(' ')} ${store} rules[n++] = ${rule}; o += ${W}; }`)
  }

  /**
   * The cases `body` writes are tried only where `cond` holds: one test for a conjunct their
   * guards share, instead of one per case (their guards may repeat it or leave it out). Groups
   * nest, and cases keep their order, so the successors and their order are the same.
   */
  when(cond: string, body: () => void): void {
    this.cases.push(`if (${cond}) {`)
    body()
    this.cases.push('}')
  }

  compile(): CompiledSuccessors {
    const L = this.layout
    const lines = fieldReads(L, this.used)
    lines.push(...this.prelude, 'let n = 0;', 'let o = 0;', ...this.cases, 'return n;')
    const body = lines.join('\n')
    const source = `function next(cur, out, rules) {\n${body}\n}`
    const fail = (f: Field, x: number): never => {
      throw new ModelError('FC300', `value ${x} is outside the declared range of state field '${L.name(f)}'`)
    }
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated once per search from the model's own rule cases (see above): the fast path of the Expander
    const make = new Function('fail', `"use strict"; return ${source}`) as (f: typeof fail) => SuccessorFn
    const next = make(fail)
    return { next, source }
  }
}
