/**
 * Output paths are checked before any work: a run of hours must not end in a file it cannot
 * write. Every path of --out, --report and --checkpoint is checked first without touching
 * anything; then the folders are created and each is probed by creating and removing a file (the
 * only test that also holds for a read-only mount or a process that ignores permission bits).
 * A path that cannot be written is a usage error (exit 2) that names the flag, the path and a fix.
 */
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { InputError } from '../checker/params.js'
import type { ErrorCode } from '../errors/codes.js'

export interface Outputs {
  readonly out?: string | undefined
  readonly report?: readonly string[] | undefined
  readonly checkpoint?: string | undefined
  /** checked, when there is no --checkpoint, only if it exists (the checkpoint reader names a missing one) */
  readonly resume?: string | undefined
}

interface Target {
  readonly flag: string
  readonly path: string
  /** the folder that must exist and be writable */
  readonly folder: string
  /** a file to be replaced, or a folder to hold files */
  readonly kind: 'file' | 'folder'
}

/** Check and prepare every output path, or throw an InputError for the first that cannot be written. */
export function prepareOutputs(o: Outputs): void {
  const targets: Target[] = []
  if (o.out !== undefined) targets.push({ flag: '--out', path: o.out, folder: dirname(o.out), kind: 'file' })
  for (const f of o.report ?? []) targets.push({ flag: '--report', path: f, folder: dirname(f), kind: 'file' })
  if (o.checkpoint !== undefined) targets.push({ flag: '--checkpoint', path: o.checkpoint, folder: o.checkpoint, kind: 'folder' })
  else if (o.resume !== undefined && existsSync(o.resume)) targets.push({ flag: '--resume', path: o.resume, folder: o.resume, kind: 'folder' })
  // First every path, without side effects, so that one bad path leaves nothing created.
  for (const t of targets) check(t)
  for (const t of targets) prepare(t)
}

function fail(t: Target, code: ErrorCode, why: string): InputError {
  return new InputError(code, `${t.flag} ${t.path}: ${why}`, t.flag)
}

function kindOf(p: string): 'file' | 'folder' | 'other' | undefined {
  try {
    const st = statSync(p)
    return st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other'
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    // ENOTDIR: some folder on the way is a file, which the walk up the path then names.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw e
  }
}

function check(t: Target): void {
  const here = kindOf(t.path)
  if (t.kind === 'file' && here === 'folder') throw fail(t, 'FC230', 'is a folder; give a file name inside it')
  // Results are written whole: to a temporary file, then renamed over the path.
  if (t.kind === 'file' && here === 'other')
    throw fail(t, 'FC230', 'is not a regular file; results are written whole by renaming a new file onto the path, so give a file name')
  if (t.kind === 'folder' && here !== undefined && here !== 'folder')
    throw fail(t, 'FC230', 'is a file; give a folder for the checkpoints (a new or an existing one)')
  // The nearest existing ancestor of the folder must be a folder we may write into.
  let p = resolve(t.folder)
  for (;;) {
    const k = kindOf(p)
    if (k === 'folder') break
    if (k !== undefined) {
      const what = p === resolve(t.folder) ? `${t.folder} is` : `${p} is in the way: it is`
      throw fail(t, 'FC231', `cannot create the folder ${t.folder}: ${what} ${k === 'file' ? 'a file' : 'not a folder'}; choose a path in a folder`)
    }
    const up = dirname(p)
    if (up === p) break
    p = up
  }
  try {
    accessSync(p, constants.W_OK | constants.X_OK)
  } catch {
    throw fail(t, 'FC231', `the folder ${p} is not writable; choose a writable folder`)
  }
}

function prepare(t: Target): void {
  try {
    mkdirSync(t.folder, { recursive: true })
  } catch (e) {
    throw fail(t, 'FC231', `cannot create the folder ${t.folder} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a writable folder`)
  }
  // The probe is named like the temporary file a result is written to before its rename.
  const probe = t.kind === 'file' ? `${t.path}.${process.pid}.tmp` : join(t.folder, `probe.${process.pid}.tmp`)
  try {
    closeSync(openSync(probe, 'wx'))
  } catch (e) {
    throw fail(t, 'FC231', `cannot write in the folder ${t.folder} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a writable folder`)
  }
  rmSync(probe, { force: true })
}
