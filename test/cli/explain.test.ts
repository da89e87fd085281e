/**
 * `fencecheck explain` and `fencecheck check` on bundled designs, as a user runs them: explain
 * shows each concurrency primitive a design declares (work items and workqueues, pools, fence
 * callbacks, CPUs, fence ops, composite fences), and the trace of S28, the bounded wait that ends a
 * hang, names the timeout. The names asserted are read off the scenario files.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { CLI, ROOT } from '../root.js'

function cli(args: readonly string[]): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' })
  return { status: r.status, stdout: r.stdout }
}
const explain = (f: string): string => {
  const r = cli(['explain', `scenarios/gpu/${f}`])
  if (r.status !== 0) throw new Error(`explain ${f} exited ${r.status}`)
  return r.stdout
}

test('explain shows work items and their workqueue (WQ1)', (t) => {
  const out = explain('wq1-guc-busyness-cancel-sync.yaml')
  t.regex(out, /^workqueues:\n {2}system_highpri_wq: /m)
  t.regex(out, /^work items \(/m)
  t.regex(out, /busyness_work: holds lockdep maps \(wq_completion\)system_highpri_wq, \(work_completion\)busyness_work while it runs/)
})

test('explain shows pools (WQ2) and CPUs (WQ3)', (t) => {
  t.regex(explain('wq2-kfd-runtime-enable-sema-under-mutex.yaml'), /^pools: runtime_enable_sema \(1 slot\(s\), 0 free at start\)/m)
  const cpus = explain('wq3-busywait-preempt-off-starves-worker.yaml')
  t.regex(cpus, /^cpus: 2; pinned: irq on CPU 0, waiter on CPU 0/m)
  t.regex(cpus, /signal_work \(work item on system_wq, bound to CPU 0/)
})

test('explain shows callbacks, with the lock they run under and the context that runs them (S36b)', (t) => {
  const out = explain('s36b-kill-jobs-cb-defers-to-work.yaml')
  t.regex(out, /^callbacks \(dma_fence_add_callback; /m)
  // hw1 is signalled by the irq thread gpu; point2 is a chain point, signalled from irq_work.
  t.regex(out, /kill_jobs_cb on hw1 \(under hw1\.lock; run in the context of gpu \(irq\)\):\n {4}1\. queue_work\(system_wq, kill_jobs_work\)/)
  t.regex(out, /kill_jobs_cb2 on point2 \(under point2\.lock; run in hard-irq context \(irq_work\)\)/)
})

test("explain shows a fence's signaled op inline in its caller, and a dma_fence_array's rule (S38b, S39b)", (t) => {
  const op = explain('s38b-signaled-op-reads-seqno.yaml')
  t.regex(op, /2\. dma_fence_is_signaled\(dma_fence ring_fence\): if it has not signalled, its signaled op runs here/)
  t.regex(op, /3\. if ring\.last_seq_passed is set: run its then: steps/)
  t.regex(op, /6\. end of the signaled op: dma_fence_is_signaled returns/)
  t.regex(
    explain('s39b-vmid-wait-array-preallocated.yaml'),
    /vmid_wait: dma_fence; dma_fence_array: signals from irq_work when any of id0_active, id1_active signals/,
  )
})

test('a hang that only a timeout ends is reported as such, with the timeout in the trace (S28)', (t) => {
  const r = cli(['check', 'scenarios/gpu/s28-ttm-bounded-wait-hides-deadlock.yaml'])
  t.is(r.status, 1)
  t.regex(r.stdout, /^verdict: VIOLATED - hang-until-timeout/m)
  // The timeout step names the wait, the bound's error and the cycle it ended.
  t.regex(
    r.stdout,
    /evict: dma_resv_wait_timeout\(bo0, BOOKKEEP\) times out, then -EBUSY holding bo0\.resv; a hang only this timeout ended: wait-for cycle: thread evict waits on dma_fence g0/,
  )
})
