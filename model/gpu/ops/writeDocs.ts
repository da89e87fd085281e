/**
 * Write docs/language.md and README.md's step list from the op modules (run after a build:
 * `node dist/model/gpu/ops/writeDocs.js`). test/model/languageDocs.test.ts fails while they differ.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { languageMarkdown, withStepList } from './docs.js'

// This file runs from dist/model/gpu/ops/; the documents live at the repository root.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
const language = resolve(root, 'docs', 'language.md')
writeFileSync(language, languageMarkdown())
const readme = resolve(root, 'README.md')
writeFileSync(readme, withStepList(readFileSync(readme, 'utf8')))
process.stdout.write(`wrote ${language} and the step list of ${readme}\n`)
