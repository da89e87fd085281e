/**
 * Symmetry of a GPU design: groups of interchangeable jobs that a scenario declares
 * (`symmetry: [[k1, k2]]`). Swapping two jobs of a group swaps their fences, and must map every
 * thread onto a thread that does the same to the other job (a fault handler for k1 onto the one for
 * k2); the design is checked to be invariant under every such swap, or the declaration is refused.
 *
 * A state is canonicalised by trying every permutation the groups allow (product of the groups'
 * factorials) and keeping the least packed vector: exact, one state per orbit. Per-thread fields
 * move with the thread permutation, per-job and per-fence fields with the job permutation, and the
 * values that name threads or fences (lock owners, reader sets, dma_resv contents, implicit
 * dependencies) are renamed.
 */
import type { StateLayout } from '../../checker/layout.js'
import type { ErrorCode } from '../../errors/codes.js'
import { opOf } from './ops/index.js'
import type { GpuFields } from './view.js'
import type { GpuDesign, Step } from './types.js'

export class SymmetryError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly group: number,
    message: string,
  ) {
    super(message)
  }
}

interface Perm {
  readonly job: Int32Array
  readonly fence: Int32Array
  readonly thread: Int32Array
}

/** Every permutation of `items` (small groups only). */
function permutations(items: readonly number[]): number[][] {
  if (items.length <= 1) return [[...items]]
  const out: number[][] = []
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([x, ...rest])
  })
  return out
}

/** The step with the jobs and fences it names renamed: its op module declares which fields name
 * a job or a fence (their role), so the renaming never depends on a field's name. */
const renameStep = (s: Step, job: Int32Array, fence: Int32Array): Step => {
  const o = { ...s } as Record<string, unknown>
  const refs = opOf(s).refs[s.op] ?? {}
  for (const [k, role] of Object.entries(refs)) {
    const map = role === 'job' ? job : role === 'fence' ? fence : undefined
    if (map && typeof o[k] === 'number') o[k] = map[o[k]]
  }
  delete o.where
  return o as unknown as Step
}

const key = (x: unknown): string => JSON.stringify(x)

/**
 * The permutations a declaration allows, with their thread maps; throws SymmetryError when the
 * design is not invariant under them.
 */
export function symmetryPerms(design: GpuDesign, groups: readonly (readonly number[])[]): Perm[] {
  const J = design.jobs.length
  const F = design.fences.length
  const T = design.threads.length
  // Per group, all orderings; combined across groups.
  let jobMaps: Int32Array[] = [Int32Array.from({ length: J }, (_, j) => j)]
  for (const g of groups) {
    const next: Int32Array[] = []
    for (const base of jobMaps) {
      for (const p of permutations(g)) {
        const m = Int32Array.from(base)
        g.forEach((j, i) => (m[j] = p[i]!))
        next.push(m)
      }
    }
    jobMaps = next
  }
  const threadSig = (t: number, job: Int32Array, fence: Int32Array): string => {
    const th = design.threads[t]!
    return key([th.context, th.signalling, th.steps.map((s) => renameStep(s, job, fence))])
  }
  return jobMaps.map((job) => {
    const fence = Int32Array.from({ length: F }, (_, f) => {
      const j = design.fences[f]!.job
      return j === undefined ? f : design.jobs[job[j]!]!.fence
    })
    for (let f = 0; f < F; f++) {
      const of = design.fences[f]!.of
      if (of !== undefined && job[of] !== of)
        throw new SymmetryError(
          'FC193',
          0,
          `fence ${design.fences[f]!.name} belongs to job ${design.jobs[of]!.name}, which is permuted; declare the jobs without preempt fences`,
        )
    }
    // Jobs must look the same after renaming.
    for (let j = 0; j < J; j++) {
      const a = design.jobs[j]!
      const b = design.jobs[job[j]!]!
      const view = (x: typeof a, rename: boolean): string =>
        key([
          x.engine,
          x.queue,
          (rename ? x.deps.map((d) => fence[d]) : x.deps).slice().sort(),
          x.uses,
          x.faults,
          x.cus,
          x.submitted,
          x.propagateErrors,
          x.waitsDeps,
        ])
      if (view(a, true) !== view(b, false))
        throw new SymmetryError(
          'FC194',
          0,
          `jobs ${a.name} and ${b.name} are not interchangeable: they differ in engine, queue, dependencies, buffers or flags`,
        )
    }
    for (const bo of design.buffers) {
      const set = bo.fences.map((f) => fence[f]).sort()
      if (key(set) !== key([...bo.fences].sort()))
        throw new SymmetryError('FC194', 0, `buffer ${bo.name}'s dma_resv holds fences of the permuted jobs unevenly`)
    }
    for (const r of design.reclaim) {
      if (
        key(r.steps.map((s) => renameStep(s, job, fence))) !==
        key(
          r.steps.map((s) =>
            renameStep(
              s,
              Int32Array.from({ length: J }, (_, x) => x),
              Int32Array.from({ length: F }, (_, x) => x),
            ),
          ),
        )
      ) {
        throw new SymmetryError('FC194', 0, `reclaim path ${r.name} names one of the permuted jobs' fences`)
      }
    }
    // Each thread must have an image: a thread whose steps are its steps with the jobs renamed.
    const id = Int32Array.from({ length: J }, (_, x) => x)
    const idF = Int32Array.from({ length: F }, (_, x) => x)
    const thread = new Int32Array(T).fill(-1)
    const taken = new Set<number>()
    for (let t = 0; t < T; t++) {
      const want = threadSig(t, job, fence)
      const u = design.threads.findIndex((_, c) => !taken.has(c) && threadSig(c, id, idF) === want)
      if (u < 0)
        throw new SymmetryError(
          'FC195',
          0,
          `thread ${design.threads[t]!.name} has no counterpart for the permuted jobs (declare a matching thread for each job of the group)`,
        )
      thread[t] = u
      taken.add(u)
    }
    return { job, fence, thread }
  })
}

/** The canonicaliser: the least packed vector over all allowed permutations. */
export function gpuCanonicalizer(layout: StateLayout, f: GpuFields, perms: readonly Perm[]): (words: Uint32Array) => void {
  const n = layout.fieldCount
  const src = new Int32Array(n)
  const dst = new Int32Array(n)
  const best = new Uint32Array(layout.words)
  const cand = new Uint32Array(layout.words)
  const bits = (mask: number, map: Int32Array): number => {
    let out = 0
    for (let i = 0; i < map.length; i++) if (Math.floor(mask / 2 ** i) % 2 === 1) out += 2 ** map[i]!
    return out
  }
  const move = (fields: readonly number[], map: Int32Array): void => {
    for (let i = 0; i < fields.length; i++) if (fields[i]! >= 0) dst[fields[map[i]!]!] = src[fields[i]!]!
  }
  // Fields that belong to one thread, fence or job move with that object.
  const perThread = [f.pc, f.rpc, f.rf, f.sig, f.failed, f.pc.map((_, t) => f.extra[`rwq.${t}`] ?? -1), f.pc.map((_, t) => f.extra[`stamp.${t}`] ?? -1)]
  const perFence = [f.fs, f.en, f.pub, f.px]
  const perJob = [f.js, f.pf, f.fdone, f.jd]
  return (words) => {
    layout.decodeInto(words, 0, src)
    best.set(words)
    for (const p of perms) {
      dst.set(src.subarray(0, n))
      for (const fields of perThread) move(fields, p.thread)
      for (const fields of perFence) move(fields, p.fence)
      for (const fields of perJob) move(fields, p.job)
      for (const o of f.owner) dst[o] = src[o]! === 0 ? 0 : p.thread[src[o]! - 1]! + 1
      for (const r of f.readers) if (r >= 0) dst[r] = bits(src[r]!, p.thread)
      for (const r of f.resv) dst[r] = bits(src[r]!, p.fence)
      for (const j of f.jd) if (j >= 0) dst[j] = bits(dst[j]!, p.fence)
      for (let w = 0; w < cand.length; w++) cand[w] = 0
      for (let x = 0; x < n; x++) layout.write(cand, x, dst[x]!)
      for (let w = 0; w < cand.length; w++) {
        if (cand[w]! < best[w]!) {
          best.set(cand)
          break
        }
        if (cand[w]! > best[w]!) break
      }
    }
    words.set(best)
  }
}
