/**
 * The parts of a scenario's fence declarations that callbacks and composite fences need: a fence's
 * lock (`lock:`, the spinlock dma_fence_init is given; a fence with callbacks and no declared lock
 * gets its own, `<fence>.lock`), dma_fence_array (`kind: array`, `members:`, `signal_on_any:`) and
 * dma_fence_chain (`kind: chain`, `fence:`, `prev:`), the `callbacks:` list, and the expansion of a
 * signal of a fence with a lock into lock, signal, run the callbacks, unlock (dma_fence_signal).
 */
import { SpecError } from './errors.js'
import type { Callback, Fence, Lock, Step } from './types.js'

type Path = (string | number)[]
type Obj = Record<string, unknown>

/** The dma_fence_ops a scenario may write as step lists (include/linux/dma-fence.h: struct dma_fence_ops @ v6.12). */
export const FENCE_OPS = ['enable_signaling', 'signaled', 'release'] as const

export interface CallbackDecl {
  readonly name: string
  readonly fence: number
  readonly steps: unknown
  readonly where: Path
  readonly trigger: 'signal' | 'enable'
}

/**
 * Complete the declared fences (indices from `first` on) with their lock and members, and give
 * every fence a callback is added to a lock. Adds the implicit locks to `locks` and `lockIx`.
 */
export function completeFences(
  input: readonly Obj[],
  callbacksIn: readonly Obj[],
  fences: Fence[],
  first: number,
  locks: Lock[],
  lockIx: Map<string, number>,
  fence: (name: unknown, path: Path) => number,
  claim: (name: string, what: string, path: Path) => void,
): CallbackDecl[] {
  const spinlock = (name: unknown, path: Path): number => {
    const l = lockIx.get(name as string)
    if (l === undefined) throw new SpecError('FC141', path, `no lock named '${String(name)}' (declare it under locks: with kind: spinlock)`)
    if (locks[l]!.kind !== 'spinlock')
      throw new SpecError('FC183', path, `'${locks[l]!.name}' is a ${locks[l]!.kind}; a fence's lock is a spinlock (declare it with kind: spinlock)`)
    return l
  }
  input.forEach((fe, k) => {
    const i = first + k
    const at: Path = ['fences', k]
    const base = fences[i]!
    const kind = base.kind
    const composite = kind === 'array' || kind === 'chain'
    for (const key of ['members', 'signal_on_any'] as const)
      if (fe[key] !== undefined && kind !== 'array') throw new SpecError('FC184', [...at, key], `'${key}' applies to fences of kind: array only`)
    for (const key of ['fence', 'prev'] as const)
      if (fe[key] !== undefined && kind !== 'chain') throw new SpecError('FC184', [...at, key], `'${key}' applies to fences of kind: chain only`)
    let members: number[] | undefined
    if (kind === 'array') {
      const m = fe.members as unknown[] | undefined
      if (!Array.isArray(m) || m.length === 0)
        throw new SpecError(
          'FC184',
          [...at, 'members'],
          `array fence '${base.name}' needs 'members: [FENCE, ...]' (the fences dma_fence_array_create is given)`,
        )
      members = m.map((x, q) => fence(x, [...at, 'members', q]))
    } else if (kind === 'chain') {
      if (fe.fence === undefined)
        throw new SpecError('FC184', at, `chain fence '${base.name}' needs 'fence: FENCE' (this point's fence; prev: the previous point, if any)`)
      members = [fence(fe.fence, [...at, 'fence']), ...(fe.prev !== undefined ? [fence(fe.prev, [...at, 'prev'])] : [])]
      if (members.length > 1 && fences[members[1]!]!.kind !== 'chain')
        throw new SpecError('FC184', [...at, 'prev'], `prev of a chain point is an earlier chain point; '${fences[members[1]!]!.name}' is not a chain`)
    }
    if (members) {
      members.forEach((m, q) => {
        if (m === i) throw new SpecError('FC184', [...at, kind === 'array' ? 'members' : 'fence'], `fence '${base.name}' contains itself`)
        // dma_fence_array_init: WARN_ON(dma_fence_is_container(...)); dma_fence_chain_init: WARN_ON(dma_fence_is_chain(fence)).
        const own = kind === 'array' || q === 0
        const mk = fences[m]!.kind
        if (own && (mk === 'array' || mk === 'chain'))
          throw new SpecError(
            'FC184',
            [...at, kind === 'array' ? 'members' : 'fence'],
            `'${fences[m]!.name}' is a ${mk}; a container may not contain another (flatten it into one dma_fence_array)`,
          )
      })
    }
    const lock = fe.lock !== undefined ? spinlock(fe.lock, [...at, 'lock']) : undefined
    if (fe.lock !== undefined && composite) throw new SpecError('FC184', [...at, 'lock'], 'a dma_fence_array or chain has its own lock; leave lock: out')
    fences[i] = {
      ...base,
      ...(lock !== undefined ? { lock } : {}),
      ...(members ? { members } : {}),
      ...(fe.signal_on_any === true ? { any: true } : {}),
    }
  })
  const decls = callbacksIn.map((c, k): CallbackDecl => {
    const where: Path = ['callbacks', k]
    claim(c.name as string, `callback #${k + 1}`, [...where, 'name'])
    if (!Array.isArray(c.steps) || c.steps.length === 0) throw new SpecError('FC189', [...where, 'steps'], `callback '${c.name as string}' needs steps: [...]`)
    return { name: c.name as string, fence: fence(c.fence, [...where, 'fence']), steps: c.steps, where, trigger: 'signal' }
  })
  // A fence's enable_signaling op (dma_fence_ops): run once, under the fence's lock, by the first
  // waiter or add_callback (__dma_fence_enable_signaling).
  input.forEach((fe, k) => {
    const ops = fe.ops as Obj | undefined
    if (ops === undefined) return
    const at: Path = ['fences', k, 'ops']
    if (typeof ops !== 'object' || Array.isArray(ops))
      throw new SpecError('FC189', at, 'ops is a map: { enable_signaling: [steps], signaled: [steps], release: [steps] }')
    for (const key of Object.keys(ops))
      if (!FENCE_OPS.includes(key as (typeof FENCE_OPS)[number]))
        throw new SpecError('FC189', [...at, key], `unknown fence op '${key}' (fence ops: ${FENCE_OPS.join(', ')})`)
    // signaled and release run inline in their caller's context (fenceOps.ts).
    if (ops.enable_signaling === undefined) return
    const steps = ops.enable_signaling
    if (!Array.isArray(steps) || steps.length === 0) throw new SpecError('FC189', [...at, 'enable_signaling'], 'enable_signaling needs its steps: [...]')
    const i = first + k
    const name = `${fences[i]!.name}.enable_signaling`
    claim(name, `the enable_signaling op of fence ${fences[i]!.name}`, at)
    decls.push({ name, fence: i, steps, where: [...at, 'enable_signaling'], trigger: 'enable' })
  })
  for (const cb of decls) {
    const fe = fences[cb.fence]!
    if (fe.lock !== undefined) continue
    const name = `${fe.name}.lock`
    claim(name, `the lock of fence ${fe.name}`, cb.where)
    lockIx.set(name, locks.length)
    locks.push({ name, kind: 'spinlock', cls: name })
    fences[cb.fence] = { ...fe, lock: locks.length - 1 }
  }
  return decls
}

/**
 * dma_fence_signal() of a fence with a lock: spin_lock_irqsave(fence->lock), signal, run the
 * callbacks (dma_fence_signal_timestamp_locked), spin_unlock_irqrestore.
 */
export function expandSignals(steps: readonly Step[], fences: readonly Fence[]): Step[] {
  return steps.flatMap((s): Step[] => {
    if (s.op !== 'signal') return [s]
    const lock = fences[s.fence]!.lock
    if (lock === undefined) return [s]
    return [{ where: s.where, op: 'fence_lock', fence: s.fence, lock }, s, { where: s.where, op: 'run_callbacks', fence: s.fence, lock }]
  })
}

/** The callbacks, each with the thread its steps become (appended after the declared threads). */
export const callbackList = (decls: readonly CallbackDecl[], firstThread: number): Callback[] =>
  decls.map((c, k) => ({ name: c.name, fence: c.fence, thread: firstThread + k, trigger: c.trigger }))

/** A callback's thread: it starts when its fence signals, once registered. */
export function callbackSteps(decl: CallbackDecl, k: number, fences: readonly Fence[], body: readonly Step[]): Step[] {
  const lock = fences[decl.fence]!.lock!
  return [
    { where: decl.where, op: 'callback_entry', cb: k, fence: decl.fence, lock, ...(decl.trigger === 'enable' ? { enable: true } : {}) },
    ...expandSignals(body, fences),
  ]
}
