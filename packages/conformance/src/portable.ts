// The suite without vitest: its cases, checks and a plain runner, for places that are not a
// vitest process (a browser page, a script). `@unfold/conformance/portable`.

export { casesFor } from "./applicable.js";
export { type ConformanceSuite, type ConformanceTarget, type SuiteTest, conformanceSuite } from "./suite.js";
export { type CaseResult, type RunCasesOptions, runCases } from "./run-cases.js";
export {
  type CaseContext,
  type ConformanceCase,
  type ProgramCase,
  type Group,
  GROUPS,
  type BuiltProgram,
  type ProgramCaseSpec,
  programCase,
  isProgramCase,
  customCase,
  traced,
  seedOf,
} from "./case.js";
export { conformanceCases } from "./cases/index.js";
export { primitiveCases } from "./cases/primitives.js";
export { precisionCases } from "./cases/precision.js";
export { compositeCases } from "./cases/composites.js";
export { type CompositeForm, type CompositeFormRole, compositeForms, compositeFormCases } from "./cases/composite-forms.js";
export { type CompositeFusionProbe, compositeFusionTests } from "./fusion-probe.js";
export { fusionCases } from "./cases/fusion.js";
export { derivativeCases } from "./cases/derivatives.js";
export { modelCases } from "./cases/models.js";
export { residentCases } from "./cases/resident.js";
export { executableCases } from "./cases/executables.js";
export { lifetimeCases } from "./cases/lifetimes.js";
export { feedValidationCases, checkRejectsDType, unsupportedDTypePrograms } from "./cases/feeds.js";
export {
  ConformanceError,
  type OutputComparison,
  type ReferenceValue,
  compareOutput,
  compareOutputs,
  assertMatchesReference,
  referenceValues,
} from "./compare.js";
export {
  type Tolerance,
  type ExpectedError,
  TOLERANCES,
  checkProgram,
  compilePoisoned,
  expectRejection,
  referenceFeeds,
  referenceRun,
  runAndCompare,
  runChecked,
} from "./check.js";
export { coveredOps, uncoveredOps, assertCoverage } from "./coverage.js";
export { type LeafData, leaf, hostFeeds, randomShape, broadcastableTo, permutation, randomAxes, reshapeOf } from "./generate.js";
