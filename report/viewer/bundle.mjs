// Build step of the report viewer (run by `npm run build`, after the type checks): bundles the
// browser scripts with esbuild and copies the style sheets into dist/report/viewer/, where
// report/page.ts reads them to inline into every self-contained HTML report.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, '..', '..', 'dist', 'report', 'viewer')
mkdirSync(out, { recursive: true })

await build({
  entryPoints: [join(here, 'client.ts'), join(here, 'indexFilter.ts')],
  outdir: out,
  bundle: true,
  // An IIFE: the pages inline the script in a plain <script> element, with no module loading.
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  charset: 'utf8',
  legalComments: 'none',
  logLevel: 'warning',
  // Paths in the bundle's comments are relative to the repository, wherever the build runs from.
  absWorkingDir: join(here, '..', '..'),
})
for (const css of ['base.css', 'trace.css', 'index.css']) copyFileSync(join(here, css), join(out, css))
