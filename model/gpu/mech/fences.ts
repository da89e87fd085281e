/**
 * Fences that act on their own: a preempt / eviction fence, once signalling is enabled, takes its
 * queue off the hardware and signals (xe_preempt_fence.c; amdgpu_amdkfd_fence.c enable_signaling);
 * a proxy fence handed out by syncobj_proxy signals with its source.
 */
import type { CompileCx } from '../context.js'
import { FS, JS } from '../view.js'

export const FENCE_CITE = [
  { path: 'drivers/gpu/drm/xe/xe_preempt_fence.c', fn: 'preempt_fence_work_func' },
  { path: 'drivers/gpu/drm/amd/amdgpu/amdgpu_amdkfd_fence.c', fn: 'amdkfd_fence_enable_signaling' },
] as const

export function fenceRules(cx: CompileCx): void {
  const { design, f, fields } = cx
  const { fences, jobs, engines } = design
  const { en, fs, js, pf, px } = f
  const { proxyOf } = fields
  fences.forEach((fe, i) => {
    if (fe.kind === 'preempt') {
      const j = fe.of!
      const eng = engines[jobs[j]!.engine]!
      cx.add(
        { name: 'preempt_fence_signal', fence: fe.name, job: jobs[j]!.name },
        { actor: { kind: 'fence', index: i }, does: 'preempt_fence', signals: i },
        (s) =>
          s.get(en[i]!) === 1 &&
          s.get(fs[i]!) === FS.pending &&
          (s.get(js[j]!) !== JS.running || pf[j]! < 0 || s.get(pf[j]!) === 0 || eng.preempt === 'faulting'),
        (c) => {
          // Eviction takes every queue of the process off the hardware, submitted or running.
          const st = c.get(js[j]!)
          if (st === JS.running || st === JS.ready || st === JS.preempted || (st === JS.queued && jobs[j]!.queue === 'user')) c.set(js[j]!, JS.suspended)
          c.set(fs[i]!, FS.signalled)
        },
      )
    }
    if (proxyOf[i]! >= 0) {
      const src = proxyOf[i]!
      cx.add(
        { name: 'proxy_fence_signal', fence: fe.name, from: fences[src]!.name },
        { actor: { kind: 'fence', index: i }, does: 'proxy_signal', signals: i },
        (s) => s.get(px[i]!) === 1 && s.get(fs[i]!) === FS.pending && s.get(fs[src]!) !== FS.pending,
        (c) => c.set(fs[i]!, c.get(fs[src]!)),
      )
    }
  })
}
