/**
 * Why a checkpoint or a result is of another run, in words: which field of its identity differs,
 * and how (the checkpoint reader and merge compare identities whole; these say what differs).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Identity } from '../checker/checkpoint.js'
import { InputError } from '../checker/params.js'

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v))

/** The differences between a checkpoint's identity and this run's, one phrase each. */
export function identityDifferences(then: Readonly<Record<string, unknown>>, now: Identity): string[] {
  const out: string[] = []
  if (then.model !== now.model) out.push(`it is of model '${str(then.model)}', this run of '${now.model}'`)
  else {
    const p = (typeof then.params === 'object' && then.params !== null ? then.params : {}) as Record<string, unknown>
    for (const k of new Set([...Object.keys(p), ...Object.keys(now.params)])) {
      if (p[k] !== now.params[k])
        out.push(`parameter ${k} is ${p[k] === undefined ? 'absent' : str(p[k])} there, ${now.params[k] === undefined ? 'absent' : str(now.params[k])} here`)
    }
  }
  if (then.inputHash !== now.inputHash)
    out.push(`the scenario's text changed since (text hash ${str(then.inputHash ?? 'none')} then, ${now.inputHash ?? 'none'} now)`)
  if (then.layout !== now.layout && out.length === 0) out.push(`the model's state layout differs (${str(then.layout)} then, ${now.layout} now)`)
  if (then.order !== now.order)
    out.push(`it was a ${then.order === 'dfs' ? 'depth' : 'breadth'}-first search, this run is ${now.order === 'dfs' ? 'depth' : 'breadth'}-first`)
  if (then.symmetry !== now.symmetry)
    out.push(`it was taken ${then.symmetry ? 'with' : 'without'} --symmetry, this run is ${now.symmetry ? 'with' : 'without'} it`)
  return out
}

/** Refuse, in words, a checkpoint in `dir` of another run (before the reader compares identities whole). */
export function refuseOtherRun(dir: string, now: Identity): void {
  let then: unknown
  try {
    then = (JSON.parse(readFileSync(join(dir, 'current', 'checkpoint.json'), 'utf8')) as { identity?: unknown }).identity
  } catch {
    return // missing or damaged: the reader names it
  }
  if (typeof then !== 'object' || then === null) return
  const diff = identityDifferences(then as Record<string, unknown>, now)
  if (diff.length)
    throw new InputError(
      'FC244',
      `--resume ${dir}: the checkpoint is of another run: ${diff.join('; ')}; resume with the same target and options, or start a fresh run`,
      '--resume',
    )
}
