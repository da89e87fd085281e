import test from 'ava'
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Interrupted, readCheckpoint, writeCheckpoint, type Identity } from '../../checker/checkpoint.js'
import { explore } from '../../checker/explore.js'
import { InputError } from '../../checker/params.js'
import { CHUNK, NO_PARENT, StateStore } from '../../checker/stateStore.js'
import { SEGMENTS, VisitedSet } from '../../checker/visitedSet.js'
import { r1 } from '../../model/r1.js'
import { runCli } from '../cli.js'

const id: Identity = { model: 'r1', params: { C: 2, G: 3, K: 4, M: 1, POLICY: 'preempt' }, layout: 'test', order: 'bfs', symmetry: false }

test('a run cut by the state bound and its resumed continuation report the counts of an uninterrupted run', (t) => {
  const m = r1(id.params)
  const whole = explore(m)
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  const first = explore(m, { bounds: { maxStates: 50_000 }, checkpoint: { everyMs: 1e9, write: (s) => writeCheckpoint(dir, id, s) } })
  t.is(first.verdict.status, 'inconclusive')
  const rest = explore(m, { resume: readCheckpoint(dir, id) })
  t.is(rest.verdict.status, whole.verdict.status)
  t.is(rest.verdict.stats.distinctStates, whole.verdict.stats.distinctStates)
  t.is(rest.verdict.stats.transitions, whole.verdict.stats.transitions)
  t.is(rest.verdict.stats.maxDepth, whole.verdict.stats.maxDepth)
})

test('resuming several times in a row still adds up', (t) => {
  const m = r1(id.params)
  const whole = explore(m)
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  const write = { everyMs: 1e9, write: (s: Parameters<typeof writeCheckpoint>[2]) => writeCheckpoint(dir, id, s) }
  explore(m, { bounds: { maxStates: 10_000 }, checkpoint: write })
  explore(m, { resume: readCheckpoint(dir, id), bounds: { maxStates: 100_000 }, checkpoint: write })
  const last = explore(m, { resume: readCheckpoint(dir, id) })
  t.is(last.verdict.stats.distinctStates, whole.verdict.stats.distinctStates)
  t.is(last.verdict.stats.transitions, whole.verdict.stats.transitions)
})

test('a checkpoint of another run is refused', (t) => {
  const m = r1(id.params)
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  explore(m, { bounds: { maxStates: 1000 }, checkpoint: { everyMs: 1e9, write: (s) => writeCheckpoint(dir, id, s) } })
  t.throws(() => readCheckpoint(dir, { ...id, params: { ...id.params, C: 3 } }), { instanceOf: InputError, code: 'FC244' })
  t.throws(() => readCheckpoint(join(dir, 'nothing'), id), { instanceOf: InputError, code: 'FC242', message: /does not exist/ })
})

/** A checkpoint of a run cut by the state bound, in a fresh folder. */
function smallCheckpoint(maxStates = 20_000): string {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  explore(r1(id.params), { bounds: { maxStates }, checkpoint: { everyMs: 1e9, write: (s) => writeCheckpoint(dir, id, s) } })
  return dir
}

/** A copy of checkpoint folder `dir` with `damage` done to one of its files. */
function damaged(dir: string, file: string, damage: (path: string) => void): string {
  const copy = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  cpSync(dir, copy, { recursive: true })
  damage(join(copy, 'current', file))
  return copy
}

const flipByte = (at: number) => (path: string) => {
  const b = readFileSync(path)
  b[at]! ^= 0x01
  writeFileSync(path, b)
}

test('a checkpoint with a missing, truncated or corrupt file is refused, naming the file', (t) => {
  const dir = smallCheckpoint()
  t.notThrows(() => readCheckpoint(dir, id))
  const cases: [string, (path: string) => void, RegExp][] = [
    ['visited-5.bin', flipByte(1001), /visited-5\.bin is corrupt/],
    ['states-0.bin', (p) => truncateSync(p, 4096), /states-0\.bin is 4096 bytes, the checkpoint recorded \d+ \(truncated\)/],
    ['parents-0.bin', (p) => rmSync(p), /parents-0\.bin is missing/],
    ['checkpoint.json', (p) => writeFileSync(p, '{'), /checkpoint\.json is not valid JSON/],
  ]
  for (const [file, damage, message] of cases) {
    const copy = damaged(dir, file, damage)
    const e = t.throws(() => readCheckpoint(copy, id), { instanceOf: InputError, code: 'FC245', message })
    t.true(e.message.includes(join(copy, 'current', file)) && e.message.includes('start a fresh run'), e.message)
  }
})

test('a checkpoint whose counters contradict its files is refused, even with matching checksums', (t) => {
  const dir = smallCheckpoint()
  type Counters = { visitedSizes: number[]; head: number; size: number }
  const meta = (edit: (m: Counters) => void) =>
    damaged(dir, 'checkpoint.json', (p) => {
      const m = JSON.parse(readFileSync(p, 'utf8')) as Counters
      edit(m)
      writeFileSync(p, JSON.stringify(m))
    })
  // Fewer members than occupied slots: a set that never grows would fill up and probe for ever.
  const moveHalf = (m: { visitedSizes: number[] }): void => {
    const k = m.visitedSizes[0]! >> 1
    m.visitedSizes[0]! -= k
    m.visitedSizes[1]! += k
  }
  t.throws(() => readCheckpoint(meta(moveHalf), id), {
    instanceOf: InputError,
    code: 'FC245',
    message: /visited-0\.bin does not hold a valid visited set segment \(\d+ occupied slots, but \d+ members recorded\)/,
  })
  t.throws(
    () =>
      readCheckpoint(
        meta((m) => (m.visitedSizes[0]! -= 1)),
        id,
      ),
    { instanceOf: InputError, code: 'FC245', message: /fingerprints, but \d+ states are stored/ },
  )
  t.throws(
    () =>
      readCheckpoint(
        meta((m) => (m.head = m.size + 1)),
        id,
      ),
    { instanceOf: InputError, code: 'FC245', message: /BFS cursor/ },
  )
})

test('reading a checkpoint stops when asked to', (t) => {
  const dir = smallCheckpoint()
  t.throws(() => readCheckpoint(dir, id, { shouldStop: () => true }), { instanceOf: Interrupted })
})

test('restoring the visited set and the state store refuses tables that break their invariants', (t) => {
  const v = new VisitedSet()
  for (let i = 1; i <= 5000; i++) v.add(Math.imul(i, 0x9e3779b1) >>> 0, i)
  const { segments, sizes } = v.tables
  t.notThrows(() => VisitedSet.restore(segments, sizes))
  const copy = () => segments.map((s) => s.slice())
  // A segment with every slot taken: probing for a new member would never find an empty slot.
  const full = copy()
  full[3]!.fill(0x0c000000)
  t.throws(() => VisitedSet.restore(full, sizes), { instanceOf: RangeError, message: /segment 3/ })
  t.throws(
    () =>
      VisitedSet.restore(
        full,
        sizes.map((n, s) => (s === 3 ? full[3]!.length / 2 : n)),
      ),
    { instanceOf: RangeError, message: /do not fit the 3\/4 load/ },
  )
  // A segment whose slot count is not a power of two: the probe mask would skip slots.
  const odd = copy()
  odd[7] = odd[7]!.slice(0, odd[7]!.length - 2)
  t.throws(() => VisitedSet.restore(odd, sizes), { instanceOf: RangeError, message: /segment 7: .* not a table of 2\^k slots/ })
  // A member moved away from where probing finds it.
  const moved = copy()
  const seg = moved[9]!
  const at = seg.findIndex((x, j) => j % 2 === 0 && x !== 0)
  const empty = seg.findIndex((x, j) => j % 2 === 0 && x === 0 && seg[j + 1] === 0 && Math.abs(j - at) > 8)
  seg.copyWithin(empty, at, at + 2)
  seg.fill(0, at, at + 2)
  t.throws(() => VisitedSet.restore(moved, sizes), {
    instanceOf: RangeError,
    message: /segment 9: slot \d+ holds a fingerprint that probing from its home slot cannot reach/,
  })
  t.is(SEGMENTS, segments.length)

  const states = [new Uint32Array(CHUNK)]
  const parents = [new Uint32Array(CHUNK)]
  parents[0]![0] = NO_PARENT
  parents[0]![1] = 0
  parents[0]![2] = 1
  t.notThrows(() => StateStore.resumed(1, states, parents, 3))
  // A parent link that does not point back to an earlier state could make a trace walk loop.
  parents[0]![1] = 2
  t.throws(() => StateStore.resumed(1, states, parents, 3), { instanceOf: RangeError, message: /state 1 names state 2 as its parent/ })
  t.throws(() => StateStore.resumed(1, states, parents, CHUNK + 1), { instanceOf: RangeError, message: /need 2 chunks/ })
})

const R1_SMALL = ['--param', 'C=2', '--param', 'G=3', '--param', 'K=4', '--param', 'M=1', '--param', 'POLICY=preempt']

test('resuming from a damaged checkpoint is refused at once with exit 2, naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  const first = await runCli(['check', 'r1', ...R1_SMALL, '--max-states', '20000', '--checkpoint', dir, '--quiet'])
  t.is(first.code, 3, first.stderr)
  for (const [file, damage] of [
    ['visited-5.bin', flipByte(1001)],
    ['states-0.bin', (p: string) => truncateSync(p, 4096)],
  ] as const) {
    const copy = damaged(dir, file, damage)
    // The timeout is a safety net only (a damaged checkpoint once made resume spin); refusal is prompt.
    const r = await runCli(['check', 'r1', ...R1_SMALL, '--resume', copy, '--quiet'], { timeoutMs: 120_000 })
    t.is(r.code, 2, r.stderr)
    t.regex(r.stderr, new RegExp(`^fencecheck: FC245 --resume ${copy}: ${join(copy, 'current', file)} is .*start a fresh run`))
    t.is(r.stdout, '')
  }
})

test('Ctrl-C once the search has started stops it with an inconclusive verdict and a checkpoint; --resume finishes with the uninterrupted counts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-ck-'))
  const params = ['--param', 'C=3', '--param', 'G=3', '--param', 'K=4', '--param', 'M=1', '--param', 'POLICY=preempt']
  let sent = false
  const first = await runCli(['check', 'r1', ...params, '--checkpoint', dir, '--format', 'json'], {
    on: (stderr, p) => {
      if (!sent && /^search: .*started/m.test(stderr)) sent = p.kill('SIGINT')
    },
  })
  t.is(first.code, 3, first.stderr)
  t.regex(first.stderr, /fencecheck: interrupted; finishing with an inconclusive verdict/)
  const a = JSON.parse(first.stdout) as { verdict: string; cutBy: string; distinctStates: number }
  t.is(a.verdict, 'inconclusive')
  t.is(a.cutBy, 'interrupted')
  t.true(a.distinctStates > 0 && a.distinctStates < 593_677)
  const second = await runCli(['check', 'r1', ...params, '--resume', dir, '--format', 'json', '--quiet'])
  t.is(second.code, 0, second.stderr)
  const b = JSON.parse(second.stdout) as { verdict: string; distinctStates: number; transitions: number }
  t.is(b.verdict, 'proved')
  t.is(b.distinctStates, 593_677)
  t.is(b.transitions, 3_012_618)
})
