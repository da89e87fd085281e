/**
 * Scenario files of the `hmm` reference (test/reference/hmm/scenarios, test/fixtures/mirror): the
 * reference is not a product model, so `fencecheck check` cannot load them; tests read them here.
 * Each names the reference's parameters (`params:`) and pins an expectation (`expect:`, checked
 * with the product's own `unmet`).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import type { Action, Model } from '../../../checker/model.js'
import { parseParams } from '../../../checker/params.js'
import { expectedProperty } from '../../../model/expect.js'
import type { Expectation } from '../../../model/scenario.js'
import type { NarratedModel } from '../../../report/narrator.js'
import { ROOT } from '../../root.js'
import { HMM_PARAMS, hmm } from './index.js'

export const REFERENCE_SCENARIOS = join(ROOT, 'test', 'reference', 'hmm', 'scenarios')

export interface ReferenceScenario {
  readonly file: string
  readonly name: string
  readonly params: Readonly<Record<string, string | number>>
  readonly model: Model<Action>
  readonly narrated: NarratedModel<Action>
  readonly expect?: Expectation
  /** search.order (default bfs) */
  readonly order: 'bfs' | 'dfs'
}

/** The reference built with these parameters (`MECH: cpufault, THREADS: 3`, ...). */
export const reference = (params: Record<string, unknown>, where = 'params'): NarratedModel<Action> => hmm(parseParams('hmm', HMM_PARAMS, params, where))

export function loadReference(file: string): ReferenceScenario {
  const y = parse(readFileSync(file, 'utf8')) as {
    name: string
    model?: string
    params?: Record<string, unknown>
    expect?: Expectation
    search?: { order?: 'bfs' | 'dfs' }
  }
  if (y.model !== 'hmm') throw new Error(`${file}: not a scenario of the hmm reference (model: ${String(y.model)})`)
  const narrated = reference(y.params ?? {}, `${file}: params`)
  // expect.property names the property by id, as in a product scenario
  const named = y.expect?.property !== undefined ? expectedProperty(narrated.model, y.expect.property) : undefined
  if (named && 'known' in named) throw new Error(`${file}: expect.property '${y.expect!.property!}' is none of ${named.known.join(', ')}`)
  const expect = y.expect && named ? { ...y.expect, propertyName: named.name } : y.expect
  return {
    file,
    name: y.name,
    params: narrated.model.params,
    model: narrated.model,
    narrated,
    ...(expect ? { expect } : {}),
    order: y.search?.order ?? 'bfs',
  }
}

/** The reference's scenario files in a folder (default: its own). */
export const referenceFiles = (dir = REFERENCE_SCENARIOS): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f))
