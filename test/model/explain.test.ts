/**
 * `fencecheck explain`: the memory side of a scenario (pages, ranges, notifiers and their
 * callbacks, as scenarios/mem/m2-exit-early.yaml declares them), and built-in models by name.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { arrayCondition } from '../../model/explain.js'
import { explainScenario, loadScenario } from '../../model/index.js'
import { CLI, ROOT } from '../root.js'

const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('a scenario with a memory side: its pages, ranges, notifiers and their callbacks, in order', (t) => {
  const text = explainScenario(loadScenario(join(ROOT, 'scenarios/mem/m2-exit-early.yaml')))
  t.true(text.includes('pages: p0 (in system memory), p1 (in system memory)'), text)
  t.true(/r0 on gpu0: pages p0, p1; mapped \(PTEs valid\) at start; notifiers n0/.test(text), text)
  const callback = text.slice(text.indexOf('n0 over p0, p1:'))
  const at = (s: string): number => callback.indexOf(s)
  // skip_if_exiting, then the notifier lock, then set_seq, as the file lists them
  t.true(at('1. if the process is exiting, return at once') > 0, callback)
  t.true(at('2. mutex_lock(notifier_lock)') > at('1. '), callback)
  t.true(at('3. mmu_interval_set_seq(n0)') > at('2. '), callback)
})

test('explain r1: the parameters of a built-in model, and with them its properties and state', (t) => {
  const bare = cli(['explain', 'r1'])
  t.is(bare.status, 0, bare.stderr)
  for (const p of ['C:', 'G:', 'K:', 'M:', 'POLICY:']) t.true(bare.stdout.includes(`  ${p}`), p)
  const full = cli(['explain', 'r1', '--param', 'C=1', '--param', 'G=1', '--param', 'K=1', '--param', 'M=0', '--param', 'POLICY=naive'])
  t.is(full.status, 0, full.stderr)
  t.true(full.stdout.includes('model: r1 C=1 G=1 K=1 M=0 POLICY=naive'))
  t.true(full.stdout.includes('page conservation'))
  t.true(full.stdout.includes('deadlock'))
})

test('explain of an unknown name is a usage error naming the built-in models', (t) => {
  const r = cli(['explain', 'nosuch'])
  t.is(r.status, 2)
  t.true(r.stderr.includes('FC202') && r.stderr.includes('r1'), r.stderr)
})

/** The lines of one actor's steps in `explain`'s threads: section. */
const stepsOf = (text: string, actor: string): string[] => {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l.startsWith(`  ${actor} (`))
  const end = lines.findIndex((l, i) => i > at && !l.startsWith('    '))
  return lines.slice(at + 1, end)
}

test("the last mmput's teardown: the release op runs under the put, in the caller, and its end says exit_mmap returns", (t) => {
  for (const [file, actor, release] of [
    ['d07-kfd-release-flushes-restore-work.yaml', 'exiting_task', 'cancel_work_sync(svms_restore_work)'],
    ['d07-kfd-release-flushes-restore-work.yaml', 'deferred_list_work', 'cancel_work_sync(svms_restore_work)'],
    ['d08-kfd-restore-work-holds-mm.yaml', 'async_put_work', 'cancel_work_sync(eviction_work)'],
    ['m21-kfd-evict-worker-no-mmget.yaml', 'app_exit', 'mutex_lock(kfd_processes_mutex)'],
  ] as const) {
    const text = explainScenario(loadScenario(join(ROOT, 'scenarios', 'mem', file)))
    const steps = stepsOf(text, actor)
    const put = steps.findIndex((l) => /^ {4}\d+\. mmput\(/.test(l))
    t.true(put >= 0, `${file} ${actor}: ${steps.join('\n')}`)
    t.regex(steps[put]!, /the last put runs exit_mmap here, in the caller's context: mmu_notifier_release calls the release op/)
    // the release op's steps, indented under the put: they run inside it, not after it
    const body = steps.slice(put + 1).filter((l) => l.startsWith('       '))
    t.true(
      body.some((l) => l.includes(release)),
      `${file} ${actor}: ${steps.join('\n')}`,
    )
    t.regex(body[body.length - 1]!, /exit_mmap returns \(the end of the last put's teardown\): the caller goes on after its mmput$/)
    t.false(text.includes('failure branch'), `${file}: no failure branch in it`)
  }
})

test('a failure branch is indented under its step and still ends as one', (t) => {
  const text = explainScenario(loadScenario(join(ROOT, 'scenarios', 'mem', 'd02-migrate-collect-trylock-page.yaml')))
  const steps = stepsOf(text, 'migrate_vma')
  t.regex(steps[1]!, /^ {4}2\. trylock_page\(p0\)/)
  t.is(steps[2], '       3. put_page(p0)')
  t.is(steps[3], '       4. end of the failure branch: leaves the path')
  t.regex(steps[4]!, /^ {4}5\. get_page\(p1\)/)
})

test("a trace says which mmput was the last, as mm_users shows: 'another user remains' while it stays above zero", (t) => {
  const r = cli(['check', join(ROOT, 'scenarios', 'mem', 'd07-kfd-release-flushes-restore-work.yaml')])
  t.is(r.status, 1, r.stderr)
  // each trace step's line, and the mm_users change under it
  const puts = [...r.stdout.matchAll(/^ +\d+ {2}(.*?): mmput\(P's mm\): (.*)\n {8}mm_users\.P: (\d+) -> (\d+)$/gm)]
  t.is(puts.length, 2, r.stdout)
  for (const [, actor, text, , after] of puts) {
    if (after === '0')
      t.is(text, `the last user is gone: exit_mmap runs here, in ${actor}'s context: mmu_notifier_release calls the release op of P's mmu_notifier`)
    else t.is(text, 'another user remains')
  }
  t.deepEqual(
    puts.map((p) => p[4]),
    ['1', '0'],
  )
})

test('exit_mm says what it does: it marks the process exiting and counts no mm_users', (t) => {
  const r = cli(['check', join(ROOT, 'scenarios', 'mem', 'm2-exit-early.yaml')])
  const line = r.stdout.split('\n').find((l) => l.includes('(exit_mm)'))!
  t.truthy(line, r.stdout)
  t.notRegex(line, /mm_users drops|drops to zero/)
  t.regex(line, /marked exiting/)
  // and the trace shows no mm_users change under it: the model counts none
  t.notRegex(r.stdout, /mm_users\.\w+: \d+ -> /)
})

test('a composite fence of one member is described in the singular, of two in the plural', (t) => {
  // s36: point1 chains hw1 alone (the first point of its timeline); point2 chains hw2 after point1.
  const text = explainScenario(loadScenario(join(ROOT, 'scenarios/gpu/s36-kill-jobs-cb-arms-chain-under-fence-lock.yaml')))
  t.regex(text, /point1: dma_fence; dma_fence_chain point: signals from irq_work when hw1 has signalled(;|$)/m)
  t.regex(text, /point2: dma_fence; dma_fence_chain point: signals from irq_work when hw2 and the earlier point point1 have signalled;/)
  t.notRegex(text, /when hw1 have/)
  t.is(arrayCondition(['a'], false), 'a signals')
  t.is(arrayCondition(['a'], true), 'a signals')
  t.is(arrayCondition(['a', 'b'], false), 'all of a, b signal')
  t.is(arrayCondition(['a', 'b'], true), 'any of a, b signals')
})
