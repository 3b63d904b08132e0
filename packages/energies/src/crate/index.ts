// CRATE: a surrogate of the sparse rate reduction objective (R^c + lambda ||Z||_1), its MSSA and ISTA steps, and their step bounds.
export {
  type CrateConfig,
  CRATE_COMPRESSION_TERM,
  CRATE_SPARSITY_TERM,
  crateEnergy,
  compressionRate,
  mssa,
  mssaUpdate,
  type CrateEnergy,
  mssaStep,
  crateProximalStep,
  nonNegativeSoftThreshold,
  rateScale,
} from "./energy.js";
export { type SparseCodingConfig, type SparseCodingEnergy, RECONSTRUCTION_TERM, SPARSE_CODE_TERM, sparseCodingEnergy, istaStep, istaBlock } from "./ista.js";
export { crateStepBound, istaStepBound } from "./bounds.js";
export { initCrateParams } from "./init.js";
export { logDetPositiveDefinite } from "./logdet.js";
