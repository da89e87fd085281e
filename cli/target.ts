/**
 * What a command runs on: a built-in model (by name, with --param) or a scenario file, resolved
 * into the model, its narrator, the search order and bounds, and the one command that reproduces
 * the run. Nothing is run here.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Action, Model } from '../checker/model.js'
import { InputError } from '../checker/params.js'
import type { Selection } from '../checker/plan.js'
import type { Bounds, SearchOrder } from '../checker/verdict.js'
import { buildNarrated } from '../model/registry.js'
import type * as ScenarioModule from '../model/scenario.js'
import type { Scenario } from '../model/scenario.js'
import type { Narrator } from '../report/narrator.js'
import type { Target } from '../report/report.js'
import { searchBounds, type SearchFlags, selectionOf } from './options.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The bundled scenarios, which `list` and `suite` use by default. */
export const SCENARIO_DIR = join(ROOT, 'scenarios')

export interface Resolved {
  readonly target: Target
  readonly model: Model<Action>
  readonly narrator: Narrator<Action>
  readonly symmetry: boolean
  /** partial-order reduction (--por, search.por) */
  readonly por: boolean
  readonly order: SearchOrder
  readonly bounds: Bounds
  /** which properties to check (absent: all) */
  readonly select?: Selection
  readonly scenario?: Scenario
  readonly reproduce: string
}

/** The first 16 hex digits of the SHA-256 of a text: how results and checkpoints tell a changed scenario. */
export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** The hash of a scenario file's text as it is now. */
export function scenarioHash(file: string): string {
  return hashText(readFileSync(file, 'utf8'))
}

/** A word as a shell reads it back: quoted when it holds anything but plain characters. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`
}

function reproduceLine(t: Target, order: SearchOrder, flags: SearchFlags): string {
  // Runnable as printed, in the checkout (or wherever fencecheck is installed) the run came from.
  const parts = ['npx', 'fencecheck', 'check', shellWord(t.scenario ? t.scenario.file : t.model)]
  if (!t.scenario) for (const [k, v] of Object.entries(t.params)) parts.push('--param', `${k}=${v}`)
  if (order !== 'bfs') parts.push('--order', order)
  if (flags.symmetry) parts.push('--symmetry')
  if (flags.por) parts.push('--por')
  if (flags['hash-compaction']) parts.push('--hash-compaction')
  for (const f of ['max-depth', 'max-states', 'max-time', 'max-memory'] as const) {
    if (flags[f] !== undefined) parts.push(`--${f}`, String(flags[f]))
  }
  for (const p of flags.property ?? []) parts.push('--property', shellWord(p))
  for (const p of flags['skip-property'] ?? []) parts.push('--skip-property', shellWord(p))
  return parts.join(' ')
}

function withSelection(flags: SearchFlags, model: Model<Action>, file?: string): { select?: Selection } {
  const select = selectionOf(flags, model, file)
  return select ? { select } : {}
}

function isScenarioPath(t: string): boolean {
  return /\.ya?ml$/.test(t) || t.includes('/') || existsSync(t)
}

/**
 * The scenario loader (YAML, the schemas, the GPU model): loaded by loadTargets only when a
 * target is a scenario file, since it takes a noticeable part of a short run's time and a
 * built-in model needs none of it.
 */
let loadScenario: typeof ScenarioModule.loadScenario | undefined

/** Load what resolveTarget needs for these targets (call before resolving any of them). */
export async function loadTargets(names: readonly string[]): Promise<void> {
  if (loadScenario === undefined && names.some(isScenarioPath)) ({ loadScenario } = await import('../model/scenario.js'))
}

/**
 * A loaded scenario as a target: `given` as it was named (on the command line), `file` as it is
 * shown (relative to the working directory), with the search flags over its own settings.
 */
export function scenarioTarget(sc: Scenario, given: string, file: string, flags: SearchFlags = {}): Resolved {
  for (const w of sc.warnings) process.stderr.write(`fencecheck: ${w.code} ${file}${w.line !== undefined ? `:${w.line}` : ''}: warning: ${w.message}\n`)
  const order = flags.order ?? sc.order
  const target: Target = {
    target: given,
    model: sc.model.name,
    params: { ...sc.model.params },
    scenario: { file, name: sc.name, about: sc.about },
    scenarioHash: scenarioHash(sc.file),
  }
  const symmetry = flags.symmetry ?? sc.symmetry
  if (symmetry && !sc.model.symmetry) throw new InputError('FC221', `'${given}' declares no symmetry to reduce by`, '--symmetry')
  return {
    target,
    model: sc.model,
    narrator: sc.narrator,
    symmetry,
    por: flags.por ?? sc.por,
    order,
    bounds: searchBounds(flags, sc.bounds),
    ...withSelection(flags, sc.model, file),
    scenario: sc,
    reproduce: reproduceLine(target, order, flags),
  }
}

/** Resolve a command-line target (model name or scenario file) without running anything; loadTargets first. */
export function resolveTarget(name: string, flags: SearchFlags): Resolved {
  if (isScenarioPath(name)) {
    if (flags.param && flags.param.length > 0) {
      throw new InputError('FC220', `--param applies to built-in models; '${name}' is a scenario file (set params inside the file)`, '--param')
    }
    if (loadScenario === undefined) throw new Error(`the scenario loader is not loaded for '${name}' (loadTargets)`)
    return scenarioTarget(loadScenario(name), name, relative(process.cwd(), resolve(name)) || name, flags)
  }
  const { model, narrator } = buildNarrated(name, flags.param ?? [])
  const order = flags.order ?? 'bfs'
  const target: Target = { target: name, model: model.name, params: { ...model.params } }
  const symmetry = flags.symmetry ?? false
  if (symmetry && !model.symmetry) throw new InputError('FC221', `model '${name}' declares no symmetry to reduce by`, '--symmetry')
  return {
    target,
    model,
    narrator,
    symmetry,
    por: flags.por ?? false,
    order,
    bounds: searchBounds(flags, {}),
    ...withSelection(flags, model),
    reproduce: reproduceLine(target, order, flags),
  }
}
