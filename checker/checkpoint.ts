/**
 * Checkpoints of a breadth-first search, as TLC's -checkpoint/-recover: the stored states, their
 * parents, the visited set, the BFS cursor and the counters, written to a folder so a long run can
 * stop (Ctrl-C, a time bound, a crash of the machine) and resume where it stopped. Writing is
 * atomic: a new checkpoint is written beside the old one and swapped in by rename.
 *
 * Integrity: checkpoint.json records each binary file's size and sha256, and reading verifies
 * them and the structures they hold before anything is resumed. A missing, truncated or corrupt
 * file is refused with its name; it is never resumed from, since a damaged visited set or parent
 * link would give wrong counts or make the search loop.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from './params.js'
import { CHUNK, StateStore } from './stateStore.js'
import { SEGMENTS, VisitedSet } from './visitedSet.js'

/**
 * 2: checkpoint.json records each binary file's size and sha256. 3: the identity's input hash is `inputHash`.
 * 4: one- and two-word states have exact fingerprints (checker/fingerprint.ts): version 3's visited tables do not carry over.
 */
export const CHECKPOINT_VERSION = 4

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

/**
 * What the checkpoint is of: resuming against anything else is refused. Every field is compared
 * as given; the caller decides what identifies its input.
 */
export interface Identity {
  readonly model: string
  readonly params: Readonly<Record<string, string | number>>
  /** a hash of the text the model was built from (a file the caller read), when there is one */
  readonly inputHash?: string
  readonly layout: string
  readonly order: string
  readonly symmetry: boolean
}

const bytes = (a: Uint32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
const words = (b: Buffer): Uint32Array => {
  const copy = new Uint32Array(b.byteLength / 4)
  Buffer.from(copy.buffer).set(b)
  return copy
}

/** A stop asked for (Ctrl-C, SIGTERM) while a checkpoint was being read: nothing was resumed. */
export class Interrupted extends Error {}

/** What checkpoint.json records of each binary file. */
interface FileRecord {
  readonly bytes: number
  readonly sha256: string
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

export function writeCheckpoint(dir: string, id: Identity, s: Snapshot): void {
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `next.${process.pid}`)
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp)
  const files: Record<string, FileRecord> = {}
  const put = (name: string, a: Uint32Array): void => {
    const b = bytes(a)
    writeFileSync(join(tmp, name), b)
    files[name] = { bytes: b.byteLength, sha256: sha256(b) }
  }
  s.visited.forEach((seg, i) => put(`visited-${i}.bin`, seg))
  s.states.forEach((c, i) => put(`states-${i}.bin`, c))
  s.parents.forEach((c, i) => put(`parents-${i}.bin`, c))
  const { visited: _v, states: _s, parents: _p, ...rest } = s
  void _v
  void _s
  void _p
  writeFileSync(
    join(tmp, 'checkpoint.json'),
    JSON.stringify(
      { format: 'fencecheck-checkpoint', version: CHECKPOINT_VERSION, identity: id, chunks: s.states.length, segments: s.visited.length, ...rest, files },
      null,
      2,
    ),
  )
  const cur = join(dir, 'current')
  const old = join(dir, `old.${process.pid}`)
  if (existsSync(cur)) renameSync(cur, old)
  renameSync(tmp, cur)
  rmSync(old, { recursive: true, force: true })
}

type Meta = Omit<Snapshot, 'visited' | 'states' | 'parents'> & {
  readonly format: unknown
  readonly version: unknown
  readonly identity: Identity
  readonly chunks: number
  readonly segments: number
  readonly files: Readonly<Record<string, FileRecord>>
}

/** checkpoint.json as parsed: no member is trusted, or even present, until it is checked. */
type Unverified<T> = { readonly [K in keyof T]?: unknown }

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null

/**
 * Read and verify the checkpoint in `dir`. Throws InputError, naming the file, for a checkpoint
 * that is missing, of another run or version, or damaged; throws Interrupted if `shouldStop`
 * (polled between files) turns true.
 */
export function readCheckpoint(dir: string, expect: Identity, opts: { shouldStop?: () => boolean } = {}): Snapshot {
  const cur = join(dir, 'current')
  const metaFile = join(cur, 'checkpoint.json')
  if (!existsSync(metaFile)) {
    const what = existsSync(dir) ? `holds no checkpoint (${readdirSync(dir).length} entries, no current/checkpoint.json)` : 'does not exist'
    throw new InputError('FC242', `--resume ${dir}: the folder ${what}; start a run with --checkpoint ${dir} first`, '--resume')
  }
  const damaged = (file: string, why: string): InputError =>
    new InputError(
      'FC245',
      `--resume ${dir}: ${join(cur, file)} ${why}; this checkpoint cannot be resumed: start a fresh run (--checkpoint ${dir} replaces it)`,
      '--resume',
    )
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(metaFile, 'utf8'))
  } catch (e) {
    throw damaged('checkpoint.json', `is not valid JSON (${(e as Error).message})`)
  }
  const unverified: Unverified<Meta> = isRecord(parsed) ? parsed : {}
  if (unverified.format !== 'fencecheck-checkpoint' || unverified.version !== CHECKPOINT_VERSION) {
    throw new InputError(
      'FC243',
      `--resume ${dir}: not a checkpoint of this fencecheck version (format ${String(unverified.format)}, version ${String(unverified.version)}, expected ${CHECKPOINT_VERSION}); start a fresh run`,
      '--resume',
    )
  }
  const a = JSON.stringify(unverified.identity)
  const b = JSON.stringify(expect)
  if (a !== b) throw new InputError('FC244', `--resume ${dir}: the checkpoint is of another run (${a}); this run is ${b}`, '--resume')
  const problem = metaProblem(unverified)
  if (problem !== undefined) throw damaged('checkpoint.json', `is inconsistent: ${problem}`)
  // Every member is checked now: the identity by equality, the rest by metaProblem (each file's
  // record is checked as the file is loaded).
  const meta = unverified as Meta

  const stop = (): void => {
    if (opts.shouldStop?.()) throw new Interrupted('interrupted while reading the checkpoint')
  }
  const load = (name: string): Uint32Array => {
    stop()
    const rec = meta.files[name]
    if (rec === undefined || typeof rec.bytes !== 'number' || typeof rec.sha256 !== 'string')
      throw damaged('checkpoint.json', `records no size and checksum for ${name}`)
    const path = join(cur, name)
    let size: number
    try {
      size = statSync(path).size
    } catch {
      throw damaged(name, 'is missing')
    }
    if (size !== rec.bytes)
      throw damaged(name, `is ${size} bytes, the checkpoint recorded ${rec.bytes} (${size < rec.bytes ? 'truncated' : 'longer than written'})`)
    const data = readFileSync(path)
    if (data.byteLength !== rec.bytes || data.byteLength % 4 !== 0 || sha256(data) !== rec.sha256)
      throw damaged(name, 'is corrupt (its sha256 differs from the one recorded)')
    return words(data)
  }
  const visited: Uint32Array[] = []
  for (let i = 0; i < meta.segments; i++) {
    const seg = load(`visited-${i}.bin`)
    const why = VisitedSet.segmentProblem(i, seg, meta.visitedSizes[i]!)
    if (why !== undefined) throw damaged(`visited-${i}.bin`, `does not hold a valid visited set segment (${why})`)
    visited.push(seg)
  }
  const states: Uint32Array[] = []
  const parents: Uint32Array[] = []
  for (let i = 0; i < meta.chunks; i++) {
    states.push(load(`states-${i}.bin`))
    parents.push(load(`parents-${i}.bin`))
    const why = StateStore.chunkProblem(meta.words, i, states[i]!, parents[i]!, meta.size)
    if (why !== undefined) throw damaged(`${why.of}-${i}.bin`, `does not hold a valid chunk of the state store (${why.why})`)
  }
  stop()
  const { format: _f, version: _ver, identity: _id, chunks: _c, segments: _s, files: _fs, ...rest } = meta
  void [_f, _ver, _id, _c, _s, _fs]
  return { ...rest, visited, states, parents }
}

const COUNTS = ['words', 'size', 'head', 'depth', 'levelEnd', 'transitions', 'deepest', 'elapsedMs', 'chunks', 'segments'] as const

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0
/** v is an array of integers in [min, below) */
const isIntList = (v: unknown, min: number, below: number): v is readonly number[] =>
  Array.isArray(v) && v.every((x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= min && x < below)

/** Why the counters of checkpoint.json cannot describe a search, or undefined if they can. */
function metaProblem(m: Unverified<Meta>): string | undefined {
  for (const k of COUNTS) if (!isCount(m[k])) return `${k} is ${JSON.stringify(m[k])}, not a count`
  // Each of COUNTS is a count: checked just above.
  const { head, levelEnd, size, chunks, segments } = m as Pick<Meta, (typeof COUNTS)[number]>
  const depth = m.completeDepth
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < -1) return `completeDepth is ${JSON.stringify(depth)}`
  if (!(head <= levelEnd && levelEnd <= size)) return `the BFS cursor (head ${head}, level end ${levelEnd}) is not within the ${size} stored states`
  if (chunks !== Math.ceil(size / CHUNK)) return `${size} states need ${Math.ceil(size / CHUNK)} chunks, not ${chunks}`
  const sizes = m.visitedSizes
  if (segments !== SEGMENTS || !isIntList(sizes, 0, Infinity) || sizes.length !== SEGMENTS) {
    return `the visited set has ${SEGMENTS} segments with a size each`
  }
  const members = sizes.reduce((n, x) => n + x, 0)
  if (members !== size) return `the visited set holds ${members} fingerprints, but ${size} states are stored`
  const { witnesses, witnessDepth } = m
  if (!Array.isArray(witnesses) || !Array.isArray(witnessDepth) || witnesses.length !== witnessDepth.length) return 'witnesses and their depths do not match'
  if (!isIntList(witnesses, -1, size)) return 'a witness is not a stored state'
  if (typeof m.truncatedByDepth !== 'boolean') return 'truncatedByDepth is not a boolean'
  if (!isRecord(m.files)) return 'no file sizes and checksums'
  return undefined
}
