/**
 * Write docs/errors.md from the registry (run after a build: `node dist/errors/writeDocs.js`).
 * test/errors/errors.test.ts fails while the document and the registry differ.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errorsMarkdown } from './codes.js'

// This file runs from dist/errors/; the document lives at the repository root.
const file = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'errors.md')
mkdirSync(dirname(file), { recursive: true })
writeFileSync(file, errorsMarkdown())
process.stdout.write(`wrote ${file}\n`)
