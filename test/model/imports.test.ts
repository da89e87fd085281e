/**
 * No import cycle among the model and its properties: the value encodings and the view live in
 * model/gpu/view.ts, so the properties read states without importing the compiler that imports
 * them. An import of one source file by another is an edge; a strongly connected component of more
 * than one file is a cycle. Under model/gpu/ and properties/ every import counts, type-only ones
 * too; over all of model/ and properties/, every import that stays in the compiled code.
 */
import test from 'ava'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { ROOT } from '../root.js'

const DIRS = ['model', 'properties']

function sources(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name)
      return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(name) ? [p] : []
    })
}

/** The files a source file imports (relative imports only); without type-only ones if `runtime`. */
function importsOf(file: string, runtime = false): string[] {
  const text = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(import|export)(\s+type\b)?[^'"]*?from\s+'(\.[^']+)'/g)) {
    if (runtime && m[2]) continue
    out.push(resolve(dirname(file), m[3]!.replace(/\.js$/, '.ts')))
  }
  return out
}

/** Tarjan's strongly connected components. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const ix = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    ix.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!ix.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, ix.get(w)!))
    }
    if (low.get(v) === ix.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        on.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1) out.push(scc)
    }
  }
  for (const v of graph.keys()) if (!ix.has(v)) visit(v)
  return out
}

const files = DIRS.flatMap((d) => sources(join(ROOT, d)))
const named = (cs: string[][]): string[][] => cs.map((c) => c.map((f) => relative(ROOT, f)).sort())

test('model/gpu/ and properties/ import each other in no cycle, type-only imports included', (t) => {
  const strict = files.filter((f) => /^(model[\\/]gpu|properties)[\\/]/.test(relative(ROOT, f)))
  t.deepEqual(named(cycles(new Map(strict.map((f) => [f, importsOf(f)])))), [])
})

test('model/ and properties/ have no import cycle in the compiled code', (t) => {
  t.deepEqual(named(cycles(new Map(files.map((f) => [f, importsOf(f, true)])))), [])
})

test('the cycle finder finds a cycle (the test can fail)', (t) => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ])
  t.deepEqual(
    cycles(g).map((c) => c.sort()),
    [['a', 'b', 'c']],
  )
})

test('properties/gpu.ts reads states through model/gpu/view.ts, not the compiler', (t) => {
  const props = importsOf(join(ROOT, 'properties', 'gpu.ts')).map((f) => relative(ROOT, f))
  t.true(props.includes(join('model', 'gpu', 'view.ts')))
  t.false(props.includes(join('model', 'gpu', 'compile.ts')))
})
