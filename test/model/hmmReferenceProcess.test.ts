/**
 * The `hmm` reference (test/reference/hmm/, formerly the built-in model) as an independent check for the process side of the memory
 * language: for each ported variant of M7 (the proxy process) and M9 (CPU faults on a
 * device-private page), the built-in scenario and its scenario-language port give the same verdict
 * and violated property, and the port's counterexample replays. State counts and trace lengths are
 * compared only where the two spaces are meant to match; each row says why they are not.
 */
import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { explore } from '../../checker/explore.js'
import type { Action, Model } from '../../checker/model.js'
import { compileGpu } from '../../model/gpu/compile.js'
import type { Obj } from '../../model/gpu/parse.js'
import { buildDesign, type DesignInput } from '../../model/gpu/spec.js'
import { replay, violationTrace } from '../../checker/trace.js'
import { loadScenario } from '../../model/scenario.js'
import { FAULT_ATTRIBUTION, PROGRESS } from '../../properties/hmm.js'
import { loadReference, reference, REFERENCE_SCENARIOS } from '../reference/hmm/load.js'
import { ROOT } from '../root.js'

const MEM = join(ROOT, 'scenarios', 'mem')

interface Row {
  readonly builtin: string
  readonly lang: string
  /** the property a violated pair breaks (the built-in's and the port's share the name) */
  readonly property?: string
  /** why the state counts and trace lengths are not compared (none: they are) */
  readonly spacesDiffer: string
}

const ROWS: readonly Row[] = [
  {
    builtin: 'm7-proxy-process-svm.yaml',
    lang: 'm7c-proxy-svm-language.yaml',
    property: FAULT_ATTRIBUTION,
    spacesDiffer:
      "the reference has only each guest's binding and fault flag; the port runs the proxy's user queues on a device with CUs, the fault handler's collision-retry loop and the guests' notifiers",
  },
  {
    builtin: 'm7b-per-device-mirrors.yaml',
    lang: 'm7d-proxy-per-mirror-vm.yaml',
    spacesDiffer: 'as M7: the port has queues, CUs, the fault handler and notifiers, the reference only bindings and fault flags',
  },
  {
    builtin: 'm9-ref-before-trylock.yaml',
    lang: 'm9c-nouveau-ref-before-trylock.yaml',
    property: PROGRESS,
    spacesDiffer:
      "the reference folds do_swap_page's reference and migrate_to_ram's trylock, check and copy into fewer steps; the port writes nouveau_dmem_migrate_to_ram step by step (svmm mutex, finalize, put_page)",
  },
  {
    builtin: 'm9b-trylock-before-ref.yaml',
    lang: 'm9d-nouveau-trylock-before-ref.yaml',
    spacesDiffer: 'as M9, with three threads in both',
  },
]

for (const row of ROWS) {
  test(`${row.lang} agrees with the built-in reference ${row.builtin} (spaces differ: ${row.spacesDiffer.slice(0, 60)}...)`, (t) => {
    const a = loadReference(join(REFERENCE_SCENARIOS, row.builtin))
    const b = loadScenario(join(MEM, row.lang))
    t.is(a.model.name, 'hmm')
    t.is(b.model.name, 'gpu')
    const xa = explore(a.model)
    const xb = explore(b.model)
    t.is(xb.verdict.status, xa.verdict.status)
    const name = (v: typeof xa.verdict): string | undefined => (v.status === 'violated' ? v.property.name : undefined)
    t.is(name(xa.verdict), row.property)
    t.is(name(xb.verdict), row.property)
    if (xb.verdict.status === 'violated') {
      const trace = violationTrace(xb)!
      t.true(replay(b.model, trace, xb.verdict.property.name).ok, 'the port counterexample replays')
      if (row.property === PROGRESS) t.not(trace.loop, undefined, 'a livelock is a lasso')
    }
  })
}

// The M9 variants beyond the bundled pair (REFORDER x THREADS): the language design is the bundled
// port's, with its CPU thread replicated to the reference's thread count.
const portWith = (file: string, threads: number): Model<Action> => {
  const d = parse(readFileSync(join(MEM, file), 'utf8')) as DesignInput & { threads: Obj[] }
  const one = d.threads[0]!
  return compileGpu(buildDesign({ ...d, threads: Array.from({ length: threads }, (_, k) => ({ ...one, name: `cpu${k}` })) }), file)
}
for (const [order, file] of [
  ['ref-first', 'm9c-nouveau-ref-before-trylock.yaml'],
  ['trylock-first', 'm9d-nouveau-trylock-before-ref.yaml'],
] as const) {
  for (const threads of [2, 3]) {
    test(`M9 REFORDER=${order} THREADS=${threads}: the port of ${file} with ${threads} threads agrees with the reference`, (t) => {
      // spaces differ as in the M9 rows above: the reference folds the fault path into fewer steps
      const ref = explore(reference({ MECH: 'cpufault', REFORDER: order, THREADS: threads }).model).verdict
      const port = explore(portWith(file, threads)).verdict
      t.is(port.status, ref.status)
      t.is(port.status, order === 'ref-first' ? 'violated' : 'proved')
      if (port.status === 'violated' && ref.status === 'violated') t.is(port.property.name, ref.property.name)
    })
  }
}
