/**
 * Error codes: the registry (errors/codes.ts), docs/errors.md and the source agree both ways.
 * Every code the source uses is registered and documented; every registered code is used; the
 * document is the one generated from the registry; and the command line prints the code first.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { CODE_RANGES, ERROR_CODES, errorsMarkdown, type ErrorCode } from '../../errors/codes.js'
import { CLI, ROOT } from '../root.js'

/** The source folders whose messages reach users (the registry itself is not among them). */
const SOURCE_DIRS = ['checker', 'model', 'properties', 'cli', 'report']
const CODE = /\bFC\d{3}\b/g

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name)
      return statSync(p).isDirectory() ? sourceFiles(p) : /\.ts$/.test(name) ? [p] : []
    })
}

/** Every code the source mentions, with the files that mention it. */
function codesInSource(): Map<string, string[]> {
  const used = new Map<string, string[]>()
  for (const file of SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)))) {
    for (const code of new Set(readFileSync(file, 'utf8').match(CODE) ?? [])) {
      used.set(code, [...(used.get(code) ?? []), relative(ROOT, file)])
    }
  }
  return used
}

const registered = Object.keys(ERROR_CODES) as ErrorCode[]
const docs = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8')

test('every code the source uses is registered', (t) => {
  const used = codesInSource()
  t.true(used.size > 0)
  for (const [code, files] of used) t.true(code in ERROR_CODES, `${code} (used in ${files.join(', ')}) is not in errors/codes.ts`)
})

test('every registered code is used in the source', (t) => {
  const used = codesInSource()
  for (const code of registered) t.true(used.has(code), `${code} (${ERROR_CODES[code].title}) is registered but no source file uses it`)
})

test('docs/errors.md is generated from the registry', (t) => {
  t.is(docs, errorsMarkdown(), 'docs/errors.md differs from the registry: run `npm run build && node dist/errors/writeDocs.js`')
})

test('docs/errors.md documents every registered code, and only those', (t) => {
  const headings = [...docs.matchAll(/^### (FC\d{3}): /gm)].map((m) => m[1]!)
  t.deepEqual([...headings].sort(), [...registered].sort())
  t.is(new Set(headings).size, headings.length, 'each code is documented once')
})

test('every code is in a range, with a title, a cause and a fix of its own', (t) => {
  const titles = new Set<string>()
  for (const code of registered) {
    const n = Number(code.slice(2))
    t.regex(code, /^FC\d{3}$/)
    t.true(
      CODE_RANGES.some((r) => n >= r.from && n <= r.to),
      `${code} is in no range`,
    )
    const info = ERROR_CODES[code]
    for (const part of [info.title, info.cause, info.fix]) t.true(part.trim().length > 0, `${code} has an empty part`)
    t.false(titles.has(info.title), `${code}: another code has the title '${info.title}'`)
    titles.add(info.title)
  }
})

test('the command line prints the code before the message', (t) => {
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  const unknown = run('check', '--quiet', 'nosuch')
  t.is(unknown.status, 2)
  t.regex(unknown.stderr, /^fencecheck: FC202 unknown model 'nosuch'/)
  const flag = run('check', '--quiet', 'diehard', '--max-time', 'soon')
  t.is(flag.status, 2)
  t.regex(flag.stderr, /^fencecheck: FC210 --max-time 'soon'/)
  const command = run('chek')
  t.is(command.status, 2)
  t.regex(command.stderr, /^fencecheck: FC201 unknown command/)
  const param = run('check', '--quiet', 'diehard', '--param', 'NOPE=1')
  t.is(param.status, 2)
  t.regex(param.stderr, /^fencecheck: FC133 --param: /)
})
