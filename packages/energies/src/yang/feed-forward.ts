import {
  type Energy,
  type Step,
  type Tensor,
  UnfoldError,
  defineEnergy,
  mapEigenvalues,
  ops,
  proximalStep,
  symmetricEigen,
  requireName,
  requireOneOf,
  requireOptions,
  requirePositive,
  termNamed,
  requireInteger,
} from "@unfold/core";


/**
 * The feed-forward energy of docs/mathematics.md, 'Yang feed-forward energy', on a state Y of shape [..., n, d]:
 *
 *     E_ff(Y) = 1/2 tr(Y W_f Y^T) + 1/2 ||Y - 1 b^T||_F^2,   W_f symmetric, I + W_f > 0.
 *
 * Where the regularizer sits: the paper's R(Y) = 1/2 ||Y||^2 is grouped here, inside
 * 1/2 ||Y - 1 b^T||^2 (they differ by a term linear in Y and a constant). Grouping it with the
 * feed-forward term leaves the attention energy purely pairwise, so its softmax_beta step is an
 * exact majorize-minimize step of that term alone, and makes this term a strongly convex
 * quadratic whose gradient step is exactly the symmetric linear map plus bias:
 *
 *     Y <- Y ((1 - alpha) I - alpha W_f) + alpha 1 b^T.
 *
 * Its gradient is Lipschitz with L = 1 + lambda_max(W_f), so any alpha < 2/L decreases E_ff;
 * ReLU is the projection onto {Y >= 0}, so ReLU(that step) is a projected-gradient step that
 * also decreases E_ff (from a non-negative state) for the same alpha.
 */
export const FEED_FORWARD_TERM = "feedForward";

/** The feed-forward energy's parameters: the symmetric W_f [d, d] and the bias b [d]. */
export type FeedForwardParam = "Wf" | "b";

/** The token width, and the term's name (FEED_FORWARD_TERM by default). */
export interface FeedForwardEnergyConfig {
  readonly dim: number;
  readonly name?: string;
}

/** E_ff alone, with its gradient step declared in closed form. */
export function feedForwardEnergy(config: FeedForwardEnergyConfig): Energy<FeedForwardParam> {
  requireOptions("feedForwardEnergy", "config", config, ["dim", "name"]);
  requireInteger("feedForwardEnergy", "config.dim", config.dim, 1);
  const name = config.name === undefined ? FEED_FORWARD_TERM : requireName("feedForwardEnergy", "config.name", config.name);
  const d = config.dim;
  const check = (Y: Tensor): void => {
    if (Y.rank < 2 || Y.shape.at(-1) !== d) throw new UnfoldError(name, `state must have shape [..., n, ${d}], got [${Y.shape.join(", ")}]`);
  };
  return defineEnergy({
    name: "yang-feed-forward",
    params: { Wf: { shape: [d, d], constraint: "symmetric" }, b: { shape: [d] } },
    terms: [
      {
        name,
        value: (Y, p) => {
          check(Y);
          const quadratic = ops.sum(ops.mul(ops.matmul(Y, p.Wf), Y));
          const centered = ops.sub(Y, p.b);
          return ops.mul(ops.add(quadratic, ops.sum(ops.mul(centered, centered))), 0.5);
        },
        // The gradient step in closed form (before any projection).
        closedForm: (Y, p, alpha) => {
          check(Y);
          const shrink = ops.sub(ops.mul(Y, ops.sub(1, alpha)), ops.mul(ops.matmul(Y, p.Wf), alpha));
          return ops.add(shrink, ops.mul(p.b, alpha));
        },
      },
    ],
  });
}

/**
 * ReLU(Y - alpha grad E_ff): one feed-forward sub-layer. `gradient: 'autodiff'` derives the step
 * from the energy; 'closedForm' (the default) uses the term's declared gradient step
 * Y((1 - alpha) I - alpha W_f) + alpha 1 b^T, the same map (the tests check they agree), with one
 * matrix product where autodiff of 1/2 tr(Y W_f Y^T) needs two (Y W_f and Y W_f^T, because it
 * cannot know W_f is symmetric).
 */
export function feedForwardStep<N extends string>(energy: Energy<N>, options: { stepSize: number; term?: string; gradient?: "closedForm" | "autodiff" }): Step<N> {
  requireOptions("feedForwardStep", "options", options, ["stepSize", "term", "gradient"]);
  requirePositive("feedForwardStep", "stepSize", options.stepSize);
  if (options.gradient !== undefined) requireOneOf("feedForwardStep", "options.gradient", options.gradient, ["closedForm", "autodiff"]);
  const term = options.term ?? FEED_FORWARD_TERM;
  const autodiff = proximalStep(energy, {
    terms: [term],
    stepSize: options.stepSize,
    prox: (point) => ops.relu(point),
    proxName: "relu",
  });
  if (options.gradient === "autodiff") return autodiff;
  const declared = termNamed(energy, term).closedForm;
  if (!declared) throw new UnfoldError("feedForwardStep", `term '${term}' of energy '${energy.name}' declares no closed-form step`);
  return { ...autodiff, apply: (Y, p, alpha) => ops.relu(declared(Y, p, alpha)) };
}

/**
 * The step-size bound 2 / (1 + lambda_max(W_f)) under which the feed-forward step descends, after
 * checking that W_f is symmetric with I + W_f positive definite (else E_ff is not bounded below).
 */
export function feedForwardStepBound(Wf: ArrayLike<number>, dim: number): { bound: number; lambdaMin: number; lambdaMax: number } {
  checkSquareData("feedForwardStepBound", Wf, dim);
  const { values } = symmetricEigen(Wf, dim);
  const lambdaMin = Math.min(...values);
  const lambdaMax = Math.max(...values);
  if (!(lambdaMin > -1)) {
    throw new UnfoldError("feedForwardStepBound", `I + Wf must be positive definite, but Wf has eigenvalue ${lambdaMin} <= -1`);
  }
  return { bound: 2 / (1 + lambdaMax), lambdaMin, lambdaMax };
}

/** W_f as data: dim * dim numbers, row-major. */
export function checkSquareData(op: string, Wf: ArrayLike<number>, dim: number): void {
  requireInteger(op, "dim", dim, 1);
  const length = (Wf as { length?: unknown } | undefined)?.length;
  if (length !== dim * dim) throw new UnfoldError(op, `Wf must hold ${dim} x ${dim} = ${dim * dim} values, got ${length === undefined ? String(Wf) : `${String(length)} values`}`);
}

/** Clips the spectrum of a symmetric W_f into [lo, hi] (the public code's [-0.95, 0.95] by default). */
export function clipSpectrum(Wf: ArrayLike<number>, dim: number, lo = -0.95, hi = 0.95): Float64Array {
  if (!(lo > -1 && lo <= hi)) throw new UnfoldError("clipSpectrum", `need -1 < lo <= hi, got lo=${lo}, hi=${hi}`);
  return mapEigenvalues(Wf, dim, (v) => Math.min(hi, Math.max(lo, v)));
}
