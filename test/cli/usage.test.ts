/**
 * Bad command lines, one test each: exit 2 before any work, one message in fencecheck's words
 * (`fencecheck: CODE ...`) that says what is wrong and how to fix it, and none of the words of the
 * argument parser or the YAML library it came from.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ErrorCode } from '../../errors/codes.js'
import { CLI, ROOT } from '../root.js'

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

function cli(args: readonly string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, ...env },
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const scratches: string[] = []
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fencecheck-usage-'))
  scratches.push(d)
  return d
}
test.after.always(() => {
  for (const d of scratches) rmSync(d, { recursive: true, force: true })
})

/** Words of yargs and of the yaml package that must never reach the user. */
const FOREIGN = [
  /Not enough non-option/,
  /Unknown arguments?:/,
  /maxState/,
  /got null/,
  /got NaN/,
  /parseAllDocuments/,
  /call stack/i,
  /Invalid values/,
  /\[".*"\]/,
]

/** The last line of stderr is the error: its code, and the words it must (and must not) hold. */
function refused(t: import('ava').ExecutionContext, r: Run, code: ErrorCode, says: readonly (string | RegExp)[], not: readonly RegExp[] = []): void {
  t.is(r.status, 2, r.stderr)
  t.is(r.stdout, '', 'nothing was run')
  const line = r.stderr.trimEnd().split('\n').at(-1) ?? ''
  t.true(line.startsWith(`fencecheck: ${code} `), line)
  for (const s of says) {
    if (typeof s === 'string') t.true(line.includes(s), `'${s}' in: ${line}`)
    else t.regex(line, s)
  }
  for (const f of [...FOREIGN, ...not]) t.notRegex(r.stderr, f)
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace')
}

test('bare fencecheck lists every command', (t) => {
  const r = cli([])
  t.is(r.status, 2)
  for (const c of ['check', 'simulate', 'merge', 'replay', 'explain', 'schema', 'list', 'suite']) t.regex(r.stderr, new RegExp(`fencecheck ${c}\\b`), c)
  t.regex(r.stderr.trimEnd().split('\n').at(-1)!, /^fencecheck: FC203 name a command: check, simulate, merge, replay, explain, schema, list, suite/)
})

test('check without a target says what a target is', (t) => {
  refused(t, cli(['check']), 'FC203', ['check needs a target', 'scenario file', 'fencecheck check --help'])
})

test('merge without files says what it merges', (t) => {
  refused(t, cli(['merge']), 'FC203', ['merge needs result files'])
})

test('a misspelt option is named once, with the option meant', (t) => {
  refused(t, cli(['check', 'diehard', '--max-state', '5']), 'FC204', ['--max-state is not an option of check', 'did you mean --max-states?'])
})

test('a misspelt command suggests the command meant', (t) => {
  refused(t, cli(['chek', 'diehard']), 'FC201', ["unknown command 'chek'", 'did you mean check?'])
})

test('a search option simulate does not have says why', (t) => {
  refused(t, cli(['simulate', 'diehard', '--max-depth', '3']), 'FC204', ['--max-depth is not an option of simulate', '--depth'])
})

test('a negative duration is named as written, not split into flags', (t) => {
  refused(t, cli(['check', 'diehard', '--max-time', '-5s']), 'FC210', ["--max-time '-5s' is not a duration"], [/\b5, s\b/])
})

test('--max-time 0 is refused, not a proof', (t) => {
  refused(t, cli(['check', 'diehard', '--max-time', '0']), 'FC210', ["--max-time '0' is zero"])
})

test('--max-time without a value', (t) => {
  refused(t, cli(['check', 'diehard', '--max-time']), 'FC205', ['--max-time needs a value'])
})

test('a non-integer count is named as written', (t) => {
  refused(t, cli(['check', 'diehard', '--max-states', 'abc']), 'FC212', ["--max-states must be an integer >= 1, got 'abc'"])
})

test('--max-states without a value', (t) => {
  refused(t, cli(['check', 'diehard', '--max-states']), 'FC205', ['--max-states needs a value'])
})

test('--max-depth given twice', (t) => {
  refused(t, cli(['check', 'diehard', '--max-depth', '3', '--max-depth', '4']), 'FC205', ['--max-depth is given 2 times'])
})

test('--workers abc is refused, not ignored', (t) => {
  refused(t, cli(['check', 'diehard', '--workers', 'abc']), 'FC212', ["--workers must be an integer in 1..64, got 'abc'"])
})

test('--workers out of range', (t) => {
  refused(t, cli(['check', 'diehard', '--workers', '0']), 'FC212', ["--workers must be an integer in 1..64, got '0'"])
})

test('simulate --walks abc', (t) => {
  refused(t, cli(['simulate', 'diehard', '--walks', 'abc']), 'FC212', ["--walks must be an integer >= 1, got 'abc'"])
})

test('a value not among the choices lists them', (t) => {
  refused(t, cli(['check', 'diehard', '--order', 'xfs']), 'FC205', ['--order "xfs" is not one of "bfs", "dfs"'])
})

test('an extra argument of a command that takes none', (t) => {
  refused(t, cli(['list', 'foo']), 'FC200', ["unexpected argument 'foo'"])
})

test('--checkpoint-every without a checkpoint folder', (t) => {
  refused(t, cli(['check', 'diehard', '--checkpoint-every', '5m']), 'FC246', ['--checkpoint-every needs a checkpoint folder', '--checkpoint DIR'])
})

test('a bad --checkpoint-every is named as itself, not as --max-time', (t) => {
  refused(
    t,
    cli(['check', 'diehard', '--checkpoint', join(scratch(), 'cp'), '--checkpoint-every', 'soon']),
    'FC215',
    ["--checkpoint-every 'soon' is not a duration"],
    [/--max-time/],
  )
})

test('suite on a missing folder is a usage error', (t) => {
  refused(t, cli(['suite', join(scratch(), 'nosuch')]), 'FC251', ['no such folder'])
})

test('several YAML documents in one file', (t) => {
  const f = join(scratch(), 'two.yaml')
  writeFileSync(f, 'name: a\nabout: b\nmodel: diehard\n---\nname: c\n')
  refused(t, cli(['check', f]), 'FC105', [`${f}:4:`, 'holds 2 YAML documents'])
})

test('YAML nested too deeply to read', (t) => {
  const f = join(scratch(), 'deep.yaml')
  writeFileSync(f, `name: ${'['.repeat(20_000)}${']'.repeat(20_000)}\nabout: x\n`)
  refused(t, cli(['check', f]), 'FC106', ['nests too deeply'])
})

test('an alias bomb', (t) => {
  const f = join(scratch(), 'bomb.yaml')
  const lines = ['name: x', 'about: y', 'a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]']
  for (let i = 1; i < 6; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    )
  writeFileSync(f, lines.join('\n') + '\n')
  refused(t, cli(['check', f]), 'FC103', ['more than 100 copies'], [/resource exhaustion/])
})

test('merge of results of two targets says which targets, in words', (t) => {
  const d = scratch()
  const a = join(d, 'a.json')
  const b = join(d, 'b.json')
  t.is(cli(['check', 'diehard', '--quiet', '--out', a]).status, 1)
  t.is(cli(['check', 'peterson', '--quiet', '--out', b]).status, 0)
  refused(t, cli(['merge', a, b]), 'FC421', [`${b}: is a result for model peterson`, `${a} is for model diehard (`])
})

test('resuming a checkpoint of other parameters names the parameter', (t) => {
  const cp = join(scratch(), 'cp')
  t.is(cli(['check', 'diehard', '--quiet', '--param', 'BIG=5', '--max-states', '3', '--checkpoint', cp]).status, 3)
  refused(t, cli(['check', 'diehard', '--quiet', '--param', 'BIG=6', '--resume', cp]), 'FC244', ['parameter BIG is 5 there, 6 here'])
})

test('--property naming a property the scenario does not list is refused, not a proof of nothing', (t) => {
  // s13b lists only lock-order: `--property deadlock` would leave nothing to check.
  const r = cli(['check', 'scenarios/gpu/s13b-textbook-lockdep.yaml', '--property', 'deadlock'])
  refused(t, r, 'FC227', [
    "--property: 'deadlock' is not checked by scenarios/gpu/s13b-textbook-lockdep.yaml (not in the scenario's properties: list)",
    'it checks: lock-order',
    "Add deadlock to the scenario's properties: list",
  ])
  // By id too, for a property the design has nothing to check for.
  refused(t, cli(['check', 'scenarios/gpu/s13b-textbook-lockdep.yaml', '--property', 'might-sleep']), 'FC227', ["'might-sleep' is not checked by"])
})

test('deselecting every property of a scenario is inconclusive (exit 3), never proved', (t) => {
  const r = cli(['check', 'scenarios/gpu/s13b-textbook-lockdep.yaml', '--quiet', '--skip-property', 'lock-order'])
  t.is(r.status, 3, r.stdout)
  t.regex(r.stdout, /verdict: INCONCLUSIVE - no property was checked/)
  t.regex(r.stdout, /no property was checked \(every property was left out: deselected with --skip-property/)
  t.notRegex(r.stdout, /PROVED/)
})

test('--hash-compaction on a scenario that declares symmetry: is refused as input, before any work (it used to end in a model error, exit 4)', (t) => {
  const r = cli(['check', join(ROOT, 'scenarios/gpu/s19-two-faulting-queues-symmetric.yaml'), '--hash-compaction', '--quiet'])
  refused(t, r, 'FC224', ['declares symmetry:', 'drop --hash-compaction'])
  t.notRegex(r.stdout, /^verdict/m)
})
