// The energy suite without vitest: every zoo energy's unfolding against the float64 reference on a
// backend, under a throwing guard, and exported with a symbolic batch axis.
// `@unfold/conformance/energies/portable`.

export { ZOO_TOLERANCE, type ZooAgreement, checkZooAgreement, checkZooGuard, referenceTrace } from "./check-unfolding.js";
export { BATCH_AXIS, type ExportTarget, type ExportedModel, type ZooExportResult, checkZooExport, exportBatches } from "./check-export.js";
export { batchedState, exampleOf, programParams, widen, widenParams, withGuard } from "./example.js";
export { poisoned } from "./poison.js";
export { ENERGY_CHECKS, type EnergyCheck, type EnergyCheckResult, type RunEnergySuiteOptions, energySuiteDTypes, runEnergySuite } from "./run-suite.js";
