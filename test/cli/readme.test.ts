/**
 * The README is the contract: every code block in it works when pasted. YAML scenarios are
 * written to a file and checked (they must load, and give the verdict their `expect:` states);
 * shell lines run, as written, in a copy of the built checkout. A block this test does not know
 * how to run fails the test until it is classified here; the exemptions are listed with their
 * reason.
 */
import test from 'ava'
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parse } from 'yaml'
import { CLI, ROOT } from '../root.js'

interface Block {
  readonly lang: string
  readonly text: string
  /** 1-based line of the opening fence */
  readonly line: number
}

/** Every fenced block of a Markdown text, indented ones (inside list items) included. */
export function codeBlocks(md: string): Block[] {
  const lines = md.split('\n')
  const out: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\S*)\s*$/.exec(lines[i]!)
    if (!open) continue
    const indent = open[1]!.length
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length && !new RegExp(`^ {${indent}}\`\`\`\\s*$`).test(lines[j]!); j++) body.push(lines[j]!.slice(indent))
    out.push({ lang: open[2]!, text: body.join('\n') + '\n', line: i + 1 })
    i = j
  }
  return out
}

/** Shell commands of a block: comments dropped, continued lines joined. */
function commands(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
}

/** Commands not run, and why. Each must occur in the README (a stale exemption fails too). */
const EXEMPT: Record<string, string> = {
  'npm ci': 'installs from the registry over the network and replaces node_modules; the copy shares the installed one',
  'npm test': 'is this test suite itself',
}
/** Blocks not run, by a phrase they contain, and why. */
const EXEMPT_BLOCKS: Record<string, string> = {
  'parallel -S host1,host2': 'needs GNU parallel and ssh hosts with a checkout; its fencecheck command line is the one of the Kubernetes Job, which runs',
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const blocks = codeBlocks(README)

let copy: string | undefined
/** A copy of the built checkout (sources, dist/, scenarios; node_modules shared), made once. */
function checkout(): string {
  if (copy) return copy
  copy = mkdtempSync(join(tmpdir(), 'fencecheck-readme-'))
  const skip = new Set(['node_modules', '.git', 'reports'])
  cpSync(ROOT, copy, { recursive: true, filter: (src) => !skip.has(relative(ROOT, src).split('/')[0]!) && !relative(ROOT, src).startsWith('bench/out') })
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules'))
  return copy
}
test.after.always(() => {
  if (copy) rmSync(copy, { recursive: true, force: true })
})

function sh(line: string, cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('sh', ['-c', line], { cwd, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A command's run is fine: a verdict's exit code (0 proved, 1 violated, 3 inconclusive), and no error printed. */
function fine(t: import('ava').ExecutionContext, line: string, r: { code: number | null; stdout: string; stderr: string }): void {
  t.true(r.code === 0 || r.code === 1 || r.code === 3, `${line}: exit ${r.code}\n${r.stderr.slice(-2000)}`)
  t.notRegex(r.stderr, /fencecheck: FC[1-4]\d\d /, line)
  t.notRegex(r.stderr, /\n\s+at /, `${line}: no stack trace`)
}

test('the README has blocks of known kinds only', (t) => {
  t.true(blocks.length >= 6)
  for (const b of blocks) t.true(['yaml', 'sh', ''].includes(b.lang), `README.md:${b.line}: a \`\`\`${b.lang} block this test does not run`)
  for (const c of Object.keys(EXEMPT)) t.true(README.includes(c), `exemption '${c}' is stale`)
  for (const c of Object.keys(EXEMPT_BLOCKS)) t.true(README.includes(c), `exemption '${c}' is stale`)
  // An untagged block is a listing, not code (the layout of the tree): it names folders that exist.
  for (const b of blocks.filter((x) => x.lang === '')) {
    for (const m of b.text.matchAll(/^(\w+)\/\s/gm)) t.true(existsSync(join(ROOT, m[1]!)), `the listing names ${m[1]!}/, which does not exist`)
  }
})

for (const b of blocks.filter((x) => x.lang === 'yaml')) {
  const doc = parse(b.text) as Record<string, unknown>
  if ('apiVersion' in doc) {
    test(`README.md:${b.line}: the Kubernetes Job runs its member command`, async (t) => {
      // The container's command, run as one member (index 3) with fewer walks and a local results folder.
      const spec = doc as { spec: { template: { spec: { containers: { command: string[] }[] } } } }
      const [shell, flag, line] = spec.spec.template.spec.containers[0]!.command
      t.is(shell, 'sh')
      t.is(flag, '-c')
      const dir = checkout()
      const results = mkdtempSync(join(tmpdir(), 'fencecheck-results-'))
      const member = line!.replace('/results/', `${results}/`).replace(/--walks \d+/, '--walks 100')
      const r = await sh(member, dir, { JOB_COMPLETION_INDEX: '3' })
      t.is(r.code, 0, `${member}\n${r.stderr}`)
      const merged = await sh(`node dist/cli/main.js merge ${results}/member-*.json`, dir)
      fine(t, 'merge', merged)
      t.regex(merged.stdout, /FC503 warning: swarm members missing: 0, 1, 2, 4, .* of 16/)
      rmSync(results, { recursive: true, force: true })
    })
    continue
  }
  test(`README.md:${b.line}: the scenario loads and gives the verdict it expects`, async (t) => {
    const f = join(mkdtempSync(join(tmpdir(), 'fencecheck-readme-yaml-')), 'example.yaml')
    writeFileSync(f, b.text)
    const r = await sh(`"${process.execPath}" "${CLI}" check "${f}" --quiet --format json`, ROOT)
    fine(t, f, r)
    const expect = doc.expect as { verdict?: string; property?: string } | undefined
    if (expect?.verdict) {
      const result = JSON.parse(r.stdout) as { verdict: string; property?: { name: string } }
      t.is(result.verdict, expect.verdict)
      t.regex(r.stderr, /expect: met/)
    }
    rmSync(join(f, '..'), { recursive: true, force: true })
  })
}

for (const b of blocks.filter((x) => x.lang === 'sh')) {
  const exempt = Object.keys(EXEMPT_BLOCKS).find((k) => b.text.includes(k))
  if (exempt) {
    test(`README.md:${b.line}: exempt: ${EXEMPT_BLOCKS[exempt]!}`, (t) => t.pass())
    continue
  }
  for (const whole of commands(b.text)) {
    const parts = whole.split(' && ').filter((p) => !(p.trim() in EXEMPT))
    const line = parts.join(' && ')
    if (line === '') continue
    test(`README.md:${b.line}: ${line}`, async (t) => {
      fine(t, line, await sh(line, checkout()))
    })
  }
}
