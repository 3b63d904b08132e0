import { UnfoldError } from "../errors.js";
import { type Energy, type Params, termNamed } from "../energy/energy.js";
import type { Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { describeValue, requireName, requireOptionalFunction } from "../validate.js";
import { type DescentOptions, callStepFunction, checkDescent, descentDirection } from "./descent.js";
import type { Step } from "./steps.js";

export interface ProximalStepOptions<N extends string = string> extends DescentOptions {
  /**
   * The non-smooth term whose declared prox this step applies (lambda ||z||_1 with its soft
   * threshold). The step then descends it too: its `terms` are the smooth terms plus this one,
   * so the guard (watch 'terms') watches the whole objective the step minimizes. The default
   * smooth terms are every other term.
   */
  readonly proxTerm?: string;
  /**
   * A prox given as a function instead: the projection onto a set whose indicator the energy
   * does not write as a term (ReLU, the projection onto the non-negative orthant). Its value is
   * 0 on the set, so the step's terms are the smooth ones only. Exclusive with `proxTerm`.
   */
  readonly prox?: (point: Tensor, params: Params<N>, stepSize: Tensor) => Tensor;
  /** The prox function's name, for the step's default name. */
  readonly proxName?: string;
}

/**
 * x <- prox(x - alpha grad f(x)), f the smooth terms: proximal gradient descent (ISTA) when the
 * prox is that of alpha g, or projected gradient descent when the prox is a projection. With L
 * the Lipschitz constant of grad f and g convex, each step lowers f + g for any alpha < 2/L
 * (by at least (1/alpha - L/2) ||x' - x||^2); alpha = 1/L is the usual safe choice. A step applies
 * one prox: a second non-smooth term is either listed in `terms` (its subgradient is taken) or
 * summed with the first into one term whose prox is the joint one.
 */
export function proximalStep<N extends string>(energy: Energy<N>, options: ProximalStepOptions<NoInfer<N>>): Step<N> {
  const op = "proximalStep";
  const given = options as ProximalStepOptions | undefined;
  const proxTerm = typeof given === "object" && given !== null ? given.proxTerm : undefined;
  if (proxTerm !== undefined) requireName(op, "proxTerm", proxTerm);
  const { terms, through } = checkDescent(op, energy, options, ["prox", "proxName", "proxTerm"], proxTerm);
  if (proxTerm === undefined) return functionProxStep(energy, options, terms, through);
  if (options.prox !== undefined || options.proxName !== undefined) {
    const both = options.prox !== undefined ? "prox" : "proxName";
    throw new UnfoldError(op, `proxTerm '${proxTerm}' and ${both} are exclusive: the step applies the prox that term '${proxTerm}' declares (leave out ${both}), or a prox function (leave out proxTerm)`);
  }
  const e: Energy = energy;
  // checkDescent made sure the term exists and declares a prox.
  const declared = termNamed(e, proxTerm).prox!;
  // The prox acts on the state, so the term must be a function of the state itself.
  if (e.activation) throw new UnfoldError(op, `energy '${e.name}' has an activation: term '${proxTerm}' is a function of activation(x), so its prox does not act on the state`);
  const name = options.name ?? (terms.length > 0 ? `${proxTerm}(gradient(${terms.join("+")}))` : `prox(${proxTerm})`);
  const where = `the prox of term '${proxTerm}' of energy '${e.name}' (in step '${name}')`;
  return {
    name,
    kind: "proximal",
    terms: [...terms, proxTerm],
    stepSize: options.stepSize,
    apply: (state, params, alpha) => {
      const point = terms.length > 0 ? ops.sub(state, ops.mul(descentDirection(e, terms, state, params, through), alpha)) : state;
      return callStepFunction(e, where, params, (p) => declared(point, p, alpha));
    },
  };
}

function functionProxStep(energy: Energy, options: ProximalStepOptions, terms: readonly string[], through: "state" | "activation"): Step {
  const op = "proximalStep";
  if (options.prox === undefined) {
    throw new UnfoldError(op, `needs a prox: proxTerm (the name of a term that declares its prox) or prox (a function), got neither (prox is ${describeValue(options.prox)})`);
  }
  requireOptionalFunction(op, "prox", options.prox);
  if (options.proxName !== undefined) requireName(op, "proxName", options.proxName);
  const name = options.name ?? `${options.proxName ?? "prox"}(gradient(${terms.join("+")}))`;
  const { prox } = options;
  const where = `the prox of step '${name}' of energy '${energy.name}'`;
  return {
    name,
    kind: "proximal",
    terms,
    stepSize: options.stepSize,
    apply: (state, params, alpha) => {
      const point = ops.sub(state, ops.mul(descentDirection(energy, terms, state, params, through), alpha));
      return callStepFunction(energy, where, params, (p) => prox(point, p, alpha));
    },
  };
}
