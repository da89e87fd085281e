/**
 * One fencecheck run of R1, as its own process so the benchmark can measure its wall time and
 * peak RSS the same way as SPIN's and Rumur's verifiers:
 *
 *     node dist/bench/fencecheckOne.js C G K M POLICY
 *
 * Prints one JSON line: status, property, traceLength and trace (the action names; only when
 * violated), distinctStates, transitions, maxDepth, timeMs (the search itself, as fencecheck
 * reports it).
 */
import { explore } from '../checker/explore.js'
import { violationTrace } from '../checker/trace.js'
import { POLICIES, r1, type Policy } from '../model/r1.js'

function usage(msg: string): never {
  process.stderr.write(`fencecheckOne: ${msg}\nusage: node dist/bench/fencecheckOne.js C G K M POLICY\n`)
  process.exit(2)
}

const args = process.argv.slice(2)
if (args.length !== 5) usage('expected 5 arguments')
const [C, G, K, M] = args.slice(0, 4).map((a) => {
  const n = Number(a)
  if (!Number.isInteger(n) || n < 0) usage(`not a non-negative integer: ${a}`)
  return n
}) as [number, number, number, number]
const policy = args[4] as Policy
if (!POLICIES.includes(policy)) usage(`POLICY must be one of ${POLICIES.join(', ')}`)

const x = explore(r1({ C, G, K, M, POLICY: policy }), { order: 'bfs' })
const v = x.verdict
const s = v.stats
process.stdout.write(
  JSON.stringify({
    status: v.status,
    ...(v.status === 'violated'
      ? {
          property: v.property.name,
          traceLength: v.traceLength,
          trace: violationTrace(x)?.steps.map((st) => st.action.name) ?? [],
        }
      : {}),
    distinctStates: s.distinctStates,
    transitions: s.transitions,
    maxDepth: s.maxDepth,
    timeMs: s.timeMs,
  }) + '\n',
)
