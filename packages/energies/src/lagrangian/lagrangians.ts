import { type ParamSpecs, type Params, type Tensor, logsumexp, moments, ops, requireName, requireNonNegative, requireOptions, requirePositive } from "@unfold/core";
import { paramSpecs } from "./param-specs.js";

/**
 * A neuron layer's Lagrangian L(x): a scalar function of the layer's state x [..., width], summed
 * over the leading axes (each row is one independent copy of the layer). Its gradient is the
 * layer's activation g = dL/dx, which the network derives by autodiff, and the layer's energy is
 * the Legendre transform <x, g> - L(x). A convex L (a positive semidefinite Hessian, which is the
 * activation's Jacobian) is what makes the network's dynamics descend its energy. Every factory
 * here gives a convex L, layerNormLagrangian only while its gain is >= 0.
 */
export interface Lagrangian<N extends string = string> {
  /** What it is, for messages: 'identity', 'softmax', 'layerNorm', ... */
  readonly kind: string;
  /** The parameters it reads (their names are N), declared for a layer of `width` units. */
  readonly params?: (width: number) => ParamSpecs<N>;
  /** L(x) for a layer state x [..., width]: a scalar, summed over the leading axes. */
  value(x: Tensor, params: Params<N>): Tensor;
}

/** L = 1/2 ||x||^2, g = x. */
export function identityLagrangian(): Lagrangian<never> {
  return { kind: "identity", value: (x) => ops.mul(ops.sum(ops.mul(x, x)), 0.5) };
}

/** L = 1/2 ||relu(x)||^2, g = relu(x). */
export function reluLagrangian(): Lagrangian<never> {
  return {
    kind: "relu",
    value: (x) => {
      const r = ops.relu(x);
      return ops.mul(ops.sum(ops.mul(r, r)), 0.5);
    },
  };
}

/** L = beta^-1 logsumexp(beta x) along `axis` (the units by default), g = softmax(beta x). */
export function softmaxLagrangian(options: { beta?: number; axis?: number } = {}): Lagrangian<never> {
  requireOptions("softmaxLagrangian", "options", options, ["beta", "axis"]);
  const beta = requirePositive("softmaxLagrangian", "options.beta", options.beta ?? 1);
  const axis = options.axis ?? -1;
  return { kind: "softmax", value: (x) => ops.mul(ops.sum(logsumexp(ops.mul(x, beta), axis)), 1 / beta) };
}

/**
 * logsumexp(a, b) elementwise, for a and b of one shape: the two stacked on a new last axis. It
 * builds softplus and log cosh from x alone, with no constant of the state's shape and a gradient
 * that is exactly a softmax of the pair (no kink at 0, where max and abs have one).
 */
function logAddExp(a: Tensor, b: Tensor): Tensor {
  const column = (t: Tensor): Tensor => ops.reshape(t, [...t.shape, 1]);
  return logsumexp(ops.concat([column(a), column(b)], -1), -1);
}

/** L = sum softplus(x) = sum log(1 + e^x), g = sigmoid(x). softplus(x) = x/2 + log(e^-x/2 + e^x/2). */
export function sigmoidLagrangian(): Lagrangian<never> {
  return {
    kind: "sigmoid",
    value: (x) => {
      const half = ops.mul(x, 0.5);
      return ops.sum(ops.add(half, logAddExp(ops.neg(half), half)));
    },
  };
}

/** L = sum log cosh(x) = sum log(e^x + e^-x) - log 2, g = tanh(x). */
export function tanhLagrangian(): Lagrangian<never> {
  return { kind: "tanh", value: (x) => ops.sum(ops.sub(logAddExp(x, ops.neg(x)), Math.LN2)) };
}

/** The parameter names (and eps) of layerNormLagrangian. */
export interface LayerNormLagrangianOptions<G extends string = string, B extends string = string> {
  /** Name of the scalar gain gamma (a parameter of shape []); it must stay >= 0 for L to be convex. */
  readonly gain: G;
  /** Name of the bias delta (a parameter of shape [width]). */
  readonly bias: B;
  readonly eps?: number;
}

/**
 * The Energy Transformer's Lagrangian, per row of D units:
 *     L(x) = D gamma sqrt(var(x) + eps) + <delta, x>,   g = gamma (x - mean(x)) / sqrt(var(x) + eps) + delta,
 * which is LayerNorm(x) with a scalar gain. A gain per unit would make the Jacobian of g
 * non-symmetric, so g would no longer be the gradient of any L.
 *
 * sqrt(var(x) + eps) is convex (the Euclidean norm of ((x - mean(x)) / sqrt(D), sqrt(eps))), so L is
 * convex exactly when gamma >= 0, and the descent of lagrangianStep holds only then: with
 * gamma < 0 the Jacobian is negative semidefinite and a small step raises E wherever dE/dx != 0
 * (tested). The gain is a
 * parameter, fed at run time and learned by a trainer; it is declared "nonNegative", so
 * checkParams (runUnfolding) refuses a negative value, while a trainer that learns it must keep it
 * >= 0 itself. It is kept as a plain parameter, not reparametrized (as softplus(theta), say), so that
 * one parameter set feeds both this network and energyTransformerEnergy.
 */
export function layerNormLagrangian<const G extends string, const B extends string>(options: LayerNormLagrangianOptions<G, B>): Lagrangian<G | B> {
  const op = "layerNormLagrangian";
  requireOptions(op, "options", options, ["gain", "bias", "eps"]);
  const gain = requireName(op, "options.gain", options.gain) as G;
  const bias = requireName(op, "options.bias", options.bias) as B;
  const eps = requireNonNegative(op, "options.eps", options.eps ?? 1e-5);
  return {
    kind: "layerNorm",
    // nonNegative: runUnfolding refuses a negative gain, under which L is concave and steps climb.
    params: (width) => paramSpecs<G | B>([gain, { shape: [], constraint: "nonNegative" }], [bias, { shape: [width] }]),
    value: (x, p) => {
      const width = x.shape.at(-1)!;
      const spread = ops.sum(ops.sqrt(ops.add(moments(x, -1).variance, eps)));
      return ops.add(ops.mul(ops.mul(spread, p[gain]), width), ops.sum(ops.mul(x, p[bias])));
    },
  };
}
