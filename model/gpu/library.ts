/**
 * The built-in library of standard kernel paths, as step data. A scenario uses one with
 * `path: NAME` and `with: { ... }` bindings, or inlines one in its own steps with `- use: NAME`.
 * Each path cites the kernel code it abstracts. Steps are the same raw syntax a scenario writes.
 */

export type RawStep = string | Record<string, unknown>

export interface LibraryParam {
  readonly name: string
  readonly doc: string
  readonly default?: string
}

export interface LibraryPath {
  readonly name: string
  readonly doc: string
  readonly cite: string
  readonly context: 'process' | 'notifier' | 'fault-handler' | 'shrinker' | 'scheduler' | 'worker'
  readonly signalling?: boolean
  readonly params: readonly LibraryParam[]
  /** the steps for bound parameters and the scenario's policies */
  steps(p: Record<string, string>, policies: Policies): RawStep[]
}

export interface Policies {
  /** the GPU shrinker waits on fences, or skips them while a page fault is pending (Glisse, seed 000) */
  readonly shrinker: 'wait' | 'skip-on-fault'
  /** the userptr MMU notifier waits for the GPU, or only invalidates (seed 000) */
  readonly userptr: 'wait' | 'no-wait'
  /** a dma_fence from an hmm syncobj: stall until it signals (drm_syncobj WAIT_FOR_SUBMIT), or a proxy */
  readonly syncobj: 'stall' | 'proxy'
  /** a hang that only a bounded wait's timeout ends: reported (hang-until-timeout), or accepted by the design */
  readonly timeout: 'report' | 'accept'
}

export const DEFAULT_POLICIES: Policies = { shrinker: 'wait', userptr: 'wait', syncobj: 'stall', timeout: 'report' }

/**
 * The populate pattern of Documentation/mm/hmm.rst (rules 34, 35): read_begin, hmm_range_fault
 * under mmap_lock, the update lock, read_retry (a collision starts over), then program the PTEs and
 * whatever else must be atomic with the check (`commit`), and release the lock.
 */
const populate = (range: string, lock: string, commit: RawStep[], mm = 'mmap_lock'): RawStep[] => [
  { read_begin: range },
  { lock_read: mm },
  { get_pages: range },
  { unlock: mm },
  { lock },
  { read_retry: range },
  { map: range },
  ...commit,
  { unlock: lock },
]

export const LIBRARY: readonly LibraryPath[] = [
  {
    name: 'gpu_page_fault',
    doc: 'GPU page-fault handler: take mmap_lock for read, allocate the page (may reclaim), map it, let the job continue',
    cite: 'Documentation/mm/hmm.rst; drm_gpusvm.c (DOC: Examples); amdgpu_vm_handle_fault',
    context: 'fault-handler',
    params: [
      { name: 'job', doc: 'the faulting job' },
      { name: 'gfp', doc: 'allocation flags', default: 'KERNEL' },
      { name: 'pool', doc: 'vram or system', default: 'vram' },
    ],
    steps: (p) => [
      { await_fault: p.job },
      { lock_read: 'mmap_lock' },
      { alloc: p.gfp, pool: p.pool, else: 'fail' },
      { unlock: 'mmap_lock' },
      { resolve_fault: p.job },
    ],
  },
  {
    name: 'shrinker',
    doc: "GPU shrinker (run inside reclaim): trylock a BO's dma_resv, wait for its fences (BOOKKEEP), swap it out (a VRAM buffer through system memory), which frees its pages",
    cite: 'drivers/gpu/drm/ttm/ttm_bo.c: ttm_bo_swapout_cb @ v6.12 / ttm_bo_util.c: ttm_lru_walk_trylock @ v6.12; i915_gem_shrinker.c; dma-fence.c cross-driver contract',
    context: 'shrinker',
    params: [{ name: 'bo', doc: 'the buffer object it reclaims' }],
    steps: (p, pol) => [
      { trylock: `${p.bo}.resv`, else: 'skip' },
      pol.shrinker === 'skip-on-fault' ? { wait_resv: p.bo, usage: 'bookkeep', ifFaultPending: 'skip' } : { wait_resv: p.bo, usage: 'bookkeep' },
      // ttm_bo_swapout_cb: a buffer outside system memory is moved there first, then swapped out; a
      // system buffer's pages are freed (before, this path evicted, and freed nothing in system memory)
      { swapout: p.bo },
      { unlock: `${p.bo}.resv` },
    ],
  },
  {
    name: 'ttm_swapout',
    doc: "TTM's swapout walk (run inside reclaim by the driver's shrinker): trylock a BO's dma_resv, wait for its fences (BOOKKEEP), swap it out to shmem, freeing its system pages",
    cite: 'drivers/gpu/drm/ttm/ttm_bo.c: ttm_bo_swapout, ttm_bo_swapout_cb @ v6.12; drivers/gpu/drm/ttm/ttm_tt.c: ttm_tt_swapout @ v6.12',
    context: 'shrinker',
    params: [{ name: 'bo', doc: 'the buffer object it swaps out' }],
    steps: (p) => [{ trylock: `${p.bo}.resv`, else: 'skip' }, { wait_resv: p.bo, usage: 'bookkeep' }, { swapout: p.bo }, { unlock: `${p.bo}.resv` }],
  },
  {
    name: 'ttm_evict',
    doc: 'TTM eviction: lock the BO (ticket lock), wait for all its fences (BOOKKEEP), move it out of VRAM',
    cite: 'ttm_bo.c ttm_bo_wait_ctx / ttm_bo_evict; ttm_bo_util.c ttm_lru_walk_ticketlock',
    context: 'process',
    params: [{ name: 'bo', doc: 'the buffer object to evict' }],
    steps: (p) => [{ lock: `${p.bo}.resv` }, { wait_resv: p.bo, usage: 'bookkeep' }, { evict: p.bo }, { unlock: `${p.bo}.resv` }],
  },
  {
    name: 'mmu_notifier',
    doc: 'userptr MMU-notifier invalidation: take the notifier lock, wait for the GPU (BOOKKEEP fences), release',
    cite: 'amdgpu_hmm.c amdgpu_hmm_invalidate_gfx; xe_vm.c vma_userptr_invalidate; mmu_notifier.h',
    context: 'notifier',
    params: [
      { name: 'bo', doc: 'the userptr buffer object' },
      { name: 'lock', doc: 'the driver notifier lock', default: 'notifier_lock' },
    ],
    steps: (p, pol) => [{ lock: p.lock }, ...(pol.userptr === 'wait' ? [{ wait_resv: p.bo, usage: 'bookkeep' }] : []), { unlock: p.lock }],
  },
  {
    name: 'run_job',
    doc: 'GPU scheduler run_job: once the dependencies signal, prepare the job (optionally allocating) and hand it to the hardware',
    cite: 'drm sched_main.c drm_sched_run_job_work; gpu_scheduler.h run_job',
    context: 'scheduler',
    signalling: true,
    params: [
      { name: 'job', doc: 'the job' },
      { name: 'alloc', doc: 'none, or the gfp of an allocation run_job makes (KERNEL reproduces the bug; NOWAIT/ATOMIC may fail)', default: 'none' },
      { name: 'lock', doc: 'none, or a lock run_job takes', default: 'none' },
    ],
    steps: (p) => [
      { await_deps: p.job },
      ...(p.lock !== 'none' ? [{ lock: p.lock }] : []),
      ...(p.alloc !== 'none' ? [{ alloc: p.alloc, pool: 'system', else: 'skip' }] : []),
      ...(p.lock !== 'none' ? [{ unlock: p.lock }] : []),
      { run: p.job },
    ],
  },
  {
    name: 'command_submission',
    doc: 'command submission (execbuf): lock the BO, arm the job, install its fence in the dma_resv, push it, unlock',
    cite: 'xe_exec.c xe_exec_ioctl (DOC: Execbuf); drm sched drm_sched_job_arm / drm_sched_entity_push_job',
    context: 'process',
    params: [
      { name: 'job', doc: 'the job to submit' },
      { name: 'bo', doc: 'the buffer object it uses' },
    ],
    steps: (p) => [{ lock: `${p.bo}.resv` }, { arm: p.job }, { push: p.job }, { unlock: `${p.bo}.resv` }],
  },
  {
    name: 'restore_worker',
    doc: 'XNACK-off restore worker: lock the BO, revalidate it (may allocate), resume the queue',
    cite: 'kfd_svm.c svm_range_restore_work; amdgpu_amdkfd_gpuvm.c restore_process_bos; xe_vm_doc.h (Rebind worker)',
    context: 'worker',
    params: [
      { name: 'job', doc: 'the queue (job) to resume' },
      { name: 'bo', doc: 'the buffer object to revalidate' },
    ],
    steps: (p) => [{ lock: `${p.bo}.resv` }, { alloc: 'KERNEL', pool: 'vram', else: 'retry' }, { resume: p.job }, { unlock: `${p.bo}.resv` }],
  },
  {
    name: 'hmm_fault_handler',
    doc: 'XNACK-on GPU fault handler with collision-retry: read_begin, hmm_range_fault under mmap_lock, take the update lock, read_retry (collision: start over), program the PTEs, let the job continue',
    cite: 'Documentation/mm/hmm.rst (rule 34, 35); drm_gpusvm.c drm_gpusvm_range_get_pages / DOC: Examples; amdgpu_svm_range_restore_pages',
    context: 'fault-handler',
    params: [
      { name: 'job', doc: 'the faulting job' },
      { name: 'range', doc: 'the range it maps' },
      { name: 'lock', doc: 'the driver update lock (also taken by the notifier)', default: 'notifier_lock' },
      {
        name: 'mm_lock',
        doc: "the mmap_lock of the mm the range mirrors (hmm_range_fault asserts it): the thread's own by default, P.mmap_lock when the range mirrors another process's pages",
        default: 'mmap_lock',
      },
    ],
    steps: (p) => [{ await_fault: p.job }, ...populate(p.range!, p.lock!, [], p.mm_lock), { resolve_fault: p.job }],
  },
  {
    name: 'notifier_zap',
    doc: "MMU interval notifier callback: take the update lock (in a non-blockable invalidation: trylock, else return false), mmu_interval_set_seq, zap the range's GPU PTEs, release",
    cite: 'Documentation/mm/hmm.rst (rule 35); drm_gpusvm.c / xe_svm.c xe_svm_invalidate; amdgpu_hmm.c amdgpu_hmm_invalidate_gfx (rule 38)',
    context: 'notifier',
    params: [
      { name: 'range', doc: 'the range whose PTEs it zaps' },
      { name: 'lock', doc: 'the driver update lock', default: 'notifier_lock' },
    ],
    steps: (p) => [{ lock: p.lock, nonblock: 'again' }, 'set_seq', { zap: p.range }, { unlock: p.lock }],
  },
  {
    name: 'svm_restore_worker',
    doc: 'XNACK-off restore worker: once the queue was evicted, revalidate the range with collision-retry, install a new eviction fence and resume the queue under the update lock',
    cite: 'kfd_svm.c svm_range_restore_work / svm_range_validate_and_map; kfd_process.c restore_process_worker; amdgpu_amdkfd_fence.c',
    context: 'worker',
    params: [
      { name: 'job', doc: 'the queue (job) to resume' },
      { name: 'range', doc: 'the range to revalidate' },
      { name: 'fence', doc: 'the eviction fence to re-arm' },
      { name: 'lock', doc: 'the driver update lock', default: 'notifier_lock' },
    ],
    // Resume before dropping the lock: an invalidation that comes after must find the new fence
    // armed and the queue running (kfd_svm.c checks evicted_ranges before resuming).
    steps: (p) => [{ await_evicted: p.job }, ...populate(p.range!, p.lock!, [{ new_fence: p.fence }, { resume: p.job }])],
  },
  {
    name: 'syncobj_to_dma',
    doc: 'materialize a dma_fence from an hmm syncobj: stall (no locks held) until it signals, or return a proxy (policy syncobj)',
    cite: 'drm_syncobj.c drm_syncobj_find_fence (WAIT_FOR_SUBMIT); seed 003',
    context: 'process',
    params: [
      { name: 'from', doc: 'the hmm_fence in the syncobj' },
      { name: 'to', doc: 'the dma_fence handed out' },
    ],
    steps: (p, pol) => (pol.syncobj === 'stall' ? [{ syncobj_stall: p.from, to: p.to }] : [{ syncobj_proxy: p.from, to: p.to }]),
  },
]

export function findLibrary(name: string): LibraryPath | undefined {
  return LIBRARY.find((l) => l.name === name)
}
