import test from 'ava'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { countOrbits } from '../orbits.js'
import { FileError } from '../../checker/params.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { loadScenario } from '../../model/scenario.js'

const dir = mkdtempSync(join(tmpdir(), 'fencecheck-sym-'))
const write = (name: string, text: string): string => {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}

/** Two interchangeable faulting jobs; `reclaimLock` decides whether the shrinker trylocks or locks. */
const design = (reclaimLock: 'trylock' | 'lock', extra = ''): string => `
name: two faulting queues
about: test
engines: [{ name: gfx, cus: 2 }]
memory: { vram: 0, system: 4 }
buffers: [{ name: bo0, placement: vram, fences: [g0] }]
jobs:
  - { name: g0, engine: gfx, queue: kernel }
  - { name: k1, engine: gfx, queue: user, faults: true }
  - { name: k2, engine: gfx, queue: user, faults: true }
threads:
  - { name: fh1, path: gpu_page_fault, with: { job: k1 } }
  - { name: fh2, path: gpu_page_fault, with: { job: k2 } }
reclaim:
  - name: shrinker
    steps: [{ ${reclaimLock}: bo0.resv }, { wait_resv: bo0 }, { evict: bo0 }, { unlock: bo0.resv }]
symmetry: [[k1, k2]]
properties: [deadlock, dma-fence-progress, fence-sanity]
${extra}`

for (const lock of ['trylock', 'lock'] as const) {
  test(`declared job symmetry: one state per orbit, same verdict (${lock})`, (t) => {
    const sc = loadScenario(write(`two-${lock}.yaml`, design(lock)))
    const m = sc.model
    t.truthy(m.symmetry)
    const full = explore(m)
    const reduced = explore(m, { symmetry: true })
    t.is(reduced.verdict.status, full.verdict.status)
    if (full.verdict.status === 'proved') {
      const orbits = countOrbits(full)
      t.is(reduced.verdict.stats.distinctStates, orbits)
      t.true(orbits < full.verdict.stats.distinctStates)
    } else if (reduced.verdict.status === 'violated' && full.verdict.status === 'violated') {
      t.is(reduced.verdict.property.name, full.verdict.property.name)
      t.is(reduced.verdict.traceLength, full.verdict.traceLength)
      const trace = violationTrace(reduced)!
      t.true(replay(m, trace, reduced.verdict.property.name).ok, 'the reduced counterexample replays on the unreduced model')
    }
  })
}

test('a symmetry declaration the design does not have is refused with the line', (t) => {
  const text = design('trylock').replace('{ name: fh2, path: gpu_page_fault, with: { job: k2 } }', '{ name: fh2, steps: [begin_signalling, end_signalling] }')
  const e = t.throws(() => loadScenario(write('asym.yaml', text)), { instanceOf: FileError, code: 'FC195' })
  t.is(e.field, 'symmetry')
  t.is(e.line, 17)
})

test('symmetry with processes: is refused: an mm owns its threads, mm_users and mmap_lock', (t) => {
  // The two fault handlers in two processes: swapping k1 and k2 would move a thread into another mm.
  const text = design('trylock', 'processes: [{ name: a }, { name: b }]').replace('with: { job: k2 } }', 'with: { job: k2 }, process: b }')
  const e = t.throws(() => loadScenario(write('procs.yaml', text)), { instanceOf: FileError, code: 'FC190' })
  t.is(e.field, 'symmetry')
  t.is(e.line, 17)
  t.regex(e.message, /processes: \(a, b\).*remove symmetry: or processes:/)
})
