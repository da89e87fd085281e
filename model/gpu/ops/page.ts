/**
 * Pages with a reference count and a page lock. get_page/put_page take and drop one reference of
 * the calling thread (a thread holds at most one per page: the count is how many threads hold
 * one); trylock_page takes PG_locked if it is clear, else: says what a failure does; lock_page
 * sleeps until the holder unlocks (folio_lock -> __folio_lock, a sleeping wait on PG_locked);
 * unlock_page clears it. The module declares the page state the migration and CPU-fault modules
 * share (pageState below): one reference bit per thread and page, the lock holder per page, and
 * each thread's migration entry per page.
 */
import { bool, int, type LayoutBuilder } from '../../../checker/layout.js'
import type { Reader } from '../../../checker/model.js'
import { SpecError } from '../errors.js'
import type { GpuDesign, Step, StepOf } from '../types.js'
import { nodeId } from '../view.js'
import { type OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'

declare module '../types.js' {
  interface StepVariants {
    get_page: { readonly op: 'get_page'; readonly page: number }
    put_page: { readonly op: 'put_page'; readonly page: number }
    trylock_page: { readonly op: 'trylock_page'; readonly page: number; readonly else: Outcome }
    lock_page: { readonly op: 'lock_page'; readonly page: number }
    unlock_page: { readonly op: 'unlock_page'; readonly page: number }
  }
}
type S = StepOf<'get_page' | 'put_page' | 'trylock_page' | 'lock_page' | 'unlock_page'>

/** The ops of the page, migration and CPU-fault modules: a page they name gets page state. */
const PAGE_OPS = new Set(['get_page', 'put_page', 'trylock_page', 'lock_page', 'unlock_page', 'migrate_vma_setup', 'migrate_vma_finalize', 'cpu_fault'])
const pageOf = (s: Step): number => (PAGE_OPS.has(s.op) ? (s as { page: number }).page : -1)

/** Field names in Fields.extra. */
export const pageKeys = {
  ref: (t: number, p: number): string => `pageRef.${t}.${p}`,
  lock: (p: number): string => `pageLock.${p}`,
  mig: (t: number, p: number): string => `migrating.${t}.${p}`,
}

/** The pages named by page steps, and the threads that name each. */
export function pageUsers(d: GpuDesign): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>()
  d.threads.forEach((th, t) => {
    for (const s of th.steps) {
      const p = pageOf(s)
      if (p < 0) continue
      if (!out.has(p)) out.set(p, new Set())
      out.get(p)!.add(t)
    }
  })
  return out
}

/** The page state as rules read it: -1 where a thread never names the page. */
export function pageState(extra: Readonly<Record<string, number>>, T: number, p: number) {
  const ref = Array.from({ length: T }, (_, t) => extra[pageKeys.ref(t, p)] ?? -1)
  const mig = Array.from({ length: T }, (_, t) => extra[pageKeys.mig(t, p)] ?? -1)
  const lock = extra[pageKeys.lock(p)] ?? -1
  return {
    ref,
    mig,
    lock,
    /** references held by threads other than t */
    othersRefs: (s: Reader, t: number): number => ref.reduce((n, f, o) => n + (o !== t && f >= 0 ? s.get(f) : 0), 0),
    /** the thread whose migration entry is installed for the page, or -1 */
    migrator: (s: Reader): number => mig.findIndex((f) => f >= 0 && s.get(f) > 0),
  }
}

const arg = { role: 'page', what: 'the page', schema: NAME('a page') } as const
const one = (key: S['op'], doc: string, mods?: boolean) => ({
  key,
  doc,
  arg,
  notInCallback: true,
  ...(mods ? { modifiers: { else: ELSE('skip') } } : {}),
  parse: (px: Parameters<OpModule['syntax'][number]['parse']>[0]): Step[] =>
    key === 'trylock_page'
      ? [{ where: px.where, op: key, page: px.arg(), else: px.outcome(px.mods.else, 'skip') }]
      : [{ where: px.where, op: key, page: px.arg() }],
})

export const pageOp: OpModule<S> = {
  ops: ['get_page', 'put_page', 'trylock_page', 'lock_page', 'unlock_page'],
  doc:
    "A page's references and its lock belong to the thread that took them, and nothing releases them for it: `skip`, `fail` or an error code after a failed step, and the end of the path, leave the thread's page references and page lock as they are (locks, by contrast, are dropped). " +
    'A failure branch that gives up puts and unlocks what it took, as migrate_device_range does (`if (!folio_trylock(folio)) { src_pfns[i] = 0; folio_put(folio); continue; }`): `else: [{ put_page: P }, { unlock_page: Q }, skip]` (scenarios/mem/d02). ' +
    '`unlock_page` of a page this thread does not hold changes nothing. ' +
    "The page lock is a bit lock (PG_locked) without a lockdep map: `lock-order` records no edge for it, so two paths sleeping on each other's page lock are a `deadlock` only (scenarios/mem/d01). " +
    "A thread's reference is what migrate_vma_setup's reference check counts as foreign; a `cpu_fault` takes none of its own (write `get_page` after it where do_swap_page's reference must be seen by another thread's migration).",
  syntax: [
    one('get_page', "take a reference to the page (the thread's own: at most one per page)"),
    one('put_page', 'drop the reference this thread took'),
    one('trylock_page', 'try to take the page lock without sleeping; else: what a failure does (default skip)', true),
    one('lock_page', 'take the page lock, sleeping until its holder unlocks it'),
    one('unlock_page', 'release the page lock this thread holds'),
  ],
  refs: { get_page: { page: 'page' }, put_page: { page: 'page' }, trylock_page: { page: 'page' }, lock_page: { page: 'page' }, unlock_page: { page: 'page' } },
  cite: [
    { path: 'include/linux/mm.h', fn: 'get_page' },
    { path: 'include/linux/mm.h', fn: 'put_page' },
    { path: 'include/linux/pagemap.h', fn: 'folio_trylock' },
    { path: 'mm/filemap.c', fn: '__folio_lock' },
    { path: 'mm/filemap.c', fn: 'folio_unlock' },
  ],
  notInReclaim: true,
  fields(b: LayoutBuilder, d: GpuDesign) {
    const out: Record<string, number> = {}
    const T = d.threads.length
    for (const [p, users] of pageUsers(d)) {
      const name = d.pages[p]!.name
      out[pageKeys.lock(p)] = b.scalar(`pagelock.${name}`, int(0, T))
      for (const t of users) {
        out[pageKeys.ref(t, p)] = b.scalar(`pageref.${d.threads[t]!.name}.${name}`, bool)
        out[pageKeys.mig(t, p)] = b.scalar(`migrating.${d.threads[t]!.name}.${name}`, int(0, 2))
      }
    }
    return out
  },
  link(steps, k, who) {
    const s = steps[k] as S
    const last = [...steps.slice(0, k)].reverse().find((x) => (x.op === 'get_page' || x.op === 'put_page') && x.page === s.page)
    if (s.op === 'get_page' && last?.op === 'get_page')
      throw new SpecError('FC158', s.where, `${who}: get_page of a page this path already holds a reference to (write put_page before taking another)`)
    return s
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const pg = pageState(cx.fields.extra, cx.T, step.page)
    const name = cx.design.pages[step.page]!.name
    const ref = pg.ref[t]!
    switch (step.op) {
      case 'get_page':
      case 'put_page': {
        const v = step.op === 'get_page' ? 1 : 0
        add(
          { name: step.op, ...base, page: name },
          m(step.op),
          (s) => p.at_(s),
          (c) => {
            c.set(ref, v)
            p.advance(c)
          },
        )
        return
      }
      case 'trylock_page':
      case 'lock_page': {
        add(
          { name: step.op, ...base, page: name },
          m('lock_page'),
          (s) => p.at_(s) && s.get(pg.lock) === 0,
          (c) => {
            c.set(pg.lock, t + 1)
            p.advance(c)
          },
        )
        if (step.op === 'trylock_page') {
          const o = step.else
          add(
            { name: 'trylock_page_failed', ...base, page: name, then: o },
            m(o === 'retry' ? 'spin' : 'trylock_failed'),
            (s) => p.at_(s) && s.get(pg.lock) !== 0,
            (c) => cx.outcome(p, o, c),
          )
        }
        return
      }
      case 'unlock_page':
        add(
          { name: 'unlock_page', ...base, page: name },
          m('unlock_page'),
          (s) => p.at_(s),
          (c) => {
            if (c.post(pg.lock) === t + 1) c.set(pg.lock, 0)
            p.advance(c)
          },
        )
        return
    }
  },
  waitsOn(w, step) {
    // lock_page sleeps on the holder; a trylock_page retried until it succeeds waits on it as well
    if (step.op !== 'lock_page' && !(step.op === 'trylock_page' && step.else === 'retry')) return
    const pg = pageState(w.v.extra, w.v.design.threads.length, step.page)
    const h = w.s.get(pg.lock) - 1
    if (h >= 0) w.edge(nodeId.thread(h), `${step.op}(${w.v.design.pages[step.page]!.name}) waits for ${w.v.design.threads[h]!.name} to unlock it${w.where}`)
  },
  lockdep: {
    // folio_lock may sleep (might_sleep() in __folio_lock)
    sleeps: (s, m) => s.op === 'lock_page' && m.does === 'lock_page',
  },
  text(d, s) {
    const P = d.pages[s.page]!.name
    switch (s.op) {
      case 'get_page':
        return `get_page(${P})`
      case 'put_page':
        return `put_page(${P})`
      case 'trylock_page':
        return `trylock_page(${P}), on failure ${s.else}`
      case 'lock_page':
        return `lock_page(${P}) (sleeps while another holds it)`
      case 'unlock_page':
        return `unlock_page(${P})`
    }
  },
}
