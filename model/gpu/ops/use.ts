/**
 * `use: LIBRARY_PATH`: the steps of a library path (model/gpu/library.ts), with its parameters
 * bound by `with:`, in place of this step.
 */
import { NAME } from './schema.js'
import type { OpModule } from './op.js'

export const useOp: OpModule = {
  ops: [],
  syntax: [
    {
      key: 'use',
      doc: "the steps of a library path, its parameters bound by 'with:'",
      arg: { role: 'library', what: 'the library path', schema: NAME('a library path (fencecheck list)') },
      modifiers: { with: { doc: "the library path's parameters", schema: { type: 'object' } } },
      parse: (px) => px.library(px.str('the library path'), px.mods.with),
    },
  ],
  refs: {},
  cite: [],
  rules: () => {},
  text: () => '',
}
