/**
 * Small first-hour cases: a design with threads and no GPU job needs no engine; rwsem write locks
 * read as down_write; sizes print in one unit everywhere.
 */
import test from 'ava'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { fmtBytes } from '../../checker/verdict.js'
import { loadScenario } from '../../model/scenario.js'
import { compileGpu } from '../../model/gpu/compile.js'
import { stepText } from '../../model/gpu/describe.js'
import { buildDesign, SpecError } from '../../model/gpu/spec.js'

const withFile = <T>(text: string, f: (file: string) => T): T => {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-firsthour-'))
  try {
    const file = join(dir, 'design.yaml')
    writeFileSync(file, text)
    return f(file)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('a CPU-only design (threads and locks, no engines:) loads; its ABBA is a deadlock after two steps', (t) => {
  const yaml = [
    'name: CPU-only ABBA',
    'about: two threads take two mutexes in opposite order',
    'locks: [{ name: a }, { name: b }]',
    'threads:',
    '  - { name: t1, steps: [{ lock: a }, { lock: b }, { unlock: b }, { unlock: a }] }',
    '  - { name: t2, steps: [{ lock: b }, { lock: a }, { unlock: a }, { unlock: b }] }',
    '',
  ].join('\n')
  withFile(yaml, (file) => {
    const sc = loadScenario(file)
    const r = explore(sc.model, { select: { only: ['deadlock'] } })
    t.is(r.verdict.status, 'violated')
    // by hand: t1 takes a, t2 takes b; then each waits for the other's lock
    t.is(r.verdict.status === 'violated' ? r.verdict.traceLength : -1, 2)
  })
})

test('GPU jobs still need an engine, and the error says so', (t) => {
  const e = t.throws(() => buildDesign({ jobs: [{ name: 'g0', engine: 'gfx' }], threads: [] }))
  t.true(e instanceof SpecError)
  t.is((e as SpecError).code, 'FC146')
  t.regex(e.message, /jobs need at least one engine/)
})

test('an rwsem taken for write reads as down_write, for read as down_read', (t) => {
  const d = buildDesign({
    locks: [{ name: 'vm_lock', kind: 'rwsem' }],
    threads: [
      { name: 'w', steps: [{ lock: 'vm_lock' }, { unlock: 'vm_lock' }] },
      { name: 'r', steps: [{ lock_read: 'vm_lock' }, { unlock: 'vm_lock' }] },
    ],
  })
  compileGpu(d, 'rwsem')
  t.is(stepText(d, d.threads[0]!.steps[0]!), 'down_write(vm_lock)')
  t.is(stepText(d, d.threads[1]!.steps[0]!), 'down_read(vm_lock)')
})

test('sizes print in one unit: binary prefixes, whole numbers without decimals', (t) => {
  t.is(fmtBytes(512 * 2 ** 20), '512 MiB')
  t.is(fmtBytes(1.5 * 2 ** 30), '1.50 GiB')
  t.is(fmtBytes(2 ** 30), '1 GiB')
  t.is(fmtBytes(3000), '2.9 KiB')
  t.is(fmtBytes(100), '100 B')
})

test("a library path's unresolved name is reported at the user's own field, naming the parameter that carries it", (t) => {
  const design = (mn: Record<string, string>, sh: Record<string, string>) =>
    ({
      engines: [{ name: 'gfx', cus: 1 }],
      buffers: [{ name: 'bo0', placement: 'vram' }],
      jobs: [{ name: 'g0', engine: 'gfx' }],
      threads: [
        { name: 'mn', path: 'mmu_notifier', with: mn },
        { name: 'sh', path: 'shrinker', with: sh },
      ],
    }) as never
  // the notifier lock comes from the parameter's default: the error is at the thread's path, and says so
  const byDefault = t.throws<SpecError>(() => buildDesign(design({ bo: 'bo0' }, { bo: 'bo0' })))
  t.is(byDefault.code, 'FC141')
  t.deepEqual(byDefault.path, ['threads', 0, 'path'])
  t.regex(byDefault.message, /parameter 'lock' .* = 'notifier_lock', its default/)
  t.regex(byDefault.message, /declare 'notifier_lock', or bind another with with: \{ lock: NAME \}/)
  // the buffer comes from with: — the error is at with.bo
  const given = t.throws<SpecError>(() => buildDesign(design({ bo: 'bo0', lock: 'bo0.resv' }, { bo: 'bo1' })))
  t.deepEqual(given.path, ['threads', 1, 'with', 'bo'])
  t.regex(given.message, /library path 'shrinker' .* parameter 'bo' .* = 'bo1'/)
})
