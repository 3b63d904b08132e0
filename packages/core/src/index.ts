// Unfold core: programs over a small closed set of primitives, their derivatives, the backends
// that run them, and the Energy and Unfolding APIs built on top.

export { type DType, DTYPES, type FloatArray } from "./dtype.js";
export { UnfoldError, ShapeError, DTypeError, FeedError, MonotonicityError, formatShape } from "./errors.js";
export { type Shape, sizeOf, stridesOf, broadcastShapes, broadcastsTo, sameShape } from "./shape.js";
export {
  type View,
  contiguousView,
  isContiguous,
  broadcastView,
  transposeView,
  sliceView,
  reshapeView,
  sameViews,
  unitReshape,
  unitReshapeView,
} from "./backend/view.js";
export { Random } from "./random.js";
export {
  describeValue,
  requireOptions,
  requireName,
  requireFunction,
  requirePositive,
  requireNonNegative,
  requireInteger,
  requireOneOf,
} from "./validate.js";

export type { Node, NodeSpec, Op, ComputedOp, SpecOf, UnaryOp, BinaryOp } from "./ir/node.js";
export { UNARY_OPS, BINARY_OPS } from "./ir/node.js";
export { type Program, type FeedSpec, type OutputSpec, fingerprint, printProgram, outputShape } from "./ir/program.js";
export type { PrimitiveRule, EvalArg, ArgInfo, VjpContext } from "./primitives/rule.js";
export { ruleFor, computedOps } from "./primitives/registry.js";

export { Graph, Tensor, type TensorLike } from "./trace/graph.js";
export * as ops from "./trace/ops.js";
export { softmax, logSoftmax, logsumexp, layerNorm, type LayerNormOptions, crossEntropy, sigmoid, moments, oneHot } from "./trace/composites.js";
export { trace, inline, input, param, type LeafSpec, type Leaves, type Outputs } from "./trace/trace.js";

export { gradients } from "./autodiff/gradients.js";
export { grad, valueAndGrad, vjp, hvp, jacobian, hessian, differentiate, type DifferentiateOptions } from "./autodiff/transforms.js";

export { optimize } from "./passes/optimize.js";
export { eliminateDeadCode } from "./passes/dce.js";
export { eliminateCommonSubexpressions } from "./passes/cse.js";
export { foldConstants } from "./passes/fold.js";
export { simplify } from "./passes/simplify.js";
export {
  type Composite,
  type CompositeKind,
  type CompositeOf,
  type CrossEntropyComposite,
  type FusedComposite,
  type LayerNormComposite,
  type LogSoftmaxComposite,
  type LogsumexpComposite,
  type RowBias,
  type SigmoidComposite,
  type SoftmaxComposite,
  type SymmetricProductComposite,
  type YangAttentionComposite,
  COMPOSITE_KINDS,
  findComposites,
  innerReadOnlyByComposite,
  neededNodes,
  useCounts,
} from "./passes/composites.js";
export { type SplitLongSumsOptions, LONG_SUM_TERMS, splitLongSums } from "./passes/long-sums.js";

export { type Backend, type CompileOptions, type Executable, type DeviceTensor, type Feed, type Feeds, isDeviceTensor, readTensors, runToHost } from "./backend/backend.js";
export { type HostTensor, hostTensor, scalarTensor, toFloat64 } from "./backend/tensor.js";
export { checkFeeds } from "./backend/feeds.js";
export { checkUpload, findNonFinite } from "./backend/host-data.js";
export { type DisposedUse, afterDispose } from "./backend/lifetime.js";
export { interpret } from "./backend/interpret.js";
export { CompileCache } from "./backend/compile-cache.js";
export {
  BackendLife,
  ExecutableLife,
  executableReleased,
  HeldDeviceTensor,
  type CompileSteps,
  CompilePipeline,
  unsupportedNode,
  type PlanSlot,
  type PlanSlotKind,
  type LiveInterval,
  type StepAccess,
  liveIntervals,
  workspaceByFirstWrite,
  type LoweringTable,
  type NodeOf,
  familyLowering,
  lowerNode,
  describeNode,
} from "./backend/kit/index.js";
export { ReferenceBackend } from "./backend/reference.js";

export { asymmetry, symmetricEigen, mapEigenvalues, solve, inverse, relativeError } from "./linalg/dense.js";

export {
  type Energy,
  type EnergyTerm,
  type EnergyDefinition,
  type Params,
  type ParamNames,
  type ParamSpec,
  type ParamSpecs,
  type Constraint,
  defineEnergy,
  termNamed,
  termValues,
  totalOf,
  activated,
  paramLeaves,
} from "./energy/energy.js";
export { type ParamValues, checkParams } from "./energy/params.js";
export { type Renames, type Renamed, type RenameEnergyOptions, sumEnergies, renameParams, renameEnergy } from "./energy/compose.js";

export { type Step, type StepKind, type Preconditioner, type DescentOptions, gradientStep, closedFormStep, projectionStep } from "./unfold/steps.js";
export { type ProximalStepOptions, proximalStep } from "./unfold/proximal.js";
export { type Unfolding, type UnfoldingConfig, type GuardOptions, type GuardMode, defineUnfolding } from "./unfold/schedule.js";
export { energyProgram, stepProgram, unfoldedProgram, layerParam, termOutput } from "./unfold/programs.js";
export { runUnfolding, type UnfoldRunOptions, type UnfoldTrace, type LayerRecord, type StepRecord, type EnergyRecord, type StepSizeBound, type StepSizeContext } from "./unfold/run.js";
export { type LayerMap, LAYER_MAP_OUTPUTS, layerMap, applyLayer, layerMapProgram } from "./fixed-point/layer-map.js";
export { solveFixedPoint, type FixedPointOptions, type FixedPointSolver, type FixedPointStopRule, type AndersonOptions, type LineSearchOptions, type FixedPointRecord, type FixedPointResult, type FixedPointStop, type ResidentFixedPointResult, type ParamInputs, type TensorInput, defaultFixedPointTolerance } from "./fixed-point/forward.js";
export * from "./fixed-point/implicit-api.js";
