import { UnfoldError } from "../errors.js";
import { gradients } from "../autodiff/gradients.js";
import { type Energy, type Params, activated, termNamed, totalOf, termValues } from "../energy/energy.js";
import type { Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";

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

function checkStepSize(op: string, stepSize: number): void {
  if (!Number.isFinite(stepSize) || stepSize <= 0) throw new UnfoldError(op, `stepSize must be a positive number, got ${stepSize}`);
}

function termList(energy: Energy, terms: readonly string[] | undefined): string[] {
  const list = terms ? [...terms] : energy.terms.map((t) => t.name);
  for (const t of list) termNamed(energy, t);
  return list;
}

/** The gradient of the selected terms, with respect to the state or to the activation. */
function descentDirection(energy: Energy, terms: readonly string[], state: Tensor, params: Params, through: "state" | "activation"): Tensor {
  if (through === "activation") {
    if (!energy.activation) throw new UnfoldError("gradientStep", `energy '${energy.name}' has no activation to step through`);
    const g = activated(energy, state, params);
    const e = totalOf(Object.fromEntries(terms.map((n) => [n, termNamed(energy, n).value(g, params)])));
    return gradients(e, [g])[0]!;
  }
  return gradients(totalOf(termValues(energy, state, params, terms)), [state])[0]!;
}

/** x <- x - alpha P(grad E(x)): plain or preconditioned gradient descent, derived by autodiff. */
export function gradientStep(energy: Energy, options: DescentOptions & { readonly preconditioner?: Preconditioner }): Step {
  checkStepSize("gradientStep", options.stepSize);
  const terms = termList(energy, options.terms);
  const through = options.through ?? "state";
  return {
    name: options.name ?? `gradient(${terms.join("+")})`,
    kind: "gradient",
    terms,
    stepSize: options.stepSize,
    apply: (state, params, alpha) => {
      const g = descentDirection(energy, terms, state, params, through);
      const direction = options.preconditioner ? options.preconditioner(g, state, params) : g;
      return ops.sub(state, ops.mul(direction, alpha));
    },
  };
}

/** x <- prox(x - alpha grad E(x)): e.g. ReLU, the projection onto the non-negative orthant. */
export function proximalStep(
  energy: Energy,
  options: DescentOptions & { readonly prox: (point: Tensor, params: Params, stepSize: Tensor) => Tensor; readonly proxName?: string },
): Step {
  checkStepSize("proximalStep", options.stepSize);
  const terms = termList(energy, options.terms);
  const through = options.through ?? "state";
  return {
    name: options.name ?? `${options.proxName ?? "prox"}(gradient(${terms.join("+")}))`,
    kind: "proximal",
    terms,
    stepSize: options.stepSize,
    apply: (state, params, alpha) => {
      const g = descentDirection(energy, terms, state, params, through);
      return options.prox(ops.sub(state, ops.mul(g, alpha)), params, alpha);
    },
  };
}

/** The closed-form step a term declares (majorize-minimize and the like). */
export function closedFormStep(energy: Energy, term: string, options: { readonly stepSize?: number; readonly name?: string } = {}): Step {
  const declared = termNamed(energy, term).closedForm;
  if (!declared) throw new UnfoldError("closedFormStep", `term '${term}' of energy '${energy.name}' declares no closed-form step`);
  const stepSize = options.stepSize ?? 1;
  checkStepSize("closedFormStep", stepSize);
  return { name: options.name ?? `closedForm(${term})`, kind: "closedForm", terms: [term], stepSize, apply: declared };
}

/** x <- project(x): onto a sphere, a layer-norm manifold, a box. Descends no term by itself. */
export function projectionStep(name: string, project: (state: Tensor, params: Params) => Tensor): Step {
  return { name, kind: "projection", terms: [], stepSize: 1, apply: (state, params) => project(state, params) };
}
