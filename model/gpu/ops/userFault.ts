/**
 * `user_fault`: a copy_from_user / get_user_pages in a kernel path. It takes mmap_lock for read
 * and allocates a page that may reclaim (a fault on a user address), so it expands to those three
 * steps, each marked as a user fault (no signalling section may contain one).
 */
import type { OpModule } from './op.js'

export const userFaultOp: OpModule = {
  ops: [],
  syntax: [
    {
      key: 'user_fault',
      doc: 'copy_from_user / get_user_pages: mmap_lock for read and a page allocation that may reclaim',
      bare: true,
      parse: (px) => {
        // the mmap_lock of the path's mm (with several processes, each mm has its own: declare.ts)
        const mmap = px.ref('lock', 'mmap_lock', [...px.where, 'user_fault'])
        // copy_from_user()/get_user_pages(): mmap_lock for read and a page allocation that may reclaim.
        return [
          { where: px.where, userFault: true, op: 'lock', lock: mmap, mode: 'read' },
          { where: px.where, userFault: true, op: 'alloc', gfp: 'KERNEL', pool: 'system', else: 'fail' },
          { where: px.where, userFault: true, op: 'unlock', lock: mmap },
        ]
      },
    },
  ],
  refs: {},
  cite: [{ path: 'mm/memory.c', fn: 'handle_mm_fault' }],
  rules: () => {},
  text: () => '',
}
