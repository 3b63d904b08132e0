// Curvature for Unfold: the Hessian of self-attention in closed form (docs/mathematics.md, 'Self-attention Hessian') and by
// the core's autodiff, Gauss-Newton products, estimators over products, the growth-rate study,
// and the curvature of an energy (docs/mathematics.md, 'Curvature of an energy'). Everything is row-major: vec(W) stacks the
// rows of W, so entry (a, b) of W_Q is row a * d_K + b of the Hessian over W_Q.

export { type Matrix, matrix, identity, at, transpose, matmul, kron, frobenius, subMatrix } from "./dense/matrix.js";

export { type AttentionInstance, type AttentionDims, type LossKind, type RandomInstanceOptions, LOSSES, attentionDims, randomAttentionInstance } from "./attention/instance.js";
export { type AttentionForward, attentionForward, softmaxRows } from "./attention/forward.js";
export { type RowLossDerivatives, rowLossDerivatives } from "./attention/loss.js";
export { type AttentionMoments, attentionMoments } from "./attention/moments.js";
export {
  type AttentionParam,
  type BlockName,
  type HessianPart,
  ATTENTION_PARAMS,
  BLOCK_NAMES,
  CANONICAL_BLOCKS,
  HESSIAN_PARTS,
  AttentionHessian,
  attentionHessian,
  blockOf,
} from "./attention/blocks.js";
export { type VerifyShape, type VerifyOptions, type VerifyCase, type VerifyReport, DEFAULT_VERIFY_SHAPES, verifyClosedForm } from "./attention/verify.js";

export { type ParamBlockSpec, ParamLayout } from "./curvature/layout.js";
export { type CurvatureModel, layoutOf } from "./curvature/model.js";
export { type ProductKind, PRODUCT_KINDS, productProgram, lossProgram } from "./curvature/programs.js";
export { type LinearOperator, type CurvatureProductsOptions, CurvatureProducts, restrictToBlock, assembleDense, blockOfLayout, denseOperator } from "./curvature/operator.js";

export { type HutchinsonOptions, type Estimate, hutchinsonTrace, hutchinsonSquaredFrobenius } from "./estimators/hutchinson.js";
export { type PowerIterationOptions, type PowerIterationResult, powerIteration } from "./estimators/power.js";
export { type LanczosOptions, type LanczosResult, lanczos, topEigenvalues } from "./estimators/lanczos.js";
export { type SpectralDensityOptions, type SpectralDensity, spectralDensity, densityTrace, smoothDensity } from "./estimators/slq.js";

export { attentionModel, attentionFeeds, selfAttention, attentionLoss } from "./models/attention.js";
export { type AttentionVariant, type TransformerConfig, ATTENTION_VARIANTS, transformerModel, attentionMask, layerParamName } from "./models/transformer.js";
export { type DeepLinearConfig, deepLinearModel } from "./models/deep-linear.js";
export { type ModelPoint, type AdditionTransformerOptions, type DeepLinearOptions, additionTransformer, deepLinearPoint, rescaleToStd } from "./models/instances.js";

export { logLogSlope, logGrid } from "./scaling/fit.js";
export { type ScalingOptions, type ScalingResult, type ScalingSeries, PREDICTED_SLOPES, SCALING_SERIES, QUICK_SCALING, FULL_SCALING, scalingStudy } from "./scaling/study.js";

export {
  type EnergyCurvatureOptions,
  type EnergyCurvature,
  type StepSizeCheck,
  type CurvatureStepBoundOptions,
  curvatureStepBound,
  energyHvpProgram,
  energyCurvature,
  curvatureStepSize,
  checkStepSizeByCurvature,
} from "./energy/curvature.js";
export { type CgForecast, type CgForecastOptions, cgForecast, cgIterationBound } from "./energy/cg-forecast.js";
export { type HessianBlockTimingOptions, type HessianBlockTiming, timeHessianBlock } from "./bench/time-block.js";
