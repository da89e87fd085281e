/**
 * The `reproduce:` line a run prints is a command: run as printed, by a shell in the same folder,
 * it gives the same verdict (and, for a violation, the same trace length).
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { CLI, ROOT } from '../root.js'

function sh(line: string): { status: number | null; stdout: string } {
  const r = spawnSync('sh', ['-c', line], { cwd: ROOT, encoding: 'utf8', timeout: 240_000, killSignal: 'SIGKILL' })
  return { status: r.status, stdout: r.stdout }
}

const reproduceOf = (out: string): string => /^\s*reproduce: (.*)$/m.exec(out)?.[1] ?? ''

for (const args of [
  ['check', 'scenarios/gpu/s01-fault-vs-reclaim-naive.yaml'],
  ['check', 'r1', '--param', 'C=1', '--param', 'G=1', '--param', 'K=1', '--param', 'M=0', '--param', 'POLICY=naive', '--order', 'dfs'],
  ['check', 'scenarios/gpu/s13b-textbook-lockdep.yaml', '--skip-property', 'deadlock'],
  ['simulate', 'r1', '--param', 'C=1', '--param', 'G=1', '--param', 'K=1', '--param', 'M=0', '--param', 'POLICY=naive', '--seed', '3', '--walks', '20'],
]) {
  test(`the reproduce line of ${args.join(' ')} runs as printed`, (t) => {
    const first = spawnSync(process.execPath, [CLI, ...args, '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 })
    const line = reproduceOf(first.stdout)
    t.regex(line, /^npx fencecheck (check|simulate) /)
    const again = sh(`${line} --quiet`)
    t.is(again.status, first.status)
    const verdict = (out: string): string => /^verdict: .*$/m.exec(out)?.[0] ?? ''
    t.not(verdict(first.stdout), '')
    t.is(verdict(again.stdout), verdict(first.stdout))
    t.is(/trace \((\d+) steps\)/.exec(again.stdout)?.[1], /trace \((\d+) steps\)/.exec(first.stdout)?.[1])
  })
}
