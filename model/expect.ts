/**
 * A scenario's pinned expectation (`expect:`): the verdict, the property a violation breaks (by
 * its id, as `properties:` and `--property` name it), the trace length, and the `sometimes`
 * witnesses known to stay unreached; and whether a computed verdict meets it.
 */
import type { Action, Model } from '../checker/model.js'
import type { Status } from '../checker/verdict.js'

export interface Expectation {
  readonly verdict: Status
  /** the property's id (`lock-order`), or its name for a property that has no id */
  readonly property?: string
  /** the full name of that property (resolved when the scenario is loaded; verdicts name properties by it) */
  readonly propertyName?: string
  readonly traceLength?: number
  /** `sometimes` witnesses this design is known never to reach (checked: they must stay unreached) */
  readonly unreached?: readonly string[]
}

/** The properties an expectation can name: every checked property and the deadlock check, each once. */
function namedProperties(model: Model<Action>): { name: string; id?: string }[] {
  const all = [...model.properties.filter((p) => p.kind !== 'sometimes'), ...(model.deadlock ? [model.deadlock] : [])]
  return all.filter((p, i) => all.findIndex((q) => q.name === p.name) === i)
}

/**
 * What `expect.property` names: by id, or by the full name (accepted for a property with no id;
 * for one with an id, `deprecated` holds the id to write instead). With no such property,
 * `known` lists them.
 */
export function expectedProperty(model: Model<Action>, given: string): { id: string; name: string; deprecated?: string } | { known: string[] } {
  const props = namedProperties(model)
  const byId = props.find((p) => p.id === given)
  if (byId) return { id: given, name: byId.name }
  const byName = props.find((p) => p.name === given)
  if (byName) return byName.id ? { id: byName.id, name: byName.name, deprecated: byName.id } : { id: byName.name, name: byName.name }
  return { known: props.map((p) => (p.id ? `${p.id} (${p.name})` : p.name)) }
}

/** Does a verdict meet an expectation? Returns the mismatches, empty when it does. */
export function unmet(
  expect: Expectation,
  verdict: { status: Status; property?: { name: string; id?: string }; traceLength?: number; sometimes?: readonly { name: string; reached: boolean }[] },
): string[] {
  const out: string[] = []
  if (verdict.status !== expect.verdict) out.push(`verdict ${verdict.status}, expected ${expect.verdict}`)
  const p = verdict.property
  if (expect.property !== undefined && p?.name !== (expect.propertyName ?? expect.property) && p?.id !== expect.property) {
    out.push(`property '${p?.id ?? p?.name ?? '-'}', expected '${expect.property}'`)
  }
  if (expect.traceLength !== undefined && verdict.traceLength !== expect.traceLength) {
    out.push(`trace length ${verdict.traceLength ?? '-'}, expected ${expect.traceLength}`)
  }
  if (verdict.status === 'proved' && verdict.sometimes) {
    for (const w of verdict.sometimes) {
      const listed = expect.unreached?.includes(w.name) ?? false
      if (!w.reached && !listed) out.push(`vacuous: '${w.name}' never reached`)
      if (w.reached && listed) out.push(`'${w.name}' is listed as unreached but was reached`)
    }
  }
  return out
}
