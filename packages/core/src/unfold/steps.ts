import { UnfoldError, locatedError, within } from "../errors.js";
import { gradients } from "../autodiff/gradients.js";
import { requireEnergy } from "../energy/check-energy.js";
import { type Energy, type Params, activated, termNamed, termValue, termValues, totalOf } from "../energy/energy.js";
import { guardParams } from "../energy/guard.js";
import { Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import {
  describeValue,
  requireFunction,
  requireName,
  requireNames,
  requireOneOf,
  requireOptionalFunction,
  requireOptions,
  requirePositive,
} from "../validate.js";

export type StepKind = "gradient" | "closedForm" | "proximal" | "projection";

/**
 * One descent step of an unfolding: a traced map from a state to the next, with a step size
 * fed at run time (so a schedule can vary it per layer or back it off without recompiling).
 */
export interface Step {
  readonly name: string;
  readonly kind: StepKind;
  /** The energy terms this step descends; the monotonicity guard watches these. */
  readonly terms: readonly string[];
  /** Step size used unless the schedule overrides it. */
  readonly stepSize: number;
  apply(state: Tensor, params: Params, stepSize: Tensor): Tensor;
}

export type Preconditioner = (gradient: Tensor, state: Tensor, params: Params) => Tensor;

interface DescentOptions {
  /** Terms to descend; all terms of the energy by default. */
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

/** Checks what every descent step takes: the energy, the options bag, the terms and the step size. */
function checkDescent(op: string, energy: Energy, options: DescentOptions, extra: readonly string[]): { terms: string[]; through: "state" | "activation" } {
  requireEnergy(op, "energy", energy);
  requireOptions(op, "options", options, [...DESCENT_OPTIONS, ...extra]);
  requirePositive(op, "stepSize", options.stepSize);
  if (options.name !== undefined) requireName(op, "name", options.name);
  const through = options.through === undefined ? "state" : requireOneOf(op, "through", options.through, THROUGH);
  if (through === "activation" && !energy.activation) throw new UnfoldError(op, `energy '${energy.name}' has no activation to step through`);
  return { terms: termList(op, energy, options.terms), through };
}

function termList(op: string, energy: Energy, terms: readonly string[] | undefined): string[] {
  if (terms === undefined) return energy.terms.map((t) => t.name);
  const list = requireNames(op, "terms", terms);
  if (list.length === 0) throw new UnfoldError(op, "terms must list at least one term (leave it out to descend all of them)");
  for (const t of list) termNamed(energy, t);
  return list;
}

/** The gradient of the selected terms, with respect to the state or to the activation. */
function descentDirection(energy: Energy, terms: readonly string[], state: Tensor, params: Params, through: "state" | "activation"): Tensor {
  if (through === "activation") {
    if (!energy.activation) throw new UnfoldError("gradientStep", `energy '${energy.name}' has no activation to step through`);
    const g = activated(energy, state, params);
    const e = totalOf(Object.fromEntries(terms.map((n) => [n, termValue(energy, termNamed(energy, n), g, params)])));
    return gradients(e, [g])[0]!;
  }
  return gradients(totalOf(termValues(energy, state, params, terms)), [state])[0]!;
}

/** Calls a function a step was given (a prox, a preconditioner) with guarded parameters, locating its errors. */
function callStepFunction<T>(energy: Energy, role: string, step: string, params: Params, fn: (params: Params) => T): T {
  const where = `the ${role} of step '${step}' of energy '${energy.name}'`;
  const value = within(where, () => fn(guardParams(energy, params, where)));
  if (!(value instanceof Tensor)) throw locatedError(new UnfoldError("step", `${where} returned ${describeValue(value)}, not a Tensor`));
  return value;
}

/** x <- x - alpha P(grad E(x)): plain or preconditioned gradient descent, derived by autodiff. */
export function gradientStep(energy: Energy, options: DescentOptions & { readonly preconditioner?: Preconditioner }): Step {
  const { terms, through } = checkDescent("gradientStep", energy, options, ["preconditioner"]);
  requireOptionalFunction("gradientStep", "preconditioner", options.preconditioner);
  const name = options.name ?? `gradient(${terms.join("+")})`;
  const { preconditioner } = options;
  return {
    name,
    kind: "gradient",
    terms,
    stepSize: options.stepSize,
    apply: (state, params, alpha) => {
      const g = descentDirection(energy, terms, state, params, through);
      const direction = preconditioner ? callStepFunction(energy, "preconditioner", name, params, (p) => preconditioner(g, state, p)) : g;
      return ops.sub(state, ops.mul(direction, alpha));
    },
  };
}

/** x <- prox(x - alpha grad E(x)): e.g. ReLU, the projection onto the non-negative orthant. */
export function proximalStep(
  energy: Energy,
  options: DescentOptions & { readonly prox: (point: Tensor, params: Params, stepSize: Tensor) => Tensor; readonly proxName?: string },
): Step {
  const { terms, through } = checkDescent("proximalStep", energy, options, ["prox", "proxName"]);
  requireFunction("proximalStep", "prox", options.prox);
  if (options.proxName !== undefined) requireName("proximalStep", "proxName", options.proxName);
  const name = options.name ?? `${options.proxName ?? "prox"}(gradient(${terms.join("+")}))`;
  const { prox } = options;
  return {
    name,
    kind: "proximal",
    terms,
    stepSize: options.stepSize,
    apply: (state, params, alpha) => {
      const g = descentDirection(energy, terms, state, params, through);
      const point = ops.sub(state, ops.mul(g, alpha));
      return callStepFunction(energy, "prox", name, params, (p) => prox(point, p, alpha));
    },
  };
}

/** The closed-form step a term declares (majorize-minimize and the like). */
export function closedFormStep(energy: Energy, term: string, options: { readonly stepSize?: number; readonly name?: string } = {}): Step {
  const op = "closedFormStep";
  requireEnergy(op, "energy", energy);
  requireName(op, "term", term);
  requireOptions(op, "options", options, ["stepSize", "name"]);
  const declared = termNamed(energy, term).closedForm;
  if (!declared) throw new UnfoldError(op, `term '${term}' of energy '${energy.name}' declares no closed-form step`);
  const stepSize = requirePositive(op, "stepSize", options.stepSize ?? 1);
  if (options.name !== undefined) requireName(op, "name", options.name);
  const where = `the closed-form step of term '${term}' of energy '${energy.name}'`;
  return {
    name: options.name ?? `closedForm(${term})`,
    kind: "closedForm",
    terms: [term],
    stepSize,
    apply: (state, params, size) => within(where, () => declared(state, guardParams(energy, params, where), size)),
  };
}

/** x <- project(x): onto a sphere, a layer-norm manifold, a box. Descends no term by itself. */
export function projectionStep(name: string, project: (state: Tensor, params: Params) => Tensor): Step {
  requireName("projectionStep", "name", name);
  requireFunction("projectionStep", `the projection of step '${name}'`, project);
  return { name, kind: "projection", terms: [], stepSize: 1, apply: (state, params) => project(state, params) };
}
