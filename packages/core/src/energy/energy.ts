import type { DType } from "../dtype.js";
import { ShapeError, UnfoldError, formatShape, locatedError, within } from "../errors.js";
import type { Shape } from "../shape.js";
import { Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { describeValue, requireName } from "../validate.js";
import { checkEnergyDefinition, requireEnergy } from "./check-energy.js";
import { guardParams } from "./guard.js";

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

/**
 * Checks and returns an energy. Every field is checked (a misspelt one is an error), and each
 * term's parameters are read through a guard when it is traced, so a term reading a parameter
 * the energy does not declare fails naming the term, the parameter and the declared ones.
 */
export function defineEnergy(energy: Energy): Energy {
  return checkEnergyDefinition("defineEnergy", energy);
}

/** The sum of several energies; term and parameter names must not collide. */
export function sumEnergies(name: string, parts: readonly Energy[]): Energy {
  requireName("sumEnergies", "name", name);
  if (!Array.isArray(parts as unknown) || parts.length === 0) {
    throw new UnfoldError("sumEnergies", `energy '${name}' needs at least one energy to sum, got ${describeValue(parts)}`);
  }
  parts.forEach((part, i) => requireEnergy("sumEnergies", `parts[${i}]`, part));
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

export function totalOf(values: Readonly<Record<string, Tensor>>): Tensor {
  const list = Object.values(values);
  return list.slice(1).reduce((acc, v) => ops.add(acc, v), list[0]!);
}

/** Declares every parameter of the energy as a leaf of the graph, for tracing. */
export function paramLeaves(energy: Energy, graph: Tensor["graph"], dtype: DType, suffix = ""): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(energy.params).map(([n, s]) => [n, graph.leaf("param", n + suffix, s.shape, dtype)]));
}
