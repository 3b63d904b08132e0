import type { DType } from "../dtype.js";
import { ShapeError, UnfoldError, formatShape, locatedError, within } from "../errors.js";
import type { Shape } from "../shape.js";
import { Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { describeValue } from "../validate.js";
import { checkEnergyDefinition } from "./check-energy.js";
import { guardParams } from "./guard.js";

/**
 * The traced parameters a term, activation or step reads, by name. `N` is the union of the
 * energy's parameter names, inferred by defineEnergy from its `params`, so `p.W` is a Tensor and
 * a misspelt `p.Ww` fails to compile; `Params` alone (N = string) is the untyped record.
 */
export type Params<N extends string = string> = { readonly [K in N]: Tensor };

/**
 * A requirement on a parameter's values that a step's descent guarantee rests on, checked on the
 * host by checkParams before anything runs (runUnfolding, energyCurvature), so a violation is
 * reported by name rather than seen as an energy that fails to descend:
 * - `"symmetric"`: each trailing square matrix equals its transpose (to rounding);
 * - `"nonNegative"`: every entry is >= 0 (a gain that keeps a Lagrangian convex, say).
 */
export type Constraint = "symmetric" | "nonNegative";

/** A parameter's declaration: its shape, and a constraint its values must meet. */
export interface ParamSpec {
  readonly shape: Shape;
  /** What the values must meet; "symmetric" applies to each trailing square matrix. */
  readonly constraint?: Constraint;
}

/** The parameter declarations of an energy, by name. */
export type ParamSpecs<N extends string = string> = { readonly [K in N]: ParamSpec };

// The functions of a term and of an energy are declared as methods, not function-valued
// properties: method parameters compare bivariantly, so an Energy<"W"> (whose terms read
// Params<"W">) is still an Energy, and code written for the untyped API keeps accepting it.

/** One named term of an energy: a scalar function of the state. */
export interface EnergyTerm<N extends string = string> {
  readonly name: string;
  /** The term's value at `state` (the activated state when the energy has an activation): a scalar. */
  value(state: Tensor, params: Params<N>): Tensor;
  /**
   * A closed-form descent step on this term (majorize-minimize, exact minimization, ...), of
   * step size `stepSize` (1 = the full step). Declared by the term, verified by tests against
   * the autodiff gradient of `value`.
   */
  closedForm?(state: Tensor, params: Params<N>, stepSize: Tensor): Tensor;
  /**
   * The proximal operator of `stepSize` times this term: argmin_z stepSize * value(z) +
   * 1/2 ||z - point||^2 (soft thresholding for lambda ||z||_1). A term that declares one is
   * non-smooth: proximalStep's `proxTerm` applies it after a gradient step on the other terms,
   * and a step derived by autodiff does not differentiate it unless its `terms` list it.
   */
  prox?(point: Tensor, params: Params<N>, stepSize: Tensor): Tensor;
}

/**
 * An energy: a sum of named terms over a state and parameters. With an `activation`, the terms
 * are functions of g = activation(x) (as in dense associative memories and the Energy
 * Transformer), and gradient dynamics may follow dE/dg.
 */
export interface Energy<N extends string = string> {
  readonly name: string;
  readonly terms: readonly EnergyTerm<N>[];
  readonly params: ParamSpecs<N>;
  /** g = activation(x), the state the terms see; absent, the terms see x itself. */
  activation?(state: Tensor, params: Params<N>): Tensor;
}

/** The parameter names of an energy type: `ParamNames<typeof energy>` is "W" | "b" for Energy<"W" | "b">. */
export type ParamNames<E> = E extends { readonly params: infer P } ? Extract<keyof P, string> : never;

/** What defineEnergy takes: the energy, with its terms typed by the names declared in `params`. */
export interface EnergyDefinition<N extends string> {
  readonly name: string;
  readonly params: ParamSpecs<N>;
  readonly terms: readonly EnergyTerm<NoInfer<N>>[];
  /** g = activation(x), the state the terms see (see Energy.activation). */
  activation?(state: Tensor, params: Params<NoInfer<N>>): Tensor;
}

/**
 * Checks and returns an energy. Every field is checked (a misspelt one is an error), and each
 * term's parameters are read through a guard when it is traced, so a term reading a parameter
 * the energy does not declare fails naming the term, the parameter and the declared ones (the
 * check that plain JavaScript gets; in TypeScript the parameter names are inferred from
 * `params`, so such a read does not compile).
 */
export function defineEnergy<const N extends string>(energy: EnergyDefinition<N>): Energy<N> {
  return checkEnergyDefinition("defineEnergy", energy) as Energy<N>;
}

/** The term of `energy` named `name`; an error listing the energy's terms when it has none of that name. */
export function termNamed(energy: Energy, name: string): EnergyTerm {
  const term = energy.terms.find((t) => t.name === name);
  if (!term) {
    throw new UnfoldError("energy", `energy '${energy.name}' has no term ${typeof name === "string" ? `'${name}'` : describeValue(name)} (terms: ${energy.terms.map((t) => t.name).join(", ")})`);
  }
  return term;
}

/** The state the terms see: the activation's output when there is one. */
export function activated(energy: Energy, state: Tensor, params: Params): Tensor {
  const { activation } = energy;
  if (!activation) return state;
  const where = `the activation of energy '${energy.name}'`;
  const g = within(where, () => activation(state, guardParams(energy, params, where)));
  if (!(g instanceof Tensor)) throw locatedError(new UnfoldError("energy", `${where} returned ${describeValue(g)}, not a Tensor`));
  return g;
}

/**
 * One term's value at `g` (the activated state): traced with its parameters guarded and its
 * errors located, and checked to be a scalar, since the energy is the sum of its terms.
 */
export function termValue(energy: Energy, term: EnergyTerm, g: Tensor, params: Params): Tensor {
  const where = `term '${term.name}' of energy '${energy.name}'`;
  const value = within(where, () => term.value(g, guardParams(energy, params, where)));
  if (!(value instanceof Tensor)) throw locatedError(new UnfoldError("energy", `${where} returned ${describeValue(value)}, not a Tensor`));
  if (value.size !== 1) {
    throw locatedError(new ShapeError("energy", `${where} returned shape ${formatShape(value.shape)}, not a scalar; a term's value is a number (sum it)`));
  }
  return value;
}

/** Each term's value at a state, by name. */
export function termValues(energy: Energy, state: Tensor, params: Params, names?: readonly string[]): Record<string, Tensor> {
  const g = activated(energy, state, params);
  const selected = names ? names.map((n) => termNamed(energy, n)) : energy.terms;
  return Object.fromEntries(selected.map((t) => [t.name, termValue(energy, t, g, params)]));
}

/** The sum of term values (as termValues gives them): the energy. */
export function totalOf(values: Readonly<Record<string, Tensor>>): Tensor {
  const list = Object.values(values);
  return list.slice(1).reduce((acc, v) => ops.add(acc, v), list[0]!);
}

/** Declares every parameter of the energy as a leaf of the graph, for tracing. */
export function paramLeaves(energy: Energy, graph: Tensor["graph"], dtype: DType, suffix = ""): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(energy.params).map(([n, s]) => [n, graph.leaf("param", n + suffix, s.shape, dtype)]));
}
