/**
 * The JSON Schema of a scenario file (draft-07). The published one (`fencecheck schema scenario`)
 * describes every step by the op modules' syntax, for editors' completion; files are loaded against
 * the same schema with steps left open, so a mistake in a step is reported by the step parser in
 * the language's own words (file, line, field, fix) rather than as a schema mismatch.
 */
import { stepSchema } from './gpu/ops/docs.js'
import type { Schema } from './gpu/ops/op.js'
import { CONTEXTS, PROPERTY_IDS, USAGES } from './gpu/types.js'
import { DURATION_PATTERN } from './units.js'

/** A list of names, each optionally `{ KEY: name, usage: dma_resv usage }`. */
const namesWithUsage = (key: 'fence' | 'bo') =>
  ({
    type: 'array',
    items: {
      anyOf: [
        { type: 'string' },
        { type: 'object', additionalProperties: false, required: [key], properties: { [key]: { type: 'string' }, usage: { enum: USAGES } } },
      ],
    },
  }) as const

/** An array of objects with exactly these fields (JSON Schema draft-07). */
const objects = <P extends Record<string, unknown>>(required: readonly string[], properties: P, description?: string) =>
  ({
    type: 'array',
    ...(description !== undefined ? { description } : {}),
    items: { type: 'object', additionalProperties: false, ...(required.length ? { required } : {}), properties },
  }) as const

const bytesPattern = '^[0-9]+(\\.[0-9]+)?\\s*(B|KiB|MiB|GiB|KB|MB|GB)?$'

/** The hardware and its objects: engines, memory, locks, buffers, fences. */
const HARDWARE = {
  engines: objects(['name', 'cus'], {
    name: { $ref: '#/definitions/name' },
    kind: { enum: ['gfx', 'compute', 'copy', 'shared'], description: 'documentation only' },
    cus: { type: 'integer', minimum: 1, maximum: 8 },
    preempt: { enum: ['none', 'hmm', 'faulting'], description: 'dma_fence work may preempt hmm work (faulting: even with a page fault pending)' },
    hmmPreemptsDma: { type: 'boolean', description: 'a design bug: hmm work preempts dma_fence work (rule 2)' },
    reserveForDma: { type: 'integer', minimum: 0, description: 'CUs hmm work may never take' },
    flush: { type: 'boolean', description: 'engine flush / gang scheduling (dma-buf.rst option (d))' },
    xnack: { enum: ['on', 'off', true, false], description: 'recoverable page faults (on, the default): an invalid PTE faults; off: no fault path' },
  }),
  memory: {
    type: 'object',
    additionalProperties: false,
    properties: { vram: { type: 'integer', minimum: 0, maximum: 16 }, system: { type: 'integer', minimum: 0, maximum: 16 } },
  },
  locks: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { $ref: '#/definitions/name' },
        kind: { enum: ['mutex', 'rwsem', 'spinlock'], description: 'mutex (the default), rwsem, or spinlock (atomic context while held)' },
      },
    },
  },
  buffers: objects(['name'], {
    name: { $ref: '#/definitions/name' },
    placement: { enum: ['vram', 'system'] },
    fences: namesWithUsage('fence'),
  }),
  fences: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'kind'],
      properties: {
        name: { $ref: '#/definitions/name' },
        kind: { enum: ['dma', 'hmm', 'preempt', 'array', 'chain'] },
        of: { type: 'string' },
        lock: { type: 'string', description: 'the spinlock fence->lock points at (a lock of kind: spinlock); callbacks run under it' },
        members: { type: 'array', items: { type: 'string' }, description: 'array: the fences dma_fence_array_create is given' },
        signal_on_any: { type: 'boolean', description: 'array: signal when any member signals' },
        fence: { type: 'string', description: "chain: this point's fence" },
        prev: { type: 'string', description: 'chain: the previous point (a chain fence)' },
        ops: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enable_signaling: {
              type: 'array',
              items: { $ref: '#/definitions/step' },
              description: 'the steps of dma_fence_ops.enable_signaling, run under the fence lock',
            },
            signaled: {
              type: 'array',
              items: { $ref: '#/definitions/step' },
              description: 'the steps of dma_fence_ops.signaled, run inline by is_signaled (dma_fence_is_signaled) while the fence has not signalled',
            },
            release: {
              type: 'array',
              items: { $ref: '#/definitions/step' },
              description: "the steps of dma_fence_ops.release, run inline by dma_fence_put (every put may be the last), in the putter's context",
            },
          },
          description: "the fence's driver ops (dma_fence_ops), as step lists",
        },
      },
    },
  },
} as const

/** Who acts: jobs, threads, callbacks, work items and their queues, pools, CPUs. */
const ACTORS = {
  jobs: objects(['name', 'engine'], {
    name: { $ref: '#/definitions/name' },
    engine: { type: 'string' },
    queue: { enum: ['kernel', 'user'] },
    deps: { type: 'array', items: { type: 'string' } },
    uses: namesWithUsage('bo'),
    faults: { type: 'boolean' },
    cus: { type: 'integer', minimum: 1 },
    submitted: { type: 'boolean' },
    propagateErrors: { type: 'boolean' },
    hangs: { type: 'boolean', description: 'the GPU hangs on this job: it never completes on its own; only a reset (a timeout handler) ends it' },
    waitsDeps: { type: 'boolean' },
    accesses: { type: 'array', items: { type: 'string' }, description: "ranges the job's GPU work touches through its device's PTEs" },
  }),
  threads: objects(['name'], {
    name: { $ref: '#/definitions/name' },
    context: { enum: CONTEXTS },
    signalling: { type: 'boolean' },
    path: { type: 'string' },
    with: { type: 'object' },
    steps: { type: 'array', items: { $ref: '#/definitions/step' } },
    repeat: { type: 'boolean', description: 'a worker re-armed for every event: after its last step it starts over' },
    cpu: { type: 'integer', minimum: 0, description: 'the CPU the thread is pinned to (a per-CPU kthread, an interrupt handler)' },
    process: { type: 'string', description: 'the process it belongs to (default the first)' },
  }),
  callbacks: objects(
    ['name', 'fence', 'steps'],
    { name: { $ref: '#/definitions/name' }, fence: { type: 'string' }, steps: { type: 'array', items: { $ref: '#/definitions/step' } } },
    "dma_fence callbacks: the fence each is added to (a thread's add_callback step) and the steps dma_fence_signal runs for it, under the fence's lock",
  ),
  workqueues: objects(
    ['name'],
    {
      name: { $ref: '#/definitions/name' },
      ordered: { type: 'boolean', description: 'alloc_ordered_workqueue: one item at a time, in queue order' },
      maxActive: { type: 'integer', minimum: 1, description: 'at most this many of its items run at once (default: no bound)' },
      memReclaim: { type: 'boolean', description: 'WQ_MEM_RECLAIM: it has a rescuer thread' },
    },
    'workqueues besides the built-in system_wq',
  ),
  work: objects(
    ['name', 'steps'],
    {
      name: { $ref: '#/definitions/name' },
      queue: { type: 'string', description: 'its workqueue (default system_wq)' },
      cpu: { type: 'integer', minimum: 0, description: 'queue_work_on(cpu, ...): it runs on that CPU only' },
      signalling: { type: 'boolean', description: 'the callback is a dma_fence signalling path' },
      steps: {
        type: 'array',
        items: { $ref: '#/definitions/step' },
        description: 'the steps of its callback, run by a worker of its queue each time it is queued',
      },
    },
    'work items (INIT_WORK): each runs its steps on a worker whenever it is queued',
  ),
  pools: objects(
    ['name', 'slots'],
    {
      name: { $ref: '#/definitions/name' },
      slots: { type: 'integer', minimum: 1, maximum: 8 },
      free: { type: 'integer', minimum: 0, description: 'slots free at start (default: all)' },
    },
    'counting resources: ring space, event slots, IDs, a semaphore',
  ),
  cpus: { type: 'integer', minimum: 1, maximum: 8, description: 'how many CPUs (default: unbounded, every actor finds one)' },
} as const

/** The memory side: processes, pages, notifiers, GPU mirrors, reclaim paths. */
const MEMORY_SIDE = {
  processes: objects(
    ['name'],
    {
      name: { $ref: '#/definitions/name' },
      svm: { type: 'boolean', description: 'a process-wide SVM (KFD): its mirrors on a device share one GPU address space' },
      users: { type: 'integer', minimum: 0, maximum: 4, description: 'mm_users at start (default 1)' },
      release: {
        type: 'array',
        items: { $ref: '#/definitions/step' },
        description: "the release op of the mmu_notifier a driver registered on the mm, run by the last mmput in its caller's context",
      },
    },
    'processes (address spaces, mms): pages, notifiers, ranges and threads belong to one',
  ),
  pages: {
    type: 'array',
    description: 'CPU pages the design mirrors',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { $ref: '#/definitions/name' },
        at: { enum: ['none', 'system', 'vram'], description: 'where the page is at start (none: not present)' },
        device: { type: 'string', description: 'at: vram: the engine (device) whose VRAM holds the page, its pgmap owner (default: the first engine)' },
        process: { type: 'string', description: 'the process whose address space maps it (default the first)' },
      },
    },
  },
  notifiers: objects(
    ['name', 'pages'],
    {
      name: { $ref: '#/definitions/name' },
      pages: { type: ['array', 'string'] },
      callback: { type: 'array', items: { $ref: '#/definitions/step' } },
      path: { type: 'string' },
      with: { type: 'object' },
    },
    'mmu_interval_notifier subscriptions: the pages each covers and its invalidate callback',
  ),
  ranges: objects(
    ['name', 'engine', 'pages'],
    {
      name: { $ref: '#/definitions/name' },
      engine: { type: 'string' },
      pages: { type: ['array', 'string'] },
      notifiers: { type: 'array', items: { type: 'string' } },
      mapped: { type: 'boolean', description: 'PTEs valid at start' },
      process: { type: 'string', description: "the process whose GPU address space holds the mirror (default its pages' process)" },
      vm: { type: 'string', description: 'a GPU VM several mirrors of a process without SVM share (default: its own)' },
      va: { type: 'string', description: 'its GPU virtual address; a fault names (address space, va)' },
    },
    "GPU mirrors (SVM ranges, userptrs): one device's PTEs for CPU pages, kept coherent through notifiers",
  ),
  reclaim: objects([], {
    name: { type: 'string' },
    path: { type: 'string' },
    with: { type: 'object' },
    steps: { type: 'array', items: { $ref: '#/definitions/step' } },
  }),
} as const

/** What is checked and how: policies, properties, goals, symmetry, search, the expectation. */
const CHECKING = {
  policies: {
    type: 'object',
    additionalProperties: false,
    properties: {
      shrinker: { enum: ['wait', 'skip-on-fault'] },
      userptr: { enum: ['wait', 'no-wait'] },
      syncobj: { enum: ['stall', 'proxy'] },
      timeout: {
        enum: ['report', 'accept'],
        description: "a hang that only a bounded wait's timeout ends: report it (hang-until-timeout, the default) or accept it as the design's choice",
      },
    },
  },
  properties: { type: 'array', items: { enum: PROPERTY_IDS } },
  progress: {
    type: 'array',
    description:
      'progress goals, each a liveness property under weak fairness: { thread: T } completes its path, { job: J } or { fence: F } signals, { work: W } runs',
    items: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: false,
      properties: { thread: { type: 'string' }, job: { type: 'string' }, fence: { type: 'string' }, work: { type: 'string' } },
    },
  },
  symmetry: {
    type: 'array',
    description: 'groups of interchangeable jobs, e.g. [[k1, k2]]; with search.symmetry the explorer keeps one state per orbit',
    items: { type: 'array', items: { type: 'string' } },
  },
  search: {
    type: 'object',
    additionalProperties: false,
    properties: {
      order: { enum: ['bfs', 'dfs'] },
      symmetry: { type: 'boolean', description: "explore one state per orbit of the model's declared symmetry" },
      por: { type: 'boolean', description: 'partial-order reduction (as --por): progress and liveness are then left unchecked' },
      maxDepth: { type: 'integer', minimum: 0 },
      maxStates: { type: 'integer', minimum: 1 },
      maxTime: {
        type: ['number', 'string'],
        exclusiveMinimum: 0,
        pattern: DURATION_PATTERN,
        description: 'a duration as --max-time takes it: 90s, 10m, 2h, or a number of seconds',
      },
      maxMemory: { type: ['string', 'integer'], pattern: bytesPattern, description: 'bytes, or e.g. "512MiB"' },
    },
  },
  expect: {
    type: 'object',
    additionalProperties: false,
    required: ['verdict'],
    properties: {
      verdict: { enum: ['proved', 'violated', 'inconclusive'] },
      property: { type: 'string', minLength: 1 },
      traceLength: { type: 'integer', minimum: 0 },
      unreached: { type: 'array', items: { type: 'string' } },
    },
  },
} as const

/** The schema of a scenario file (JSON Schema draft-07), with `step` the schema of one step. */
const scenarioSchema = (step: Schema) =>
  ({
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'fencecheck scenario',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'about'],
    properties: {
      name: { type: 'string', minLength: 1, description: 'short title of the design' },
      about: { type: 'string', minLength: 1, description: 'which design this states and which seed it comes from' },
      seed: { type: 'string', description: 'the seed discussion (e.g. "000")' },
      model: {
        type: 'string',
        minLength: 1,
        description: "a built-in model (see `fencecheck list`), or 'gpu' (the default) for a GPU design given by the fields below",
      },
      params: { type: 'object', description: 'the model parameters', additionalProperties: { type: ['integer', 'string'] } },
      ...HARDWARE,
      ...ACTORS,
      ...MEMORY_SIDE,
      ...CHECKING,
    },
    definitions: {
      name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' },
      step,
    },
  }) as const

/** The published schema: every step op's fields. */
export const SCENARIO_SCHEMA = scenarioSchema(stepSchema())
/** The schema files are shape-checked against before the step parser reads their steps. */
export const SHAPE_SCHEMA = scenarioSchema({})
