/**
 * The public surface of the models, as the command line uses them: the built-in models and their
 * parameters, scenario files (loading, the schema, expectations), the GPU model's library of
 * kernel paths, a scenario explained in the model's words, and the factory worker threads build
 * models with. Every entry gives a model together with its narrator (report/narrator.ts).
 */
export { MODELS, type ModelEntry, buildModel, buildNarrated, findModel } from './registry.js'
export { type Expectation, SCENARIO_SCHEMA, type Scenario, loadScenario, parseBytes, scenarioFiles, unmet } from './scenario.js'
export { parseDuration } from './units.js'
export { explainBuiltin, explainModel, explainScenario } from './explain.js'
export { FACTORY_URL, type ModelSpec } from './factory.js'
/** The kernel paths a GPU scenario can use by name (`path: NAME`, `- use: NAME`). */
export { LIBRARY, type LibraryPath } from './gpu/library.js'
