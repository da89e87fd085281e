/**
 * Writing reports to files: Markdown (with its graphs as SVG files beside it), plain text for
 * mail, a self-contained HTML trace viewer, and ITF. Each file is written whole or not at all.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import { InputError } from '../checker/params.js'
import { toHtml } from './html.js'
import { toItf } from './itf.js'
import { svgFileNames, toMarkdown, toPlainText } from './markdown.js'
import type { Report } from './render.js'
import { renderSvg } from './svg.js'

export const REPORT_KINDS = ['.md', '.txt', '.html', '.itf.json'] as const

export function reportKind(file: string): (typeof REPORT_KINDS)[number] {
  if (file.endsWith('.itf.json')) return '.itf.json'
  const ext = extname(file)
  if (ext === '.md' || ext === '.txt' || ext === '.html') return ext
  throw new InputError('FC223', `--report ${file}: unknown report type '${ext || '(none)'}' (use FILE.md, FILE.txt for mail, FILE.html, or FILE.itf.json)`, '--report')
}

/** Write a file only once it is complete: a temporary file renamed into place. */
export function writeWhole(file: string, text: string): void {
  mkdirSync(dirname(file) || '.', { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}

/** The report's graphs as SVG, rendered by Graphviz (WebAssembly build). */
async function graphs(r: Report): Promise<{ waitFor?: string; lockOrder?: string }> {
  return {
    ...(r.graphs.waitFor ? { waitFor: await renderSvg(r.graphs.waitFor) } : {}),
    ...(r.graphs.lockOrder ? { lockOrder: await renderSvg(r.graphs.lockOrder) } : {}),
  }
}

export async function writeReport(r: Report, file: string): Promise<void> {
  switch (reportKind(file)) {
    case '.md': {
      const svg = await graphs(r)
      const prefix = basename(file, '.md')
      const names = svgFileNames(r, prefix)
      const dir = dirname(file)
      if (svg.waitFor) writeWhole(join(dir, names.waitFor), svg.waitFor)
      if (svg.lockOrder) writeWhole(join(dir, names.lockOrder), svg.lockOrder)
      writeWhole(file, toMarkdown(r, svg, prefix))
      return
    }
    case '.txt':
      writeWhole(file, toPlainText(r))
      return
    case '.html': {
      const svg = await graphs(r)
      const steps: (string | undefined)[] = []
      for (const n of r.narrative) steps.push(n.graph ? await renderSvg(n.graph) : undefined)
      writeWhole(file, toHtml(r, { ...svg, steps }))
      return
    }
    case '.itf.json':
      writeWhole(file, JSON.stringify(toItf(r), null, 2) + '\n')
      return
  }
}
