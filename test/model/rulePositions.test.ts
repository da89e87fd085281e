/**
 * Rule.requires of the GPU model's thread rules (model/gpu/context.ts): each says the field and
 * value the rule's guard requires (its thread's pc, rpc or npc at the rule's step), and the search
 * skips the guard where the field holds another value (checker/expand.ts). Over every reachable
 * state of every bundled scenario-language design, no guard may hold where its requirement does
 * not: skipping it then never drops an enabled rule. The requirement is also not vacuous: each
 * thread rule of a path step has one.
 */
import test from 'ava'
import { basename, join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { Cursor, type Action, type Model } from '../../checker/model.js'
import type { GpuView } from '../../model/gpu/compile.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { noDeadlockCheck } from '../bare.js'
import { ROOT } from '../root.js'

const MAX_STATES = 20_000

const view = (m: Model<Action>): GpuView | undefined => (m as unknown as { view?: GpuView }).view

const designs = [...scenarioFiles(join(ROOT, 'scenarios', 'gpu')), ...scenarioFiles(join(ROOT, 'scenarios', 'mem'))]
  .map((file) => ({ file, sc: loadScenario(file) }))
  .filter(({ sc }) => sc.model.name === 'gpu' && view(sc.model) !== undefined)

test('the bundled scenario-language designs are found', (t) => {
  t.true(designs.length > 50)
})

for (const { file, sc } of designs) {
  test(`${basename(file)}: no guard holds where its required position does not`, (t) => {
    const m = sc.model
    const v = view(m)!
    for (const [r, rule] of m.rules.entries()) {
      const meta = v.meta.get(rule.action)!
      if (meta.actor.kind === 'thread' && meta.frame === 'path') t.truthy(rule.requires, `rule ${r} (${meta.does}) has no required position`)
    }
    const x = explore({ ...noDeadlockCheck(m), properties: [] }, { bounds: { maxStates: MAX_STATES } })
    const c = new Cursor(m.layout)
    const w = new Uint32Array(m.layout.words)
    let skipped = 0
    for (let i = 0; i < x.store.size; i++) {
      x.store.read(i, w)
      m.layout.decodeInto(w, 0, c.pre)
      m.derive?.(c.pre)
      for (const [r, rule] of m.rules.entries()) {
        const at = rule.requires
        if (at === undefined || c.get(at.field) === at.value) continue
        skipped++
        if (rule.guard(c)) return t.fail(`state ${i}: rule ${r} (${JSON.stringify(rule.action)}) is enabled off its required position`)
      }
    }
    t.log(`${x.store.size} states, ${skipped} guard calls skipped`)
    t.pass()
  })
}
