import { type Energy, type Step, type Tensor, UnfoldError, closedFormStep, describeValue, defineEnergy, logsumexp, ops, requireInteger, requireOptions, requirePositive, softmax } from "@unfold/core";

/** The sizes and the inverse temperature of a modern Hopfield energy (see hopfieldEnergy). */
export interface HopfieldConfig {
  /** The pattern dimension d: the state is [..., d]. */
  readonly dim: number;
  /** N, the number of stored patterns: the parameter X is [N, d]. */
  readonly memories: number;
  /** The inverse temperature, > 0 (default 1). Larger beta separates the patterns' basins. */
  readonly beta?: number;
}

/** The name of the energy's one term (the whole energy: its CCCP step descends both parts together). */
export const HOPFIELD_TERM = "hopfield";

/** Step sizes below this bound never raise the energy (see hopfieldEnergy). */
export const HOPFIELD_STEP_BOUND = 2;

/** The attention update T(q) = softmax(beta q X^T) X, row by row: the CCCP step's target. */
export function hopfieldUpdate(q: Tensor, X: Tensor, beta: number): Tensor {
  return ops.matmul(softmax(ops.mul(ops.matmul(q, ops.swapLastAxes(X)), beta), -1), X);
}

function checkState(q: Tensor, dim: number): void {
  if (q.rank < 2 || q.shape.at(-1) !== dim) {
    throw new UnfoldError(HOPFIELD_TERM, `state must have shape [..., ${dim}] with a batch axis (one query per row), got [${q.shape.join(", ")}]`);
  }
}

/**
 * The modern Hopfield energy (Ramsauer et al. 2020, "Hopfield Networks is All You Need"), for
 * queries q [..., d] (one per row, the leading axes a batch) and stored patterns X [N, d] (one per
 * row, the parameter `X`), summed over the queries. It carries to continuous states the dense
 * associative memory with an exponential interaction of Demircigil et al. 2017 ("On a Model of
 * Associative Memory with Huge Storage Capacity"), which generalizes the polynomial interactions
 * of Krotov and Hopfield 2016 ("Dense Associative Memory for Pattern Recognition"):
 *
 *     E(q) = -1/beta logsumexp(beta X q) + 1/2 ||q||^2     (the paper's constants dropped)
 *
 * Its CCCP step is the attention update T(q) = X^T softmax(beta X q). Why it descends: f(q) =
 * 1/beta logsumexp(beta X q) is convex with gradient T(q), so at q_t the quadratic
 * M(q) = -f(q_t) - T(q_t)^T (q - q_t) + 1/2 ||q||^2 majorizes E and touches it at q_t; M is
 * 1/2 ||q - T(q_t)||^2 plus a constant, minimized by T(q_t). The damped step
 * q_a = q_t + a (T(q_t) - q_t) therefore gives
 *
 *     E(q_a) <= M(q_a) = E(q_t) - a (1 - a/2) ||q_t - T(q_t)||^2,
 *
 * so E never rises for any step size a in (0, 2) (a = 1 is the CCCP step itself), and falls
 * strictly unless q_t is a fixed point. Since grad E(q) = q - T(q), the autodiff gradient step
 * of size a is the same map: gradientStep(energy, { stepSize: a }) carries the same guarantee.
 *
 * beta is a number fixed when the energy is made, not a parameter: E is convex-minus-convex only
 * for beta > 0, which is checked here once; a parameter would be fed at run time unchecked.
 */
export function hopfieldEnergy(config: HopfieldConfig): Energy<"X"> {
  const op = "hopfieldEnergy";
  requireOptions(op, "config", config, ["dim", "memories", "beta"]);
  const dim = requireInteger(op, "config.dim", config.dim, 1);
  const memories = requireInteger(op, "config.memories", config.memories, 1);
  const beta = requirePositive(op, "config.beta", config.beta ?? 1);
  return defineEnergy({
    name: "hopfield",
    params: { X: { shape: [memories, dim] } },
    terms: [
      {
        name: HOPFIELD_TERM,
        value: (q, p) => {
          checkState(q, dim);
          const recall = ops.sum(logsumexp(ops.mul(ops.matmul(q, ops.swapLastAxes(p.X)), beta), -1));
          return ops.add(ops.mul(recall, -1 / beta), ops.mul(ops.sum(ops.mul(q, q)), 0.5));
        },
        closedForm: (q, p, stepSize) => {
          checkState(q, dim);
          return ops.add(q, ops.mul(ops.sub(hopfieldUpdate(q, p.X, beta), q), stepSize));
        },
      },
    ],
  });
}

/**
 * The CCCP step q <- q + a (T(q) - q), a = stepSize in (0, 2) (default 1, the full step). Typed
 * by the energy's parameter names (Step<"X"> for hopfieldEnergy's, the renamed ones for a renamed
 * copy), so it composes with typed unfoldings.
 */
export function hopfieldStep<N extends string>(energy: Energy<N>, options: { readonly stepSize?: number; readonly name?: string } = {}): Step<N> {
  requireOptions("hopfieldStep", "options", options, ["stepSize", "name"]);
  const terms = (energy as Partial<Energy> | undefined)?.terms;
  if (!Array.isArray(terms) || !terms.some((t: { name?: unknown }) => t.name === HOPFIELD_TERM)) {
    throw new UnfoldError("hopfieldStep", `energy must be one made by hopfieldEnergy (with a term '${HOPFIELD_TERM}'), got ${Array.isArray(terms) ? `energy '${energy.name}'` : describeValue(energy)}`);
  }
  const stepSize = requirePositive("hopfieldStep", "stepSize", options.stepSize ?? 1);
  if (stepSize >= HOPFIELD_STEP_BOUND) {
    throw new UnfoldError("hopfieldStep", `stepSize must be below ${HOPFIELD_STEP_BOUND} for the energy to descend, got ${stepSize}`);
  }
  return closedFormStep(energy, HOPFIELD_TERM, { stepSize, name: options.name ?? "cccp" });
}
