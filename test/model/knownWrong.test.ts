/**
 * test/fixtures/known-wrong/ holds designs on which the checker's answer contradicts the kernel's
 * (the kernel's verdict is each file's `expect`). Each must still miss its expectation: a fix that
 * makes one right is noticed here, and the file then moves into scenarios/ with its verdict.
 */
import test from 'ava'
import { basename, join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { loadScenario, scenarioFiles, unmet } from '../../model/scenario.js'
import { ROOT } from '../root.js'

const files = scenarioFiles(join(ROOT, 'test', 'fixtures', 'known-wrong'))

test('the known-wrong designs are found', (t) => {
  t.true(files.length > 0)
})

for (const file of files) {
  test(`${basename(file)} still contradicts the kernel's verdict (move it into scenarios/ once it does not)`, (t) => {
    const sc = loadScenario(file)
    t.truthy(sc.expect, 'a known-wrong design pins the kernel verdict')
    const v = explore(sc.model, { order: sc.order, bounds: sc.bounds, symmetry: sc.symmetry }).verdict
    const problems = unmet(sc.expect!, { status: v.status, ...(v.status === 'violated' ? { property: v.property, traceLength: v.traceLength } : {}) })
    t.log(problems.join('; '))
    t.not(problems.length, 0)
  })
}
