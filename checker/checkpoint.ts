/**
 * Checkpoints of a breadth-first search, as TLC's -checkpoint/-recover: the stored states, their
 * parents, the visited set, the BFS cursor and the counters, written to a folder so a long run can
 * stop (Ctrl-C, a time bound, a crash of the machine) and resume where it stopped. Writing is
 * atomic: a new checkpoint is written beside the old one and swapped in by rename.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from './params.js'

export const CHECKPOINT_VERSION = 1

/** Everything the search loop needs to continue. */
export interface Snapshot {
  readonly words: number
  readonly size: number
  readonly head: number
  readonly depth: number
  readonly levelEnd: number
  readonly completeDepth: number
  readonly transitions: number
  readonly deepest: number
  readonly truncatedByDepth: boolean
  readonly witnesses: readonly number[]
  readonly witnessDepth: readonly number[]
  /** milliseconds already spent before this checkpoint */
  readonly elapsedMs: number
  readonly visitedSizes: readonly number[]
  readonly visited: readonly Uint32Array[]
  readonly states: readonly Uint32Array[]
  readonly parents: readonly Uint32Array[]
}

/** What the checkpoint is of: resuming against anything else is refused. */
export interface Identity {
  readonly model: string
  readonly params: Readonly<Record<string, string | number>>
  /** a hash of the scenario file's text, for scenario targets */
  readonly scenarioHash?: string
  readonly layout: string
  readonly order: string
  readonly symmetry: boolean
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

const bytes = (a: Uint32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
const words = (b: Buffer): Uint32Array => {
  const copy = new Uint32Array(b.byteLength / 4)
  Buffer.from(copy.buffer).set(b)
  return copy
}

export function writeCheckpoint(dir: string, id: Identity, s: Snapshot): void {
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `next.${process.pid}`)
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp)
  s.visited.forEach((seg, i) => writeFileSync(join(tmp, `visited-${i}.bin`), bytes(seg)))
  s.states.forEach((c, i) => writeFileSync(join(tmp, `states-${i}.bin`), bytes(c)))
  s.parents.forEach((c, i) => writeFileSync(join(tmp, `parents-${i}.bin`), bytes(c)))
  const { visited: _v, states: _s, parents: _p, ...rest } = s
  void _v
  void _s
  void _p
  writeFileSync(
    join(tmp, 'checkpoint.json'),
    JSON.stringify({ format: 'fencecheck-checkpoint', version: CHECKPOINT_VERSION, identity: id, chunks: s.states.length, segments: s.visited.length, ...rest }, null, 2),
  )
  const cur = join(dir, 'current')
  const old = join(dir, `old.${process.pid}`)
  if (existsSync(cur)) renameSync(cur, old)
  renameSync(tmp, cur)
  rmSync(old, { recursive: true, force: true })
}

export function readCheckpoint(dir: string, expect: Identity): Snapshot {
  const cur = join(dir, 'current')
  const metaFile = join(cur, 'checkpoint.json')
  if (!existsSync(metaFile)) {
    const what = existsSync(dir) ? `holds no checkpoint (${readdirSync(dir).length} entries, no current/checkpoint.json)` : 'does not exist'
    throw new InputError(`--resume ${dir}: the folder ${what}; start a run with --checkpoint ${dir} first`, '--resume')
  }
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown> & { identity: Identity; chunks: number; segments: number; version: number }
  if (meta.format !== 'fencecheck-checkpoint' || meta.version !== CHECKPOINT_VERSION) {
    throw new InputError(`--resume ${dir}: not a checkpoint of this fencecheck version (format ${String(meta.format)}, version ${String(meta.version)})`, '--resume')
  }
  const a = JSON.stringify(meta.identity)
  const b = JSON.stringify(expect)
  if (a !== b) throw new InputError(`--resume ${dir}: the checkpoint is of another run (${a}); this run is ${b}`, '--resume')
  const states: Uint32Array[] = []
  const parents: Uint32Array[] = []
  for (let i = 0; i < meta.chunks; i++) {
    states.push(words(readFileSync(join(cur, `states-${i}.bin`))))
    parents.push(words(readFileSync(join(cur, `parents-${i}.bin`))))
  }
  return {
    ...(meta as unknown as Omit<Snapshot, 'visited' | 'states' | 'parents'>),
    visited: Array.from({ length: meta.segments }, (_, i) => words(readFileSync(join(cur, `visited-${i}.bin`)))),
    states,
    parents,
  }
}
