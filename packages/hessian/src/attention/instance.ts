import { Random, ShapeError, UnfoldError } from "@unfold/core";
import { type Matrix, matrix } from "../dense/matrix.js";

/** The losses the closed form covers: both are sums of per-row terms of F. */
export const LOSSES = ["mse", "crossEntropy"] as const;
/** The losses the closed form covers: mean squared error and cross-entropy. */
export type LossKind = (typeof LOSSES)[number];

/**
 * One single-head self-attention problem (docs/mathematics.md, 'Self-attention Hessian'), all matrices row-major:
 *   F = softmax_row(X W_Q W_K^T X^T / sqrt(d_K)) X W_V,   X [L, d_V], W_Q and W_K [d_V, d_K],
 *   W_V [d_V, d_out] (d_out = d_V in the paper), target [L, d_out].
 * mse: l = 1/(L d_out) ||F - target||_F^2. crossEntropy: each row of F is a logit vector over
 * d_out classes, l = mean over rows of -sum_q target_iq log softmax(F_i)_q (rows of target are
 * distributions, one-hot for labels).
 */
export interface AttentionInstance {
  readonly X: Matrix;
  readonly WQ: Matrix;
  readonly WK: Matrix;
  readonly WV: Matrix;
  readonly target: Matrix;
  readonly loss: LossKind;
}

/** The sizes of an attention instance: tokens L, d_V, d_K and the columns of W_V. */
export interface AttentionDims {
  /** Tokens L. */
  readonly tokens: number;
  /** d_V: the token (model) dimension. */
  readonly model: number;
  /** d_K: the query/key dimension. */
  readonly key: number;
  /** d_out: the columns of W_V (d_V in the paper). */
  readonly out: number;
}

/** Checks every shape against X's and returns the dimensions; errors name the matrix and both shapes. */
export function attentionDims(instance: AttentionInstance, op = "attention"): AttentionDims {
  const { X, WQ, WK, WV, target, loss } = instance;
  if (!(LOSSES as readonly string[]).includes(loss)) throw new UnfoldError(op, `unknown loss '${String(loss)}' (losses: ${LOSSES.join(", ")})`);
  const dims = { tokens: X.rows, model: X.cols, key: WQ.cols, out: WV.cols };
  const expect = (name: string, m: Matrix, rows: number, cols: number): void => {
    if (m.rows !== rows || m.cols !== cols) {
      throw new ShapeError(op, `${name} is ${m.rows} x ${m.cols}, expected ${rows} x ${cols} (X is ${X.rows} x ${X.cols}, W_Q is ${WQ.rows} x ${WQ.cols})`);
    }
  };
  if (dims.tokens < 1 || dims.model < 1 || dims.key < 1 || dims.out < 1) {
    throw new ShapeError(op, `every dimension must be at least 1, got X ${X.rows} x ${X.cols}, W_Q ${WQ.rows} x ${WQ.cols}, W_V ${WV.rows} x ${WV.cols}`);
  }
  expect("W_Q", WQ, dims.model, dims.key);
  expect("W_K", WK, dims.model, dims.key);
  expect("W_V", WV, dims.model, dims.out);
  expect("target", target, dims.tokens, dims.out);
  return dims;
}

/** Options of `randomAttentionInstance`: the sizes, the loss, the seed and the data scale. */
export interface RandomInstanceOptions {
  readonly tokens: number;
  readonly model: number;
  readonly key: number;
  readonly out?: number;
  readonly loss: LossKind;
  readonly seed: number;
  /** Scale of X's entries (the data scale sigma). */
  readonly sigma?: number;
}

/** A random instance: Gaussian X and weights (std 1/sqrt(d_V)); MSE targets Gaussian, CE targets one-hot. */
export function randomAttentionInstance(options: RandomInstanceOptions): AttentionInstance {
  const { tokens, model, key, loss, seed } = options;
  const out = options.out ?? model;
  const rng = new Random(seed);
  const w = 1 / Math.sqrt(model);
  const X = matrix(tokens, model, rng.normals(tokens * model, options.sigma ?? 1));
  const WQ = matrix(model, key, rng.normals(model * key, w));
  const WK = matrix(model, key, rng.normals(model * key, w));
  const WV = matrix(model, out, rng.normals(model * out, w));
  const target = matrix(tokens, out);
  if (loss === "mse") target.data.set(rng.normals(tokens * out));
  else for (let i = 0; i < tokens; i++) target.data[i * out + rng.int(0, out - 1)] = 1;
  return { X, WQ, WK, WV, target, loss };
}
