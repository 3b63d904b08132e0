import { type Step, UnfoldError, describeValue, ops, requireName, requireOptions, requirePositive } from "@unfold/core";
import type { LagrangianNetwork } from "./network.js";

/**
 * x_l <- x_l - alpha dE/dg_l for every layer at once: the network's dynamics tau dx/dt = -dE/dg
 * in one explicit Euler step, dE/dg derived by autodiff (LagrangianNetwork.energyGradients).
 *
 * Why it descends: dE/dx_l = H_l dE/dg_l, where H_l = d^2 L_l / dx_l^2 is layer l's activation
 * Jacobian. So the step direction v = dE/dg has dE/dx . v = sum_l v_l^T H_l v_l >= 0 whenever
 * every Lagrangian is convex (for layerNormLagrangian: its gain >= 0), and the first-order change
 * of E is -alpha sum_l v_l^T H_l v_l. It is strictly negative wherever dE/dx != 0: H_l is positive
 * semidefinite, so v_l^T H_l v_l = ||H_l^(1/2) v_l||^2 vanishes only when H_l v_l = dE/dx_l = 0
 * (no positive definiteness needed). So away from stationary points of E a small enough step
 * lowers E strictly (where E is twice differentiable: a ReLU layer has a kink at x = 0). How small
 * depends on the curvature of E; the unfolding's guard checks every step.
 */
export function lagrangianStep<N extends string>(network: LagrangianNetwork<N>, options: { stepSize?: number; name?: string } = {}): Step<N> {
  const op = "lagrangianStep";
  if (typeof network !== "object" || network === null || typeof network.energyGradients !== "function") {
    throw new UnfoldError(op, `network must be made with lagrangianNetwork, got ${describeValue(network)}`);
  }
  requireOptions(op, "options", options, ["stepSize", "name"]);
  const stepSize = requirePositive(op, "options.stepSize", options.stepSize ?? 0.1);
  const name = options.name === undefined ? `lagrangian(${network.energy.name})` : requireName(op, "options.name", options.name);
  return {
    name,
    kind: "gradient",
    terms: network.energy.terms.map((t) => t.name),
    stepSize,
    apply: (x, params, alpha) => {
      const xs = network.states(x);
      const d = network.energyGradients(x, params);
      const next = network.layout.map(({ name: l }) => ops.sub(xs[l]!, ops.mul(d[l]!, alpha)));
      return next.length === 1 ? next[0]! : ops.concat(next, -1);
    },
  };
}
