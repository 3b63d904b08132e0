import type * as Jax from "@jax-js/jax";
import type { EnergyProblem, Outputs, YangModel } from "../workloads/problem.js";
import type { PreparedRun } from "./engine.js";
import { type JArray, arrayOf, float64, release } from "./jax-arrays.js";

type JaxModule = typeof Jax;

/**
 * The Yang energy E_att + E_ff with jax-js ops, summed over the batch: with Z = Y Wa^T,
 * z_ij = 1/2 (||z_i||^2 + ||z_j||^2) - z_i . z_j, E_att = -1/2 sum exp(-z) + batch n / 2, and
 * E_ff = 1/2 sum((Y Wf) * Y) + 1/2 ||Y - b||^2. It consumes its arguments, each exactly once
 * (jax-js's move semantics): Y is read four times, three through `.ref`.
 */
export function jaxYangEnergy(jax: JaxModule, model: YangModel, Y: JArray, Wa: JArray, Wf: JArray, b: JArray): JArray {
  const np = jax.numpy;
  const { batch, tokens, dim } = model;
  const Z = np.matmul(Y.ref, Wa.reshape([dim, dim]).transpose());
  const squared = Z.ref.mul(Z.ref).sum(-1);
  const pairs = squared.ref.reshape([batch, tokens, 1]).add(squared.reshape([batch, 1, tokens])).mul(0.5);
  const distances = pairs.sub(np.matmul(Z.ref, Z.transpose([0, 2, 1])));
  const attention = np.exp(distances.neg()).sum().mul(-0.5).add((batch * tokens) / 2);
  const quadratic = np.matmul(Y.ref, Wf).mul(Y.ref).sum();
  const centered = Y.sub(b);
  const feedForward = quadratic.add(centered.ref.mul(centered).sum()).mul(0.5);
  return attention.add(feedForward);
}

/**
 * energy-and-gradient as jit(valueAndGrad(E)); hvp as jit of the forward-mode derivative of
 * grad(E) along V (jvp over reverse mode, as JAX's own docs recommend for Hessian-vector
 * products). Every array held across steps goes in as `.ref`; results are read (consumed).
 */
export function jaxEnergyRun(jax: JaxModule, problem: EnergyProblem): PreparedRun {
  const { state, Wa, Wf, b, direction } = problem.inputs;
  const held = [state, Wa, Wf, b].map((a) => arrayOf(jax, a)) as [JArray, JArray, JArray, JArray];
  const V = direction ? arrayOf(jax, direction) : undefined;
  const energy = (Y: JArray, wa: JArray, wf: JArray, bias: JArray): JArray => jaxYangEnergy(jax, problem.model, Y, wa, wf, bias);
  const refs = (): [JArray, JArray, JArray, JArray] => held.map((a) => a.ref) as [JArray, JArray, JArray, JArray];
  if (problem.kind === "hvp") {
    if (!V) throw new Error("hvp: the problem has no direction");
    const product = jax.jit((Y: JArray, v: JArray, wa: JArray, wf: JArray, bias: JArray): JArray => {
      const gradient = (x: JArray): JArray => jax.grad(energy)(x, wa.ref, wf.ref, bias.ref);
      const [g, hv] = jax.jvp(gradient, [Y], [v]);
      g.dispose();
      wa.dispose();
      wf.dispose();
      bias.dispose();
      return hv;
    });
    const once = async (): Promise<Outputs> => {
      const [Y, wa, wf, bias] = refs();
      return { hvp: await float64(product(Y, V.ref, wa, wf, bias)) };
    };
    return {
      check: once,
      step: async () => void (await once()),
      dispose: async () => {
        held.forEach(release);
        release(V);
        product.dispose();
      },
    };
  }
  const valueAndGradient = jax.jit((Y: JArray, wa: JArray, wf: JArray, bias: JArray) => jax.valueAndGrad(energy)(Y, wa, wf, bias));
  const once = async (): Promise<Outputs> => {
    const [value, gradient] = valueAndGradient(...refs());
    // Both are read (consumed) even if the first read fails, so a failed step leaks nothing.
    const [energy, grad] = await Promise.allSettled([float64(value), float64(gradient)]);
    if (energy.status === "rejected") throw energy.reason;
    if (grad.status === "rejected") throw grad.reason;
    return { energy: energy.value, grad: grad.value };
  };
  return {
    check: once,
    step: async () => void (await once()),
    dispose: async () => {
      held.forEach(release);
      if (V) release(V);
      valueAndGradient.dispose();
    },
  };
}
