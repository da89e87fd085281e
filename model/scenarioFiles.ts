/** Finding scenario files: every YAML file under a folder, as `suite` and `list` run them. */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Every *.yaml / *.yml file under `dir`, recursively, in sorted order. */
export function scenarioFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.ya?ml$/.test(name)) out.push(p)
    }
  }
  walk(dir)
  return out
}
