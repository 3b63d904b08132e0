import { type Energy, type Step, type Tensor, UnfoldError, closedFormStep, defineEnergy, ops, proximalStep, requireInteger, requireOptions, requirePositive, softmax } from "@unfold/core";
import { logDetPositiveDefinite } from "./logdet.js";

/**
 * CRATE (Yu et al., "White-Box Transformers via Sparse Rate Reduction", NeurIPS 2023): tokens
 * Z [..., n, d] (one row per token), K subspace bases U_k [d, p] (the parameter U [K, d, p]).
 * The paper maximizes the sparse rate reduction R(Z) - R^c(Z; U) - lambda ||Z||_0; minimized, that
 * is R^c + lambda ||Z||_0 - R(Z). This energy is a surrogate of it: the expansion term R(Z) is
 * dropped and the l0 penalty relaxed to l1, leaving the compression term plus the sparsity term
 *
 *     R^c(Z; U) = sum_k 1/2 log det(I_p + c (Z U_k)^T (Z U_k)),  c = p / (n eps^2)
 *     lambda ||Z||_1
 *
 * (the paper writes log det(I_n + c (U_k^T Z)^T (U_k^T Z)) with tokens as columns; the p x p
 * form has the same determinant). Every guarantee here (crateProximalStep, the zoo entry) is
 * about this surrogate R^c + lambda ||Z||_1, not sparse rate reduction itself. A CRATE layer
 * works on it in two steps: MSSA, the paper's approximate gradient step on R^c (declared as the
 * compression term's closed-form step), then ISTA, a non-negative sparse-coding step (./ista.ts).
 */
export interface CrateConfig {
  readonly dim: number;
  /** K, the number of subspaces (attention heads). */
  readonly heads: number;
  /** p, the dimension of each subspace. */
  readonly headDim: number;
  /** The coding precision eps of the rate: c = p / (n eps^2). Default 1. */
  readonly eps?: number;
  /** Weight of the sparsity term lambda ||Z||_1. Default 0.1. */
  readonly lambda?: number;
}

/** The name of crateEnergy's compression term R^c(Z; U), whose closed-form step is MSSA (give it to `closedFormStep`, or in a proximal step's `terms`). */
export const CRATE_COMPRESSION_TERM = "compression";
/** The name of crateEnergy's sparsity term lambda ||Z||_1, whose prox is the non-negative soft threshold (a proximal step's `proxTerm`). */
export const CRATE_SPARSITY_TERM = "sparsity";

/** The config with its defaults, checked. */
export function crateSettings(op: string, config: CrateConfig): Required<CrateConfig> {
  requireOptions(op, "config", config, ["dim", "heads", "headDim", "eps", "lambda"]);
  for (const field of ["dim", "heads", "headDim"] as const) requireInteger(op, `config.${field}`, config[field], 1);
  const eps = requirePositive(op, "config.eps", config.eps ?? 1);
  const lambda = requirePositive(op, "config.lambda", config.lambda ?? 0.1);
  return { dim: config.dim, heads: config.heads, headDim: config.headDim, eps, lambda };
}

/** c = p / (n eps^2), the scale of every subspace's coding rate. */
export const rateScale = (headDim: number, tokens: number, eps: number): number => headDim / (tokens * eps * eps);

/** Z U_k for every k: [..., n, d] x [K, d, p] -> [..., K, n, p]. */
function projectHeads(Z: Tensor, U: Tensor, d: number): Tensor {
  if (Z.rank < 2 || Z.shape.at(-1) !== d) throw new UnfoldError("crate", `state must have shape [..., n, ${d}], got [${Z.shape.join(", ")}]`);
  return ops.matmul(ops.reshape(Z, [...Z.shape.slice(0, -2), 1, ...Z.shape.slice(-2)]), U);
}

/** R^c(Z; U) summed over the leading (batch) axes. */
export function compressionRate(Z: Tensor, U: Tensor, eps: number): Tensor {
  const [, d, p] = U.shape as [number, number, number];
  const W = projectHeads(Z, U, d);
  const c = rateScale(p, Z.shape.at(-2)!, eps);
  const eye = new Float64Array(p * p);
  for (let i = 0; i < p; i++) eye[i * p + i] = 1;
  const A = ops.add(Z.graph.constant(eye, [p, p], Z.dtype), ops.mul(ops.matmul(ops.swapLastAxes(W), W), c));
  return ops.mul(ops.sum(logDetPositiveDefinite(A)), 0.5);
}

/**
 * MSSA(Z | U) = c sum_k softmax((Z U_k)(Z U_k)^T) (Z U_k) U_k^T: multi-head subspace
 * self-attention, queries, keys and values all Z U_k, the output projected back by U_k^T.
 */
export function mssa(Z: Tensor, U: Tensor, eps: number): Tensor {
  const [, d, p] = U.shape as [number, number, number];
  const W = projectHeads(Z, U, d);
  const attended = ops.matmul(softmax(ops.matmul(W, ops.swapLastAxes(W)), -1), W);
  const back = ops.sum(ops.matmul(attended, ops.swapLastAxes(U)), -3);
  return ops.mul(back, rateScale(p, Z.shape.at(-2)!, eps));
}

/** The MSSA step Z <- (1 - alpha c) Z + alpha c MSSA(Z | U) (see crateEnergy). */
export function mssaUpdate(Z: Tensor, U: Tensor, eps: number, alpha: Tensor | number): Tensor {
  const c = rateScale(U.shape[2]!, Z.shape.at(-2)!, eps);
  return ops.add(Z, ops.mul(ops.sub(mssa(Z, U, eps), Z), typeof alpha === "number" ? alpha * c : ops.mul(alpha, c)));
}

/** max(z - tau, 0): the proximal map of tau ||z||_1 plus the indicator of z >= 0. */
export const nonNegativeSoftThreshold = (z: Tensor, tau: Tensor | number): Tensor => ops.relu(ops.sub(z, tau));

/** The energy's parameter: the subspace bases U [K, d, p]. */
export type CrateEnergy = Energy<"U">;

/**
 * The compression and sparsity terms. The compression term declares the MSSA step as its
 * closed form: the paper's approximation of Z - alpha grad R^c, from the first-order series
 * (I + c G)^(-1) ~ I - c G with sum_k U_k U_k^T = I, then softmax(G) in place of the Gram
 * matrix G. It is not the gradient of any energy: its tests measure how close it stays to the
 * exact gradient, which autodiff derives from the compression term. The sparsity term declares
 * its prox, the non-negative soft threshold: CRATE's codes live in Z >= 0, where lambda ||Z||_1
 * is lambda sum Z, and the prox is that of lambda ||Z||_1 plus the indicator of Z >= 0.
 */
export function crateEnergy(config: CrateConfig): CrateEnergy {
  const { dim, heads, headDim, eps, lambda } = crateSettings("crateEnergy", config);
  return defineEnergy({
    name: "crate",
    params: { U: { shape: [heads, dim, headDim] } },
    terms: [
      {
        name: CRATE_COMPRESSION_TERM,
        value: (Z, p) => compressionRate(Z, p.U, eps),
        closedForm: (Z, p, alpha) => mssaUpdate(Z, p.U, eps, alpha),
      },
      {
        name: CRATE_SPARSITY_TERM,
        value: (Z) => ops.mul(ops.sum(ops.abs(Z)), lambda),
        prox: (point, _p, alpha) => nonNegativeSoftThreshold(point, ops.mul(alpha, lambda)),
      },
    ],
  });
}

/** The MSSA step (closed form of the compression term), step size kappa. */
export function mssaStep(energy: CrateEnergy, options: { stepSize?: number } = {}): Step<"U"> {
  requireOptions("mssaStep", "options", options, ["stepSize"]);
  return closedFormStep(energy, CRATE_COMPRESSION_TERM, { stepSize: options.stepSize ?? 1, name: "mssa" });
}

/**
 * ReLU(Z - alpha grad R^c(Z) - alpha lambda), with the exact (autodiff) gradient and the sparsity
 * term's prox: the proximal gradient step on the surrogate R^c + lambda ||Z||_1 over Z >= 0 (a
 * CRATE layer with D = I and the exact compression gradient), not on sparse rate reduction itself
 * (see CrateConfig). With L = c lambda_max(sum_k U_k U_k^T) bounding the curvature of R^c, every
 * alpha < 2 / L lowers that surrogate from a non-negative state, by at least
 * (1/alpha - L/2) ||Z+ - Z||^2; crateStepBound gives 1 / L, the usual safe choice.
 */
export function crateProximalStep(energy: CrateEnergy, options: { stepSize: number }): Step<"U"> {
  requireOptions("crateProximalStep", "options", options, ["stepSize"]);
  return proximalStep(energy, { terms: [CRATE_COMPRESSION_TERM], proxTerm: CRATE_SPARSITY_TERM, stepSize: options.stepSize, name: "compress-sparsify" });
}
