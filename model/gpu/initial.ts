/** The initial state of a compiled design: free memory, placements, dma_resv contents, PTEs, and
 * the jobs submitted before any thread runs (their implicit dependencies captured at once). */
import { addBit, type CompileCx, has, usageRank } from './context.js'
import { OPS } from './ops/index.js'
import { JS, PAGE, PLACE, PTE, vramOf } from './view.js'

export function initialState(cx: CompileCx): Int32Array {
  const { design, layout, f } = cx
  const { buffers, pages, ranges, jobs, fences } = design
  const { vram, system, place, pub, resv, pageAt, pte, js, jd } = f
  const initial = new Int32Array(layout.fieldCount)
  initial[vram] = design.memory.vram
  initial[system] = design.memory.system
  buffers.forEach((bo, i) => {
    initial[place[i]!] = PLACE[bo.placement]
    let mask = 0
    for (const fe of bo.fences) {
      mask = addBit(mask, fe)
      initial[pub[fe]!] = 1
    }
    initial[resv[i]!] = mask
  })
  pages.forEach((pg, q) => (initial[pageAt[q]!] = pg.at === 'vram' ? vramOf(pg.device) : PAGE[pg.at]))
  ranges.forEach((r, ri) => r.pages.forEach((_, k) => (initial[pte[ri]![k]!] = r.mapped ? PTE.valid : PTE.invalid)))
  jobs.forEach((job, j) => {
    if (!job.submitted) return
    initial[js[j]!] = JS.queued
    initial[pub[job.fence]!] = 1
    if (jd[j]! >= 0) {
      let deps = 0
      for (const u of job.uses) {
        for (let i = 0; i < fences.length; i++) {
          if (i !== job.fence && has(initial[resv[u.bo]!]!, i) && usageRank(cx.usageOf(u.bo, i)) <= usageRank('read')) deps = addBit(deps, i)
        }
      }
      initial[jd[j]!] = deps
      for (const u of job.uses) initial[resv[u.bo]!] = addBit(initial[resv[u.bo]!]!, job.fence)
    }
  })
  for (const op of OPS) op.init?.(design, f.extra, initial)
  return initial
}
