/**
 * Reading steps as written into compiled steps: the key is found in the op registry, its
 * modifiers checked, and the key's own parser (ops/) called with a ParseCx; library paths (`use:`,
 * `path:`) expand in place. Every mistake is a SpecError naming the exact field.
 */
import { SpecError } from './errors.js'
import { findLibrary, LIBRARY, type Policies } from './library.js'
import { attachBranch } from './ops/branch.js'
import { STEP_KEYS, syntaxOf } from './ops/index.js'
import type { Obj, ParseCx, Path, Role } from './parse.js'
import { ERROR_CODES, type Fence, isErrorCode, type Job, type Lock, type Outcome, type Step, USAGES, type Usage } from './types.js'

export interface StepEnv {
  readonly policies: Policies
  readonly locks: readonly Lock[]
  readonly fences: readonly Fence[]
  readonly jobs: readonly Job[]
  readonly notifierNames: readonly string[]
  readonly callbacks: ParseCx['callbacks']
  readonly resolve: Partial<Record<Role, (name: unknown, path: Path) => number>>
  readonly pageList: (v: unknown, path: Path) => number[]
  readonly setUsage: (bo: number, fe: number, u: Usage, path: Path) => void
}

export class StepReader {
  /** the notifier whose callback is being read, if any */
  inCallback: number | undefined
  constructor(private readonly env: StepEnv) {}

  /** a list of steps as written, at `base` */
  read(raw: unknown[], base: Path, depth = 0): Step[] {
    const out: Step[] = []
    raw.forEach((item, k) => out.push(...this.step(item, [...base, k], depth)))
    return out
  }

  private step(item: unknown, where: Path, depth: number): Step[] {
    const inCallback = this.inCallback
    const parseCx = (op: string, arg: unknown, mods: Obj, w: Path, dd: number): ParseCx => this.cx(op, arg, mods, w, dd)
    let op: string
    let arg: unknown
    let mods: Obj = {}
    if (typeof item === 'string') {
      op = item
      if (!syntaxOf(op)?.bare) {
        if (syntaxOf(op)) throw new SpecError('FC150', where, `step '${op}' needs an argument (write '${op}: NAME')`)
        throw new SpecError('FC144', where, `unknown step '${op}' (steps: ${STEP_KEYS.join(', ')})`)
      }
    } else if (item && typeof item === 'object' && !Array.isArray(item)) {
      const keys = Object.keys(item)
      const ops = keys.filter((key) => syntaxOf(key) !== undefined)
      if (ops.length === 0) throw new SpecError('FC144', where, `unknown step '${keys[0] ?? ''}' (steps: ${STEP_KEYS.join(', ')})`)
      if (ops.length > 1) throw new SpecError('FC151', where, `one operation per step; this one has ${ops.join(' and ')} (split it into two steps)`)
      op = ops[0]!
      arg = (item as Obj)[op]
      mods = { ...(item as Obj) }
      delete mods[op]
      const takes = Object.keys(syntaxOf(op)!.modifiers ?? {})
      for (const m of Object.keys(mods)) {
        if (!takes.includes(m)) {
          throw new SpecError(
            'FC152',
            [...where, m],
            `unknown field '${m}' for step '${op}'${takes.length ? ` (it takes: ${takes.join(', ')})` : ' (it takes no modifiers)'}`,
          )
        }
      }
    } else throw new SpecError('FC153', where, 'a step is a name (begin_signalling) or a one-key map (lock: X)')
    const syntax = syntaxOf(op)!
    if (inCallback !== undefined && syntax.notInCallback) {
      throw new SpecError(
        'FC161',
        where,
        `step '${op}' cannot run inside an MMU-notifier callback (notifier ${this.env.notifierNames[inCallback]!}); the callback runs inside the CPU's invalidation`,
      )
    }
    let steps = syntax.parse(parseCx(op, arg, mods, where, depth))
    // A failure branch written as a list (else: [...], or an if's then: [...]) follows its step.
    for (const key of ['else', 'then'])
      if (Array.isArray(mods[key]))
        steps = attachBranch(
          steps,
          mods[key] as unknown[],
          [...where, key],
          (raw, base) => this.read(raw, base, depth),
          (v, path) => this.outcomeWord(v, path),
        )
    return steps
  }

  /** an outcome word or error code as written at `path` */
  outcomeWord(v: unknown, path: Path): Outcome {
    if (v === 'again') {
      if (this.inCallback === undefined)
        throw new SpecError('FC160', path, "'again' (return false from the invalidate callback, rule 38) is only for steps of a notifier callback")
      return v
    }
    if (v === 'skip' || v === 'retry' || v === 'fail' || isErrorCode(v)) return v
    throw new SpecError(
      'FC155',
      path,
      `must be skip, retry, fail${this.inCallback !== undefined ? ', again' : ''}, an error code (${ERROR_CODES.join(', ')}) or a list of steps, got ${JSON.stringify(v)}`,
    )
  }

  private cx(op: string, arg: unknown, mods: Obj, where: Path, depth: number): ParseCx {
    const { locks, fences, jobs, policies, pageList, setUsage } = this.env
    const inCallback = this.inCallback
    const RESOLVE = this.env.resolve
    const normSteps = (raw: unknown[], base: Path, dd: number): Step[] => this.read(raw, base, dd)
    const bind = (libName: string, given: unknown, w: Path): Record<string, string> => this.bind(libName, given, w)
    const str = (v: unknown, what: string): string => {
      if (typeof v !== 'string' || v === '') throw new SpecError('FC154', [...where, op], `${what} must be a name, got ${JSON.stringify(v)}`)
      return v
    }
    const ref = (role: Role, name: unknown, path: Path): number => {
      const find = RESOLVE[role]
      if (!find) throw new Error(`no resolver for role ${role}`)
      return find(name, path)
    }
    const syntax = syntaxOf(op)!
    return {
      key: op,
      where,
      raw: arg,
      mods,
      inCallback,
      locks,
      fences,
      jobs,
      notifierNames: this.env.notifierNames,
      callbacks: this.env.callbacks,
      policies,
      depth,
      str: (what) => str(arg, what),
      arg: () => {
        const a = syntax.arg!
        return a.role === 'page' ? pageList(arg, [...where, op])[0]! : ref(a.role!, str(arg, a.what), [...where, op])
      },
      mod: (name) => ref(syntax.modifiers![name]!.role!, mods[name], [...where, name]),
      ref,
      pageList,
      outcome: (v, dflt) => {
        if (v === undefined) return dflt
        // a list of steps (optionally ending in an outcome) runs on failure: ops/branch.ts places it
        if (Array.isArray(v)) return 'branch'
        return this.outcomeWord(v, [...where, 'else'])
      },
      usage: (v, dflt) => {
        if (v === undefined) return dflt
        if (!(USAGES as readonly unknown[]).includes(v))
          throw new SpecError('FC155', [...where, 'usage'], `must be one of ${USAGES.join(', ')} (dma_resv usages), got ${JSON.stringify(v)}`)
        return v as Usage
      },
      // In a callback: in a non-blockable invalidation, trylock / test the fence instead of sleeping,
      // and return false if that fails (amdgpu_hmm_invalidate_gfx, xe_vma_userptr_invalidate; rule 38).
      nonblock: () => {
        if (mods.nonblock === undefined) return {}
        if (mods.nonblock !== 'again')
          throw new SpecError(
            'FC155',
            [...where, 'nonblock'],
            `must be again (in a non-blockable invalidation: do not sleep, return false), got ${JSON.stringify(mods.nonblock)}`,
          )
        if (inCallback === undefined) throw new SpecError('FC160', [...where, 'nonblock'], 'nonblock applies to steps of a notifier callback only')
        return { nonblock: 'again' }
      },
      faultPolicy: () => {
        if (mods.ifFaultPending === undefined) return {}
        if (mods.ifFaultPending !== 'skip')
          throw new SpecError('FC155', [...where, 'ifFaultPending'], `must be skip, got ${JSON.stringify(mods.ifFaultPending)}`)
        return { ifFaultPending: 'skip' }
      },
      setUsage,
      library: (name, given) => {
        if (depth > 4) throw new SpecError('FC157', where, 'library paths nest too deep')
        const lib = findLibrary(name)
        if (!lib) throw new SpecError('FC142', [...where, op], `no library path '${name}' (library: ${LIBRARY.map((l) => l.name).join(', ')})`)
        const raw = lib.steps(bind(lib.name, given, [...where, 'with']), policies)
        return normSteps(raw, where, depth + 1).map((s) => ({ ...s, where }))
      },
    }
  }

  /** a library path's parameters bound from `with:` */
  bind(libName: string, given: unknown, where: Path): Record<string, string> {
    const lib = findLibrary(libName)!
    const g = (given ?? {}) as Obj
    if (typeof g !== 'object' || Array.isArray(g)) throw new SpecError('FC166', where, 'must be a map of parameter: value')
    const out: Record<string, string> = {}
    for (const k of Object.keys(g)) {
      if (!lib.params.some((p) => p.name === k))
        throw new SpecError(
          'FC167',
          [...where, k],
          `library path '${libName}' has no parameter '${k}' (its parameters: ${lib.params.map((p) => p.name).join(', ')})`,
        )
    }
    for (const p of lib.params) {
      const v = g[p.name] ?? p.default
      if (v === undefined) throw new SpecError('FC168', where, `library path '${libName}' needs parameter '${p.name}' (${p.doc}); add it under with:`)
      // A value that is not a name is kept as its JSON, so the error it leads to shows what was written.
      out[p.name] = typeof v === 'string' ? v : JSON.stringify(v)
    }
    return out
  }
}
