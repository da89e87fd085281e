/**
 * Page allocation and freeing. GFP_KERNEL, GFP_NOFS and GFP_NOIO may direct-reclaim: with memory
 * short the allocating thread runs the reclaim paths (shrinkers, MMU notifiers) holding fs_reclaim,
 * then retries; else: says what a failure does. A reclaiming allocation may sleep.
 */
import { SpecError } from '../errors.js'
import { GFPS, reclaims, type Gfp, type StepOf } from '../types.js'
import { nodeId } from '../view.js'
import { names, type OpModule } from './op.js'
import { ELSE } from './schema.js'
import { outcomeText } from './branch.js'

declare module '../types.js' {
  interface StepVariants {
    alloc: { readonly op: 'alloc'; readonly gfp: Gfp; readonly pool: Pool; readonly else: Outcome }
    free: { readonly op: 'free'; readonly pool: Pool }
  }
}
type S = StepOf<'alloc' | 'free'>

export const memoryOp: OpModule<S> = {
  ops: ['alloc', 'free'],
  doc:
    '`memory:` gives the free pages of each pool (default: 0 VRAM, 8 system); `free` returns one, up to that size. ' +
    "An allocation that finds its pool empty fails at once without reclaim (GFP_NOWAIT, GFP_ATOMIC); with GFP_KERNEL, GFP_NOFS or GFP_NOIO the thread first runs the design's `reclaim:` paths in its own context (as GEM shrinkers do, they run for GFP_NOFS too: none tests __GFP_FS), and fails only if they free nothing. " +
    '`else: retry` loops on the step without sleeping: a wait for any thread that can still free a page (mm/page_alloc.c: __alloc_pages_slowpath: a retry that cannot reclaim "can loop waiting for somebody to do a work for us"), a deadlock when none can (scenarios/mem/d11, d12). ' +
    'For `lock-order` every GFP_KERNEL, GFP_NOFS or GFP_NOIO allocation orders the locks held before the MMU-notifier map, and GFP_KERNEL also before fs_reclaim (fs_reclaim_acquire), whether or not memory is short: GFP_NOFS under a lock an invalidate callback takes is the same inversion as GFP_KERNEL (scenarios/mem/d09). ' +
    "A `reclaim:` path's locks are ordered after fs_reclaim only where it runs, that is in states where an allocation finds memory short; lockdep learns that order from any reclaim (kswapd included), so give `memory:` a size at which reclaim runs to check it.",
  syntax: [
    {
      key: 'alloc',
      doc: 'allocate a page (GFP_KERNEL, GFP_NOFS, GFP_NOIO may reclaim; GFP_NOWAIT, GFP_ATOMIC never)',
      arg: { what: 'the gfp', schema: { enum: [...GFPS, ...GFPS.map((g) => `GFP_${g}`)] } },
      modifiers: { pool: { doc: 'vram or system (default system)', schema: { enum: ['vram', 'system'] } }, else: ELSE('fail') },
      parse: (px) => {
        const g = px.str('the gfp').replace(/^GFP_/, '') as Gfp
        if (!GFPS.includes(g))
          throw new SpecError('FC155', [...px.where, px.key], `unknown gfp '${String(px.raw)}' (one of ${GFPS.map((x) => `GFP_${x}`).join(', ')})`)
        const pool = px.mods.pool ?? 'system'
        if (pool !== 'vram' && pool !== 'system') throw new SpecError('FC155', [...px.where, 'pool'], `must be vram or system, got ${JSON.stringify(pool)}`)
        return [{ where: px.where, op: 'alloc', gfp: g, pool, else: px.outcome(px.mods.else, 'fail') }]
      },
    },
    {
      key: 'free',
      doc: 'free a page of a pool',
      arg: { what: 'the pool', schema: { enum: ['vram', 'system'] } },
      parse: (px) => {
        const pool = px.str('the pool')
        if (pool !== 'vram' && pool !== 'system') throw new SpecError('FC155', [...px.where, px.key], `must be vram or system, got ${JSON.stringify(pool)}`)
        return [{ where: px.where, op: 'free', pool }]
      },
    },
  ],
  // an allocation or a free takes or gives back a page of its pool (reclaim's steps are rules of their own)
  footprint: (_d, s) => [{ pool: s.pool }],
  refs: {},
  cite: [
    { path: 'mm/page_alloc.c', fn: '__alloc_pages_noprof' },
    { path: 'mm/page_alloc.c', fn: 'fs_reclaim_acquire' },
    { path: 'mm/page_alloc.c', fn: '__free_pages' },
  ],
  reclaims: (s) => s.op === 'alloc' && reclaims(s.gfp),
  provides: (s) => (s.op === 'free' ? [{ kind: 'free', pool: s.pool }] : []),
  waitsOn(w, step) {
    // A retried allocation (else: retry) loops in the allocator until a page of its pool is free:
    // it waits for any thread that can still free one (mm/page_alloc.c: __alloc_pages_slowpath @ v6.12
    // loops to retry while should_reclaim_retry() or __GFP_NOFAIL).
    if (step.op !== 'alloc') return
    const { design } = w.v
    const want = { kind: 'free', pool: step.pool } as const
    if (reclaims(step.gfp) && w.v.reclaimSteps.some((x) => w.provides(x, want))) {
      // It frees pages itself in its next direct reclaim: no wait.
      w.n.live = true
      return
    }
    w.n.mode = 'any'
    design.threads.forEach((th, o) => {
      if (o !== w.t && w.willProvide(o, want))
        w.edge(nodeId.thread(o), `retries alloc_page(GFP_${step.gfp}) from ${step.pool}${w.where}; thread ${th.name} frees a page`)
    })
    if (w.n.targets.length === 0) w.n.why.push(`retries alloc_page(GFP_${step.gfp}) from ${step.pool}${w.where} for ever: no thread frees a ${step.pool} page`)
  },
  lockdep: {
    // a reclaiming allocation may sleep (might_sleep() in the allocator)
    sleeps: (s, m) => s.op === 'alloc' && reclaims(s.gfp) && m.does === 'alloc',
    // Every allocation attempt runs might_alloc(gfp): fs_reclaim_acquire() takes fs_reclaim only
    // with __GFP_FS (GFP_KERNEL, not GFP_NOFS or GFP_NOIO) and the mmu_notifier map with any
    // __GFP_DIRECT_RECLAIM (include/linux/gfp_types.h: GFP_KERNEL, GFP_NOFS, GFP_NOIO @ v6.12;
    // mm/page_alloc.c: fs_reclaim_acquire, __need_reclaim @ v6.12).
    mightReclaim: (s) => (s.op === 'alloc' && reclaims(s.gfp) ? { fs: s.gfp === 'KERNEL' } : undefined),
  },
  rules(k, step) {
    const { cx, p, t, base, m, add } = k
    const { vram, system, rf, rpc } = cx.f
    const layout = cx.layout
    const { canReclaim } = cx.paths
    const { outcome } = cx
    switch (step.op) {
      case 'alloc': {
        const { gfp, pool } = step
        const mem = pool === 'vram' ? vram : system
        const canEnter = p.frame === 'path' && canReclaim[t]! && reclaims(gfp)
        add(
          { name: 'alloc', ...base, gfp: `GFP_${gfp}`, pool },
          m('alloc'),
          (s) => p.at_(s) && s.get(mem) > 0,
          (c) => {
            c.set(mem, c.get(mem) - 1)
            if (rf[t]! >= 0) c.set(rf[t]!, 0)
            p.advance(c)
          },
        )
        if (canEnter) {
          // Direct reclaim runs the shrinkers and MMU notifiers in the allocating thread's context,
          // holding fs_reclaim (mm/page_alloc.c fs_reclaim_acquire; dma-fence.c cross-driver contract).
          add(
            { name: 'enter_reclaim', ...base, gfp: `GFP_${gfp}`, pool },
            m('enter_reclaim'),
            (s) => p.at_(s) && s.get(mem) === 0 && s.get(rf[t]!) === 0,
            (c) => c.set(rpc[t]!, 1),
          )
        }
        const o = step.else
        add(
          { name: 'alloc_failed', ...base, gfp: `GFP_${gfp}`, pool, then: o },
          m(o === 'retry' ? 'spin' : 'alloc_failed'),
          canEnter ? (s) => p.at_(s) && s.get(mem) === 0 && s.get(rf[t]!) === 1 : (s) => p.at_(s) && s.get(mem) === 0,
          (c) => {
            if (rf[t]! >= 0) c.set(rf[t]!, 0)
            outcome(p, o, c)
          },
        )
        return
      }
      case 'free': {
        const mem = step.pool === 'vram' ? vram : system
        add(
          { name: 'free_page', ...base, pool: step.pool },
          m('free'),
          (s) => p.at_(s),
          (c) => {
            c.set(mem, Math.min(c.get(mem) + 1, layout.maxOf[mem]!))
            p.advance(c)
          },
        )
        return
      }
    }
  },
  text(d, s) {
    const { uf } = names(d)
    switch (s.op) {
      case 'alloc':
        return `alloc_page(GFP_${s.gfp}) from ${s.pool}${s.gfp === 'KERNEL' || s.gfp === 'NOFS' || s.gfp === 'NOIO' ? ' (may reclaim)' : ''}, on failure ${outcomeText(s.else)}${uf(s)}`
      case 'free':
        return `free a ${s.pool} page`
    }
  },
}
