/**
 * The scenario sections for workqueues, work items, pools and CPUs: `workqueues:` (ordered or
 * bounded, WQ_MEM_RECLAIM), `work:` (a name, its queue, an optional CPU it is queued on, its
 * callback's steps), `pools:` (counting resources of N slots) and `cpus:` (how many CPUs; none:
 * unbounded). Names are claimed before any step is read, so steps may reference them; a work item
 * becomes a thread of the design whose first step waits for it to be queued.
 */
import { SpecError } from './errors.js'
import type { Obj, Path } from './parse.js'
import type { SlotPool, Step, Thread, Work, Workqueue } from './types.js'

/** the system workqueue, always present: per-CPU, no bound on concurrent items, no rescuer */
export const SYSTEM_WQ = 'system_wq'
/** include/linux/workqueue.h: WQ_MAX_ACTIVE; a bound above the actors a design has means none */
const MAX_ACTIVE = 8

interface WorkInput {
  workqueues?: Obj[]
  work?: Obj[]
  pools?: Obj[]
  cpus?: number
}

export function declareWork(d: WorkInput, claim: (name: string, what: string, path: Path) => void) {
  const workIn = d.work ?? []
  const wqIn = d.workqueues ?? []
  const cpus = d.cpus ?? 0
  const queues: Workqueue[] = [{ name: SYSTEM_WQ, maxActive: 0, memReclaim: false }]
  if (workIn.length > 0 || wqIn.length > 0) claim(SYSTEM_WQ, 'the built-in system workqueue', ['workqueues'])
  wqIn.forEach((q, i) => {
    const where: Path = ['workqueues', i]
    claim(q.name as string, `workqueue #${i + 1}`, [...where, 'name'])
    const ordered = q.ordered === true
    const max = q.maxActive as number | undefined
    if (ordered && max !== undefined && max !== 1)
      throw new SpecError(
        'FC155',
        [...where, 'maxActive'],
        `an ordered workqueue runs one item at a time (alloc_ordered_workqueue: max_active 1); remove maxActive or set it to 1`,
      )
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_ACTIVE))
      throw new SpecError('FC155', [...where, 'maxActive'], `must be a whole number from 1 to ${MAX_ACTIVE}, got ${JSON.stringify(max)}`)
    queues.push({ name: q.name as string, maxActive: ordered ? 1 : (max ?? 0), memReclaim: q.memReclaim === true })
  })
  const qIx = new Map(queues.map((q, i) => [q.name, i]))
  const pools: SlotPool[] = (d.pools ?? []).map((p, i) => {
    claim(p.name as string, `pool #${i + 1}`, ['pools', i, 'name'])
    const slots = p.slots as number
    const free = (p.free as number | undefined) ?? slots
    if (free > slots)
      throw new SpecError('FC155', ['pools', i, 'free'], `${free} slots free at start but the pool has only ${slots}; lower free: or raise slots:`)
    return { name: p.name as string, slots, free }
  })
  const pIx = new Map(pools.map((p, i) => [p.name, i]))
  workIn.forEach((w, i) => claim(w.name as string, `work item #${i + 1}`, ['work', i, 'name']))
  const wIx = new Map(workIn.map((w, i) => [w.name as string, i]))
  const lookup =
    (ix: Map<string, number>, what: string, section: string) =>
    (name: unknown, path: Path): number => {
      const i = ix.get(name as string)
      if (i === undefined)
        throw new SpecError(
          'FC141',
          path,
          `no ${what} named '${String(name)}' (${what}s: ${[...ix.keys()].join(', ') || `none; declare them under ${section}:`})`,
        )
      return i
    }
  const cpu = (v: unknown, path: Path): number | undefined => {
    if (v === undefined) return undefined
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (cpus > 0 && v >= cpus))
      throw new SpecError(
        'FC155',
        path,
        `must be a CPU number${cpus > 0 ? ` from 0 to ${cpus - 1} (the design has cpus: ${cpus})` : ' (0, 1, ...)'}, got ${JSON.stringify(v)}`,
      )
    return v
  }
  return {
    resolve: { work: lookup(wIx, 'work item', 'work'), workqueue: lookup(qIx, 'workqueue', 'workqueues'), pool: lookup(pIx, 'pool', 'pools') },
    count: workIn.length,
    cpu,
    /** the work items' threads, numbered from `first`, their steps read by `parse` */
    items(first: number, parse: (raw: unknown[], where: Path) => Step[]) {
      const threads: Thread[] = workIn.map((w, i) => {
        const where: Path = ['work', i]
        if (!Array.isArray(w.steps) || w.steps.length === 0)
          throw new SpecError('FC172', [...where, 'steps'], `work item '${w.name as string}' needs the steps of its callback (steps: [...])`)
        const c = cpu(w.cpu, [...where, 'cpu'])
        return {
          name: w.name as string,
          context: 'worker',
          signalling: w.signalling === true,
          steps: [{ where, op: 'work_start', work: i }, ...parse(w.steps as unknown[], [...where, 'steps'])],
          origin: 'custom',
          repeat: true,
          work: i,
          ...(c !== undefined ? { cpu: c } : {}),
        }
      })
      return {
        threads,
        design(steps: readonly Step[]): { workqueues: Workqueue[]; works: Work[]; pools: SlotPool[]; cpus: number } {
          const works: Work[] = workIn.map((w, i) => {
            const q = w.queue === undefined ? 0 : lookup(qIx, 'workqueue', 'workqueues')(w.queue, ['work', i, 'queue'])
            const c = cpu(w.cpu, ['work', i, 'cpu'])
            return {
              name: w.name as string,
              queue: q,
              thread: first + i,
              ...(c !== undefined ? { cpu: c } : {}),
              delayed: steps.some((s) => s.op === 'queue_work' && s.work === i && s.delayed),
            }
          })
          return { workqueues: queues, works, pools, cpus }
        },
      }
    },
  }
}
