import type { DType } from "../dtype.js";
import { UnfoldError } from "../errors.js";
import type { Shape } from "../shape.js";
import type { Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";

export type Params = Readonly<Record<string, Tensor>>;

/** A structural requirement on a parameter, checked on the host before anything runs. */
export type Constraint = "symmetric";

export interface ParamSpec {
  readonly shape: Shape;
  /** Applies to each trailing square matrix of the parameter. */
  readonly constraint?: Constraint;
}

/** One named term of an energy: a scalar function of the state. */
export interface EnergyTerm {
  readonly name: string;
  value(state: Tensor, params: Params): Tensor;
  /**
   * A closed-form descent step on this term (majorize-minimize, exact minimization, ...), of
   * step size `stepSize` (1 = the full step). Declared by the term, verified by tests against
   * the autodiff gradient of `value`.
   */
  readonly closedForm?: (state: Tensor, params: Params, stepSize: Tensor) => Tensor;
}

/**
 * An energy: a sum of named terms over a state and parameters. With an `activation`, the terms
 * are functions of g = activation(x) (as in dense associative memories and the Energy
 * Transformer), and gradient dynamics may follow dE/dg.
 */
export interface Energy {
  readonly name: string;
  readonly terms: readonly EnergyTerm[];
  readonly params: Readonly<Record<string, ParamSpec>>;
  readonly activation?: (state: Tensor, params: Params) => Tensor;
}

export function defineEnergy(energy: Energy): Energy {
  const names = energy.terms.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UnfoldError("defineEnergy", `energy '${energy.name}' has two terms named '${dup}'`);
  if (names.length === 0) throw new UnfoldError("defineEnergy", `energy '${energy.name}' has no terms`);
  return energy;
}

/** The sum of several energies; term and parameter names must not collide. */
export function sumEnergies(name: string, parts: readonly Energy[]): Energy {
  const params: Record<string, ParamSpec> = {};
  for (const part of parts) {
    if (part.activation) throw new UnfoldError("sumEnergies", `energy '${part.name}' has an activation; sum its terms instead`);
    for (const [p, spec] of Object.entries(part.params)) {
      if (params[p]) throw new UnfoldError("sumEnergies", `parameter '${p}' is declared by two energies`);
      params[p] = spec;
    }
  }
  return defineEnergy({ name, terms: parts.flatMap((p) => p.terms), params });
}

export function termNamed(energy: Energy, name: string): EnergyTerm {
  const term = energy.terms.find((t) => t.name === name);
  if (!term) {
    throw new UnfoldError("energy", `energy '${energy.name}' has no term '${name}' (terms: ${energy.terms.map((t) => t.name).join(", ")})`);
  }
  return term;
}

/** The state the terms see: the activation's output when there is one. */
export function activated(energy: Energy, state: Tensor, params: Params): Tensor {
  return energy.activation ? energy.activation(state, params) : state;
}

/** Each term's value at a state, by name. */
export function termValues(energy: Energy, state: Tensor, params: Params, names?: readonly string[]): Record<string, Tensor> {
  const g = activated(energy, state, params);
  const selected = names ? names.map((n) => termNamed(energy, n)) : energy.terms;
  return Object.fromEntries(selected.map((t) => [t.name, t.value(g, params)]));
}

export function totalOf(values: Readonly<Record<string, Tensor>>): Tensor {
  const list = Object.values(values);
  return list.slice(1).reduce((acc, v) => ops.add(acc, v), list[0]!);
}

/** Declares every parameter of the energy as a leaf of the graph, for tracing. */
export function paramLeaves(energy: Energy, graph: Tensor["graph"], dtype: DType, suffix = ""): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(energy.params).map(([n, s]) => [n, graph.leaf("param", n + suffix, s.shape, dtype)]));
}
