// The scientific checks of `pnpm bench fidelity` (docs/mathematics.md: the Yang energy, the self-attention Hessian, energy curvature) as one list of
// figures, each with its requirement: the numbers behind the claim that Unfold's layers are
// descent steps on an energy and that its closed-form Hessian blocks are the Hessian.
import { type Backend, type DType, type EnergyRecord, type HostTensor, Random, defineUnfolding, hostTensor, relativeError, runUnfolding } from "@unfold/core";
import { feedForwardStepBound, initYangParams, yangEnergy, yangLayerSteps } from "@unfold/energies";
import { closedFormStepError, mmDescentTrials, transformerLayerError } from "@unfold/energies/fidelity";
import {
  CANONICAL_BLOCKS,
  DEFAULT_VERIFY_SHAPES,
  FULL_SCALING,
  PREDICTED_SLOPES,
  QUICK_SCALING,
  SCALING_SERIES,
  type ScalingOptions,
  type ScalingSeries,
  type VerifyShape,
  scalingStudy,
  verifyClosedForm,
} from "@unfold/hessian";

/** One row of the table and of the JSON `checks`; `pass` is null for a figure that is only reported. */
export interface FidelityCheck {
  readonly check: string;
  readonly value: number;
  readonly requirement: string;
  readonly pass: boolean | null;
}

export interface FidelityTolerances {
  /** Closed-form step and layer equivalence, float64: the two sides are the same map, so rounding only. */
  readonly exact: number;
  /** Closed-form Hessian blocks against autodiff (the target of `pnpm hessian verify`). */
  readonly hessian: number;
  /** |fitted slope - predicted slope|: what the hessian package's tests assert on the quick study. */
  readonly slope: number;
  /** |slope| of the pre-LayerNorm series, predicted flat; the same tests' bound. */
  readonly flatSlope: number;
  /** Float32 unfolding against float64: the bench's relErr threshold for float32 engines. */
  readonly float32: number;
}

export const DEFAULT_TOLERANCES: FidelityTolerances = { exact: 1e-10, hessian: 1e-8, slope: 0.15, flatSlope: 0.3, float32: 1e-3 };

/** How much of each check runs: --quick and the full run differ only here. */
export interface FidelityPlan {
  /** (n, d) of the closed-form step and layer-equivalence instances, each at every seed offset. */
  readonly instances: readonly (readonly [number, number])[];
  readonly seedsPerInstance: number;
  readonly mmTrials: number;
  /** Independent sequences unfolded one at a time, so a rise in one is not hidden by the batch sum. */
  readonly sequences: number;
  readonly tokens: number;
  readonly dim: number;
  readonly layers: number;
  readonly hessianShapes: readonly VerifyShape[];
  readonly scaling: Omit<ScalingOptions, "backend" | "onProgress">;
  readonly float32: boolean;
}

export const QUICK_PLAN: FidelityPlan = {
  instances: [
    [3, 2],
    [20, 10],
  ],
  seedsPerInstance: 2,
  mmTrials: 500,
  sequences: 4,
  tokens: 16,
  dim: 16,
  layers: 12,
  hessianShapes: DEFAULT_VERIFY_SHAPES.slice(0, 2),
  scaling: QUICK_SCALING,
  float32: true,
};

/** The sizes `pnpm verify` uses for the same checks, the 2,000 MM trials docs/yang-energy.md reports, and the full growth study. */
export const FULL_PLAN: FidelityPlan = {
  instances: [
    [3, 2],
    [9, 5],
    [16, 8],
    [20, 10],
  ],
  seedsPerInstance: 3,
  mmTrials: 2000,
  sequences: 16,
  tokens: 16,
  dim: 16,
  layers: 12,
  hessianShapes: DEFAULT_VERIFY_SHAPES,
  scaling: FULL_SCALING,
  float32: true,
};

/** Token scales cycled over the sequences: near tokens (attention does most of the work) to far ones. */
const TOKEN_SCALES = [0.25, 0.5, 1, 2];

export interface UnfoldingRun {
  readonly tokenScale: number;
  readonly layers: readonly { readonly layer: number; readonly energy: number; readonly terms: Record<string, number> }[];
  /** Largest distance of a token from its sequence's mean after the last layer (0: the tokens collapsed). */
  readonly finalTokenSpread: number;
}

export interface FidelityReport {
  readonly checks: FidelityCheck[];
  readonly slopes: Record<ScalingSeries, number>;
  readonly predictedSlopes: typeof PREDICTED_SLOPES;
  readonly slopeFitRange: readonly [number, number];
  readonly hessianBlocks: Record<(typeof CANONICAL_BLOCKS)[number], number>;
  readonly mm: { readonly trials: number; readonly worstMmRise: number; readonly worstPlainRise: number };
  readonly unfolding: {
    readonly shape: { readonly tokens: number; readonly dim: number; readonly layers: number };
    readonly feedForwardStepSize: number;
    readonly feedForwardStepBound: number;
    readonly runs: readonly UnfoldingRun[];
  };
}

export interface FidelityReportOptions {
  readonly plan: FidelityPlan;
  readonly seed: number;
  /** Runs the unfoldings, the Hessian products and the growth study; float64 required, float32 optional. */
  readonly backend: Backend;
  readonly tolerances?: Partial<FidelityTolerances>;
  readonly onProgress?: (message: string) => void;
}

/** Relative slack under which a rise is rounding: the monotonicity guard's own default per dtype. */
const SLACK: Record<DType, number> = { float64: 1e-10, float32: 1e-5 };

/** Written as "not at most" so a NaN counts as a rise, as in core's guard. */
function rose(before: number, after: number, slack: number): boolean {
  return !(after - before <= slack * Math.max(1, Math.abs(before)));
}

export async function fidelityReport(options: FidelityReportOptions): Promise<FidelityReport> {
  const { plan, seed, backend } = options;
  const tol = { ...DEFAULT_TOLERANCES, ...options.tolerances };
  const progress = options.onProgress ?? (() => undefined);
  const checks: FidelityCheck[] = [];
  const atMost = (check: string, value: number, limit: number): void =>
    void checks.push({ check, value, requirement: `<= ${limit.toExponential(0)}`, pass: value <= limit });
  const zero = (check: string, value: number, of: number): void => void checks.push({ check, value, requirement: `= 0 of ${of}`, pass: value === 0 });
  const reported = (check: string, value: number, of: number): void => void checks.push({ check, value, requirement: `reported, of ${of}`, pass: null });

  // 1-2. docs/mathematics.md, 'Yang attention energy' and 'A layer and depth': the MM step is the preconditioned gradient step, and the unfolded
  // layer is a standard Transformer layer on tokens of equal W_s-norm. Worst over instances.
  let stepError = 0;
  let layerError = 0;
  for (const [n, d] of plan.instances) {
    for (let k = 0; k < plan.seedsPerInstance; k++) {
      stepError = Math.max(stepError, closedFormStepError({ seed: seed + k, n, d }));
      layerError = Math.max(layerError, transformerLayerError({ seed: seed + k, n, d }));
    }
  }
  const instances = plan.instances.length * plan.seedsPerInstance;
  progress(`closed-form step and layer equivalence: ${instances} instances`);
  atMost(`closed-form step error (worst of ${instances})`, stepError, tol.exact);
  atMost(`layer equivalence error (worst of ${instances})`, layerError, tol.exact);

  // 3a. The MM step never raises E_att; plain softmax can. The default seed replays `pnpm verify`'s trials (seed 2022).
  const mm = mmDescentTrials({ trials: plan.mmTrials, seed: 2021 + seed, onProgress: (done) => progress(`MM descent trials: ${done}/${plan.mmTrials}`) });
  zero("MM (softmax_beta) step increases of E_att", mm.mmIncreases, mm.trials);
  reported("plain softmax step increases of E_att", mm.plainSoftmaxIncreases, mm.trials);

  // 3b. The tied 12-layer Yang model on random tokens: each sub-step against its own term
  // (guaranteed from non-negative tokens), the total per sub-step and per layer (docs/mathematics.md, 'A layer and depth': only under conditions).
  const unfolding = await unfoldRandomTokens(plan, seed, backend, "float64", progress);
  const { counts } = unfolding;
  for (const s of counts.steps) zero(`unfolding: ${s.name} step increases of ${s.terms.join("+")}`, s.increases, counts.layersRun);
  reported("unfolding: total energy increases per sub-step", counts.totalPerStep, counts.layersRun * counts.steps.length);
  reported("unfolding: total energy increases per layer", counts.totalPerLayer, counts.layersRun);

  // 4. docs/mathematics.md, 'Hessian blocks': every closed-form block (full, outer and functional parts) against autodiff.
  const verify = await verifyClosedForm({ shapes: plan.hessianShapes, seed, backend, onProgress: (m) => progress(`Hessian closed form: ${m}`) });
  for (const block of CANONICAL_BLOCKS) atMost(`Hessian closed form ${block} (worst of ${verify.cases.length})`, verify.blocks[block], tol.hessian);

  // 5. The growth rates of docs/mathematics.md, 'Growth with the data scale', fitted below softmax saturation.
  const study = await scalingStudy({ ...plan.scaling, backend, onProgress: (m) => progress(`growth study: ${m}`) });
  for (const series of SCALING_SERIES) {
    const value = study.slopes[series];
    const predicted = PREDICTED_SLOPES[series];
    if (series === "V_functional") {
      // H_f(V,V) = 0 exactly: its slope is undefined, so the requirement is that the block vanished.
      checks.push({ check: `slope ${series}`, value, requirement: "identically 0", pass: study.identicallyZero.includes(series) });
    } else if (series === "preln_Q") {
      checks.push({ check: `slope ${series}`, value, requirement: `|slope| < ${tol.flatSlope} (flat)`, pass: Math.abs(value) < tol.flatSlope });
    } else {
      checks.push({ check: `slope ${series}`, value, requirement: `${predicted} ± ${tol.slope}`, pass: Math.abs(value - predicted) <= tol.slope });
    }
  }

  // Optional: the same unfolding in float32 against float64, where the backend computes float32.
  // The tokens collapse to a fixed point that forgets rounding, so the per-layer energies are
  // compared too: they carry the transient where float32 could drift.
  if (plan.float32 && backend.dtypes.includes("float32")) {
    const single = await unfoldRandomTokens(plan, seed, backend, "float32", progress);
    const energies = (run: UnfoldingRun): number[] => run.layers.map((l) => l.energy);
    const error = Math.max(
      ...single.finals.map((f, i) => relativeError(f, unfolding.finals[i]!)),
      ...single.runs.map((r, i) => relativeError(energies(r), energies(unfolding.runs[i]!))),
    );
    atMost(`float32 unfolding: state and energy error vs float64 (worst of ${plan.sequences})`, error, tol.float32);
  }

  return {
    checks,
    slopes: study.slopes,
    predictedSlopes: PREDICTED_SLOPES,
    slopeFitRange: study.fitRange,
    hessianBlocks: verify.blocks,
    mm: { trials: mm.trials, worstMmRise: mm.worstMmRise, worstPlainRise: mm.worstPlainRise },
    unfolding: {
      shape: { tokens: plan.tokens, dim: plan.dim, layers: plan.layers },
      feedForwardStepSize: unfolding.feedForwardStepSize,
      feedForwardStepBound: unfolding.feedForwardStepBound,
      runs: unfolding.runs,
    },
  };
}

interface UnfoldingCounts {
  /** Layers run, summed over the sequences: the number of times each step ran. */
  layersRun: number;
  readonly steps: { readonly name: string; readonly terms: readonly string[]; increases: number }[];
  totalPerStep: number;
  totalPerLayer: number;
}

/**
 * `pnpm verify`'s demo model (parameters from the seed, the softmax_beta MM step, then the ReLU
 * step at half the bound 2/L), 12 tied layers, one sequence of random tokens at a time. The
 * guard is off: the rises are counted here from the trace, with the guard's own slack.
 */
async function unfoldRandomTokens(plan: FidelityPlan, seed: number, backend: Backend, dtype: DType, progress: (m: string) => void) {
  const { tokens: n, dim: d } = plan;
  // Drawn and bounded in float64 for both dtypes, so a float32 run differs only by its rounding.
  const params64 = initYangParams({ dim: d }, { seed });
  const params = Object.fromEntries(Object.entries(params64).map(([name, t]) => [name, hostTensor(t.data, t.shape, dtype)])) as typeof params64;
  const feedForwardStepBoundValue = feedForwardStepBound(params64["Wf"]!.data, d).bound;
  const feedForwardStepSize = feedForwardStepBoundValue / 2;
  const energy = yangEnergy({ dim: d });
  const steps = yangLayerSteps(energy, { feedForwardStepSize });
  const unfolding = defineUnfolding({ energy, steps, layers: plan.layers, tiedWeights: true, guard: { mode: "off" } });
  const slack = SLACK[dtype];
  const counts: UnfoldingCounts = { layersRun: 0, steps: steps.map((s) => ({ name: s.name, terms: s.terms, increases: 0 })), totalPerStep: 0, totalPerLayer: 0 };
  const runs: UnfoldingRun[] = [];
  const finals: Float64Array[] = [];
  const rng = new Random(seed + 1000);
  for (let k = 0; k < plan.sequences; k++) {
    const tokenScale = TOKEN_SCALES[k % TOKEN_SCALES.length]!;
    // Non-negative tokens (half-normal): the ReLU step's descent guarantee holds from a feasible
    // state only. From a negative start the projection alone can raise E_ff (the minimizer of
    // E_ff may itself be negative), which is no failure of the step.
    const tokens = Float64Array.from(rng.normals(n * d, tokenScale), Math.abs);
    const { state, trace } = await runUnfolding(unfolding, backend, { state: hostTensor(tokens, [1, n, d], dtype), params });
    let previous: EnergyRecord = trace.layers[0]!;
    for (const record of trace.steps) {
      const step = counts.steps.find((s) => s.name === record.step)!;
      const own = (r: EnergyRecord): number => step.terms.reduce((acc, t) => acc + r.terms[t]!, 0);
      if (rose(own(previous), own(record), slack)) step.increases++;
      if (rose(previous.energy, record.energy, slack)) counts.totalPerStep++;
      previous = record;
    }
    for (let l = 1; l < trace.layers.length; l++) if (rose(trace.layers[l - 1]!.energy, trace.layers[l]!.energy, slack)) counts.totalPerLayer++;
    counts.layersRun += trace.layers.length - 1;
    runs.push({ tokenScale, layers: trace.layers.map((l) => ({ layer: l.layer, energy: l.energy, terms: { ...l.terms } })), finalTokenSpread: tokenSpread(state, n, d) });
    finals.push(Float64Array.from(state.data));
  }
  progress(`unfolding (${dtype}): ${plan.sequences} sequences of ${n} random tokens, d ${d}, ${plan.layers} tied layers`);
  return { counts, runs, finals, feedForwardStepSize, feedForwardStepBound: feedForwardStepBoundValue };
}

function tokenSpread(state: HostTensor, n: number, d: number): number {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c]! += state.data[i * d + c]! / n;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += (state.data[i * d + c]! - mean[c]!) ** 2;
    worst = Math.max(worst, Math.sqrt(s));
  }
  return worst;
}
