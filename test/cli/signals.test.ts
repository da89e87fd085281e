/**
 * Ctrl-C and SIGTERM at any moment: while the command line is still loading (held there by the
 * test helper holdLoad.ts, where a signal used to kill the process), and while the search runs.
 * The first signal gives exit 3 (inconclusive: interrupted), a second one 130 (SIGINT) or 143
 * (SIGTERM); the process never dies of the signal itself.
 */
import test from 'ava'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type CliRun, runCli } from '../cli.js'
import { HOLDING } from '../holdLoad.js'
import { ROOT } from '../root.js'

const HOLD = pathToFileURL(join(ROOT, 'dist', 'test', 'holdLoad.js')).href
const R1 = ['check', 'r1', '--param', 'C=3', '--param', 'G=3', '--param', 'K=4', '--param', 'M=1', '--param', 'POLICY=preempt']
const FIRST = /fencecheck: (interrupted|terminated); finishing with an inconclusive verdict/

/**
 * Run `args` held before the command line loads; once held, send `signals[0]`; once that is
 * acknowledged on stderr, send `signals[1]` if there is one, else let the load go on.
 */
function duringLoad(args: string[], signals: NodeJS.Signals[]): Promise<CliRun> {
  const release = join(mkdtempSync(join(tmpdir(), 'fencecheck-sig-')), 'release')
  let step = 0
  return runCli(args, {
    nodeArgs: ['--import', HOLD],
    env: { FENCECHECK_TEST_RELEASE: release },
    on: (stderr: string, p: ChildProcess) => {
      if (step === 0 && stderr.includes(HOLDING)) {
        step = 1
        p.kill(signals[0])
      } else if (step === 1 && FIRST.test(stderr)) {
        step = 2
        if (signals[1]) p.kill(signals[1])
        else writeFileSync(release, '')
      }
    },
  })
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`${sig} while the command line loads: nothing starts, exit 3`, async (t) => {
    const r = await duringLoad(R1, [sig])
    t.is(r.signal, null, r.stderr)
    t.is(r.code, 3, r.stderr)
    t.regex(r.stderr, /fencecheck: interrupted before the command started; nothing was done/)
    t.notRegex(r.stderr, /^search: /m)
    t.is(r.stdout, '')
  })
}

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`a second ${sig} ends the process at once with ${code}`, async (t) => {
    const r = await duringLoad(R1, [sig, sig])
    t.is(r.signal, null, r.stderr)
    t.is(r.code, code, r.stderr)
    t.regex(r.stderr, new RegExp(`fencecheck: aborted by a second ${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'}`))
  })
}

test('SIGTERM once the search has started ends it with an inconclusive verdict, exit 3', async (t) => {
  let sent = false
  const r = await runCli([...R1, '--format', 'json'], {
    on: (stderr, p) => {
      if (!sent && /^search: .*started/m.test(stderr)) sent = p.kill('SIGTERM')
    },
  })
  t.is(r.code, 3, r.stderr)
  const doc = JSON.parse(r.stdout) as { verdict: string; cutBy: string; distinctStates: number }
  t.is(doc.verdict, 'inconclusive')
  t.is(doc.cutBy, 'interrupted')
  t.true(doc.distinctStates > 0 && doc.distinctStates < 593_677)
})
