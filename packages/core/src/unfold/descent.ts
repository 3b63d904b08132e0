import { UnfoldError, locatedError, within } from "../errors.js";
import { gradients } from "../autodiff/gradients.js";
import { requireEnergy } from "../energy/check-energy.js";
import { type Energy, type Params, activated, termNamed, termValue, termValues, totalOf } from "../energy/energy.js";
import { guardParams } from "../energy/guard.js";
import { Tensor } from "../trace/graph.js";
import { describeValue, requireName, requireNames, requireOneOf, requireOptions, requirePositive } from "../validate.js";

/** What every step derived by autodiff takes. */
export interface DescentOptions {
  /**
   * Terms to descend. By default every term of the energy, except that a term declaring a prox
   * (non-smooth) is never differentiated unless listed here: the default then is an error (or,
   * for proximalStep's `proxTerm`, that term is left to its prox).
   */
  readonly terms?: readonly string[];
  readonly stepSize: number;
  readonly name?: string;
  /**
   * 'state' follows dE/dx. 'activation' follows dE/dg with g = activation(x): the dynamics of
   * the Energy Transformer and dense associative memories, which still descend E when the
   * activation's Jacobian is positive semidefinite.
   */
  readonly through?: "state" | "activation";
}

const DESCENT_OPTIONS = ["terms", "stepSize", "name", "through"];
const THROUGH = ["state", "activation"] as const;

export type Through = (typeof THROUGH)[number];

/**
 * Checks what every descent step takes: the energy, the options bag, the terms and the step
 * size. `proxTerm` is the term a proximal step leaves to its prox: out of the default list, and
 * refused in an explicit one (it would be both differentiated and proxed).
 */
export function checkDescent(op: string, energy: Energy, options: DescentOptions, extra: readonly string[], proxTerm?: string): { terms: string[]; through: Through } {
  requireEnergy(op, "energy", energy);
  requireOptions(op, "options", options, [...DESCENT_OPTIONS, ...extra]);
  requirePositive(op, "stepSize", options.stepSize);
  if (options.name !== undefined) requireName(op, "name", options.name);
  const through = options.through === undefined ? "state" : requireOneOf(op, "through", options.through, THROUGH);
  if (through === "activation" && !energy.activation) throw new UnfoldError(op, `energy '${energy.name}' has no activation to step through`);
  return { terms: smoothTerms(op, energy, options.terms, proxTerm), through };
}

function smoothTerms(op: string, energy: Energy, terms: readonly string[] | undefined, proxTerm: string | undefined): string[] {
  if (terms === undefined) {
    const list = energy.terms.filter((t) => t.name !== proxTerm);
    const nonSmooth = list.find((t) => t.prox);
    if (nonSmooth) {
      throw new UnfoldError(
        op,
        `term '${nonSmooth.name}' of energy '${energy.name}' declares a prox (it is not smooth), so ${op} does not differentiate it unless terms lists it; ` +
          `descend it with proximalStep(energy, { proxTerm: '${nonSmooth.name}', ... }), or list the terms to differentiate`,
      );
    }
    return list.map((t) => t.name);
  }
  const list = requireNames(op, "terms", terms);
  // With a prox term, an empty list is a pure proximal step: x <- prox(x).
  if (list.length === 0 && proxTerm === undefined) throw new UnfoldError(op, "terms must list at least one term (leave it out to descend all of them)");
  for (const t of list) termNamed(energy, t);
  if (proxTerm !== undefined && list.includes(proxTerm)) {
    throw new UnfoldError(op, `terms lists '${proxTerm}', the proxTerm: its prox descends it, so it must not also be differentiated (list only the smooth terms)`);
  }
  return list;
}

/** The gradient of the selected terms, with respect to the state or to the activation. */
export function descentDirection(energy: Energy, terms: readonly string[], state: Tensor, params: Params, through: Through): Tensor {
  if (through === "activation") {
    if (!energy.activation) throw new UnfoldError("gradientStep", `energy '${energy.name}' has no activation to step through`);
    const g = activated(energy, state, params);
    const e = totalOf(Object.fromEntries(terms.map((n) => [n, termValue(energy, termNamed(energy, n), g, params)])));
    return gradients(e, [g])[0]!;
  }
  return gradients(totalOf(termValues(energy, state, params, terms)), [state])[0]!;
}

/**
 * Calls a function a step was given or a term declared (a prox, a preconditioner) with guarded
 * parameters, locating its errors and checking that it returned a Tensor. `where` names it.
 */
export function callStepFunction<T>(energy: Energy, where: string, params: Params, fn: (params: Params) => T): T {
  const value = within(where, () => fn(guardParams(energy, params, where)));
  if (!(value instanceof Tensor)) throw locatedError(new UnfoldError("step", `${where} returned ${describeValue(value)}, not a Tensor`));
  return value;
}
