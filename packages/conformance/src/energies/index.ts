// The energy suite: every energy of the zoo (@unfold/energies/zoo) on a backend against the
// float64 reference interpreter, under a throwing guard, and exported with a symbolic batch axis.
// `describeEnergySuite` and `describeEnergyExport` register it with vitest; the checks they run
// are exported too (and, without vitest, from `@unfold/conformance/energies/portable`).

export { type EnergySuiteTarget, describeEnergySuite, describeEnergyExport } from "./describe.js";
export * from "./portable.js";
