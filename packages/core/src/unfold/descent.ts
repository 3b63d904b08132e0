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
  // Before the terms: a misspelt proxTerm would otherwise be reported as an unlisted prox term.
  if (proxTerm !== undefined) requireProxTerm(op, energy, proxTerm);
  return { terms: smoothTerms(op, energy, options.terms, proxTerm), through };
}

/** The term proxTerm names exists and declares a prox; the errors list the terms that would do. */
function requireProxTerm(op: string, energy: Energy, proxTerm: string): void {
  const names = energy.terms.map((t) => t.name);
  const withProx = energy.terms.filter((t) => t.prox).map((t) => `'${t.name}'`);
  const candidates = withProx.length > 0 ? `terms that declare a prox: ${withProx.join(", ")}` : "none of its terms declares a prox";
  if (!names.includes(proxTerm)) {
    throw new UnfoldError(op, `proxTerm '${proxTerm}': energy '${energy.name}' has no term of that name (terms: ${names.join(", ")}; ${candidates})`);
  }
  if (!termNamed(energy, proxTerm).prox) {
    throw new UnfoldError(
      op,
      `proxTerm '${proxTerm}': term '${proxTerm}' of energy '${energy.name}' declares no prox (${candidates}); ` +
        `give the term a prox(point, params, stepSize), or pass a prox function instead of proxTerm`,
    );
  }
}

function smoothTerms(op: string, energy: Energy, terms: readonly string[] | undefined, proxTerm: string | undefined): string[] {
  if (terms === undefined) {
    const list = energy.terms.filter((t) => t.name !== proxTerm);
    const nonSmooth = list.find((t) => t.prox);
    if (nonSmooth && proxTerm !== undefined) throw new UnfoldError(op, secondProx(energy, nonSmooth.name, proxTerm));
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

/**
 * Why a second prox term is refused by default: a proximal step applies one prox, so the other
 * non-smooth term is either differentiated (its subgradient, by listing it) or merged with the
 * first into one term whose prox is the joint one.
 */
function secondProx(energy: Energy, other: string, proxTerm: string): string {
  const listed = energy.terms.filter((t) => t.name !== proxTerm).map((t) => `'${t.name}'`);
  return (
    `term '${other}' of energy '${energy.name}' also declares a prox, and a proximal step applies one prox (that of proxTerm '${proxTerm}'); ` +
    `to take the subgradient of '${other}', list it in terms (terms: [${listed.join(", ")}]), ` +
    `or sum '${proxTerm}' and '${other}' into one term with a joint prox`
  );
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
