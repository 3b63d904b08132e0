import { UnfoldError, within } from "../errors.js";
import { requireEnergy } from "../energy/check-energy.js";
import { type Energy, type Params, termNamed } from "../energy/energy.js";
import { guardParams } from "../energy/guard.js";
import type { Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { requireFunction, requireName, requireOptionalFunction, requireOptions, requirePositive } from "../validate.js";
import { type DescentOptions, callStepFunction, checkDescent, descentDirection } from "./descent.js";

export type { DescentOptions } from "./descent.js";

/** How a step was made: by gradientStep, closedFormStep, proximalStep or projectionStep. */
export type StepKind = "gradient" | "closedForm" | "proximal" | "projection";

/**
 * One descent step of an unfolding: a traced map from a state to the next, with a step size
 * fed at run time (so a schedule can vary it per layer or back it off without recompiling).
 */
export interface Step<N extends string = string> {
  readonly name: string;
  readonly kind: StepKind;
  /** The energy terms this step descends; the monotonicity guard watches these. */
  readonly terms: readonly string[];
  /** Step size used unless the schedule overrides it. */
  readonly stepSize: number;
  /**
   * True when the step is exactly x - alpha grad_x (sum of `terms`): gradientStep through the
   * state with no preconditioner. Its Jacobian in x is then I - alpha H, H that sum's Hessian
   * (symmetric), which lets an implicit gradient solve its adjoint by conjugate gradients.
   */
  readonly plainGradient?: boolean;
  /** Traces the step: the next state from `state`, the parameters and the step size (a scalar fed at run time). */
  apply(state: Tensor, params: Params<N>, stepSize: Tensor): Tensor;
}

/** P in x - alpha P(grad E(x)): maps the gradient (at `state`) to the direction the step takes. */
export type Preconditioner<N extends string = string> = (gradient: Tensor, state: Tensor, params: Params<N>) => Tensor;

/** x <- x - alpha P(grad E(x)): plain or preconditioned gradient descent, derived by autodiff. */
export function gradientStep<N extends string>(energy: Energy<N>, options: DescentOptions & { readonly preconditioner?: Preconditioner<NoInfer<N>> }): Step<N> {
  const { terms, through } = checkDescent("gradientStep", energy, options, ["preconditioner"]);
  requireOptionalFunction("gradientStep", "preconditioner", options.preconditioner);
  const name = options.name ?? `gradient(${terms.join("+")})`;
  const preconditioner = options.preconditioner as Preconditioner | undefined;
  const where = `the preconditioner of step '${name}' of energy '${energy.name}'`;
  return {
    name,
    kind: "gradient",
    terms,
    stepSize: options.stepSize,
    plainGradient: preconditioner === undefined && through === "state",
    apply: (state, params, alpha) => {
      const g = descentDirection(energy, terms, state, params, through);
      const direction = preconditioner ? callStepFunction(energy, where, params, (p) => preconditioner(g, state, p)) : g;
      return ops.sub(state, ops.mul(direction, alpha));
    },
  };
}

/** The closed-form step a term declares (majorize-minimize and the like). */
export function closedFormStep<N extends string>(energy: Energy<N>, term: string, options: { readonly stepSize?: number; readonly name?: string } = {}): Step<N> {
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
export function projectionStep<N extends string = string>(name: string, project: (state: Tensor, params: Params<N>) => Tensor): Step<N> {
  requireName("projectionStep", "name", name);
  requireFunction("projectionStep", `the projection of step '${name}'`, project);
  return { name, kind: "projection", terms: [], stepSize: 1, apply: (state, params) => project(state, params) };
}
