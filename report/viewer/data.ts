/**
 * The data a trace viewer page embeds as JSON (`<script type="application/json"
 * id="fencecheck-data">`): written by report/html.ts, read by client.ts in the browser. One
 * declaration for both sides, so the compiler holds writer and reader together.
 */

export interface PageData {
  readonly initialState: Record<string, unknown>
  /** the initial state in the model's words */
  readonly initial: readonly string[]
  /** the initial state in full, in the model's words, for the state panel (absent: the raw fields are shown) */
  readonly initialLines?: readonly string[]
  /** the step the page opens at when the address names none (the violating step) */
  readonly openAt: number
  readonly steps: readonly PageStep[]
  /** the graph panel is shown only when some step has a graph */
  readonly hasGraphs: boolean
  /** shown when the last step is selected (violations only) */
  readonly end?: { readonly line: string; readonly explanation: readonly string[] }
}

export interface PageStep {
  readonly actor: string
  readonly color: string
  readonly text: string
  /** what changed, in the model's words */
  readonly changes: readonly string[]
  /** the state fields this step changed: field -> [before, after] */
  readonly fields: Readonly<Record<string, readonly [unknown, unknown]>>
  readonly state: Record<string, unknown>
  /** the state after the step in full, in the model's words (absent: the raw fields are shown) */
  readonly stateLines?: readonly string[]
  /** DOT source of the step's graph (shown when there is no SVG) */
  readonly graph?: string
  /** the step's graph as inline SVG, already made safe to inline */
  readonly svg?: string
}
