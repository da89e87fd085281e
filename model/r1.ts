/**
 * R1, the reference transition system: fault vs. reclaim on a shared engine (seed 000; the
 * kernel's own statement is Documentation/driver-api/dma-buf.rst, "Recoverable Hardware Page
 * Faults Implications": "The compute workload might be stuck in a page fault, because the memory
 * allocation is waiting for the DMA fence of the 3D workload to complete").
 *
 * A compute job that page-faults keeps its compute unit (CU) while the fault handler's allocation
 * enters reclaim, and reclaim waits on the dma_fence of a graphics job that can never get a CU.
 * Built exactly as the reference specification states it; bench/r1.pml (SPIN) and bench/r1.m
 * (Murphi) encode the same system and must reach the same number of states.
 */
import { LayoutBuilder, type StateLayout, bool, enumOf, int } from '../checker/layout.js'
import { type Action, type Cursor, type Model, type Reader, type Rule, sometimes } from '../checker/model.js'
import type { ParamSpec, ParamValues } from '../checker/params.js'
import type { Narrator } from '../report/narrator.js'
import { pageConservation } from '../properties/r1.js'
import { POLICIES } from './r1Encoding.js'
import { r1PackedConservation, type R1Shape, r1Successors } from './r1Successors.js'

export { BO, GST, KST, POLICIES, type Policy, type R1Fields } from './r1Encoding.js'
import { BO, GST, KST, type Policy, type R1Fields } from './r1Encoding.js'

/** Deliberate bugs, for showing that a property can fail. */
export const BUGS = ['none', 'evict-leaks-page'] as const

export const R1_PARAMS: readonly ParamSpec[] = [
  { name: 'C', kind: 'int', min: 1, max: 16, doc: 'compute units (CUs) on the shared engine' },
  { name: 'G', kind: 'int', min: 0, max: 8, doc: 'graphics (dma_fence) jobs' },
  { name: 'K', kind: 'int', min: 0, max: 8, doc: 'compute (hmm_fence) jobs that may page-fault' },
  { name: 'M', kind: 'int', min: 0, max: 16, doc: 'free pages at start' },
  {
    name: 'POLICY',
    kind: 'enum',
    values: POLICIES,
    doc: 'naive | reserve (one CU kept for dma_fence work) | preempt (gfx preempts compute) | skip (reclaim skips unsignalled fences)',
  },
  { name: 'BUG', kind: 'enum', values: BUGS, default: 'none', doc: 'evict-leaks-page: eviction forgets to free the page (breaks page conservation)' },
]

export function r1(params: ParamValues): Model<Action> & { fields: R1Fields } {
  const C = params.C as number
  const G = params.G as number
  const K = params.K as number
  const M = params.M as number
  const policy = params.POLICY as Policy
  const bug = (params.BUG ?? 'none') as (typeof BUGS)[number]

  const b = new LayoutBuilder()
  const fields: R1Fields = {
    free: b.scalar('free', int(0, M + G)),
    gst: b.array('gst', G, enumOf('Q', 'R', 'D')),
    bo: b.array('bo', G, enumOf('RES', 'EVI')),
    kst: b.array('kst', K, enumOf('Q', 'RUN', 'FLT', 'WAIT', 'OK', 'DONE', 'FAIL')),
    cu: b.array('cu', K, bool),
    wt: b.array('wt', K, int(-1, Math.max(G - 1, -1))),
    usedC: b.derived('usedC'),
    compC: b.derived('compC'),
    evictable: b.derived('evictable'),
    anyResident: b.derived('anyResident'),
  }
  const layout = b.build()
  const { free, gst, bo, kst, cu, wt, usedC, compC, evictable, anyResident } = fields

  const shape: R1Shape = { C, G, K, policy, leaksPage: bug === 'evict-leaks-page' }
  const rules = r1Rules(fields, shape)
  const canonicalize = r1Canonicalize(layout, fields, G, K)

  const initial = new Int32Array(layout.fieldCount)
  initial[free] = M
  for (const f of wt) initial[f] = -1

  return {
    name: 'r1',
    about: 'fault vs. reclaim on a shared engine (the reference transition system)',
    params: { C, G, K, M, POLICY: policy, ...(bug !== 'none' ? { BUG: bug } : {}) },
    layout,
    fields,
    init: () => [initial],
    rules,
    successors: () => r1Successors(layout, fields, shape, rules),
    symmetry: { describe: 'graphics jobs interchangeable, compute jobs interchangeable', canonicalize },
    derive(v) {
      let running = 0
      let comp = 0
      let ev = 0
      let res = 0
      for (let g = 0; g < G; g++) {
        if (v[gst[g]!] === GST.R) running++
        if (v[bo[g]!] === BO.RES) {
          res = 1
          if (v[gst[g]!] === GST.D) ev = 1
        }
      }
      for (let k = 0; k < K; k++) comp += v[cu[k]!]!
      v[usedC] = running + comp
      v[compC] = comp
      v[evictable] = ev
      v[anyResident] = res
    },
    properties: [
      { ...pageConservation(fields, M + G, K, G), packed: r1PackedConservation(layout, fields, M + G) },
      // Vacuity guards: a proof of deadlock freedom means little if no job ever gets anywhere.
      ...(G > 0 ? [sometimes('a graphics dma_fence signals', (s: Reader) => gst.some((f) => s.get(f) === GST.D))] : []),
      ...(K > 0 ? [sometimes('a compute page fault is served', (s: Reader) => kst.some((f) => s.get(f) === KST.OK))] : []),
      ...(K > 0 && G > 0 && M === 0 ? [sometimes('reclaim evicts a buffer object', (s: Reader) => bo.some((f) => s.get(f) === BO.EVI))] : []),
    ],
    deadlock: {
      name: 'deadlock',
      id: 'deadlock',
      cite: 'R1 spec; dma-buf.rst "Recoverable Hardware Page Faults Implications"',
      // Terminal: every gfx job done and every compute job DONE or FAIL.
      terminal: (s) => {
        for (let g = 0; g < G; g++) if (s.get(gst[g]!) !== GST.D) return false
        for (let k = 0; k < K; k++) {
          const st = s.get(kst[k]!)
          if (st !== KST.DONE && st !== KST.FAIL) return false
        }
        return true
      },
    },
  }
}

/** Adds a rule to the list being built. */
type AddRule = (action: Action, guard: (s: Reader) => boolean, apply: (s: Cursor) => void) => void

/** R1's rules, in the order its generated successor function (r1Successors.ts) mirrors: the graphics jobs', then each compute job's. */
function r1Rules(fields: R1Fields, shape: R1Shape): Rule<Action>[] {
  const { C, G, K } = shape
  const { gst, cu, usedC } = fields
  const rules: Rule<Action>[] = []
  const rule: AddRule = (action, guard, apply) => {
    rules.push({ action, guard, apply })
  }

  for (let g = 0; g < G; g++) {
    rule(
      { name: 'gfx_start', g },
      (s) => s.get(gst[g]!) === GST.Q && s.get(usedC) < C,
      (s) => s.set(gst[g]!, GST.R),
    )
  }
  if (shape.policy === 'preempt') {
    for (let g = 0; g < G; g++) {
      for (let k = 0; k < K; k++) {
        rule(
          { name: 'gfx_preempt', g, k },
          (s) => s.get(gst[g]!) === GST.Q && s.get(usedC) === C && s.get(cu[k]!) === 1,
          (s) => {
            s.set(cu[k]!, 0)
            s.set(gst[g]!, GST.R)
          },
        )
      }
    }
  }
  for (let g = 0; g < G; g++) {
    // Its dma_fence signals.
    rule(
      { name: 'gfx_end', g },
      (s) => s.get(gst[g]!) === GST.R,
      (s) => s.set(gst[g]!, GST.D),
    )
  }
  for (let k = 0; k < K; k++) computeRules(rule, fields, shape, k)
  return rules
}

/** Compute job k's rules: start, resume, fault, the fault handler's alloc, evict, wait and fail, the wake, and its end. */
function computeRules(rule: AddRule, fields: R1Fields, shape: R1Shape, k: number): void {
  const { C, G, policy } = shape
  const { free, gst, bo, kst, cu, wt, usedC, compC, evictable, anyResident } = fields
  /** comp_start/comp_resume's CU condition: a CU is free and, under reserve, one stays for gfx. */
  const computeMayTakeCU = (s: Reader): boolean => s.get(usedC) < C && (policy !== 'reserve' || s.get(compC) < C - 1)

  rule(
    { name: 'comp_start', k },
    (s) => s.get(kst[k]!) === KST.Q && computeMayTakeCU(s),
    (s) => {
      s.set(kst[k]!, KST.RUN)
      s.set(cu[k]!, 1)
    },
  )
  rule(
    { name: 'comp_resume', k },
    (s) => {
      const st = s.get(kst[k]!)
      return st >= KST.RUN && st <= KST.OK && s.get(cu[k]!) === 0 && computeMayTakeCU(s)
    },
    (s) => s.set(cu[k]!, 1),
  )
  // The GPU touches a non-present page; the job keeps its CU while the fault is served.
  rule(
    { name: 'comp_fault', k },
    (s) => s.get(kst[k]!) === KST.RUN && s.get(cu[k]!) === 1,
    (s) => s.set(kst[k]!, KST.FLT),
  )
  rule(
    { name: 'fault_alloc', k },
    (s) => s.get(kst[k]!) === KST.FLT && s.get(free) > 0,
    (s) => {
      s.set(free, s.get(free) - 1)
      s.set(kst[k]!, KST.OK)
    },
  )
  for (let g = 0; g < G; g++) {
    // Reclaim evicts a BO whose fence has signalled.
    rule(
      { name: 'fault_evict', k, g },
      (s) => s.get(kst[k]!) === KST.FLT && s.get(free) === 0 && s.get(gst[g]!) === GST.D && s.get(bo[g]!) === BO.RES,
      (s) => {
        s.set(bo[g]!, BO.EVI)
        if (!shape.leaksPage) s.set(free, s.get(free) + 1)
      },
    )
  }
  if (policy !== 'skip') {
    for (let g = 0; g < G; g++) {
      // Reclaim waits on an unsignalled dma_fence (allowed by rule 4, and the crux of the deadlock).
      rule(
        { name: 'fault_wait', k, g },
        (s) => s.get(kst[k]!) === KST.FLT && s.get(free) === 0 && s.get(gst[g]!) !== GST.D && s.get(bo[g]!) === BO.RES,
        (s) => {
          s.set(kst[k]!, KST.WAIT)
          s.set(wt[k]!, g)
        },
      )
    }
  }
  rule(
    { name: 'fault_fail', k },
    (s) => s.get(kst[k]!) === KST.FLT && s.get(free) === 0 && s.get(evictable) === 0 && (policy === 'skip' || s.get(anyResident) === 0),
    (s) => {
      s.set(kst[k]!, KST.FAIL)
      s.set(cu[k]!, 0)
    },
  )
  rule(
    { name: 'wait_wake', k },
    (s) => s.get(kst[k]!) === KST.WAIT && s.get(gst[s.get(wt[k]!)]!) === GST.D,
    (s) => {
      const g = s.get(wt[k]!)
      if (s.get(bo[g]!) === BO.RES) {
        s.set(bo[g]!, BO.EVI)
        s.set(free, s.get(free) + 1)
      }
      s.set(kst[k]!, KST.FLT)
      s.set(wt[k]!, -1)
    },
  )
  rule(
    { name: 'comp_end', k },
    (s) => s.get(kst[k]!) === KST.OK && s.get(cu[k]!) === 1,
    (s) => {
      s.set(kst[k]!, KST.DONE)
      s.set(cu[k]!, 0)
      s.set(free, s.get(free) + 1)
    },
  )
}

/**
 * Symmetry: graphics jobs are interchangeable, and so are compute jobs. The canonical member of
 * an orbit sorts graphics jobs by (gst, bo, the sorted (kst, cu) of the compute jobs waiting on
 * them) and compute jobs by (kst, cu, wt) after renaming wt. Graphics jobs that tie on that key
 * are interchangeable in the whole state, so the result is the same for every member: exact.
 */
function r1Canonicalize(layout: StateLayout, fields: R1Fields, G: number, K: number): (words: Uint32Array) => void {
  const { free, gst, bo, kst, cu, wt } = fields
  const scratch = new Int32Array(layout.fieldCount)
  const gOrder = Array.from({ length: G }, (_, g) => g)
  const kOrder = Array.from({ length: K }, (_, k) => k)
  const rename = new Int32Array(Math.max(G, 1))
  const gKey = new Array<string>(G)
  return (words: Uint32Array): void => {
    layout.decodeInto(words, 0, scratch)
    for (let g = 0; g < G; g++) {
      const waiting: number[] = []
      for (let k = 0; k < K; k++) if (scratch[wt[k]!] === g) waiting.push(scratch[kst[k]!]! * 2 + scratch[cu[k]!]!)
      waiting.sort((a, b) => a - b)
      gKey[g] = `${scratch[gst[g]!]}${scratch[bo[g]!]}:${waiting.join(',')}`
    }
    gOrder.sort((a, b) => (gKey[a]! < gKey[b]! ? -1 : gKey[a]! > gKey[b]! ? 1 : 0))
    for (let i = 0; i < G; i++) rename[gOrder[i]!] = i
    const kKey = (k: number): number => (scratch[kst[k]!]! * 2 + scratch[cu[k]!]!) * (G + 1) + (scratch[wt[k]!]! < 0 ? 0 : rename[scratch[wt[k]!]!]! + 1)
    kOrder.sort((a, b) => kKey(a) - kKey(b))
    const out = new Int32Array(layout.fieldCount)
    out[free] = scratch[free]!
    for (let i = 0; i < G; i++) {
      out[gst[i]!] = scratch[gst[gOrder[i]!]!]!
      out[bo[i]!] = scratch[bo[gOrder[i]!]!]!
    }
    for (let i = 0; i < K; i++) {
      const k = kOrder[i]!
      out[kst[i]!] = scratch[kst[k]!]!
      out[cu[i]!] = scratch[cu[k]!]!
      out[wt[i]!] = scratch[wt[k]!]! < 0 ? -1 : rename[scratch[wt[k]!]!]!
    }
    words.set(layout.encode(out))
  }
}

/** R1's steps in the words of the reference specification: which job acts, and what it does. */
export function r1Narrator(params: ParamValues): Narrator<Action> {
  const G = params.G as number
  const K = params.K as number
  return {
    describeStep: (_pre, a) => {
      const actor = a.k !== undefined && a.name !== 'gfx_preempt' ? `compute job k${String(a.k)}` : `graphics job g${String(a.g)}`
      const text: Record<string, string> = {
        gfx_start: 'starts on a free CU',
        gfx_preempt: `preempts compute job k${String(a.k)} and takes its CU`,
        gfx_end: 'completes: its dma_fence signals',
        comp_start: 'starts on a free CU',
        comp_resume: 'gets a CU back',
        comp_fault: 'GPU page fault: it stalls, keeping its CU',
        fault_alloc: 'the fault handler allocates a free page',
        fault_evict: `reclaim evicts g${String(a.g)}'s buffer (its fence has signalled): a page is freed`,
        fault_wait: `no free page: reclaim waits on g${String(a.g)}'s dma_fence`,
        fault_fail: 'no page can be found: the fault fails and the job is killed',
        wait_wake: 'the awaited dma_fence signalled: reclaim goes on',
        comp_end: 'completes and frees its page',
      }
      return { actor, text: text[a.name] ?? a.name }
    },
    actors: () => [...Array.from({ length: G }, (_, g) => `graphics job g${g}`), ...Array.from({ length: K }, (_, k) => `compute job k${k}`)],
  }
}
