/**
 * A GPU fault handler with a strict placement policy: it maps a range only if the page is in its own
 * device's VRAM. hmm_range_fault returns the page's pfn; a device-private page of this device's
 * pgmap (is_device_private_page and page->pgmap->owner, as kfd_svm.c's svm_range_validate_and_map and
 * nouveau_svm.c's nouveau_range_fault read it) is mapped and the fault is served: the handler's path
 * ends there, releasing what it holds (as a CPU access that completes, cpuFault.ts). Anywhere else
 * (system memory, another device's VRAM: migrated away meanwhile), else: says what happens (default
 * skip: a repeating handler starts over and migrates again). A thread with this step is a memory
 * actor of memory-progress: its fault must eventually be served.
 */
import type { StepOf } from '../types.js'
import { vramOf } from '../view.js'
import { type OpModule } from './op.js'
import { ELSE, NAME } from './schema.js'
import { outcomeText } from './branch.js'

declare module '../types.js' {
  interface StepVariants {
    require_resident: { readonly op: 'require_resident'; readonly page: number; readonly device: number; readonly else: Outcome }
  }
}
type S = StepOf<'require_resident'>

export const residencyOp: OpModule<S> = {
  ops: ['require_resident'],
  syntax: [
    {
      key: 'require_resident',
      doc: 'map the page only if it is in the VRAM of device: (default the first engine): the fault is served and the path ends; elsewhere else: (default skip, a repeating handler retries)',
      arg: { role: 'page', what: 'the page', schema: NAME('a page') },
      modifiers: {
        device: { doc: 'the engine (device) whose VRAM the page must be in (default the first)', schema: NAME('an engine'), role: 'engine' },
        else: ELSE('skip'),
      },
      notInCallback: true,
      parse: (px) => [
        {
          where: px.where,
          op: 'require_resident',
          page: px.arg(),
          device: px.mods.device !== undefined ? px.mod('device') : 0,
          else: px.outcome(px.mods.else, 'skip'),
        },
      ],
    },
  ],
  refs: { require_resident: { page: 'page', device: 'engine' } },
  cite: [
    { path: 'mm/hmm.c', fn: 'hmm_range_fault' },
    { path: 'drivers/gpu/drm/amd/amdkfd/kfd_svm.c', fn: 'svm_range_validate_and_map' },
    { path: 'include/linux/memremap.h', fn: 'is_device_private_page' },
  ],
  notInReclaim: true,
  rules(k, step) {
    const { cx, p, t, th, base, m, add } = k
    const at = cx.f.pageAt[step.page]!
    const name = cx.design.pages[step.page]!.name
    const want = vramOf(step.device)
    const held = cx.paths.pathHeld[t]![p.at] ?? []
    add(
      { name: 'require_resident', ...base, page: name, served: true },
      m('fault_served'),
      (s) => p.at_(s) && s.get(at) === want,
      (c) => {
        for (const h of held) cx.dropLock(c, t, h.lock)
        c.set(cx.f.pc[t]!, th.steps.length)
      },
    )
    const o = step.else
    add(
      { name: 'require_resident', ...base, page: name, served: false, then: o },
      m(o === 'retry' ? 'spin' : 'not_resident'),
      (s) => p.at_(s) && s.get(at) !== want,
      (c) => cx.outcome(p, o, c),
    )
  },
  text(d, s) {
    return `map ${d.pages[s.page]!.name} only from the VRAM of ${d.engines[s.device]?.name ?? 'the device'} (strict placement): served there, else ${outcomeText(s.else)}`
  },
}
