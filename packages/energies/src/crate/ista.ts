import { type Energy, type Step, type Tensor, defineEnergy, ops, proximalStep, requireInteger, requireOptions, requirePositive } from "@unfold/core";
import { nonNegativeSoftThreshold } from "./energy.js";

/**
 * CRATE's sparsification: non-negative sparse coding of tokens X [n, d] (rows) in a dictionary
 * D [d, d], over codes Z [..., n, d]:
 *
 *     1/2 ||X - Z D^T||^2 + lambda ||Z||_1,  Z >= 0
 *
 * One ISTA step from Z = X is CRATE's ISTA block, Z <- ReLU(X + eta (X - X D^T) D - eta lambda)
 * (tokens as columns: ReLU(x + eta D^T (x - D x) - eta lambda)). The reconstruction's gradient is
 * L-Lipschitz with L = ||D||_2^2, and the sparsity prox is convex, so a step lowers the objective
 * from a non-negative Z by at least (1/eta - L/2) ||Z+ - Z||^2 (the proximal gradient descent
 * lemma): every eta < 2 / L descends, and eta = 1 / L (istaStepBound) is the usual safe choice.
 */
export interface SparseCodingConfig {
  readonly dim: number;
  /** n, the number of tokens of X. */
  readonly tokens: number;
  /** Default 0.1. */
  readonly lambda?: number;
}

/** The name of sparseCodingEnergy's smooth term 1/2 ||X - Z D^T||^2, which ISTA takes its gradient step on. */
export const RECONSTRUCTION_TERM = "reconstruction";
/** The name of sparseCodingEnergy's term lambda ||Z||_1, whose prox (the non-negative soft threshold at eta lambda) ISTA applies. */
export const SPARSE_CODE_TERM = "sparsity";

/** The parameters: the dictionary D [d, d] and the tokens X [n, d] it codes. */
export type SparseCodingEnergy = Energy<"D" | "X">;

/**
 * The non-negative sparse-coding energy 1/2 ||X - Z D^T||^2 + lambda ||Z||_1 of codes Z [..., n, d]
 * (the state), with the dictionary D [d, d] and the tokens X [n, d] as parameters. The config is
 * checked: dim and tokens positive integers, lambda positive (default 0.1); an error names the field.
 */
export function sparseCodingEnergy(config: SparseCodingConfig): SparseCodingEnergy {
  const op = "sparseCodingEnergy";
  requireOptions(op, "config", config, ["dim", "tokens", "lambda"]);
  const d = requireInteger(op, "config.dim", config.dim, 1);
  const n = requireInteger(op, "config.tokens", config.tokens, 1);
  const lambda = requirePositive(op, "config.lambda", config.lambda ?? 0.1);
  return defineEnergy({
    name: "sparse-coding",
    params: { D: { shape: [d, d] }, X: { shape: [n, d] } },
    terms: [
      {
        name: RECONSTRUCTION_TERM,
        value: (Z, p) => {
          const r = ops.sub(p.X, ops.matmul(Z, ops.swapLastAxes(p.D)));
          return ops.mul(ops.sum(ops.mul(r, r)), 0.5);
        },
      },
      {
        name: SPARSE_CODE_TERM,
        value: (Z) => ops.mul(ops.sum(ops.abs(Z)), lambda),
        prox: (point, _p, eta) => nonNegativeSoftThreshold(point, ops.mul(eta, lambda)),
      },
    ],
  });
}

/**
 * CRATE's ISTA block in closed form: one ISTA step from Z = X, ReLU(X + eta (X - X D^T) D -
 * eta lambda). Equal to istaStep applied at Z = X with the parameter X (tested); as a function of
 * one tensor it also differentiates correctly through both of X's roles, where the step, given
 * X as both its state and its data, would differentiate the data too.
 */
export function istaBlock(X: Tensor, D: Tensor, eta: Tensor | number, lambda: number): Tensor {
  const residual = ops.sub(X, ops.matmul(X, ops.swapLastAxes(D)));
  const shift = typeof eta === "number" ? eta * lambda : ops.mul(eta, lambda);
  return nonNegativeSoftThreshold(ops.add(X, ops.mul(ops.matmul(residual, D), eta)), shift);
}

/** The ISTA step: the reconstruction's gradient step (autodiff), then the sparsity term's prox, the non-negative soft threshold at eta lambda. */
export function istaStep(energy: SparseCodingEnergy, options: { stepSize?: number } = {}): Step<"D" | "X"> {
  requireOptions("istaStep", "options", options, ["stepSize"]);
  return proximalStep(energy, { terms: [RECONSTRUCTION_TERM], proxTerm: SPARSE_CODE_TERM, stepSize: options.stepSize ?? 0.1, name: "ista" });
}
