/**
 * The shortcuts of the wait-for graph (model/gpu/waitFor.ts) against the plain computations they
 * replace, over every reachable state of every bundled scenario-language design:
 *
 *  - hasStuck (the deadlock invariant: the graph is built only when some actor is blocked) says
 *    "stuck" exactly when the full graph has a stuck actor;
 *  - each thread and job node is blocked and active exactly as the direct definition says (a thread
 *    not finished and not idle with no enabled rule, or only a busy retry; with timeouts ignored,
 *    also one whose only enabled rules are timeouts and enables), written here from the rules;
 *  - canProvide (the per-design provider tables) answers as the list of steps a thread can still
 *    run does: its path from its pc (all of it for a repeating worker), the reclaim steps while it
 *    is in reclaim or may enter it, the callbacks of the invalidations among those;
 *  - the integer bit tests of lock-reader and fence masks (model/gpu/context.ts) agree with plain
 *    arithmetic.
 */
import test from 'ava'
import { basename, join } from 'node:path'
import { explore } from '../../checker/explore.js'
import { Cursor, type Action, type Model, type Reader } from '../../checker/model.js'
import { type GpuView, JS } from '../../model/gpu/compile.js'
import { bit, has } from '../../model/gpu/context.js'
import { provides } from '../../model/gpu/ops/index.js'
import type { Provision } from '../../model/gpu/ops/op.js'
import { stepReclaims } from '../../model/gpu/paths.js'
import type { Step } from '../../model/gpu/types.js'
import { hasStuck, waitFor } from '../../model/gpu/waitFor.js'
import { canProvide } from '../../model/gpu/waitStatics.js'
import { loadScenario, scenarioFiles } from '../../model/scenario.js'
import { noDeadlockCheck } from '../bare.js'
import { ROOT } from '../root.js'

const MAX_STATES = 10_000

const view = (m: Model<Action>): GpuView | undefined => (m as unknown as { view?: GpuView }).view

const designs = [...scenarioFiles(join(ROOT, 'scenarios', 'gpu')), ...scenarioFiles(join(ROOT, 'scenarios', 'mem'))]
  .map((file) => ({ file, sc: loadScenario(file) }))
  .filter(({ sc }) => sc.model.name === 'gpu' && view(sc.model) !== undefined)

/** The steps thread o can still run in s, listed as the wait-for graph first defined them. */
function remaining(v: GpuView, s: Reader, o: number): Step[] {
  const th = v.design.threads[o]!
  const pc = s.get(v.f.pc[o]!)
  const inReclaim = v.f.rpc[o]! >= 0 && s.get(v.f.rpc[o]!) > 0
  const path = th.repeat ? th.steps : th.steps.slice(pc)
  const reclaim = inReclaim || path.some(stepReclaims)
  const out = [...path, ...(reclaim ? v.reclaimSteps : [])]
  for (const x of v.sites) if (x.thread === o && (x.frame === 'reclaim' ? reclaim : th.repeat || x.at >= pc)) out.push(...x.steps)
  return out
}

/** Every provision a design can name. */
function wants(v: GpuView): Provision[] {
  const { design } = v
  return [
    ...design.jobs.flatMap((_j, job) => (['submit', 'run', 'serve_fault', 'resume'] as const).map((kind) => ({ kind, job }))),
    ...design.fences.map((_f, fence) => ({ kind: 'signal' as const, fence })),
    ...design.works.map((_w, work) => ({ kind: 'queue' as const, work })),
    ...(['vram', 'system'] as const).map((pool) => ({ kind: 'free' as const, pool })),
  ]
}

/** Is thread t blocked, and is it active, by the direct definition? */
function threadByRules(v: GpuView, s: Reader, t: number, ignoreTimeouts: boolean): { blocked: boolean; active: boolean } {
  const th = v.design.threads[t]!
  const rules = v.actorRules.thread[t]!
  const on = (pick: (does: string) => boolean): boolean => rules.some((r) => pick(v.meta.get(v.rules[r]!.action)!.does) && v.rules[r]!.guard(s))
  const finished = s.get(v.f.pc[t]!) === th.steps.length && (v.f.rpc[t]! < 0 || s.get(v.f.rpc[t]!) === 0)
  const enabled = !finished && on(() => true)
  if (!enabled && v.idle(s, t)) return { blocked: false, active: false }
  const spinning = !finished && (on((d) => d === 'spin') || (ignoreTimeouts && on((d) => d === 'timeout') && !on((d) => d !== 'timeout' && d !== 'enable')))
  return { blocked: !finished && (!enabled || spinning), active: enabled && !spinning }
}

test('bit and has agree with arithmetic on every bit of the masks a state holds', (t) => {
  const masks = [0, 1, 2, 3, 5, 0x55555555, 0x2aaaaaaa, 0x7fffffff, 0x40000000, 12345678, 2 ** 31, 2 ** 31 + 5, 2 ** 33 + 4]
  for (let i = 0; i < 36; i++) {
    t.is(bit(i), Math.pow(2, i))
    for (const m of masks) t.is(has(m, i), Math.floor(m / Math.pow(2, i)) % 2 === 1, `mask ${m}, bit ${i}`)
  }
})

test('the bundled scenario-language designs are found', (t) => {
  t.true(designs.length > 50)
})

for (const { file, sc } of designs) {
  test(`${basename(file)}: the wait-for shortcuts agree with the plain computations`, (t) => {
    const m = sc.model
    const v = view(m)!
    const x = explore({ ...noDeadlockCheck(m), properties: [] }, { bounds: { maxStates: MAX_STATES } })
    const c = new Cursor(m.layout)
    const w = new Uint32Array(m.layout.words)
    const all = wants(v)
    let blockedStates = 0
    let stuckStates = 0
    for (let i = 0; i < x.store.size; i++) {
      x.store.read(i, w)
      m.layout.decodeInto(w, 0, c.pre)
      m.derive?.(c.pre)
      for (const ignore of [false, true]) {
        const g = waitFor(v, c, ignore ? { timeouts: 'ignore' } : {})
        for (let th = 0; th < v.design.threads.length; th++) {
          const n = g.nodes.get(`thread:${th}`)!
          const want = threadByRules(v, c, th, ignore)
          if (n.blocked !== want.blocked || n.active !== want.active)
            return t.fail(`state ${i}, thread ${th}: the graph's standing differs (timeouts ${ignore})`)
        }
        for (let j = 0; j < v.design.jobs.length; j++) {
          const n = g.nodes.get(`job:${j}`)!
          const active = v.actorRules.job[j]!.some((r) => v.rules[r]!.guard(c))
          const st = c.get(v.f.js[j]!)
          if (n.active !== active || n.blocked !== (!active && st !== JS.done && st !== JS.idle))
            return t.fail(`state ${i}, job ${j}: the graph's standing differs`)
        }
        if (ignore) continue
        if ([...g.nodes.values()].some((n) => n.blocked)) blockedStates++
        if (g.stuck.length > 0) stuckStates++
        if (hasStuck(v, c) !== g.stuck.length > 0) return t.fail(`state ${i}: hasStuck disagrees with the graph's stuck list`)
      }
      for (let o = 0; o < v.design.threads.length; o++) {
        const left = remaining(v, c, o)
        for (const want of all) {
          if (canProvide(v, c, o, want) !== left.some((y) => provides(y, want)))
            return t.fail(`state ${i}, thread ${o}: canProvide(${JSON.stringify(want)}) differs`)
        }
      }
    }
    t.log(`${x.store.size} states, some actor blocked in ${blockedStates}, stuck in ${stuckStates}`)
    t.pass()
  })
}
