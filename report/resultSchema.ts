/**
 * The published schema (JSON Schema draft-07) of the native result document, `fencecheck check
 * --format json` (and `--out`), exactly as `toJson` in json.ts writes it: a key that is added,
 * renamed or dropped there must be changed here too, and the tests hold the two together.
 */
import { FORMAT_VERSION } from './json.js'

const count = { type: 'integer', minimum: 0 } as const
const nonNegative = { type: 'number', minimum: 0 } as const

export const RESULT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'fencecheck result',
  description:
    "The verdict of one `fencecheck check` target, with its scope, statistics and, for a violation, the counterexample trace. Results of `fencecheck simulate` (mode: 'simulation') have other keys and are not described here.",
  type: 'object',
  additionalProperties: false,
  required: [
    'format',
    'formatVersion',
    'target',
    'model',
    'verdict',
    'scopeSummary',
    'scope',
    'distinctStates',
    'transitions',
    'maxDepth',
    'timeMs',
    'statesPerSec',
    'peakMemoryBytes',
    'storageBytes',
    'stateBytes',
    'collisionProbability',
    'collisionProbabilityOptimistic',
    'sometimes',
    'notes',
    'checked',
    'unchecked',
    'notSelected',
  ],
  properties: {
    format: { const: 'fencecheck-result' },
    formatVersion: { const: FORMAT_VERSION },
    target: { type: 'string', minLength: 1, description: 'a built-in model name or a scenario file, as given on the command line' },
    model: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'params'],
      properties: {
        name: { type: 'string', minLength: 1 },
        params: { type: 'object', additionalProperties: { type: ['integer', 'string'] } },
      },
    },
    scenario: {
      type: 'object',
      additionalProperties: false,
      required: ['file', 'name', 'about'],
      properties: { file: { type: 'string' }, name: { type: 'string' }, about: { type: 'string' } },
    },
    scenarioHash: {
      type: 'string',
      pattern: '^[0-9a-f]{16}$',
      description:
        "the first 16 hex digits of the SHA-256 of the scenario file's text when the result was written; replay says so when the file has changed since",
    },
    verdict: { enum: ['proved', 'violated', 'inconclusive'] },
    property: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'kind'],
      description: 'the violated property',
      properties: {
        name: { type: 'string' },
        kind: { enum: ['invariant', 'step', 'deadlock', 'progress', 'order', 'liveness'] },
        cite: { type: 'string', description: 'where the rule comes from' },
      },
    },
    traceLength: { ...count, description: 'steps in the counterexample' },
    cutBy: {
      enum: ['depth', 'states', 'time', 'memory', 'interrupted', 'unchecked'],
      description: 'why the run is inconclusive: a bound, an interrupt, or properties not checked (see unchecked)',
    },
    checked: { type: 'array', description: 'every property this run checked', items: { $ref: '#/definitions/propertyRef' } },
    unchecked: {
      type: 'array',
      description: 'properties asked for and not checked in this run, with the reason; a run with any is never proved',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'kind', 'reason'],
        properties: { name: { type: 'string' }, kind: { type: 'string' }, cite: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    notSelected: {
      type: 'array',
      description: 'properties left out on purpose (deselected, or not applicable to the design), with the reason',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'reason'],
        properties: { name: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    detail: { type: 'string' },
    scopeSummary: { type: 'string', description: 'the scope in one line, as printed next to the verdict' },
    scope: {
      type: 'object',
      additionalProperties: false,
      required: ['order', 'bounds', 'storage', 'completeDepth'],
      properties: {
        order: { enum: ['bfs', 'dfs'] },
        bounds: {
          type: 'object',
          additionalProperties: false,
          properties: {
            maxDepth: count,
            maxStates: { type: 'integer', minimum: 1 },
            maxTimeMs: nonNegative,
            maxMemoryBytes: count,
          },
        },
        storage: { type: 'string' },
        completeDepth: { type: 'integer', minimum: -1, description: 'every state within this many steps of an initial state was checked; -1 when not known' },
      },
    },
    distinctStates: count,
    transitions: count,
    maxDepth: count,
    timeMs: nonNegative,
    statesPerSec: nonNegative,
    peakMemoryBytes: count,
    storageBytes: count,
    stateBytes: count,
    collisionProbability: { type: 'number', minimum: 0, maximum: 1 },
    collisionProbabilityOptimistic: { type: 'number', minimum: 0, maximum: 1 },
    sometimes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'reached'],
        properties: { name: { type: 'string' }, cite: { type: 'string' }, reached: { type: 'boolean' }, depth: count },
      },
    },
    initialState: { $ref: '#/definitions/state' },
    trace: { $ref: '#/definitions/trace' },
    loop: {
      type: 'integer',
      minimum: 0,
      description: 'a lasso (liveness violation): the loop starts at the state after this many steps; the last state equals it',
    },
    explanation: { type: 'array', items: { type: 'string' }, description: "why the last state violates the property, in the model's words" },
    evidence: {
      type: 'array',
      description:
        'further traces, one per observed edge of a lock-order cycle; replay replays each and closes the cycle over the edges of all of them and of the main trace',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['label', 'initialState', 'trace'],
        properties: { label: { type: 'string' }, initialState: { $ref: '#/definitions/state' }, trace: { $ref: '#/definitions/trace' } },
      },
    },
    notes: { type: 'array', items: { type: 'string' } },
    reproduce: { type: 'string', description: 'the command that reproduces the violation' },
  },
  allOf: [
    {
      if: { properties: { verdict: { const: 'violated' } } },
      then: {
        required: ['property', 'traceLength', 'initialState', 'trace', 'reproduce'],
        properties: { property: true, traceLength: true, initialState: true, trace: true, reproduce: true },
      },
      else: { properties: { property: false, traceLength: false, reproduce: false } },
    },
    {
      if: { properties: { verdict: { const: 'inconclusive' } } },
      then: { required: ['cutBy', 'detail'], properties: { cutBy: true, detail: true } },
      else: { properties: { cutBy: false, detail: false } },
    },
  ],
  definitions: {
    propertyRef: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'kind'],
      properties: { name: { type: 'string' }, kind: { enum: ['invariant', 'step', 'deadlock', 'progress', 'order', 'liveness'] }, cite: { type: 'string' } },
    },
    value: {
      description: 'a state value: integer, boolean, enum value (string), or a list of values',
      anyOf: [{ type: 'integer' }, { type: 'boolean' }, { type: 'string' }, { type: 'array', items: { $ref: '#/definitions/value' } }],
    },
    state: { type: 'object', description: 'state fields by name; arrays of fields as lists', additionalProperties: { $ref: '#/definitions/value' } },
    action: {
      type: 'object',
      description: 'an action as plain data: its name and parameters',
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1 } },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    trace: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['step', 'action', 'state', 'changes'],
        properties: {
          step: { type: 'integer', minimum: 1 },
          action: { $ref: '#/definitions/action' },
          state: { $ref: '#/definitions/state', description: 'the state after the action' },
          changes: {
            type: 'object',
            description: 'fields (or list items, as name[i]) whose value differs from the previous state: [before, after]',
            additionalProperties: { type: 'array', minItems: 2, maxItems: 2, items: { $ref: '#/definitions/value' } },
          },
        },
      },
    },
  },
} as const
