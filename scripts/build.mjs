// `npm run build`: the type checks, the compile into dist/ and the viewer bundle, skipped when
// dist/ was built from exactly the sources there are now. The stamp (dist/.build-stamp) is the
// SHA-256 of every input's path and content: the TypeScript and viewer sources, the compiler
// configurations and the lock file (the compiler's version). Any change, an added or a removed
// file included, rebuilds from an empty dist/. `npm run build -- --force` always rebuilds.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const SOURCE_DIRS = ['checker', 'model', 'properties', 'report', 'cli', 'errors', 'bench', 'test', 'scripts']
const SKIP_DIRS = new Set(['node_modules', 'dist', 'reports', 'out'])
const INPUT = /\.(ts|mts|mjs|js|css|json)$/
const FILES = ['tsconfig.json', 'report/viewer/tsconfig.json', 'package.json', 'package-lock.json']
const STAMP = join(root, 'dist', '.build-stamp')

function walk(dir, out) {
  if (!existsSync(dir)) return out
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walk(p, out)
    } else if (INPUT.test(e.name)) out.push(p)
  }
  return out
}

function stampOfSources() {
  const files = [...SOURCE_DIRS.flatMap((d) => walk(join(root, d), [])), ...FILES.map((f) => join(root, f)).filter((f) => existsSync(f))]
  const h = createHash('sha256')
  for (const f of files.map((f) => relative(root, f).split('\\').join('/')).sort()) {
    h.update(f + '\0')
    h.update(readFileSync(join(root, f)))
    h.update('\0')
  }
  return h.digest('hex')
}

const stamp = stampOfSources()
if (!process.argv.includes('--force') && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === stamp) {
  process.stderr.write('build: dist/ is up to date with the sources (npm run build -- --force rebuilds)\n')
} else {
  rmSync(join(root, 'dist'), { recursive: true, force: true })
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const step = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
  try {
    step([tsc, '-p', 'report/viewer/tsconfig.json'])
    step([tsc, '-p', 'tsconfig.json'])
    step([join(root, 'report', 'viewer', 'bundle.mjs')])
  } catch {
    // The compiler has printed what is wrong; no stamp, so the next build starts over.
    process.exitCode = 1
  }
  if (process.exitCode !== 1) {
    // The bin entry runs as a program (npx fencecheck in the checkout): the compiler does not set its mode.
    chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755)
    writeFileSync(STAMP, stamp + '\n')
  }
}
