import type * as TF from "@tensorflow/tfjs";
import type { EnergyProblem, Outputs, YangModel } from "../workloads/problem.js";
import type { PreparedRun } from "./engine.js";
import { float64, tensorOf } from "./tfjs-arrays.js";

type Tf = typeof TF;

/**
 * The Yang energy E_att + E_ff with TensorFlow.js ops, summed over the batch: with Z = Y Wa^T,
 * z_ij = 1/2 (||z_i||^2 + ||z_j||^2) - z_i . z_j, E_att = -1/2 sum exp(-z) + batch n / 2, and
 * E_ff = 1/2 sum((Y Wf) * Y) + 1/2 ||Y - b||^2.
 */
export function tfjsYangEnergy(tf: Tf, model: YangModel, Y: TF.Tensor, Wa: TF.Tensor, Wf: TF.Tensor, b: TF.Tensor): TF.Scalar {
  const { batch, tokens, dim } = model;
  const rows = batch * tokens;
  const flat = tf.reshape(Y, [rows, dim]) as TF.Tensor2D;
  const Z = tf.reshape(tf.matMul(flat, tf.reshape(Wa, [dim, dim]) as TF.Tensor2D, false, true), [batch, tokens, dim]) as TF.Tensor3D;
  const squared = tf.sum(tf.mul(Z, Z), -1, true);
  const distances = tf.sub(tf.mul(tf.add(squared, tf.transpose(squared, [0, 2, 1])), 0.5), tf.matMul(Z, Z, false, true));
  const attention = tf.add(tf.mul(tf.sum(tf.exp(tf.neg(distances))), -0.5), (batch * tokens) / 2);
  const quadratic = tf.sum(tf.mul(tf.matMul(flat, Wf as TF.Tensor2D), flat));
  const centered = tf.sub(Y, b);
  const feedForward = tf.mul(tf.add(quadratic, tf.sum(tf.mul(centered, centered))), 0.5);
  return tf.add(attention, feedForward) as TF.Scalar;
}

/**
 * energy-and-gradient with tf.valueAndGrad, or hvp as tf.grad of <tf.grad(E), V>: TensorFlow.js's
 * own reverse mode, applied twice for the Hessian-vector product. That second application is
 * wrong here: tfjs's gradient of exp multiplies by exp's saved output, which the outer tf.grad
 * treats as a constant, so H V misses a term (relErr about 0.2). It is run as written, the way a
 * user would write it; the runner flags the result and takes it as no engine's baseline.
 */
export function tfjsEnergyRun(tf: Tf, problem: EnergyProblem): PreparedRun {
  const { state, Wa, Wf, b, direction } = problem.inputs;
  const Y = tensorOf(tf, state);
  const weights = [Wa, Wf, b].map((a) => tensorOf(tf, a)) as [TF.Tensor, TF.Tensor, TF.Tensor];
  const V = direction ? tensorOf(tf, direction) : undefined;
  const energy = (x: TF.Tensor): TF.Scalar => tfjsYangEnergy(tf, problem.model, x, ...weights);
  const once = async (): Promise<Outputs> => {
    if (problem.kind === "hvp") {
      if (!V) throw new Error("hvp: the problem has no direction");
      const gradient = tf.grad(energy);
      const product = tf.tidy(() => tf.grad((x: TF.Tensor) => tf.sum(tf.mul(gradient(x), V)) as TF.Scalar)(Y));
      const data = await float64(product);
      product.dispose();
      return { hvp: data };
    }
    const { value, grad } = tf.tidy(() => tf.valueAndGrad(energy)(Y));
    try {
      return { energy: await float64(value), grad: await float64(grad) };
    } finally {
      tf.dispose([value, grad]);
    }
  };
  return {
    check: once,
    step: async () => void (await once()),
    dispose: async () => tf.dispose([Y, ...weights, ...(V ? [V] : [])]),
  };
}
