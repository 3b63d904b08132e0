import { type Tensor, crossEntropy, ops, softmax } from "@unfold/core";
import type { AttentionDims, AttentionInstance, LossKind } from "../attention/instance.js";
import { attentionDims } from "../attention/instance.js";
import type { CurvatureModel } from "../curvature/model.js";

/**
 * The single-head self-attention loss of docs/mathematics.md, 'Self-attention Hessian', as a traced model over
 * theta = (vec(W_Q), vec(W_K), vec(W_V)): the autodiff side every closed-form block is checked
 * against. Inputs: X [L, d_V] and target [L, d_out].
 */
export function attentionModel(dims: AttentionDims, loss: LossKind): CurvatureModel {
  const { tokens: L, model: dV, key: dK, out: dOut } = dims;
  return {
    name: `attention(${loss})`,
    params: [
      { name: "Q", shape: [dV, dK] },
      { name: "K", shape: [dV, dK] },
      { name: "V", shape: [dV, dOut] },
    ],
    inputs: { X: [L, dV], target: [L, dOut] },
    output: (p, { X }) => selfAttention(X!, p["Q"]!, p["K"]!, p["V"]!),
    loss: (F, { target }) => attentionLoss(F, target!, loss),
  };
}

/** softmax_row(X W_Q (X W_K)^T / sqrt(d_K)) X W_V. */
export function selfAttention(X: Tensor, WQ: Tensor, WK: Tensor, WV: Tensor): Tensor {
  const logits = ops.div(ops.matmul(ops.matmul(X, WQ), ops.swapLastAxes(ops.matmul(X, WK))), Math.sqrt(WQ.shape.at(-1)!));
  return ops.matmul(softmax(logits, -1), ops.matmul(X, WV));
}

/** The loss of an attention output F against its target: MSE or cross-entropy, as traced tensors. */
export function attentionLoss(F: Tensor, target: Tensor, loss: LossKind): Tensor {
  if (loss === "crossEntropy") return crossEntropy(F, target);
  const r = ops.sub(F, target);
  return ops.mean(ops.mul(r, r));
}

/** An instance's values in the model's layout: theta and inputs. */
export function attentionFeeds(instance: AttentionInstance): { theta: Float64Array; inputs: { X: Float64Array; target: Float64Array } } {
  const dims = attentionDims(instance, "attentionFeeds");
  const n = 2 * dims.model * dims.key + dims.model * dims.out;
  const theta = new Float64Array(n);
  theta.set(instance.WQ.data, 0);
  theta.set(instance.WK.data, dims.model * dims.key);
  theta.set(instance.WV.data, 2 * dims.model * dims.key);
  return { theta, inputs: { X: instance.X.data, target: instance.target.data } };
}
