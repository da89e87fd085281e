import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (tests run from dist/test/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = resolve(ROOT, 'dist', 'cli', 'main.js')
