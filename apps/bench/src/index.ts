// The benchmark runner: workloads timed on Unfold backends and on peer libraries, in one
// process, on the same inputs, each checked against the float64 reference.

export { type SizeSpec, type MatmulShape, type AdamConfig, DEFAULT_SIZES, DEFAULT_MATMUL, LAYERS, CLASSES, ADAM, SEED, customSize } from "./config.js";
export { type FlopCount, countFlops } from "./flops.js";
export { type Timing, summarize, maxRelativeError } from "./measure.js";
export {
  type Problem,
  type MatmulProblem,
  type ForwardProblem,
  type TrainProblem,
  type EnergyProblem,
  type YangModel,
  type Array64,
  type Outputs,
  type WorkloadName,
  type TrainParam,
  WORKLOADS,
  TRAIN_PARAMS,
  outputNames,
  adamCorrections,
} from "./workloads/problem.js";
export { matmulProblem, forwardProblem, descentStepProblem, energyProblem, trainProblem } from "./workloads/inputs.js";
export {
  type ProgramTask,
  matmulProgram,
  forwardProgram,
  energyDerivativeProgram,
  lossProgram,
  trainProgram,
  programTask,
  referenceOutputs,
} from "./workloads/programs.js";
export { type Engine, type PreparedRun, EngineUnavailable, WorkloadUnsupported } from "./engines/engine.js";
export { type BackendEngineOptions, backendEngine } from "./engines/backend-adapter.js";
export { referenceEngine, cpuEngine, loadCpuBackend, loadCpuOrReference, CPU_BACKEND_PACKAGE, type ModuleImporter } from "./engines/unfold.js";
export { onnxEngine } from "./engines/unfold-onnx.js";
export { tfjsBackendEngine } from "./engines/unfold-tfjs.js";
export { webgpuEngine } from "./engines/unfold-webgpu.js";
export { sharedGpu, WEBGPU_HINT } from "./engines/dawn.js";
export { tfjsEngine, tfjsYangForward } from "./engines/tfjs.js";
export { tfjsYangEnergy } from "./engines/tfjs-energy.js";
export { jaxEngine } from "./engines/jax.js";
export { ortEngine, ORT_THREADS } from "./engines/ort.js";
export { type BenchRow, type BenchPlan, type WorkCount, runBench, withRatios, problemsFor, REFERENCE_ENGINE, DEFAULT_GAP_MS } from "./runner.js";
export { type Contestant, type InterleaveOptions, type InterleavedTiming, timeInterleaved } from "./interleave.js";
export { type BenchCommandOptions, benchCommand, defaultEngines, formatRows } from "./commands/bench.js";
export { type CommandIO, consoleIO } from "@unfold/cli";
export { HESSIAN_BLOCK_SIZES, CLOSED_FORM, type HessianBlockPlan, hessianBlockRows } from "./workloads/hessian-block.js";
export {
  type Comparison,
  type ComparisonEntry,
  type CompareOptions,
  type Verdict,
  compareRuns,
  formatComparison,
  parseBenchJson,
  relativeNoise,
} from "./report/compare.js";
export { type MarkdownReportInput, markdownReport } from "./report/markdown.js";
export { type NamedChart, ratioCharts, writeCharts } from "./report/charts.js";
export { collectGarbage, heapBytes, PeakSampler } from "./memory.js";
export { type ScalingCommandOptions, scalingCommand } from "./commands/scaling.js";
export {
  type ScalingAxis,
  type ScalingGrid,
  type ScalingPoint,
  type ScalingFit,
  type ScalingResult,
  SCALING_AXES,
  QUICK_GRID,
  FULL_GRID,
  runScaling,
  fitScaling,
} from "./scaling/study.js";
export { scalingCharts, scalingMarkdown } from "./scaling/chart.js";
export { type FidelityCommandOptions, fidelityCommand } from "./commands/fidelity.js";
export { type SoakCommandOptions, soakCommand, SOAK_LIVES, SOAK_WARMUP_LIVES, QUICK_SOAK_LIVES, QUICK_SOAK_WARMUP_LIVES, SOAK_MAX_RSS_GROWTH_MB } from "./commands/soak.js";
export { type BenchMainOptions, BENCH_SUBCOMMANDS, benchMain } from "./commands/main.js";
export { SOAK_BACKENDS, SOAK_FACTORIES, type SoakBackend } from "./soak/backends.js";
export { type SoakFigures, type SoakPlan, type SoakStatus, SOAK_TOLERANCE, soakLives } from "./soak/lives.js";
export { type SoakProgram, soakProgram } from "./soak/program.js";
export { benchEntry, soakInChild } from "./soak/child.js";
export { type FidelityCheck, type FidelityReport, type FidelityTolerances, DEFAULT_TOLERANCES, QUICK_PLAN, FULL_PLAN, fidelityReport } from "./fidelity/report.js";
