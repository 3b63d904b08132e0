// Numerical evidence that the energies' steps are what they claim: exact descent steps, and
// Transformer layers. Used by the test suite and by `pnpm verify`.
export { closedFormStepError } from "./closed-form.js";
export { transformerLayerError } from "./transformer-layer.js";
export { mmDescentTrials, type MmTrialsResult } from "./mm-trials.js";
export { metricFromWa, equalMetricNorms } from "./setup.js";
