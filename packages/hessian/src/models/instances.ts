import { Random, UnfoldError } from "@unfold/core";
import { ANSWER_DIGITS, ANSWER_POSITIONS, ADDITION_VOCAB, CONTEXT_LENGTH, additionBatch } from "../data/addition.js";
import { layoutOf, type CurvatureModel } from "../curvature/model.js";
import { type AttentionVariant, attentionMask, transformerModel } from "./transformer.js";
import { deepLinearModel } from "./deep-linear.js";

/** A model with the values to measure it at. */
export interface ModelPoint {
  readonly model: CurvatureModel;
  readonly theta: Float64Array;
  readonly inputs: Record<string, Float64Array>;
}

/** Options of `additionTransformer`: size, batch, seed, data scale and the attention variant. */
export interface AdditionTransformerOptions {
  readonly dModel: number;
  readonly batch: number;
  /** Weights, embeddings and the data batch all follow from the seed. */
  readonly seed: number;
  /** The standard deviation the input embeddings are scaled to. */
  readonly sigma: number;
  readonly variant?: AttentionVariant;
  readonly layers?: number;
  readonly residual?: boolean;
  readonly mlp?: boolean;
}

/** Weight init of the paper's setup: N(0, (0.8/sqrt d)^2) for every matrix. */
const weightScale = (fanIn: number): number => 0.8 / Math.sqrt(fanIn);

function checkSigma(op: string, sigma: number): void {
  if (!Number.isFinite(sigma) || sigma <= 0) throw new UnfoldError(op, `sigma must be a positive number, got ${sigma}`);
}

/**
 * The paper's task and model at data scale sigma: 5-digit addition problems, token plus position
 * embeddings rescaled to standard deviation sigma, a Transformer over them, cross-entropy on the
 * six answer digits. The same seed gives the same weights and data at every sigma, so only the
 * data scale moves along a growth-rate curve.
 */
export function additionTransformer(options: AdditionTransformerOptions): ModelPoint {
  checkSigma("additionTransformer", options.sigma);
  const { dModel: d, batch, seed } = options;
  const variant = options.variant ?? "softmax";
  const layers = options.layers ?? 1;
  const mlp = options.mlp ?? true;
  const vocab = ADDITION_VOCAB.length;
  const L = CONTEXT_LENGTH;
  const model = transformerModel({ dModel: d, vocab, tokens: L, batch, lossPositions: ANSWER_POSITIONS, variant, layers, residual: options.residual ?? true, mlp });
  const rng = new Random(seed * 7919 + 17);
  const layout = layoutOf(model);
  const theta = new Float64Array(layout.size);
  for (const b of layout.blocks) theta.set(rng.normals(layout.blockSize(b.name), weightScale(b.shape[0]!)), layout.offset(b.name));
  const inputs: Record<string, Float64Array> = { U: rng.normals(d * vocab, weightScale(d)), mask: attentionMask(L, variant) };
  for (let l = 0; l < layers; l++) {
    if (!mlp) break;
    inputs[`W1.${l}`] = rng.normals(d * 4 * d, weightScale(d));
    inputs[`W2.${l}`] = rng.normals(4 * d * d, weightScale(4 * d));
  }
  const tokenEmbedding = rng.normals(vocab * d);
  const positionEmbedding = rng.normals(L * d);
  const data = additionBatch({ count: batch, seed });
  const X = new Float64Array(batch * L * d);
  for (let k = 0; k < batch * L; k++) {
    const token = data.inputs[k]!;
    const pos = k % L;
    for (let c = 0; c < d; c++) X[k * d + c] = tokenEmbedding[token * d + c]! + positionEmbedding[pos * d + c]!;
  }
  inputs["X"] = rescaleToStd(X, options.sigma);
  const targets = new Float64Array(batch * ANSWER_DIGITS * vocab);
  for (let k = 0; k < batch * ANSWER_DIGITS; k++) targets[k * vocab + data.targets[k]!] = 1;
  inputs["targets"] = targets;
  return { model, theta, inputs };
}

/** Options of `deepLinearPoint`: size, classes, batch, depth, seed and data scale. */
export interface DeepLinearOptions {
  readonly dModel: number;
  readonly classes: number;
  readonly batch: number;
  readonly depth: number;
  readonly seed: number;
  readonly sigma: number;
}

/** The deep linear MLP on Gaussian inputs of standard deviation sigma with random labels. */
export function deepLinearPoint(options: DeepLinearOptions): ModelPoint {
  checkSigma("deepLinearPoint", options.sigma);
  const { dModel: d, classes, batch, seed } = options;
  const model = deepLinearModel(options);
  const rng = new Random(seed * 104729 + 3);
  const layout = layoutOf(model);
  const theta = new Float64Array(layout.size);
  for (const b of layout.blocks) theta.set(rng.normals(layout.blockSize(b.name), weightScale(b.shape[0]!)), layout.offset(b.name));
  const X = rescaleToStd(rng.normals(batch * d), options.sigma);
  const targets = new Float64Array(batch * classes);
  for (let k = 0; k < batch; k++) targets[k * classes + rng.int(0, classes - 1)] = 1;
  return { model, theta, inputs: { X, targets } };
}

/** x * sigma / std(x): the embeddings at exactly the requested scale. */
export function rescaleToStd(x: Float64Array, sigma: number): Float64Array {
  let mean = 0;
  for (const v of x) mean += v / x.length;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2 / x.length;
  const s = sigma / Math.sqrt(variance);
  return x.map((v) => v * s);
}
