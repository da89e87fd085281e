/**
 * The registry of fencecheck's error and warning codes: one stable code per kind of mistake, so
 * that docs, tests and users can point at a message without quoting its prose (as TLC's EC.* and
 * Quint's QNTnnn do). The command line prints the code before the message; docs/errors.md is
 * generated from this table (`node dist/errors/writeDocs.js`), and test/errors/errors.test.ts checks that
 * the table, the document and the codes used in the source agree.
 *
 * Ranges:
 * - FC1xx scenario and input files: YAML, schema, names, references, lock discipline, symmetry,
 *   expectations, model parameters;
 * - FC2xx command-line usage: flags, values, targets, output paths, checkpoint and resume refusals;
 * - FC3xx search and model errors: a model breaking its contract, search options the search
 *   refuses, internal errors;
 * - FC4xx replay and merge refusals;
 * - FC5xx warnings: the run goes on, but a result may not mean what it seems to.
 *
 * A code, once published, keeps its meaning: a kind of mistake that no longer exists leaves its
 * code unused rather than handing it to another. This module imports nothing, so every layer may
 * import it.
 */

export interface ErrorCodeInfo {
  /** what went wrong, in a few words */
  readonly title: string
  /** when it happens */
  readonly cause: string
  /** what to change */
  readonly fix: string
}

export const ERROR_CODES = {
  // FC10x: files and YAML
  FC100: {
    title: 'file not found or unreadable',
    cause: 'The scenario file named on the command line (or by a result) does not exist or cannot be read.',
    fix: 'Check the path and the file permissions.',
  },
  FC101: {
    title: 'invalid YAML syntax',
    cause: 'The file is not valid YAML at the line named, often an indentation or quoting mistake.',
    fix: 'Fix the syntax at that line (items of a list start with `- `; fields of a map line up).',
  },
  FC102: {
    title: 'duplicate key',
    cause: 'The same key appears twice in one YAML map.',
    fix: 'Remove or rename one of the two.',
  },
  FC103: {
    title: 'too many YAML aliases',
    cause: 'The file expands more than 100 YAML aliases (`*name`).',
    fix: 'Use fewer aliases; write the repeated parts out, or use a library path.',
  },
  FC104: {
    title: 'empty scenario',
    cause: 'The scenario file holds no YAML document.',
    fix: 'Give at least `name`, `about` and a design (`model:` with `params:`, or `engines:`, `jobs:`, `threads:`).',
  },

  // FC11x: the scenario schema
  FC110: {
    title: 'unknown field',
    cause: 'A field the scenario schema does not define, often a misspelling.',
    fix: 'Check the spelling against `fencecheck schema scenario`.',
  },
  FC111: {
    title: 'missing required field',
    cause: 'A field the schema requires is absent (for example `name` or `about`, or an engine without `cus`).',
    fix: 'Add the field named.',
  },
  FC112: {
    title: 'wrong type',
    cause: 'A value of the wrong type: a string where a number is expected, a map where a list is, and so on.',
    fix: 'Write the value as the type named.',
  },
  FC113: {
    title: 'value not allowed',
    cause: 'A value outside the fixed set a field allows.',
    fix: 'Use one of the values listed in the message.',
  },
  FC114: {
    title: 'number out of range',
    cause: 'A number below the minimum or above the maximum its field allows.',
    fix: 'Use a number in the range named.',
  },
  FC115: {
    title: 'empty list or map',
    cause: 'A list or map that must have entries has none (or too few).',
    fix: 'Add entries, or remove the field.',
  },
  FC116: {
    title: 'not a size',
    cause: 'A memory size that is neither a number of bytes nor a number with a unit.',
    fix: 'Write a size such as `512MiB`, `2GiB` or a number of bytes.',
  },
  FC117: {
    title: 'not a name',
    cause: 'A name with spaces or characters other than letters, digits, `_`, `.` and `-`, or not starting with a letter or `_`.',
    fix: 'Rename it.',
  },
  FC118: {
    title: 'value does not match the schema',
    cause: 'A value the schema refuses for a reason other than the ones above (the message quotes the schema).',
    fix: 'Compare the value with `fencecheck schema scenario`.',
  },

  // FC12x: the scenario as a whole
  FC120: {
    title: 'scenario states no design',
    cause: 'The scenario names no built-in model and declares no GPU design (no `engines:`).',
    fix: 'Give `model: NAME` with `params:`, or a GPU design (`engines:`, `jobs:`, `threads:`, ...).',
  },
  FC121: {
    title: 'params on a GPU design',
    cause: '`params:` belong to built-in models; a GPU design is stated by its fields.',
    fix: 'Remove `params:`, or name the built-in model they are for with `model:`.',
  },
  FC122: {
    title: 'unknown model',
    cause: "The scenario's `model:` names no built-in model.",
    fix: 'Use a model listed by `fencecheck list`, or `gpu` for a GPU design.',
  },
  FC123: {
    title: 'GPU field on a built-in model',
    cause: 'A GPU-design field (`engines`, `jobs`, `threads`, ...) in a scenario of a built-in model, which does not read it.',
    fix: 'Remove the field, or drop `model:` to state a GPU design.',
  },
  FC124: {
    title: 'unknown witness in expect.unreached',
    cause: '`expect.unreached` names a sometimes witness the model does not have.',
    fix: 'Use a witness name listed in the message (or `fencecheck explain FILE`).',
  },
  FC125: {
    title: 'unknown property in expect.property',
    cause: '`expect.property` names a property that is not checked for this design.',
    fix: 'Use a property name listed in the message; a property left out by `properties:` is not checked.',
  },
  FC126: {
    title: 'search.symmetry without symmetry',
    cause: '`search.symmetry: true` for a model that declares no interchangeable jobs.',
    fix: 'Declare `symmetry:` groups (GPU designs), or remove `search.symmetry`.',
  },

  // FC13x: model parameters (a scenario's params:, or --param)
  FC130: {
    title: 'parameter not NAME=VALUE',
    cause: 'A `--param` value without `=`, or with nothing before it.',
    fix: 'Write `--param NAME=VALUE`, for example `--param C=2`.',
  },
  FC131: {
    title: 'parameter without a value',
    cause: 'A `--param NAME=` with nothing after the `=`.',
    fix: 'Give the value: `NAME=VALUE`.',
  },
  FC132: {
    title: 'parameter given twice',
    cause: 'The same parameter in two `--param` flags.',
    fix: 'Give each parameter once.',
  },
  FC133: {
    title: 'unknown parameter',
    cause: 'A parameter the model does not declare.',
    fix: 'Use one of the parameters listed in the message (or by `fencecheck list`).',
  },
  FC134: {
    title: 'missing parameter',
    cause: 'A parameter without a default is not given.',
    fix: 'Give it, in `params:` or with `--param`.',
  },
  FC135: {
    title: 'parameter not an integer',
    cause: 'An integer parameter with a value that is not an integer.',
    fix: "Give an integer in the parameter's range.",
  },
  FC136: {
    title: 'parameter out of range',
    cause: 'An integer parameter outside its declared range.',
    fix: 'Give a value in the range named.',
  },
  FC137: {
    title: 'parameter not one of its values',
    cause: 'An enumerated parameter with a value it does not list.',
    fix: 'Use one of the values named.',
  },
  FC138: {
    title: 'parameters contradict each other',
    cause: 'Values that are each valid but make no model together (for example GOAL above BIG).',
    fix: 'Change one of the parameters as the message says.',
  },

  // FC14x: GPU design names, references and sizes
  FC140: {
    title: 'name used twice',
    cause:
      "Two engines, locks, buffers, fences, jobs, threads, pages, notifiers or ranges share a name (a job's fence is named after the job; a buffer brings `BO.resv`).",
    fix: 'Rename one of them.',
  },
  FC141: {
    title: 'undeclared name',
    cause: 'A reference to an engine, fence, job, lock, buffer, page, notifier or range that is not declared.',
    fix: 'Declare it, or use one of the names listed in the message.',
  },
  FC142: {
    title: 'unknown library path',
    cause: 'A `path:` or `use:` that names no library kernel path.',
    fix: 'Use a library path listed by `fencecheck list`.',
  },
  FC143: {
    title: 'unknown property',
    cause: 'An entry of `properties:` that names no property of GPU designs.',
    fix: 'Use a property listed in the message.',
  },
  FC144: {
    title: 'unknown step',
    cause: 'A step operation fencecheck does not know.',
    fix: 'Use one of the steps listed in the message.',
  },
  FC145: {
    title: 'unknown context',
    cause: "A thread's `context:` that is not a known execution context.",
    fix: 'Use a context documented in `fencecheck schema scenario`.',
  },
  FC146: {
    title: 'no engine',
    cause: 'A GPU design without any engine.',
    fix: 'Declare one, for example `engines: [{ name: gfx, cus: 1 }]`.',
  },
  FC147: {
    title: 'more compute units than the engine has',
    cause: 'An engine reserving more CUs for DMA than it has, or a job needing more CUs than its engine has.',
    fix: "Lower the job's `cus` or `reserveForDma`, or give the engine more CUs.",
  },
  FC148: {
    title: 'design too large',
    cause: 'More fences (one per job plus the declared ones) or threads than the state layout supports.',
    fix: 'Split the scenario into smaller ones.',
  },
  FC149: {
    title: 'process membership not understood',
    cause:
      'A notifier or range covering pages of two processes, `process:`/`vm:`/`va:` without `processes:` declared, `vm:` on a range of a process with a process-wide SVM, or an mmget/mmput inside a release op.',
    fix: "Give each notifier and mirror the pages of one process, declare `processes:`, drop `vm:` from SVM ranges, and keep the release op's steps free of mm pins.",
  },

  // FC15x: steps
  FC150: {
    title: 'step needs an argument',
    cause: 'A step written as a bare name that needs an argument (`lock` instead of `lock: X`).',
    fix: 'Write it as `OP: NAME`.',
  },
  FC151: {
    title: 'two operations in one step',
    cause: 'A step map with two operation keys.',
    fix: 'Split it into two steps.',
  },
  FC152: {
    title: 'unknown field for a step',
    cause: 'A modifier the step does not take.',
    fix: 'Use a modifier listed in the message, or remove it.',
  },
  FC153: {
    title: 'malformed step',
    cause: 'A step that is neither a name nor a one-key map.',
    fix: 'Write it as `begin_signalling` or `lock: X`.',
  },
  FC154: {
    title: 'step argument not a name',
    cause: "A step's argument that is empty or not a string.",
    fix: 'Give the name of the lock, fence, job, buffer, ... it acts on.',
  },
  FC155: {
    title: 'value a step or thread field does not take',
    cause: 'A modifier (`else`, `usage`, `pool`, `event`, `nonblock`, `error`, ...), a gfp or a thread flag with a value it does not take.',
    fix: 'Use one of the values named in the message.',
  },
  FC156: {
    title: 'step modifier missing',
    cause:
      'A step that needs a modifier without it (`add_fence` needs `fence:`, `syncobj_*` need `to:`, a context lock needs `else:` for -EDEADLK, and `already:` where its context holds the lock and it returns -EALREADY).',
    fix: 'Add the modifier named.',
  },
  FC157: {
    title: 'library paths nest too deep',
    cause: 'Library paths that `use:` one another more than four levels deep.',
    fix: 'Flatten the nesting.',
  },
  FC158: {
    title: 'memory step without its start',
    cause: 'A `read_retry` without a `read_begin` of the same range earlier in the path, or a `map` without a `get_pages`.',
    fix: 'Add the missing step earlier in the same path.',
  },
  FC265: {
    title: 'invalidation condition outside a callback, or not understood',
    cause:
      "An `if: { event: ..., owner: ... }` (the mmu_notifier_range's event and pgmap owner) in a thread's or reclaim path's steps, an event that is not unmap, migrate, pressure, oom or exit, or an owner that is not an engine's name.",
    fix: "Test the invalidation's event and owner only in a notifier's callback steps, with an event of the list and an engine as owner (the device whose pgmap owner a migrate_vma_setup passes).",
  },
  FC266: {
    title: 'read trylock of an rwsem the path read-holds',
    cause:
      'A `trylock_read` of an rwsem the same path holds for read: down_read_trylock succeeds again (a second, recursive read hold; lockdep checks no recursion for a trylock), which the model does not count.',
    fix: 'Remove the trylock (the path holds the rwsem already), or release the read hold before it.',
  },
  FC259: {
    title: 'acquire-context step without its ww_acquire_init',
    cause:
      'A `lock_slow`, a `lock` with `ctx: true` or a `ww_acquire_fini` with no open `ww_acquire_init` earlier in the path, or a second `ww_acquire_init` while one is open.',
    fix: 'Write `ww_acquire_init` before the locks of the transaction and `ww_acquire_fini` after its last unlock, once per transaction.',
  },
  FC260: {
    title: 'migration destination without its migrate_vma_setup',
    cause:
      'A `migrate_alloc_dst` with no `migrate_vma_setup` of the same page, direction (`to:`) and device earlier in the path: the driver allocates a destination for a source migrate_vma_setup collected.',
    fix: 'Write the `migrate_vma_setup` first, with the same `to:` and `device:`.',
  },
  FC261: {
    title: 'second migration destination for one page',
    cause:
      'A `migrate_alloc_dst` of a page whose destination the path already holds: no `migrate_vma_finalize` or `migrate_put_dst` of the page since its last `migrate_alloc_dst` (migrate->dst has one entry per page).',
    fix: 'Finalize the migration, or give the destination back with `migrate_put_dst`, before allocating another.',
  },
  FC159: {
    title: 'read lock of a lock that is not an rwsem',
    cause: '`lock_read` or `trylock_read` of a mutex or a dma_resv.',
    fix: 'Declare the lock with `kind: rwsem`, or take it with `lock`.',
  },

  // FC16x: where a step may run, and library parameters
  FC160: {
    title: 'callback-only step outside a notifier callback',
    cause: '`else: again`, `nonblock:` or `set_seq` in a step that is not in an MMU-notifier callback.',
    fix: 'Move the step under `notifiers: [{ callback: [...] }]`, or drop the modifier.',
  },
  FC161: {
    title: 'step not allowed in a notifier callback',
    cause: "A step that cannot run inside an MMU-notifier callback, which runs inside the CPU's invalidation.",
    fix: 'Move the step to a thread.',
  },
  FC162: {
    title: 'step not allowed in reclaim',
    cause: 'A job-lifecycle step (`arm`, `push`, `run`, `await_fault`, ...) in a reclaim path.',
    fix: 'Move the step to a thread.',
  },
  FC163: {
    title: 'set_seq of another notifier',
    cause: "A notifier's callback that sets the seq of a different notifier.",
    fix: "Write `set_seq` without an argument (it sets its own notifier's seq).",
  },
  FC164: {
    title: 'fault step for a job that cannot fault',
    cause: '`await_fault` or `resolve_fault` of a job declared without `faults: true`.',
    fix: 'Set `faults: true` on the job.',
  },
  FC165: {
    title: 'new_fence of a fence that is not a preempt fence',
    cause: '`new_fence` re-arms a preempt (eviction) fence; the fence named is another kind.',
    fix: 'Name a fence of `kind: preempt`.',
  },
  FC166: {
    title: 'library parameters not a map',
    cause: 'A `with:` that is not a map of parameter: value.',
    fix: 'Write `with: { PARAM: value }`.',
  },
  FC167: {
    title: 'unknown library parameter',
    cause: 'A `with:` entry the library path does not take.',
    fix: 'Use one of the parameters listed in the message.',
  },
  FC168: {
    title: 'missing library parameter',
    cause: 'A library path parameter without a default is not bound.',
    fix: 'Add it under `with:`.',
  },
  FC169: {
    title: "hmm_range_fault may find another device's page",
    cause:
      "A `get_pages` without `else:` of a range whose page may be in another device's VRAM (at start, or migrated there by a step): hmm_range_fault returns a device-private page as is only to its owner and faults another's back to system memory through the owner's migrate_to_ram.",
    fix: "Add `else:` to the `get_pages` with the steps that fault runs in the walking thread (do_swap_page, the owner's migrate_to_ram), ending in `retry`.",
  },

  // FC17x: threads, fences, buffers, pages and ranges
  FC170: {
    title: 'path and steps both given, or neither',
    cause:
      'A thread, reclaim path or notifier needs exactly one of `path: LIBRARY_PATH` and its own steps (`steps:`, or `callback:` for a notifier); a reclaim path written as a bare name has neither.',
    fix: 'Keep exactly one of them.',
  },
  FC171: {
    title: 'with: without a library path',
    cause: "`with:` binds a library path's parameters, but the thread or notifier has its own steps.",
    fix: 'Remove `with:`, or use `path:`.',
  },
  FC172: {
    title: 'thread without steps',
    cause: "A thread whose steps (its own, or its library path's) are empty.",
    fix: 'Give it steps, or remove it.',
  },
  FC173: {
    title: 'preempt fence without its job',
    cause: 'A fence of `kind: preempt` without `of: JOB`.',
    fix: 'Add `of:` naming the job whose queue it takes off the hardware.',
  },
  FC174: {
    title: 'of: on a fence that is not a preempt fence',
    cause: '`of:` applies to preempt fences only.',
    fix: 'Remove `of:`, or make the fence `kind: preempt`.',
  },
  FC175: {
    title: 'fence in a dma_resv with two usages',
    cause: "The same fence added to one buffer's dma_resv with two different usages.",
    fix: 'Use one usage per fence and buffer.',
  },
  FC176: {
    title: 'bad page list',
    cause: 'An empty list of pages, or one that names a page twice.',
    fix: 'Name each page once, and at least one.',
  },
  FC177: {
    title: 'notifier covers none of the range',
    cause: "A range lists a notifier that covers none of the range's pages.",
    fix: 'Remove the notifier from the range, or give them a page in common.',
  },
  FC178: {
    title: 'mapped page not present',
    cause: 'A range that starts mapped over a page that is not present (`at: none`).',
    fix: 'Set `mapped: false`, or give the page a location.',
  },
  FC179: {
    title: 'range of another device',
    cause: "A job accessing a range that lives in another engine's page tables.",
    fix: "Access a range of the job's engine, or move the job.",
  },

  // FC18x: jobs and lock discipline
  FC180: {
    title: 'faults: false on an XNACK engine',
    cause: 'A job that accesses ranges on an engine with XNACK on faults whenever a PTE is invalid, so it cannot be declared not to fault.',
    fix: 'Remove `faults: false`, or set `xnack: off` on the engine.',
  },
  FC181: {
    title: 'job pushed twice',
    cause: 'Two `push` (or `submit`) steps of the same job.',
    fix: 'Push each job once.',
  },
  FC182: {
    title: 'job submitted at start and pushed',
    cause: 'A job with `submitted: true` that a thread also pushes.',
    fix: "Remove `submitted: true`, or the thread's push.",
  },
  FC183: {
    title: 'wrong kind of lock',
    cause: "A spin_lock step on a sleeping lock, or a fence's lock: that is not a spinlock.",
    fix: 'Declare the lock with `kind: spinlock`, or use lock/unlock for a mutex or rwsem.',
  },
  FC184: {
    title: 'bad composite fence',
    cause:
      'An array fence without `members:`, a chain without `fence:`, a container inside a container (dma_fence_array_init and dma_fence_chain_init WARN on it), a fence containing itself, or array/chain fields on another kind of fence.',
    fix: 'Give an array its members and a chain its fence (and prev: an earlier chain point); flatten nested containers into one array.',
  },
  FC197: {
    title: 'failure branch holds the wrong locks',
    cause:
      "A failure branch (an `else:` list, or an `if:`'s `then:` list) that goes on after its step holding other locks than the step's success holds, or that retries its step holding other locks than the step started with.",
    fix: 'Take or release locks in the branch so both agree, or end the branch with an outcome (skip, fail, -EBUSY, ...).',
  },
  FC198: {
    title: 'condition or timeout not understood',
    cause:
      'An `if:` condition that is not one of exiting, { flag }, { current }, { holds }, { not }; a flag or task slot no step changes; `else:` on a wait or lock without `timeout: true`; a timeout on a non-blockable form.',
    fix: 'Write the condition in one of the forms listed, set the flag (set_flag) or record the slot (record_task) somewhere, or add `timeout: true`.',
  },
  FC185: {
    title: 'recursive locking',
    cause:
      'A path that takes a spinlock, an rwsem for read, or a dma_resv under its acquire context (or with nonblock:) while it already holds that lock. A plain mutex_lock, down_write or dma_resv_lock of a held lock, and its bounded form (timeout: true), is not refused: the model reports lockdep\'s "possible recursive locking detected" and its self-deadlock, or the wait only its timeout ends.',
    fix: 'Unlock it first, or take it once.',
  },
  FC186: {
    title: 'unlock of a lock not held',
    cause: 'A path that unlocks a lock it does not hold at that step.',
    fix: 'Lock it earlier in the same path, or remove the unlock.',
  },
  FC187: {
    title: "evict without the buffer's dma_resv",
    cause: "TTM evicts under the buffer's dma_resv; the path does not hold `BO.resv` at the evict.",
    fix: 'Lock `BO.resv` before the evict.',
  },
  FC188: {
    title: 'lock never released',
    cause: 'A path that ends holding a lock.',
    fix: 'Add an unlock step before the path ends.',
  },

  FC189: {
    title: 'bad callback or fence op',
    cause:
      'A callback under `callbacks:` without steps, a fence op (`ops:`) that is unknown or has no steps, or a `signaled` / `release` op that calls itself.',
    fix: 'Give the callback or op its steps (enable_signaling, signaled, release); a release may put other fences, not its own.',
  },
  FC199: {
    title: 'progress goal not understood',
    cause: 'A `progress:` entry that does not name exactly one thread, job, fence or work item of the design, or names one twice.',
    fix: 'Write `{ thread: T }`, `{ job: J }`, `{ fence: F }` or `{ work: W }` with a declared name, once each.',
  },

  // FC19x: symmetry declarations
  FC190: {
    title: 'symmetry with pages, ranges, processes, work items or pools',
    cause:
      'Symmetry groups are not supported together with pages and ranges (their PTEs and seqs would have to move with the jobs), processes (each mm owns its threads, mm_users and mmap_lock), work items or pools.',
    fix: 'Remove `symmetry:` (or the processes, pages, work items or pools it cannot move).',
  },
  FC191: {
    title: 'symmetry group of one job',
    cause: 'A symmetry group names fewer than two jobs.',
    fix: 'Name at least two interchangeable jobs, or remove the group.',
  },
  FC192: {
    title: 'job in two symmetry groups',
    cause: 'The same job in two symmetry groups.',
    fix: 'Put each job in one group.',
  },
  FC193: {
    title: 'symmetric job with a preempt fence',
    cause: 'A preempt fence belongs to a job of a symmetry group; swapping the jobs would not map the fence.',
    fix: 'Declare the grouped jobs without preempt fences, or remove the group.',
  },
  FC194: {
    title: 'jobs not interchangeable',
    cause:
      'Jobs of a symmetry group that differ (engine, queue, dependencies, buffers, flags), whose fences sit unevenly in a dma_resv, or one of whose fences a reclaim path names.',
    fix: 'Make the jobs alike, or remove them from the group.',
  },
  FC195: {
    title: 'thread without a counterpart',
    cause: 'A thread that acts on one job of a symmetry group has no matching thread for the others.',
    fix: 'Declare a matching thread for each job of the group.',
  },
  FC196: {
    title: 'symmetry with callbacks or composite fences',
    cause: 'Symmetry groups together with fence callbacks, fence ops, or dma_fence_array / dma_fence_chain fences, which name the fences of particular jobs.',
    fix: 'Remove `symmetry:`.',
  },

  // FC20x: the command line
  FC200: {
    title: 'command line not understood',
    cause: "An unknown flag, a missing argument, or a value not among a flag's choices.",
    fix: 'See `fencecheck --help` and `fencecheck COMMAND --help`.',
  },
  FC201: {
    title: 'unknown command',
    cause: 'The first argument is not a fencecheck command.',
    fix: 'Use the command suggested, or one listed by `fencecheck --help`.',
  },
  FC202: {
    title: 'unknown target',
    cause: 'A target that is neither a built-in model nor a scenario file path.',
    fix: 'Use a model listed by `fencecheck list`, or a path to a scenario file (`*.yaml`).',
  },

  // FC21x: flag values
  FC210: {
    title: '--max-time not a duration',
    cause: 'A `--max-time` value that is not a duration.',
    fix: 'Write a number of seconds, or a number with `ms`, `s`, `m` or `h` (`90s`, `10m`).',
  },
  FC211: {
    title: '--max-memory not a size',
    cause: 'A `--max-memory` value that is not a size.',
    fix: 'Write a size such as `512MiB` or `2GiB`.',
  },
  FC212: {
    title: 'integer flag out of range',
    cause:
      'A flag that takes an integer (`--max-depth`, `--max-states`, `--workers`, `--seed`, `--walks`, `--depth`, `--swarm-count`) with a value that is not one, or out of its range.',
    fix: 'Give an integer in the range named.',
  },
  FC213: {
    title: '--swarm-index without --swarm-count',
    cause: 'A swarm member index without the swarm size.',
    fix: 'Add `--swarm-count N`.',
  },
  FC214: {
    title: 'swarm index out of range',
    cause: '`--swarm-index` (or `JOB_COMPLETION_INDEX`) missing, or not in 0..count-1.',
    fix: 'Give an index below `--swarm-count`.',
  },

  // FC22x: flag combinations
  FC220: {
    title: '--param with a scenario file',
    cause: "`--param` sets a built-in model's parameters; a scenario file states its own.",
    fix: 'Set `params:` inside the scenario file.',
  },
  FC221: {
    title: '--symmetry without symmetry',
    cause: '`--symmetry` for a model or scenario that declares no interchangeable jobs.',
    fix: 'Drop `--symmetry`, or declare `symmetry:` groups in the scenario.',
  },
  FC222: {
    title: '--report with several targets',
    cause: 'A report describes one run.',
    fix: 'Run `check` once per scenario, or use `suite`.',
  },
  FC223: {
    title: 'unknown report type',
    cause: 'A `--report` file whose extension names no report type.',
    fix: 'Use `FILE.md`, `FILE.txt` (mail), `FILE.html` or `FILE.itf.json`.',
  },
  FC224: {
    title: '--hash-compaction with an incompatible flag',
    cause: 'Hash compaction runs a single-worker breadth-first search, without symmetry reduction or checkpoints.',
    fix: 'Drop `--hash-compaction`, or the `--symmetry`, `--checkpoint`, `--resume`, `--workers` or `--order dfs` that conflicts.',
  },
  FC225: {
    title: '--workers with checkpoints',
    cause: 'Checkpoints are taken by the single-worker search.',
    fix: 'Drop `--workers`, or the checkpoint flags.',
  },
  FC226: {
    title: '--workers with a depth-first search',
    cause: 'The parallel search is breadth-first.',
    fix: 'Drop `--order dfs`, or `--workers`.',
  },
  FC227: {
    title: 'unknown property on the command line',
    cause:
      '`--property` or `--skip-property` names no property of the model, or `--property` names one the scenario does not check (left out of its `properties:` list, or not applicable to the design), so the run would check nothing for it.',
    fix: 'Name a property by its id (as in `properties:`, e.g. `lock-order`) or its full name; the message lists them. To check one the scenario leaves out, add it to its `properties:` list.',
  },
  FC228: {
    title: '--all-violations with a depth-first search',
    cause: '`--all-violations` finds the shortest trace of each violated property, which only a breadth-first search gives.',
    fix: 'Drop `--order dfs` (or `order: dfs` in the scenario) when asking for every violation.',
  },

  FC229: {
    title: '--por where partial-order reduction cannot run',
    cause:
      'Partial-order reduction runs in the single-worker search, without checkpoints, hash compaction or symmetry reduction, and on scenario files only: it reduces by the footprints the scenario language declares for each rule, which the built-in models (r1, hmm) do not declare.',
    fix: 'Drop `--por` (or `search.por`), or the `--workers`, `--checkpoint`, `--resume`, `--hash-compaction` or `--symmetry` that conflicts; for a built-in model, run without `--por`.',
  },

  // FC23x: output paths
  FC230: {
    title: 'output path of the wrong kind',
    cause: 'An `--out` or `--report` path that is a folder or not a regular file, or a `--checkpoint` path that is a file.',
    fix: 'Give a file name for results and reports, a folder for checkpoints.',
  },
  FC231: {
    title: 'output folder cannot be written',
    cause: 'The folder of an output path cannot be created or written (a file is in the way, or permissions).',
    fix: 'Choose a path in a writable folder.',
  },

  // FC24x: checkpoints and resume
  FC240: {
    title: 'checkpoints need a breadth-first search',
    cause: '`--checkpoint` or `--resume` with `--order dfs`.',
    fix: 'Drop `--order dfs`.',
  },
  FC241: {
    title: 'checkpoint with several targets',
    cause: '`--checkpoint` and `--resume` take one target.',
    fix: 'Checkpoint each target in its own run and folder.',
  },
  FC242: {
    title: 'no checkpoint to resume',
    cause: 'The `--resume` folder does not exist or holds no checkpoint.',
    fix: 'Start a run with `--checkpoint DIR` first.',
  },
  FC243: {
    title: 'checkpoint of another version',
    cause: 'The checkpoint was written by a fencecheck with another checkpoint format.',
    fix: 'Start a fresh run.',
  },
  FC244: {
    title: 'checkpoint of another run',
    cause: 'The checkpoint was taken for another model, scenario, parameters or search options.',
    fix: 'Resume with the same target and options, or start a fresh run.',
  },
  FC245: {
    title: 'damaged checkpoint',
    cause: 'A checkpoint file that is missing, truncated, corrupt or inconsistent.',
    fix: 'Start a fresh run (`--checkpoint DIR` replaces it).',
  },

  // FC25x: suite
  FC250: {
    title: 'no scenario files',
    cause: 'The folder given to `suite` holds no `*.yaml` or `*.yml` files.',
    fix: 'Name a folder of scenarios.',
  },

  // FC30x: a model breaking its contract
  FC300: {
    title: 'state value out of range',
    cause: 'A model wrote a value outside the declared range of a state field.',
    fix: "Widen the field's declared range, or fix the transition that computes the value.",
  },
  FC301: {
    title: 'model threw computing its initial states',
    cause: "A RangeError while the initial states were encoded and checked (for example a stack overflow in the model's code).",
    fix: 'Fix the model; run with `FENCECHECK_DEBUG=1` for the stack.',
  },
  FC302: {
    title: 'model threw while expanding a state',
    cause: 'A guard or transition of the model threw (for example a stack overflow).',
    fix: 'Fix the model; run with `FENCECHECK_DEBUG=1` for the stack.',
  },
  FC303: {
    title: 'trace reconstruction failed',
    cause: 'The stored states do not lead back to an initial state; the model is not deterministic or its canonical form is not.',
    fix: "Make the model's transitions and canonicalisation deterministic.",
  },

  // FC31x: search options the search refuses
  FC310: {
    title: 'search options that do not go together',
    cause:
      'Options the search cannot combine: a parallel or hash-compaction search that is not breadth-first, or that has checkpoints or symmetry; a checkpoint of another state layout.',
    fix: 'Drop one of the options (the command line names which).',
  },
  FC311: {
    title: 'no symmetry to reduce by',
    cause: 'Symmetry reduction asked of a model that declares no symmetry.',
    fix: 'Drop the symmetry option.',
  },
  FC312: {
    title: 'too many rules',
    cause: 'A model with more rules than the search mode records (65535 for hash compaction, 2^21 - 2 in parallel).',
    fix: 'Use the single-worker search without hash compaction, or a smaller model.',
  },
  FC399: {
    title: 'internal error',
    cause: 'An error fencecheck did not expect: a bug.',
    fix: 'Report it with the output of the same command run with `FENCECHECK_DEBUG=1`.',
  },

  // FC40x: replay input
  FC400: {
    title: 'result file unreadable',
    cause: 'The file given to `replay` does not exist or is not JSON.',
    fix: 'Give the output of `fencecheck check ... --format json` (or `--out`).',
  },
  FC401: {
    title: 'several results in one file',
    cause: 'A `--format json` output of several targets holds one result each; replay takes one.',
    fix: 'Save each target with its own `--out` file.',
  },
  FC402: {
    title: 'not a fencecheck result',
    cause: 'The JSON has no `"format": "fencecheck-result"`.',
    fix: 'Replay a result written by `fencecheck check`.',
  },
  FC403: {
    title: 'result without a format version',
    cause: 'The result records no `formatVersion`.',
    fix: 'Replay it with the fencecheck that wrote it, or re-run the check.',
  },
  FC404: {
    title: 'unknown format version',
    cause: 'A result of a format version this fencecheck does not read.',
    fix: 'Replay it with the fencecheck that wrote it, or re-run the check.',
  },
  FC405: {
    title: 'result without a trace',
    cause: 'A result whose verdict has no trace (a proof, or an inconclusive run).',
    fix: 'Replay a violated result.',
  },
  FC406: {
    title: 'malformed evidence',
    cause: "The result's `evidence` is not a list of traces with label, initialState and trace.",
    fix: 'Replay the result as fencecheck wrote it.',
  },
  FC407: {
    title: 'scenario of the result not found',
    cause: 'The scenario file the result names is neither in the working directory nor beside the result.',
    fix: 'Replay from the folder the check ran in, or put the scenario beside the result.',
  },
  FC408: {
    title: 'result names no model',
    cause: 'The result records neither a scenario file nor a model name.',
    fix: 'Replay the result as fencecheck wrote it.',
  },

  // FC41x: replay verdicts
  FC410: {
    title: 'trace does not replay',
    cause: "A step of the trace is not enabled where it is taken, or does not lead to the recorded state, or the initial state is not one of the model's.",
    fix: 'The model or scenario changed since the trace was recorded (see FC501), or the result was edited: re-run the check.',
  },
  FC411: {
    title: 'evidence trace does not replay',
    cause: "One of the result's evidence traces does not replay.",
    fix: 'As for FC410: re-run the check.',
  },
  FC412: {
    title: 'trace violates no property',
    cause: 'The trace replays, but its end violates no property of the model.',
    fix: 'Re-run the check; the model no longer fails there.',
  },
  FC413: {
    title: 'claimed property unknown',
    cause: 'The result claims a violation of a property the model does not check, or of a sometimes witness, which no trace violates.',
    fix: 'Re-run the check against the model as it is now.',
  },
  FC414: {
    title: 'claimed violation not confirmed',
    cause: 'The trace replays, but its end does not violate the property the result claims (the message says why, and what it does violate).',
    fix: 'Re-run the check; the model changed, or the result was edited.',
  },

  // FC42x: merge
  FC420: {
    title: 'merge input not a result',
    cause: 'A file given to `merge` does not exist or is not a fencecheck result.',
    fix: 'Merge results written with `--format json` or `--out`.',
  },
  FC421: {
    title: 'results of different targets',
    cause: '`merge` combines runs of one model or scenario; the files are of several.',
    fix: 'Merge the results of one target at a time.',
  },

  // FC50x: warnings
  FC500: {
    title: 'vacuous proof',
    cause: 'A proved verdict, but a sometimes witness was never reached: the proof says nothing about that behaviour.',
    fix: 'Widen the bounds or the design so the behaviour is reached, or list the witness under `expect.unreached` if that is intended.',
  },
  FC501: {
    title: 'scenario changed since the trace was recorded',
    cause: "The scenario's text hash differs from the one the result recorded; replay goes on against the text as it is now.",
    fix: 'None needed if the change is intended; re-run the check for a trace of the scenario as it is now.',
  },
  FC502: {
    title: 'result records no scenario hash',
    cause: "The result does not record its scenario's text hash, so whether the scenario changed cannot be told.",
    fix: 'None needed; results written by current fencecheck record the hash.',
  },
  FC503: {
    title: 'swarm members missing',
    cause: 'The merged results are of a swarm, and some member indexes are absent.',
    fix: 'Merge the results of every member, or re-run the missing ones.',
  },

  // Command line and scenario spelling (one block, appended): missing arguments, unknown
  // options with a suggestion, values that mean nothing, suite folders, YAML shapes.
  FC105: {
    title: 'several YAML documents',
    cause: 'The file holds more than one YAML document (separated by `---`); a scenario is one document.',
    fix: 'Keep one document per file: split the others into files of their own, or remove the extra `---` line.',
  },
  FC106: {
    title: 'YAML nested too deeply',
    cause: 'The YAML nests (or its aliases expand) so deeply that it cannot be read; no scenario needs that depth.',
    fix: 'Write the structure out flat; use library paths or lists instead of deep nesting or nested aliases.',
  },
  FC127: {
    title: 'search.maxTime not a positive duration',
    cause: '`search.maxTime` is zero, or is not a duration.',
    fix: 'Write a duration such as `90s`, `10m`, `2h`, or a positive number of seconds, as `--max-time` takes.',
  },
  FC203: {
    title: 'missing argument',
    cause: 'A command that needs a target, a file or a folder was given none.',
    fix: 'Name what the command works on; `fencecheck COMMAND --help` describes it.',
  },
  FC204: {
    title: 'unknown option',
    cause: 'An option that the command does not have (often a misspelling).',
    fix: 'Use the option suggested, or one listed by `fencecheck COMMAND --help`.',
  },
  FC205: {
    title: 'option value missing or not among the choices',
    cause: 'An option given without its value, given twice, or with a value that is not one of its choices.',
    fix: 'Give the option once, with one of the values `fencecheck COMMAND --help` lists.',
  },
  FC215: {
    title: '--checkpoint-every not a duration',
    cause: 'A `--checkpoint-every` value that is zero or not a duration.',
    fix: 'Write a positive duration such as `5m` or `1h`.',
  },
  FC246: {
    title: '--checkpoint-every without a checkpoint folder',
    cause: '`--checkpoint-every` sets how often checkpoints are written, but no `--checkpoint` or `--resume` folder was given.',
    fix: 'Add `--checkpoint DIR`, or drop `--checkpoint-every`.',
  },
  FC251: {
    title: 'suite folder missing',
    cause: 'The folder given to `suite` does not exist or is not a folder.',
    fix: 'Name an existing folder of scenarios (by default the bundled `scenarios/`).',
  },
  FC510: {
    title: 'expect.property by its full name',
    cause: '`expect.property` names a property by its full name; scenarios name properties by their id, as `properties:` and `--property` do.',
    fix: 'Write the id the message names (for example `lock-order`); full names will stop being accepted.',
  },
} as const satisfies Record<string, ErrorCodeInfo>

export type ErrorCode = keyof typeof ERROR_CODES

/** The ranges, in order, with the heading docs/errors.md gives each. */
export const CODE_RANGES: readonly { readonly from: number; readonly to: number; readonly title: string; readonly about: string }[] = [
  {
    from: 100,
    to: 199,
    title: 'FC1xx: scenario and input files',
    about: 'A scenario file, or a model parameter, cannot be used. Exit code 2; for a file, the message names the file, the line and the field.',
  },
  { from: 200, to: 299, title: 'FC2xx: command-line usage', about: 'The command line cannot be carried out. Exit code 2; nothing was explored.' },
  {
    from: 300,
    to: 399,
    title: 'FC3xx: search and model errors',
    about: 'A model broke its contract, or the search was asked for what it does not do. Exit code 4.',
  },
  { from: 400, to: 499, title: 'FC4xx: replay and merge refusals', about: 'A saved result cannot be replayed or merged. Exit code 2.' },
  { from: 500, to: 599, title: 'FC5xx: warnings', about: 'The command goes on and its exit code is unchanged, but a result may not mean what it seems to.' },
]

/** The text of docs/errors.md: every code with its title, cause and fix. */
export function errorsMarkdown(): string {
  const out = [
    '# fencecheck error and warning codes',
    '',
    '<!-- Generated from errors/codes.ts by `node dist/errors/writeDocs.js`; edit the registry, not this file. -->',
    '',
    'Every error and warning fencecheck prints starts with a stable code:',
    '',
    '```',
    "fencecheck: FC141 scenarios/x.yaml:10: threads.0.steps.0.wait: no fence named 'nosuch' (fences: ...)",
    '```',
    '',
    'A code keeps its meaning from release to release; search this page for it.',
  ]
  for (const r of CODE_RANGES) {
    out.push('', `## ${r.title}`, '', r.about)
    const inOrder = (Object.entries(ERROR_CODES) as [ErrorCode, ErrorCodeInfo][]).sort(([a], [b]) => a.localeCompare(b))
    for (const [code, info] of inOrder) {
      const n = Number(code.slice(2))
      if (n < r.from || n > r.to) continue
      out.push('', `### ${code}: ${info.title}`, '', `**Cause.** ${info.cause}`, '', `**Fix.** ${info.fix}`)
    }
  }
  return out.join('\n') + '\n'
}
