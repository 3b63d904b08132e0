import { UnfoldError } from "../errors.js";
import { assertValidShape } from "../shape.js";
import { describeValue, requireFunction, requireKnownKeys, requireName, requireOneOf, requireOptionalFunction, requireRecord } from "../validate.js";
import type { Constraint, Energy } from "./energy.js";

const ENERGY_FIELDS = ["name", "terms", "params", "activation"];
const TERM_FIELDS = ["name", "value", "closedForm", "prox"];
const PARAM_FIELDS = ["shape", "constraint"];
const CONSTRAINTS: readonly Constraint[] = ["symmetric", "nonNegative"];

/**
 * Checks an energy's definition field by field: a misspelt field (activaton), a term without a
 * value function or a parameter shape of 1.5 would otherwise surface, if at all, as a TypeError
 * or a wrong result at the first trace.
 */
export function checkEnergyDefinition(op: string, value: unknown): Energy {
  const energy = requireRecord(op, "the energy", value);
  const name = requireName(op, "the energy's name", energy["name"]);
  const of = `energy '${name}'`;
  requireKnownKeys(op, of, energy, ENERGY_FIELDS, "field");
  const terms = energy["terms"];
  if (!Array.isArray(terms)) throw new UnfoldError(op, `the terms of ${of} must be an array of terms, got ${describeValue(terms)}`);
  if (terms.length === 0) throw new UnfoldError(op, `${of} has no terms`);
  terms.forEach((t: unknown, i) => {
    const term = requireRecord(op, `terms[${i}] of ${of}`, t);
    const termName = requireName(op, `terms[${i}].name of ${of}`, term["name"]);
    const where = `term '${termName}' of ${of}`;
    requireKnownKeys(op, where, term, TERM_FIELDS, "field");
    requireFunction(op, `the value of ${where}`, term["value"]);
    requireOptionalFunction(op, `the closedForm of ${where}`, term["closedForm"]);
    requireOptionalFunction(op, `the prox of ${where}`, term["prox"]);
  });
  const names = terms.map((t: { name: string }) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UnfoldError(op, `${of} has two terms named '${dup}'`);
  const params = requireRecord(op, `the params of ${of}`, energy["params"]);
  for (const [param, s] of Object.entries(params)) {
    const where = `parameter '${param}' of ${of}`;
    const spec = requireRecord(op, where, s);
    requireKnownKeys(op, where, spec, PARAM_FIELDS, "field");
    assertValidShape(op, spec["shape"], where);
    if (spec["constraint"] !== undefined) requireOneOf(op, `the constraint of ${where}`, spec["constraint"], CONSTRAINTS);
  }
  requireOptionalFunction(op, `the activation of ${of}`, energy["activation"]);
  return value as Energy;
}

/** Something passed where an energy belongs: the shape of one, as defineEnergy makes them. */
export function requireEnergy(op: string, field: string, value: unknown): Energy {
  const e = value as Partial<Energy> | undefined;
  const shaped = typeof value === "object" && value !== null && typeof e!.name === "string" && Array.isArray(e!.terms) && typeof e!.params === "object" && e!.params !== null;
  if (!shaped) throw new UnfoldError(op, `${field} must be an energy made with defineEnergy, got ${describeValue(value)}`);
  return value as Energy;
}
