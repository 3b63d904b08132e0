import {
  type Energy,
  type HostTensor,
  type ParamValues,
  type Step,
  Random,
  UnfoldError,
  closedFormStep,
  describeValue,
  hostTensor,
  requireNonNegative,
  requireOneOf,
  requireOptions,
  requirePositive,
  sumEnergies,
} from "@unfold/core";
import { dtypeOption, seedOption } from "../check.js";
import { ATTENTION_TERM, type AttentionParam, attentionEnergy, checkAttentionConfig } from "./attention.js";
import { type FeedForwardParam, checkSquareData, clipSpectrum, feedForwardEnergy, feedForwardStep, feedForwardStepBound } from "./feed-forward.js";

/** The Yang energy's parameters: the attention's W_a and the feed-forward W_f and b. */
export type YangParam = AttentionParam | FeedForwardParam;

/** The token width, and the attention heads and their width (1 head of width dim by default). */
export interface YangConfig {
  readonly dim: number;
  readonly heads?: number;
  readonly headDim?: number;
}

/** E = E_att + E_ff: the energy whose alternating descent is a Transformer layer (docs/mathematics.md, 'A layer and depth'). */
export function yangEnergy(config: YangConfig): Energy<YangParam> {
  checkAttentionConfig("yangEnergy", config, YANG_CONFIG);
  return sumEnergies("yang", [attentionEnergy(config), feedForwardEnergy({ dim: config.dim })]);
}

const YANG_CONFIG = ["dim", "heads", "headDim"];

/** The step sizes of one Yang layer's two steps. */
export interface YangLayerOptions {
  /** Damping of the attention MM step: 1 is the full step, below 1 the residual form. */
  readonly attentionStepSize?: number;
  /** Feed-forward step size; keep it below feedForwardStepBound(Wf).bound. */
  readonly feedForwardStepSize: number;
  /** How the feed-forward step gets its gradient (see feedForwardStep); the closed form by default. */
  readonly feedForwardGradient?: "closedForm" | "autodiff";
}

/** One layer: the softmax_beta MM step on E_att, then the ReLU projected-gradient step on E_ff. */
export function yangLayerSteps<N extends string>(energy: Energy<N>, options: YangLayerOptions): Step<N>[] {
  const op = "yangLayerSteps";
  requireOptions(op, "options", options, ["attentionStepSize", "feedForwardStepSize", "feedForwardGradient"]);
  requirePositive(op, "feedForwardStepSize", options.feedForwardStepSize);
  if (options.attentionStepSize !== undefined) requirePositive(op, "attentionStepSize", options.attentionStepSize);
  if (options.feedForwardGradient !== undefined) requireOneOf(op, "feedForwardGradient", options.feedForwardGradient, ["closedForm", "autodiff"]);
  return [
    closedFormStep(energy, ATTENTION_TERM, { stepSize: options.attentionStepSize ?? 1, name: "attention" }),
    {
      ...feedForwardStep(energy, { stepSize: options.feedForwardStepSize, gradient: options.feedForwardGradient ?? "closedForm" }),
      name: "feedForward",
    },
  ];
}

/** How initYangParams draws the parameters. */
export interface YangInitOptions {
  readonly seed?: number;
  /** Scale of the random part of W_a (around the identity, so W_s stays well conditioned). */
  readonly attentionScale?: number;
  /** Spectrum of W_f is clipped into [-spectrum, spectrum]. */
  readonly spectrum?: number;
  readonly biasScale?: number;
  readonly dtype?: "float32" | "float64";
}

/**
 * Random parameters that satisfy every declared constraint: W_a = I + noise per head (full
 * column rank), W_f symmetric with its spectrum clipped into (-1, 1), b small.
 */
export function initYangParams(config: YangConfig, options: YangInitOptions = {}): ParamValues<YangParam> {
  const op = "initYangParams";
  const { heads, headDim } = checkAttentionConfig(op, config, YANG_CONFIG);
  requireOptions(op, "options", options, ["seed", "attentionScale", "spectrum", "biasScale", "dtype"]);
  const rng = new Random(seedOption(op, options.seed));
  const d = config.dim;
  const spectrum = options.spectrum ?? 0.95;
  if (typeof spectrum !== "number" || !(spectrum > 0 && spectrum < 1)) throw new UnfoldError(op, `options.spectrum must be in (0, 1), got ${describeValue(spectrum)}`);
  const aScale = requireNonNegative(op, "options.attentionScale", options.attentionScale ?? 0.5) / Math.sqrt(d);
  const biasScale = requireNonNegative(op, "options.biasScale", options.biasScale ?? 0.1);
  const dtype = dtypeOption(op, options.dtype);
  const Wa = new Float64Array(heads * headDim * d);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < headDim; i++) {
      for (let j = 0; j < d; j++) Wa[(h * headDim + i) * d + j] = (i === j ? 1 : 0) + aScale * rng.normal();
    }
  }
  const M = rng.normals(d * d, 1 / Math.sqrt(d));
  const sym = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) sym[i * d + j] = (M[i * d + j]! + M[j * d + i]!) / 2;
  const Wf = clipSpectrum(sym, d, -spectrum, spectrum);
  // Exact symmetry after the eigen-reconstruction's rounding.
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) Wf[i * d + j] = Wf[j * d + i]!;
  const b = rng.normals(d, biasScale);
  const t = (data: Float64Array, shape: number[]): HostTensor => hostTensor(data, shape, dtype);
  return { Wa: t(Wa, [heads, headDim, d]), Wf: t(Wf, [d, d]), b: t(b, [d]) };
}

/** Half the descent bound 2/L: a feed-forward step size with a safety margin. */
export function safeFeedForwardStepSize(params: ParamValues, dim: number): number {
  const Wf = (params as Partial<ParamValues> | undefined)?.["Wf"];
  if (typeof Wf !== "object" || Wf === null || !("data" in Wf)) {
    throw new UnfoldError("safeFeedForwardStepSize", `params must hold 'Wf' as a HostTensor, got ${describeValue(Wf)}`);
  }
  checkSquareData("safeFeedForwardStepSize", Wf.data, dim);
  return feedForwardStepBound(Wf.data, dim).bound / 2;
}

