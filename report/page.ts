/**
 * What every HTML page fencecheck writes shares: the head with the inlined style sheet, escaping
 * of text, data embedded as JSON, caller-supplied SVG made safe to inline, and the viewer's built
 * assets. The pages are self-contained: style and script are inlined, nothing loads from outside.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Escape text for HTML element content and (double- or single-quoted) attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

const esc = escapeHtml

/** JSON for a `<script type="application/json">` element: no `<` can close the element or open a comment. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/**
 * Make caller-supplied SVG text safe to inline: drop the XML prolog, doctype and comments, any
 * script, foreign content and event handlers, and prefix ids so several graphs can share a page.
 */
export function inlineSvg(svg: string, idPrefix: string): string {
  let s = svg
    .replace(/<\?xml[\s\S]*?\?>/g, '')
    .replace(/<!DOCTYPE[^>]*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<script\b[\s\S]*?<\/script\s*>/gi, '')
    .replace(/<script\b[^>]*\/>/gi, '')
    .replace(/<foreignObject\b[\s\S]*?<\/foreignObject\s*>/gi, '')
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '')
    .replace(/(\s(?:xlink:)?href\s*=\s*)("|')\s*(?:javascript|data|vbscript):[^"']*\2/gi, '$1$2#$2')
  s = s
    .replace(/\sid="([^"]*)"/g, ` id="${idPrefix}$1"`)
    .replace(/url\(#/g, `url(#${idPrefix}`)
    .replace(/href="#(?!")/g, `href="#${idPrefix}`)
  const start = s.search(/<svg\b/i)
  return start < 0 ? '' : s.slice(start).trim()
}

/** The built viewer: report/viewer/bundle.mjs writes these beside this module, in dist/report/viewer/. */
const VIEWER = new URL('./viewer/', import.meta.url)
const assets = new Map<string, string>()

/**
 * A built viewer asset, read once: a browser script bundled from report/viewer/*.ts, or a style
 * sheet copied from report/viewer/*.css. Missing only when the build step has not run.
 */
export function viewerAsset(name: 'client.js' | 'indexFilter.js' | 'base.css' | 'trace.css' | 'index.css'): string {
  let text = assets.get(name)
  if (text === undefined) {
    try {
      text = readFileSync(new URL(name, VIEWER), 'utf8')
    } catch {
      throw new Error(`the report viewer's ${name} is missing from ${fileURLToPath(VIEWER)} (npm run build bundles report/viewer/ there)`)
    }
    assets.set(name, text)
  }
  return text
}

/** A bundled viewer script as the text of an inline `<script>` element. */
export function inlineScript(name: 'client.js' | 'indexFilter.js'): string {
  const script = viewerAsset(name).trim()
  if (/<\/script/i.test(script)) throw new Error(`the viewer script ${name} must not contain a closing script tag`)
  return script
}

/** The start of every page fencecheck writes: doctype, metadata, title and the inlined style. */
export function pageHead(title: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fencecheck">
<title>${esc(title)}</title>
<style>${css}</style>
</head>`
}
