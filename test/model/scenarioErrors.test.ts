/**
 * Invalid scenario files give precise errors: a FileError (an InputError, exit code 2) with the
 * code of the kind of mistake (docs/errors.md), naming the file, the exact line of the mistake and
 * the field path, with a message that says what is wrong and how to fix it. A case is matched by
 * its code; its prose is checked only for what the code does not say (the names a message lists,
 * the fix it names). Every fixture is written inline; the line a test expects is marked `# <-` in
 * the fixture (a self-check at the end verifies each stated line number against its marker).
 */
import test, { type ExecutionContext } from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { FileError, InputError } from '../../checker/params.js'
import type { ErrorCode } from '../../errors/codes.js'
import { loadScenario } from '../../model/scenario.js'
import { CLI, ROOT } from '../root.js'

const DIR = mkdtempSync(join(tmpdir(), 'fencecheck-bad-'))
test.after.always(() => rmSync(DIR, { recursive: true, force: true }))

let counter = 0
/** Write a fixture into the temp directory; returns its path. */
function fixture(text: string, stem = 'case'): string {
  const file = join(DIR, `${stem}-${++counter}.yaml`)
  writeFileSync(file, text)
  return file
}

/** A YAML fixture written inline: drops the first newline and the common indentation. */
function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, part, i) => acc + part + (i < values.length ? String(values[i]) : ''), '')
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n[ ]*$/, '\n')
    .split('\n')
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length))
  return lines.map((l) => l.slice(indent)).join('\n')
}

/** 1-based line of the `# <-` marker, or undefined when the fixture has none. */
function markedLine(text: string): number | undefined {
  const hits = text.split('\n').flatMap((l, i) => (l.includes('# <-') ? [i + 1] : []))
  if (hits.length > 1) throw new Error(`fixture marks ${hits.length} lines; mark exactly one`)
  return hits[0]
}

interface Expected {
  /** the fixture's text */
  readonly text: string
  /** the code of the kind of mistake */
  readonly code: ErrorCode
  /** the line of the mistake (undefined: the error has no line, e.g. a missing file) */
  readonly line: number | undefined
  /** the field path, e.g. 'engines.0.cus' (undefined: the error concerns the whole file) */
  readonly field: string | undefined
  /** substrings (or patterns) the message must also contain: the names it lists, the fix it names */
  readonly message?: readonly (string | RegExp)[]
}

const registered: { title: string; text: string; line: number | undefined }[] = []

/** Load `file` and return the error it must throw: a FileError, which is an InputError. */
function loadError(t: ExecutionContext, file: string): FileError | undefined {
  let thrown: unknown
  try {
    loadScenario(file)
  } catch (e) {
    thrown = e
  }
  if (thrown === undefined) {
    t.fail('the scenario loaded without an error')
    return undefined
  }
  if (!(thrown instanceof FileError)) {
    t.fail(`expected a FileError, got ${thrown instanceof Error ? `${thrown.constructor.name}: ${thrown.message}` : inspect(thrown)}`)
    return undefined
  }
  t.true(thrown instanceof InputError, 'a FileError is an InputError (exit code 2)')
  return thrown
}

function checkError(t: ExecutionContext, file: string, x: Omit<Expected, 'text'>): void {
  const e = loadError(t, file)
  if (!e) return
  t.is(e.code, x.code, `code (message: ${e.message})`)
  t.is(e.file, file, 'the error names the file')
  t.is(e.line, x.line, `line (message: ${e.message})`)
  t.is(e.field, x.field, `field (message: ${e.message})`)
  for (const m of x.message ?? []) {
    if (typeof m === 'string') t.true(e.message.includes(m), `message contains ${JSON.stringify(m)}: ${e.message}`)
    else t.regex(e.message, m)
  }
  const prefix = `${file}${x.line !== undefined ? `:${x.line}` : ''}: ${x.field ? `${x.field}: ` : ''}`
  t.true(e.message.startsWith(prefix), `message starts with '${prefix}': ${e.message}`)
}

/** One kind of mistake: its own test, with the bad YAML inline. */
function bad(title: string, x: Expected): void {
  registered.push({ title, text: x.text, line: x.line })
  test(title, (t) => checkError(t, fixture(x.text), x))
}

// ---------------------------------------------------------------------------------------------
// YAML itself

bad('bad YAML syntax names the line of the mistake', {
  text: yaml`
    name: t
    about: a
    engines:
      - name: gfx
       cus: 1   # <- indented one column too few
  `,
  code: 'FC101',
  line: 5,
  field: undefined,
  message: ['Sequence item without - indicator', 'fix the syntax'],
})

bad('a duplicate key names the line of the second occurrence', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - name: j
        engine: gfx
        engine: gfx   # <- given twice
  `,
  code: 'FC102',
  line: 8,
  field: undefined,
})

bad('a duplicate key names the key and says to remove one', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks:
      - name: a
        kind: mutex
        kind: rwsem   # <- given twice
  `,
  code: 'FC102',
  line: 8,
  field: undefined,
  message: ["'kind'", /remove|once/],
})

bad('a second YAML document names the line where it starts', {
  text: yaml`
    name: t
    about: a
    ---   # <- a second document
    name: u
  `,
  code: 'FC105',
  line: 3,
  field: undefined,
  message: ['holds 2 YAML documents', /one/],
})

bad('an alias bomb is an input error, not an internal error', {
  text: yaml`
    a: &a [x, x, x, x, x, x, x, x, x, x]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]   # expands to 1000 aliases
    name: t
    about: a
  `,
  code: 'FC103',
  line: undefined, // reported for the whole file: the YAML library refuses it while resolving aliases
  field: undefined,
})

bad('an empty file', {
  text: '',
  code: 'FC104',
  line: 1,
  field: undefined,
  message: ['it needs at least name, about and model'],
})

bad('a file with only comments is empty', {
  text: yaml`
    # a scenario that was never written   # <-
    # (only comments)
  `,
  code: 'FC104',
  line: 1,
  field: undefined,
  message: ['it needs at least name, about and model'],
})

bad('a file that is a list, not a map, says what a scenario is', {
  text: yaml`
    - name: t   # <- a scenario is a map of fields, not a list
    - about: a
  `,
  code: 'FC112',
  line: 1,
  field: undefined,
  message: [/name/, /about/],
})

// ---------------------------------------------------------------------------------------------
// Shape (JSON Schema)

bad('missing name', {
  text: yaml`
    about: a scenario with no name   # <-
    engines:
      - { name: gfx, cus: 2 }
  `,
  code: 'FC111',
  line: 1,
  field: undefined,
  message: ["'name'"],
})

bad('missing about', {
  text: yaml`
    # a scenario with no about
    name: t   # <-
    engines:
      - { name: gfx, cus: 2 }
  `,
  code: 'FC111',
  line: 2,
  field: undefined,
  message: ["'about'"],
})

bad('unknown top-level field', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    enignes: []   # <- misspelt
  `,
  code: 'FC110',
  line: 5,
  field: 'enignes',
  message: ['check the spelling'],
})

bad('unknown field inside an engine', {
  text: yaml`
    name: t
    about: a
    engines:
      - name: gfx
        cus: 2
        cu: 1   # <- misspelt
  `,
  code: 'FC110',
  line: 6,
  field: 'engines.0.cu',
})

bad('unknown field inside a job', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - name: j
        engine: gfx
        dep: [j]   # <- deps
  `,
  code: 'FC110',
  line: 8,
  field: 'jobs.0.dep',
})

bad('wrong type: cus: "two"', {
  text: yaml`
    name: t
    about: a
    engines:
      - name: gfx
        cus: "two"   # <-
  `,
  code: 'FC112',
  line: 5,
  field: 'engines.0.cus',
  message: ['must be an integer'],
})

bad('unknown policy value', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    policies:
      shrinker: sometimes   # <-
  `,
  code: 'FC113',
  line: 6,
  field: 'policies.shrinker',
  message: ['"wait", "skip-on-fault"'],
})

bad('unknown engine preempt mode', {
  text: yaml`
    name: t
    about: a
    engines:
      - name: gfx
        cus: 1
        preempt: always   # <-
  `,
  code: 'FC113',
  line: 6,
  field: 'engines.0.preempt',
  message: ['"none", "hmm", "faulting"'],
})

bad('unknown property id', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    properties:
      - deadlock
      - livelock   # <-
  `,
  code: 'FC113',
  line: 7,
  field: 'properties.1',
  message: ['"deadlock"', '"lock-order"'],
})

bad('expect.verdict invalid', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    expect:
      verdict: broken   # <-
  `,
  code: 'FC113',
  line: 6,
  field: 'expect.verdict',
  message: ['"proved", "violated", "inconclusive"'],
})

bad('a size that is not a size says what a size looks like', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    search:
      maxMemory: lots   # <-
  `,
  code: 'FC116',
  line: 6,
  field: 'search.maxMemory',
  message: [/512MiB|bytes/],
})

bad('a name with a space says what a name may contain', {
  text: yaml`
    name: t
    about: a
    engines:
      - name: my gfx   # <-
        cus: 1
  `,
  code: 'FC117',
  line: 4,
  field: 'engines.0.name',
  message: [/letter/i],
})

// ---------------------------------------------------------------------------------------------
// Names and references

bad('dangling fence reference in a step (wait: nosuch)', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - { name: g0, engine: gfx }
    threads:
      - name: t1
        steps:
          - wait: nosuch   # <-
  `,
  code: 'FC141',
  line: 10,
  field: 'threads.0.steps.0.wait',
  message: ["no fence named 'nosuch'", 'fences: g0', "every job's fence is named after the job"],
})

bad('dangling fence reference in job deps', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - name: j
        engine: gfx
        deps:
          - nosuch   # <-
  `,
  code: 'FC141',
  line: 9,
  field: 'jobs.0.deps.0',
  message: ["no fence named 'nosuch'", 'fences: j'],
})

bad('dangling lock reference', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    threads:
      - name: t1
        steps:
          - lock: nosuch   # <-
          - unlock: nosuch
  `,
  code: 'FC141',
  line: 8,
  field: 'threads.0.steps.0.lock',
  message: ["no lock named 'nosuch'", 'locks: mmap_lock', 'declare it under locks:'],
})

bad('dangling job reference', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - { name: g0, engine: gfx }
    threads:
      - name: t1
        steps:
          - run: nosuch   # <-
  `,
  code: 'FC141',
  line: 10,
  field: 'threads.0.steps.0.run',
  message: ["no job named 'nosuch'", 'jobs: g0'],
})

bad('dangling buffer reference', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    buffers:
      - { name: bo0 }
    jobs:
      - name: j
        engine: gfx
        uses: [bo0, bo1]   # <-
  `,
  code: 'FC141',
  line: 10,
  field: 'jobs.0.uses.1',
  message: ["no buffer named 'bo1'", 'buffers: bo0'],
})

bad('duplicate names: a job and a lock both named x', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks:
      - name: x
    jobs:
      - name: x   # <-
        engine: gfx
  `,
  code: 'FC140',
  line: 8,
  field: 'jobs.0.name',
  message: ["'x' is already used by lock #1"],
})

bad("a lock named like a buffer's dma_resv is a name clash, not an internal error", {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks:
      - name: bo0.resv   # <- bo0 brings its own bo0.resv
    buffers:
      - name: bo0
  `,
  code: 'FC140',
  line: 6,
  field: 'locks.0.name',
  message: ['bo0.resv'],
})

bad('job on an unknown engine', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - name: j
        engine: compute   # <-
  `,
  code: 'FC141',
  line: 7,
  field: 'jobs.0.engine',
  message: ["no engine named 'compute'", 'engines: gfx'],
})

// ---------------------------------------------------------------------------------------------
// Lock discipline

bad('unlock of a lock not held', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a }]
    threads:
      - name: t1
        steps:
          - lock: a
          - unlock: a
          - unlock: a   # <-
  `,
  code: 'FC186',
  line: 11,
  field: 'threads.0.steps.2',
  message: ["thread 't1' unlocks 'a' but does not hold it here", 'lock it earlier in the same path'],
})

bad('recursive locking of a spinlock', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a, kind: spinlock }]
    threads:
      - name: t1
        steps:
          - spin_lock: a
          - spin_lock: a   # <-
          - spin_unlock: a
  `,
  code: 'FC185',
  line: 10,
  field: 'threads.0.steps.1',
  message: ["thread 't1' takes 'a' while already holding it", 'unlock it first'],
})

bad('a read trylock of an rwsem the path read-holds (a recursive read hold)', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: r, kind: rwsem }]
    threads:
      - name: t1
        steps:
          - lock_read: r
          - trylock_read: r   # <-
          - unlock: r
  `,
  code: 'FC266',
  line: 10,
  field: 'threads.0.steps.1',
  message: ["holds 'r' for read already", 'down_read_trylock succeeds again'],
})

bad("an invalidation's event tested outside a notifier callback", {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    threads:
      - name: t1
        steps:
          - if: { event: MMU_NOTIFY_MIGRATE }   # <-
            then: skip
  `,
  code: 'FC265',
  line: 8,
  field: 'threads.0.steps.0.if',
  message: ['tests the mmu_notifier_range', 'only a callback'],
})

bad('recursive locking through a library path (use:) points at the use step', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs: [{ name: j0, engine: gfx, queue: user, faults: true }]
    threads:
      - name: t1
        context: fault-handler
        steps:
          - lock_read: mmap_lock
          - use: gpu_page_fault   # <- takes mmap_lock for read again
            with: { job: j0 }
          - unlock: mmap_lock
  `,
  code: 'FC185',
  line: 11,
  field: 'threads.0.steps.1',
  message: ["takes 'mmap_lock' while already holding it"],
})

bad('a path that ends holding a lock points at the lock step never released', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a }]
    threads:
      - name: t1
        steps:
          - lock: a   # <- never unlocked
          - alloc: KERNEL
  `,
  code: 'FC188',
  line: 9,
  field: 'threads.0.steps.0',
  message: ["thread 't1' takes 'a' here and never releases it", 'add an unlock step'],
})

bad("evict without holding the buffer's resv", {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    buffers: [{ name: bo0 }]
    threads:
      - name: t1
        steps:
          - evict: bo0   # <-
  `,
  code: 'FC187',
  line: 9,
  field: 'threads.0.steps.0',
  message: ["evicts 'bo0' without holding 'bo0.resv'", 'lock it first'],
})

bad('lock_read on a mutex', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a, kind: mutex }]
    threads:
      - name: t1
        steps:
          - lock_read: a   # <-
          - unlock: a
  `,
  code: 'FC159',
  line: 9,
  field: 'threads.0.steps.0.lock_read',
  message: ["'a' is a mutex"],
})

// ---------------------------------------------------------------------------------------------
// The memory side: pages, notifiers, ranges and their steps

const MEM_HEAD = `name: t
about: a
engines:
  - { name: gpu0, cus: 1 }
  - { name: gpu1, cus: 1 }
locks:
  - { name: nl }
pages:
  - { name: p0 }
  - { name: p1, at: none }
`

bad('a range naming an unknown page', {
  text:
    MEM_HEAD +
    yaml`
    ranges:
      - { name: r0, engine: gpu0, pages: [p0, p9] }   # <-
  `,
  code: 'FC141',
  line: 12,
  field: 'ranges.0.pages.1',
  message: ["no page named 'p9'", 'pages: p0, p1'],
})

bad('a range mapped at start over a page that is not present', {
  text:
    MEM_HEAD +
    yaml`
    ranges:
      - { name: r0, engine: gpu0, pages: [p1], mapped: true }   # <-
  `,
  code: 'FC178',
  line: 12,
  field: 'ranges.0.mapped',
  message: ["page 'p1' is not present", 'set mapped: false'],
})

bad("a job accessing another device's range", {
  text:
    MEM_HEAD +
    yaml`
    ranges:
      - { name: r0, engine: gpu0, pages: [p0] }
    jobs:
      - { name: q1, engine: gpu1, queue: user, accesses: [r0] }   # <-
  `,
  code: 'FC179',
  line: 14,
  field: 'jobs.0.accesses.0',
  message: ["range 'r0' is in the page tables of gpu0", 'runs on gpu1'],
})

bad('set_seq outside a notifier callback', {
  text:
    MEM_HEAD +
    yaml`
    threads:
      - name: t1
        steps:
          - set_seq   # <-
  `,
  code: 'FC160',
  line: 14,
  field: 'threads.0.steps.0',
  message: ['callback: [...]'],
})

bad('read_retry with no read_begin before it', {
  text:
    MEM_HEAD +
    yaml`
    ranges:
      - { name: r0, engine: gpu0, pages: [p0] }
    threads:
      - name: t1
        steps:
          - lock: nl
          - read_retry: r0   # <-
          - unlock: nl
  `,
  code: 'FC158',
  line: 17,
  field: 'threads.0.steps.1',
  message: ['has no read_begin of it earlier', 'rule 34'],
})

bad('map with no get_pages before it', {
  text:
    MEM_HEAD +
    yaml`
    ranges:
      - { name: r0, engine: gpu0, pages: [p0] }
    threads:
      - name: t1
        steps:
          - map: r0   # <-
  `,
  code: 'FC158',
  line: 16,
  field: 'threads.0.steps.0',
  message: ['has no get_pages of it earlier', 'hmm_range_fault'],
})

bad('a migration destination with no migrate_vma_setup before it', {
  text:
    MEM_HEAD +
    yaml`
    threads:
      - name: t1
        steps:
          - { migrate_vma_setup: p0, to: vram }
          - { migrate_alloc_dst: p0, to: system }   # <-
          - { migrate_vma_finalize: p0, to: vram }
  `,
  code: 'FC260',
  line: 15,
  field: 'threads.0.steps.1',
  message: ['migrate_alloc_dst has no migrate_vma_setup of the same page, direction and device'],
})

bad('a second migration destination for one page', {
  text:
    MEM_HEAD +
    yaml`
    threads:
      - name: t1
        steps:
          - { migrate_vma_setup: p0, to: system }
          - { migrate_alloc_dst: p0, to: system }
          - { migrate_alloc_dst: p0, to: system }   # <-
          - { migrate_vma_finalize: p0, to: system }
  `,
  code: 'FC261',
  line: 16,
  field: 'threads.0.steps.2',
  message: ['whose destination this path already holds'],
})

bad('an invalidation inside a notifier callback', {
  text:
    MEM_HEAD +
    yaml`
    notifiers:
      - name: n0
        pages: [p0]
        callback:
          - invalidate: p0   # <-
  `,
  code: 'FC161',
  line: 15,
  field: 'notifiers.0.callback.0',
  message: ["step 'invalidate' cannot run inside an MMU-notifier callback", 'notifier n0'],
})

bad("'again' outside a notifier callback", {
  text:
    MEM_HEAD +
    yaml`
    threads:
      - name: t1
        steps:
          - { trylock: nl, else: again }   # <-
          - unlock: nl
  `,
  code: 'FC160',
  line: 14,
  field: 'threads.0.steps.0.else',
  message: ["'again'"],
})

bad('an unknown invalidation event', {
  text:
    MEM_HEAD +
    yaml`
    threads:
      - name: t1
        steps:
          - { invalidate: p0, event: swap }   # <-
  `,
  code: 'FC155',
  line: 14,
  field: 'threads.0.steps.0.event',
  message: ['unmap, migrate, pressure, oom, exit'],
})

bad('a notifier with both a callback and a library path', {
  text:
    MEM_HEAD +
    yaml`
    notifiers:
      - name: n0   # <-
        pages: [p0]
        path: notifier_zap
        callback: []
  `,
  code: 'FC170',
  line: 12,
  field: 'notifiers.0',
  message: ["needs exactly one of 'callback: [...]'"],
})

// ---------------------------------------------------------------------------------------------
// The step language

bad('unknown step op', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    threads:
      - name: t1
        steps:
          - lok: a   # <-
  `,
  code: 'FC144',
  line: 8,
  field: 'threads.0.steps.0',
  message: ["'lok'", 'steps: lock, lock_read'],
})

bad('a step op that needs an argument, written bare', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    threads:
      - name: t1
        steps:
          - lock   # <-
  `,
  code: 'FC150',
  line: 8,
  field: 'threads.0.steps.0',
  message: ["write 'lock: NAME'"],
})

bad('two ops in one step', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a }]
    threads:
      - name: t1
        steps:
          - { lock: a, unlock: a }   # <-
  `,
  code: 'FC151',
  line: 9,
  field: 'threads.0.steps.0',
  message: ['this one has lock and unlock', 'split it into two steps'],
})

bad('a modifier the step does not take lists the ones it does', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a }]
    threads:
      - name: t1
        steps:
          - lock: a
            usage: read   # <- only fence waits and add_fence take a usage
          - unlock: a
  `,
  code: 'FC152',
  line: 10,
  field: 'threads.0.steps.0.usage',
  message: ["step 'lock'", '(it takes: nonblock, timeout, ctx, else, already)'],
})

bad('unknown step modifier', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a }]
    threads:
      - name: t1
        steps:
          - unlock: a
            else: skip   # <- unlock takes no modifiers
  `,
  code: 'FC152',
  line: 10,
  field: 'threads.0.steps.0.else',
  message: ['it takes no modifiers'],
})

bad('a bad modifier value (trylock else: maybe)', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a }]
    threads:
      - name: t1
        steps:
          - trylock: a
            else: maybe   # <-
          - unlock: a
  `,
  code: 'FC155',
  line: 10,
  field: 'threads.0.steps.0.else',
  message: ['must be skip, retry, fail, an error code (-EBUSY, -EAGAIN, -EDEADLK, -EINTR, -EALREADY) or a list of steps, got "maybe"'],
})

bad('await_fault on a job without faults: true', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - { name: k, engine: gfx }
    threads:
      - name: t1
        steps:
          - await_fault: k   # <-
  `,
  code: 'FC164',
  line: 10,
  field: 'threads.0.steps.0.await_fault',
  message: ["job 'k' cannot fault", 'set faults: true on it'],
})

bad('push of the same job twice', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - { name: j, engine: gfx }
    threads:
      - name: t1
        steps:
          - push: j
      - name: t2
        steps:
          - arm: j
          - push: j   # <-
  `,
  code: 'FC181',
  line: 14,
  field: 'threads.1.steps.1',
  message: ["job 'j' is pushed twice", 'also at threads.0.steps.0'],
})

bad('a step reclaim cannot run (await_fault inside reclaim)', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - { name: k, engine: gfx, faults: true }
    reclaim:
      - steps:
          - await_fault: k   # <-
  `,
  code: 'FC162',
  line: 9,
  field: 'reclaim.0.steps.0',
  message: ["'await_fault'"],
})

bad('an empty reclaim entry is an input error, not an internal error', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    reclaim:
      -   # <- nothing here
  `,
  code: 'FC112',
  line: 6,
  field: 'reclaim.0',
  message: ['must be a map of fields'],
})

bad('reclaim steps that are not a list are an input error, not an internal error', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    locks: [{ name: a }]
    reclaim:
      - name: r
        steps: "lock: a"   # <- a string, not a list of steps
  `,
  code: 'FC112',
  line: 8,
  field: 'reclaim.0.steps',
  message: [/list|array/],
})

bad('unknown field inside a reclaim path', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    buffers: [{ name: bo0 }]
    reclaim:
      - path: shrinker
        with: { bo: bo0 }
        contxt: shrinker   # <- silently ignored today
  `,
  code: 'FC110',
  line: 9,
  field: 'reclaim.0.contxt',
})

// ---------------------------------------------------------------------------------------------
// The library

bad('unknown library path (path:)', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    threads:
      - name: t1
        path: page_fault   # <-
  `,
  code: 'FC142',
  line: 7,
  field: 'threads.0.path',
  message: ["no library path 'page_fault'", 'library: gpu_page_fault, shrinker'],
})

bad('unknown library path (- use:)', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    threads:
      - name: t1
        steps:
          - use: nosuch   # <-
  `,
  code: 'FC142',
  line: 8,
  field: 'threads.0.steps.0.use',
  message: ["no library path 'nosuch'", 'library: gpu_page_fault'],
})

bad('missing library binding (no with: at all)', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    buffers: [{ name: bo0 }]
    reclaim:
      - path: shrinker   # <- which bo?
  `,
  code: 'FC168',
  line: 7,
  field: 'reclaim.0.with',
  message: ["library path 'shrinker' needs parameter 'bo'", 'add it under with:'],
})

bad('missing library binding (with: lacks one)', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs: [{ name: k, engine: gfx, faults: true }]
    threads:
      - name: fh
        path: gpu_page_fault
        with: { gfp: KERNEL }   # <- no job
  `,
  code: 'FC168',
  line: 9,
  field: 'threads.0.with',
  message: ["library path 'gpu_page_fault' needs parameter 'job'", 'add it under with:'],
})

bad('unknown library parameter', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    buffers: [{ name: bo0 }]
    reclaim:
      - path: shrinker
        with:
          bo: bo0
          job: x   # <-
  `,
  code: 'FC167',
  line: 10,
  field: 'reclaim.0.with.job',
  message: ["library path 'shrinker' has no parameter 'job'", 'its parameters: bo'],
})

bad('with: on a thread that has its own steps', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    threads:
      - name: t1
        with: { job: j }   # <-
        steps: [begin_signalling, end_signalling]
  `,
  code: 'FC171',
  line: 7,
  field: 'threads.0.with',
})

// ---------------------------------------------------------------------------------------------
// Engines and CUs

bad('reserveForDma larger than cus', {
  text: yaml`
    name: t
    about: a
    engines:
      - name: gfx
        cus: 1
        reserveForDma: 2   # <-
  `,
  code: 'FC147',
  line: 6,
  field: 'engines.0.reserveForDma',
  message: ['reserves 2 CUs but the engine has only 1'],
})

bad('a job needing more CUs than its engine has', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    jobs:
      - name: j
        engine: gfx
        cus: 3   # <-
  `,
  code: 'FC147',
  line: 8,
  field: 'jobs.0.cus',
  message: ["needs 3 CUs but engine 'gfx' has 2"],
})

// ---------------------------------------------------------------------------------------------
// Models: gpu vs. built-in

bad('params given to a GPU design names the params: line', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    params:   # <-
      C: 2
  `,
  code: 'FC121',
  line: 5,
  field: 'params',
  message: ['a GPU design is stated by engines, jobs, threads'],
})

bad('a scenario that states no design', {
  text: yaml`
    name: t   # <-
    about: a
  `,
  code: 'FC120',
  line: 1,
  field: undefined,
  message: ["give 'model: NAME' with params, or a GPU design"],
})

bad('a GPU field (engines) given with model: r1 names the engines: line', {
  text: yaml`
    name: t
    about: a
    model: r1
    params: { C: 1, G: 1, K: 1, M: 0, POLICY: naive }
    engines:   # <-
      - { name: gfx, cus: 1 }
  `,
  code: 'FC123',
  line: 5,
  field: 'engines',
  message: ["not to model 'r1'"],
})

bad('unknown built-in model', {
  text: yaml`
    name: t
    about: a
    model: r2   # <-
  `,
  code: 'FC122',
  line: 3,
  field: 'model',
  message: ["'r2'", /built-in models: r1, .*, or gpu/],
})

bad('bad r1 param (POLICY: foo) names its line', {
  text: yaml`
    name: t
    about: a
    model: r1
    params:
      C: 1
      G: 1
      K: 1
      M: 0
      POLICY: foo   # <-
  `,
  code: 'FC137',
  line: 9,
  field: 'params.POLICY',
  message: ['parameter POLICY must be one of naive, reserve, preempt, skip', "got 'foo'"],
})

bad('r1 param out of range', {
  text: yaml`
    name: t
    about: a
    model: r1
    params:
      C: 99   # <-
      G: 1
      K: 1
      M: 0
      POLICY: naive
  `,
  code: 'FC136',
  line: 5,
  field: 'params.C',
  message: ['parameter C must be in 1..16, got 99'],
})

bad('unknown r1 param', {
  text: yaml`
    name: t
    about: a
    model: r1
    params:
      C: 1
      G: 1
      K: 1
      M: 0
      POLICY: naive
      X: 3   # <-
  `,
  code: 'FC133',
  line: 10,
  field: 'params.X',
  message: ["model 'r1' has no parameter 'X'", 'its parameters: C, G, K, M, POLICY, BUG'],
})

bad('a missing r1 param names the params: line', {
  text: yaml`
    name: t
    about: a
    model: r1
    params:   # <- no POLICY
      C: 1
      G: 1
      K: 1
      M: 0
  `,
  code: 'FC134',
  line: 4,
  field: 'params.POLICY',
  message: ["model 'r1' needs parameter POLICY", 'naive|reserve|preempt|skip'],
})

bad('a built-in model with no params at all names the model line', {
  text: yaml`
    name: t
    about: a
    model: r1   # <- needs params
  `,
  code: 'FC134',
  line: 3,
  field: 'params.C',
  message: ["model 'r1' needs parameter C"],
})

bad('a fractional r1 param says it must be an integer', {
  text: yaml`
    name: t
    about: a
    model: r1
    params:
      C: 1.5   # <-
      G: 1
      K: 1
      M: 0
      POLICY: naive
  `,
  code: 'FC112',
  line: 5,
  field: 'params.C',
  message: [/must be an integer/, /^(?!.*integer,string)/s],
})

// ---------------------------------------------------------------------------------------------
// Expectations

bad('expect.unreached naming an unknown witness lists the witnesses', {
  text: yaml`
    name: t
    about: a
    model: r1
    params: { C: 1, G: 1, K: 1, M: 0, POLICY: naive }
    expect:
      verdict: violated
      unreached:
        - a compute job starts   # <-
  `,
  code: 'FC124',
  line: 8,
  field: 'expect.unreached.0',
  message: ["no sometimes witness named 'a compute job starts'", 'witnesses: a graphics dma_fence signals; a compute page fault is served'],
})

bad('expect.unreached on a design with no witnesses says there are none', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    expect:
      verdict: proved
      unreached:
        - nosuch witness   # <-
  `,
  code: 'FC124',
  line: 8,
  field: 'expect.unreached.0',
  message: ["no sometimes witness named 'nosuch witness'", /witnesses: none|has no sometimes witnesses/],
})

bad('expect.property naming an unknown property is caught at load', {
  text: yaml`
    name: t
    about: a
    model: r1
    params: { C: 1, G: 1, K: 1, M: 0, POLICY: naive }
    expect:
      verdict: violated
      property: dedlock   # <-
  `,
  code: 'FC125',
  line: 7,
  field: 'expect.property',
  message: ['dedlock', 'deadlock'],
})

// ---------------------------------------------------------------------------------------------
// Files

test('a missing file names the file, with no line', (t) => {
  const file = join(DIR, 'no-such-scenario.yaml')
  checkError(t, file, { code: 'FC100', line: undefined, field: undefined, message: ['no such file'] })
})

test('every fixture marks the line its test expects', (t) => {
  for (const r of registered) {
    const m = markedLine(r.text)
    if (r.text.trim() === '') continue
    t.is(m, r.line, `${r.title}: the stated line and the # <- marker agree`)
  }
})

// ---------------------------------------------------------------------------------------------
// The command line: exit code 2, `fencecheck: CODE FILE:LINE: field: message` on stderr, no stack
// trace, and nothing on stdout.

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'check', '--quiet', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function checkCliError(t: ExecutionContext, r: ReturnType<typeof cli>, code: ErrorCode, startsWith: string, contains: string[]): void {
  t.is(r.status, 2, `exit code 2 for bad input; stderr: ${r.stderr}`)
  t.is(r.stdout, '', 'nothing on stdout (no half-finished report)')
  t.true(r.stderr.startsWith(`fencecheck: ${code} ${startsWith}`), `stderr starts with 'fencecheck: ${code} ${startsWith}': ${r.stderr}`)
  for (const c of contains) t.true(r.stderr.includes(c), `stderr contains ${JSON.stringify(c)}: ${r.stderr}`)
  t.notRegex(r.stderr, /^\s+at /m, 'no stack trace')
  t.notRegex(r.stderr, /internal error|TypeError|ReferenceError/, 'not an internal error')
  t.is(r.stderr.trim().split('\n').length, 1, 'one line on stderr')
}

test('cli: a dangling fence reference exits 2 with file:line: field: message', (t) => {
  const file = fixture(
    yaml`
      name: t
      about: a
      engines:
        - { name: gfx, cus: 2 }
      jobs:
        - { name: g0, engine: gfx }
      threads:
        - name: t1
          steps:
            - wait: nosuch   # <-
    `,
    'cli-fence',
  )
  checkCliError(t, cli(file), 'FC141', `${file}:10: threads.0.steps.0.wait: `, ["'nosuch'"])
})

test('cli: a bad r1 param exits 2 with the line of the param', (t) => {
  const file = fixture(
    yaml`
      name: t
      about: a
      model: r1
      params:
        C: 1
        G: 1
        K: 1
        M: 0
        POLICY: foo   # <-
    `,
    'cli-param',
  )
  checkCliError(t, cli(file), 'FC137', `${file}:9: params.POLICY: `, ["got 'foo'"])
})

test('cli: an unknown field exits 2 with file:line', (t) => {
  const file = fixture(
    yaml`
      name: t
      about: a
      engines:
        - name: gfx
          cus: 2
          cu: 1   # <-
    `,
    'cli-field',
  )
  checkCliError(t, cli(file), 'FC110', `${file}:6: engines.0.cu: `, [])
})

test('cli: a bad second target prints no report for the good first one', (t) => {
  const good = fixture(
    yaml`
      name: good
      about: a valid R1 scenario
      model: r1
      params: { C: 1, G: 1, K: 1, M: 0, POLICY: naive }
    `,
    'cli-good',
  )
  const badFile = fixture(
    yaml`
      name: t
      about: a
      model: r2   # <-
    `,
    'cli-bad',
  )
  checkCliError(t, cli(good, badFile), 'FC122', `${badFile}:3: model: `, ["'r2'"])
})

test('cli: a missing file exits 2 and names the file', (t) => {
  const file = join(DIR, 'cli-missing.yaml')
  checkCliError(t, cli(file), 'FC100', `${file}: `, [])
})

test('cli: bad YAML syntax exits 2 with file:line', (t) => {
  const file = fixture(
    yaml`
      name: t
      about: a
      engines:
        - name: gfx
         cus: 1   # <-
    `,
    'cli-syntax',
  )
  checkCliError(t, cli(file), 'FC101', `${file}:5: `, [])
})

test('cli: an empty reclaim entry exits 2, not 4 (internal error)', (t) => {
  const file = fixture(
    yaml`
      name: t
      about: a
      engines:
        - { name: gfx, cus: 2 }
      reclaim:
        -   # <-
    `,
    'cli-reclaim',
  )
  checkCliError(t, cli(file), 'FC112', `${file}:6: reclaim.0: `, [])
})

bad('else: on a wait without timeout: true', {
  text: yaml`
    name: t
    about: a
    engines:
      - { name: gfx, cus: 2 }
    fences: [{ name: f, kind: dma }]
    threads:
      - name: t1
        steps:
          - wait: f
            else: -EBUSY   # <- only a bounded wait can fail
  `,
  code: 'FC198',
  line: 10,
  field: 'threads.0.steps.0.else',
  message: ['a wait without timeout: true cannot fail; add timeout: true or remove else:'],
})
