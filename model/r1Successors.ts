/**
 * R1's successor function, generated (checker/codegen.ts): the rules of model/r1.ts written once
 * more as guards and assignments over the packed state, in the same order. model/r1.ts's rules
 * are the definition; test/checker/codegen.test.ts compares the two successor by successor over
 * R1's state spaces, and the SPIN count test compares the counts the fast path reaches.
 */
import { type CompiledSuccessors, compilePredicate, type PackedPredicate, SuccessorWriter } from '../checker/codegen.js'
import type { StateLayout } from '../checker/layout.js'
import type { Action, Rule } from '../checker/model.js'
import { BO, GST, KST, type Policy, type R1Fields } from './r1Encoding.js'

export interface R1Shape {
  readonly C: number
  readonly G: number
  readonly K: number
  readonly policy: Policy
  readonly leaksPage: boolean
}

export function r1Successors(layout: StateLayout, f: R1Fields, shape: R1Shape, rules: readonly Rule<Action>[]): CompiledSuccessors {
  const { C, G, K, policy } = shape
  const w = new SuccessorWriter(layout, rules.length)
  const free = w.v(f.free)
  const gst = f.gst.map((x) => w.v(x))
  const bo = f.bo.map((x) => w.v(x))
  const kst = f.kst.map((x) => w.v(x))
  const cu = f.cu.map((x) => w.v(x))
  const wt = f.wt.map((x) => w.v(x))
  // The derived values of r1.ts's derive: usedC and compC once per state, evictable and
  // anyResident where a fault finds no free page (the one place that reads them).
  const compC = w.let('compC', cu.length ? cu.join(' + ') : '0')
  const usedC = w.let('usedC', [compC, ...gst.map((g) => `(${g} === ${GST.R} ? 1 : 0)`)].join(' + '))
  const evictable = gst.length ? gst.map((g, i) => `(${g} === ${GST.D} && ${bo[i]} === ${BO.RES})`).join(' || ') : 'false'
  const anyResident = bo.length ? bo.map((b) => `${b} === ${BO.RES}`).join(' || ') : 'false'
  const mayTake = `${usedC} < ${C}${policy === 'reserve' ? ` && ${compC} < ${C - 1}` : ''}`

  let r = 0
  /** the next rule's number, checked against the rule list it must mirror */
  const next = (name: string): number => {
    const rule = rules[r]
    if (rule?.action.name !== name) throw new Error(`r1 successor function: rule ${r} is '${rule?.action.name}', expected '${name}'`)
    return r++
  }
  /** Compute job k's rules, grouped by its state (each group one test of kst[k]). */
  const computeJob = (k: number): void => {
    w.rule(next('comp_start'), `${kst[k]} === ${KST.Q} && ${mayTake}`, [
      [f.kst[k]!, KST.RUN],
      [f.cu[k]!, 1],
    ])
    w.rule(next('comp_resume'), `${kst[k]} >= ${KST.RUN} && ${kst[k]} <= ${KST.OK} && ${cu[k]} === 0 && ${mayTake}`, [[f.cu[k]!, 1]])
    w.rule(next('comp_fault'), `${kst[k]} === ${KST.RUN} && ${cu[k]} === 1`, [[f.kst[k]!, KST.FLT]])
    w.when(`${kst[k]} === ${KST.FLT}`, () => {
      w.rule(next('fault_alloc'), `${free} > 0`, [
        [f.free, `${free} - 1`],
        [f.kst[k]!, KST.OK],
      ])
      w.when(`${free} === 0`, () => faultWithoutPage(k))
    })
    // wait_wake: one case per awaited job (wt[k] names it), so the guard reads one field.
    const wake = next('wait_wake')
    w.when(`${kst[k]} === ${KST.WAIT}`, () => {
      for (let g = 0; g < G; g++) {
        w.rule(wake, `${wt[k]} === ${g} && ${gst[g]} === ${GST.D}`, [
          [f.bo[g]!, BO.EVI],
          [f.free, `${free} + (${bo[g]} === ${BO.RES} ? 1 : 0)`],
          [f.kst[k]!, KST.FLT],
          [f.wt[k]!, -1],
        ])
      }
    })
    w.rule(next('comp_end'), `${kst[k]} === ${KST.OK} && ${cu[k]} === 1`, [
      [f.kst[k]!, KST.DONE],
      [f.cu[k]!, 0],
      [f.free, `${free} + 1`],
    ])
  }
  /** Job k's fault with no free page (kst[k] = FLT, free = 0): evict, wait or fail. */
  const faultWithoutPage = (k: number): void => {
    for (let g = 0; g < G; g++) {
      w.rule(next('fault_evict'), `${gst[g]} === ${GST.D} && ${bo[g]} === ${BO.RES}`, [
        [f.bo[g]!, BO.EVI],
        ...(shape.leaksPage ? [] : [[f.free, `${free} + 1`] as const]),
      ])
    }
    if (policy !== 'skip') {
      for (let g = 0; g < G; g++) {
        w.rule(next('fault_wait'), `${gst[g]} !== ${GST.D} && ${bo[g]} === ${BO.RES}`, [
          [f.kst[k]!, KST.WAIT],
          [f.wt[k]!, g],
        ])
      }
    }
    w.rule(next('fault_fail'), `!(${evictable})${policy === 'skip' ? '' : ` && !(${anyResident})`}`, [
      [f.kst[k]!, KST.FAIL],
      [f.cu[k]!, 0],
    ])
  }

  for (let g = 0; g < G; g++) w.rule(next('gfx_start'), `${gst[g]} === ${GST.Q} && ${usedC} < ${C}`, [[f.gst[g]!, GST.R]])
  if (policy === 'preempt') {
    for (let g = 0; g < G; g++) {
      w.when(`${gst[g]} === ${GST.Q} && ${usedC} === ${C}`, () => {
        for (let k = 0; k < K; k++) {
          w.rule(next('gfx_preempt'), `${cu[k]} === 1`, [
            [f.cu[k]!, 0],
            [f.gst[g]!, GST.R],
          ])
        }
      })
    }
  }
  for (let g = 0; g < G; g++) w.rule(next('gfx_end'), `${gst[g]} === ${GST.R}`, [[f.gst[g]!, GST.D]])
  for (let k = 0; k < K; k++) computeJob(k)
  if (r !== rules.length) throw new Error(`r1 successor function: ${r} rules written, the model has ${rules.length}`)
  return w.compile()
}

/**
 * Page conservation (properties/r1.ts) over the packed state: free + #{k: kst[k] = OK} +
 * #{g: bo[g] = RES} = total, read from the words with no decode (test/checker/codegen.test.ts
 * compares it with the invariant's `holds` state by state).
 */
export function r1PackedConservation(layout: StateLayout, f: R1Fields, total: number): PackedPredicate {
  return compilePredicate(
    layout,
    (v) =>
      [v(f.free), ...f.kst.map((k) => `(${v(k)} === ${KST.OK} ? 1 : 0)`), ...f.bo.map((b) => `(${v(b)} === ${BO.RES} ? 1 : 0)`)].join(' + ') + ` === ${total}`,
  )
}
