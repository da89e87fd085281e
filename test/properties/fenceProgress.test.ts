/**
 * dma-fence-progress (rules 1-3) on fences that signal only once signalling is enabled: preempt
 * fences and composites (dma_fence_array). The obligation starts when a waiter, a callback or a
 * poll enables signalling, as in the kernel, where nothing asks such a fence to signal before
 * (xe_preempt_fence.c: preempt_fence_enable_signaling, dma-fence-array.c:
 * dma_fence_array_enable_signaling @ v6.12). Both directions are checked: a re-armed fence nobody
 * waits on is not stuck; an enabled one that cannot signal is.
 */
import test from 'ava'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { loadScenario } from '../../model/scenario.js'

const verdictOf = (lines: readonly string[]) => {
  const dir = mkdtempSync(join(tmpdir(), 'fencecheck-fence-progress-'))
  try {
    const file = join(dir, 'design.yaml')
    writeFileSync(file, [...lines, ''].join('\n'))
    const sc = loadScenario(file)
    return explore(sc.model, { select: { only: ['dma-fence-progress'] } }).verdict
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const rearmed = (waits: string[]) => [
  'name: re-armed preempt fence',
  'about: e waits on the VM dma_resv BOOKKEEP fences; w re-arms the preempt fence and resumes the queue',
  'engines: [{ name: xe, cus: 1 }]',
  'buffers: [{ name: vm, placement: system, fences: [{ fence: pf, usage: bookkeep }] }]',
  'fences: [{ name: pf, kind: preempt, of: q0 }]',
  'jobs: [{ name: q0, engine: xe, queue: user }]',
  'threads:',
  '  - { name: w, context: worker, steps: [{ await_evicted: q0 }, { new_fence: pf }, { resume: q0 }] }',
  `  - { name: e, steps: [${waits.join(', ')}] }`,
]

test('a re-armed preempt fence nobody waits on again is not stuck (the obligation starts at enable_signaling)', (t) => {
  const v = verdictOf(rearmed(['{ wait_resv: vm, usage: bookkeep }']))
  t.is(v.status, 'proved')
})

test('a re-armed preempt fence that is waited on again signals again: still proved', (t) => {
  const v = verdictOf(rearmed(['{ wait_resv: vm, usage: bookkeep }', '{ wait_resv: vm, usage: bookkeep }']))
  t.is(v.status, 'proved')
})

const array = (eSteps: string) => [
  'name: array fence waited on under the lock its member signaller needs',
  'about: e waits on a dma_fence_array whose only member s signals under lock m',
  'locks: [{ name: m }]',
  'buffers: [{ name: bo, placement: system, fences: [a] }]',
  'fences: [{ name: f0, kind: dma }, { name: a, kind: array, members: [f0] }]',
  'threads:',
  '  - { name: s, steps: [{ lock: m }, { signal: f0 }, { unlock: m }] }',
  `  - { name: e, steps: ${eSteps} }`,
]

test('an enabled array fence whose member cannot signal is stuck: rules 1-3 violated', (t) => {
  const v = verdictOf(array('[{ lock: m }, { wait: a }, { unlock: m }]'))
  t.is(v.status, 'violated')
})

test('the same array fence waited on without the lock signals: proved', (t) => {
  const v = verdictOf(array('[{ wait: a }, { lock: m }, { unlock: m }]'))
  t.is(v.status, 'proved')
})
