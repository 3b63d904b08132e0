import { type Energy, type Params, type Step, type Tensor, UnfoldError, defineEnergy, ops, requireInteger, requireName, requireOptions, requirePositive, softmax } from "@unfold/core";


/**
 * The attention energy of Yang, Huang and Wipf (2022), docs/mathematics.md, 'Yang attention energy':
 *
 *     E_att(Y) = sum_{i<j} -exp(-1/2 ||W_a (y_i - y_j)||^2),  summed over heads,
 *
 * on a state Y of shape [..., n, d] (leading axes are independent sequences). Parameter `Wa`
 * has shape [heads, headDim, d]; W_s = W_a^T W_a is symmetric PSD by construction.
 *
 * The term declares its majorize-minimize step. rho(z) = -exp(-z) is concave, so at Y^t each
 * pair is majorized by gamma_ij 1/2 ||W_a (y_i - y_j)||^2; one step preconditioned by
 * W_s^{-1} / sum_j gamma_ij is y_i <- sum_j gamma_ij y_j / sum_j gamma_ij, i.e.
 * softmax_beta(Y W_s Y^T) Y with beta_j = -1/2 y_j^T W_s y_j. That step never increases the
 * majorizer, hence never increases E_att: in token space it is a gradient step on a quadratic
 * whose preconditioned curvature I - D^{-1/2} Gamma D^{-1/2} has eigenvalues in [0, 1],
 * because the Gaussian kernel matrix Gamma (gamma_ii = 1) is positive semidefinite. So any damping
 * alpha in (0, 2) keeps the guarantee (a step alpha on a quadratic with curvature in [0, 1]);
 * Y <- (1 - alpha) Y + alpha softmax_beta(...) Y with alpha in (0, 1] is the residual connection.
 *
 * With several heads the energy is the sum of the heads' energies and the declared step averages
 * the heads' MM updates; that average is not itself a majorize-minimize step, so multi-head
 * descent is measured (the fidelity report counts it), not assumed.
 */
export interface AttentionEnergyConfig {
  readonly dim: number;
  readonly heads?: number;
  readonly headDim?: number;
  /** Term name; parameter names are prefixed by it when `prefixParams` is set. */
  readonly name?: string;
}

/** The name of the attention term (its default name; AttentionEnergyConfig.name overrides it). */
export const ATTENTION_TERM = "attention";

/** The attention energy's parameter: W_a, [heads, headDim, d]. */
export type AttentionParam = "Wa";

/** Checks an attention config for `op` (the function the user called); `fields` are the ones it takes. */
export function checkAttentionConfig(op: string, config: AttentionEnergyConfig, fields = ["dim", "heads", "headDim", "name"]): { heads: number; headDim: number } {
  requireOptions(op, "config", config, fields);
  requireInteger(op, "config.dim", config.dim, 1);
  const heads = requireInteger(op, "config.heads", config.heads ?? 1, 1);
  const headDim = requireInteger(op, "config.headDim", config.headDim ?? config.dim, 1);
  if (config.name !== undefined) requireName(op, "config.name", config.name);
  return { heads, headDim };
}

/** W_s = W_a^T W_a per head: [heads, d, d]. */
export function attentionMetric(Wa: Tensor): Tensor {
  return ops.matmul(ops.transpose(Wa, [0, 2, 1]), Wa);
}

function checkState(op: string, Y: Tensor, dim: number): void {
  if (Y.rank < 2 || Y.shape.at(-1) !== dim) {
    throw new UnfoldError(op, `state must have shape [..., n, ${dim}], got [${Y.shape.join(", ")}]`);
  }
}

/** Per head: the bilinear logits y_i^T W_s y_j [..., heads, n, n] and q_j = y_j^T W_s y_j [..., heads, 1, n]. */
export function metricLogits(Y: Tensor, Ws: Tensor): { logits: Tensor; q: Tensor } {
  const Yh = ops.reshape(Y, [...Y.shape.slice(0, -2), 1, ...Y.shape.slice(-2)]);
  const YW = ops.matmul(Yh, Ws);
  const logits = ops.matmul(YW, ops.swapLastAxes(Yh));
  const q = ops.swapLastAxes(ops.sum(ops.mul(YW, Yh), -1, true));
  return { logits, q };
}

/**
 * The same logits and q from the factor W_a instead of W_s = W_a^T W_a: with Z = Y W_a^T
 * ([..., heads, n, headDim]), logits = Z Z^T and q_j = ||z_j||^2. Equal in exact arithmetic;
 * preferred by the layers because Z Z^T is a symmetric product a backend can compute at about
 * half the cost of a general one, Z is smaller than Y W_s when headDim < d, and q needs no
 * second pass over Y.
 */
export function factoredLogits(Y: Tensor, Wa: Tensor): { logits: Tensor; q: Tensor } {
  const Yh = ops.reshape(Y, [...Y.shape.slice(0, -2), 1, ...Y.shape.slice(-2)]);
  const Z = ops.matmul(Yh, ops.swapLastAxes(Wa));
  const logits = ops.matmul(Z, ops.swapLastAxes(Z));
  const q = ops.swapLastAxes(ops.sum(ops.mul(Z, Z), -1, true));
  return { logits, q };
}

/** The energy's value: -1/2 sum_{i,j} exp(-z_ij) + n/2 per head and sequence (the i<j sum, doubled and halved). */
export function attentionEnergyValue(Y: Tensor, Wa: Tensor): Tensor {
  const { logits, q } = factoredLogits(Y, Wa);
  const z = ops.sub(ops.mul(ops.add(q, ops.swapLastAxes(q)), 0.5), logits);
  const n = Y.shape.at(-2)!;
  const copies = logits.size / (n * n);
  return ops.add(ops.mul(ops.sum(ops.exp(ops.neg(z))), -0.5), (n * copies) / 2);
}

/**
 * softmax_beta(Y W_s Y^T) Y averaged over heads: the MM update of docs/mathematics.md, 'Yang attention energy'. An additive `mask`
 * [n, n] (0 where token i may attend to token j, a large negative number where not; e.g. causal)
 * restricts each token to a subset; the masked update is no longer the MM step of E_att, so its
 * descent is for the caller to measure.
 */
export function softmaxBetaAttention(Y: Tensor, Wa: Tensor, mask?: Tensor): Tensor {
  const { logits, q } = factoredLogits(Y, Wa);
  const n = Y.shape.at(-2)!;
  if (mask && (mask.rank !== 2 || mask.shape[0] !== n || mask.shape[1] !== n)) {
    throw new UnfoldError("softmaxBetaAttention", `mask must have shape [${n}, ${n}] for ${n} tokens, got [${mask.shape.join(", ")}]`);
  }
  const shifted = ops.sub(logits, ops.mul(q, 0.5));
  return headMean(ops.matmul(softmax(mask ? ops.add(shifted, mask) : shifted, -1), headView(Y)));
}

/** softmax(Y W_s Y^T) Y averaged over heads: ordinary attention, without the beta_j correction. */
export function plainSoftmaxAttention(Y: Tensor, Wa: Tensor): Tensor {
  const { logits } = factoredLogits(Y, Wa);
  return headMean(ops.matmul(softmax(logits, -1), headView(Y)));
}

function headView(Y: Tensor): Tensor {
  return ops.reshape(Y, [...Y.shape.slice(0, -2), 1, ...Y.shape.slice(-2)]);
}

function headMean(perHead: Tensor): Tensor {
  return ops.mean(perHead, perHead.rank - 3);
}

/** The damped update Y + alpha (update - Y). */
function damped(Y: Tensor, update: Tensor, stepSize: Tensor): Tensor {
  return ops.add(Y, ops.mul(ops.sub(update, Y), stepSize));
}

/** E_att alone, with its softmax_beta majorize-minimize step declared as the term's closed form. */
export function attentionEnergy(config: AttentionEnergyConfig): Energy<AttentionParam> {
  const { heads, headDim } = checkAttentionConfig("attentionEnergy", config);
  const name = config.name ?? ATTENTION_TERM;
  const value = (Y: Tensor, p: Params<AttentionParam>): Tensor => {
    checkState(name, Y, config.dim);
    return attentionEnergyValue(Y, p.Wa);
  };
  return defineEnergy({
    name: "yang-attention",
    params: { Wa: { shape: [heads, headDim, config.dim] } },
    terms: [
      {
        name,
        value,
        closedForm: (Y, p, stepSize) => {
          checkState(name, Y, config.dim);
          return damped(Y, softmaxBetaAttention(Y, p.Wa), stepSize);
        },
      },
    ],
  });
}

/**
 * Ordinary softmax attention as a step on the attention term: exact only when every token has
 * the same W_s-norm (then beta_j is constant and cancels). Offered to measure that gap.
 */
export function plainSoftmaxStep(energy: Energy, options: { stepSize?: number; term?: string } = {}): Step<AttentionParam> {
  requireOptions("plainSoftmaxStep", "options", options, ["stepSize", "term"]);
  const stepSize = requirePositive("plainSoftmaxStep", "stepSize", options.stepSize ?? 1);
  const term = options.term ?? ATTENTION_TERM;
  if (!energy.terms.some((t) => t.name === term)) throw new UnfoldError("plainSoftmaxStep", `energy '${energy.name}' has no term '${term}'`);
  return {
    name: `plainSoftmax(${term})`,
    kind: "closedForm",
    terms: [term],
    stepSize,
    apply: (Y, p, alpha) => damped(Y, plainSoftmaxAttention(Y, p.Wa), alpha),
  };
}
