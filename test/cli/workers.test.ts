/**
 * `check --workers 2` through the CLI: the search thread starts the workers before it loads the
 * target (prestartWorkers), and they build the model from the text it read and validated (the
 * schema is not run again in each worker). The result must be the 1-worker run's, field for
 * field, for a deadlock with its trace, a graph property and a fair lasso; and a run refused
 * after the workers were started exits 2 at once, with no search.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, ROOT } from '../root.js'

const SCENARIOS = [
  // a deadlock in the middle of a level, with its trace
  'scenarios/gpu/s05b-no-flush.yaml',
  // dma_fence progress (a graph property over every edge)
  'scenarios/gpu/s07b-dma-progress.yaml',
  // a livelock: a fair lasso, whose trace follows the edges in the serial search's order
  'scenarios/mem/m9c-nouveau-ref-before-trylock.yaml',
]

/** What the 1- and 2-worker runs must share: all but time, memory and the scope line that names the workers. */
const VOLATILE = new Set(['timeMs', 'statesPerSec', 'peakMemoryBytes', 'storageBytes', 'scope', 'scopeSummary', 'reproduce'])

function checkJson(file: string, workers: number): { status: number | null; json: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [CLI, 'check', join(ROOT, file), '--workers', `${workers}`, '--format', 'json', '--quiet'], { encoding: 'utf8' })
  if (r.stdout.trim() === '') throw new Error(`no JSON from --workers ${workers} on ${file}: ${r.stderr}`)
  const json = JSON.parse(r.stdout) as Record<string, unknown>
  return { status: r.status, json: Object.fromEntries(Object.entries(json).filter(([k]) => !VOLATILE.has(k))) }
}

for (const file of SCENARIOS) {
  test(`check ${file} --workers 2 gives the 1-worker result`, (t) => {
    const one = checkJson(file, 1)
    const two = checkJson(file, 2)
    t.is(two.status, one.status)
    t.deepEqual(two.json, one.json)
  })
}

test('a run refused after its workers were started exits 2 at once, with no search', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-workers-'))
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'name: bad\nabout: a field the schema does not know\nengines: [{ name: gfx, kind: gfx }]\nbogus: 1\n')
  for (const args of [
    ['check', bad, '--workers', '2'],
    ['check', join(ROOT, SCENARIOS[0]!), '--workers', '2', '--order', 'dfs'],
  ]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' })
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
    t.regex(r.stderr, /FC\d{3}/)
    t.false(r.stdout.includes('statistics'), 'no search ran')
  }
})
