import { type Energy, type EnergyTerm, UnfoldError, defineEnergy, energyProgram, ops, renameEnergy, renameParams, sumEnergies } from "../../src/index.js";
import type { BadInput } from "@unfold/testing/bad-input";
import { bad } from "./fixtures.js";

/** 1/2 <x W, x> + <b, x> on a state [2, 3]: two parameters, for the renaming cases. */
const quadratic = (name: string, term = "fit"): Energy<"W" | "b"> =>
  defineEnergy({
    name,
    params: { W: { shape: [3, 3] }, b: { shape: [3] } },
    terms: [{ name: term, value: (x, p) => ops.add(ops.mul(ops.sum(ops.mul(ops.matmul(x, p.W), x)), 0.5), ops.sum(ops.mul(x, p.b))) }],
  });

/** A term reading W and V, for a rename that gives W the name V. */
const both: EnergyTerm = { name: "both", value: (x, p) => ops.sum(ops.mul(ops.matmul(x, p["W"]!), ops.matmul(x, p["V"]!))) };

/** Summing energies and renaming their parameters and terms. */
export const composeCases: BadInput[] = [
  {
    name: "two summed energies that declare the same parameter",
    call: () => sumEnergies("sum", [quadratic("a"), quadratic("b", "fit2")]),
    error: UnfoldError,
    op: "sumEnergies",
    mentions: ["parameter 'W'", "parts[0] (energy 'a')", "parts[1] (energy 'b')", "renameEnergy"],
  },
  {
    name: "two summed energies that have a term of the same name",
    call: () => sumEnergies("sum", [quadratic("a"), renameEnergy(quadratic("b"), { name: "b", params: { W: "W2", b: "b2" } })]),
    error: UnfoldError,
    op: "sumEnergies",
    mentions: ["term 'fit'", "parts[0] (energy 'a')", "parts[1] (energy 'b')", "terms: { fit:"],
  },
  {
    name: "renameEnergy renaming a parameter the energy does not declare",
    call: () => renameEnergy(quadratic("a"), { name: "a2", params: bad({ Wx: "W2" }) }),
    error: UnfoldError,
    op: "renameEnergy",
    mentions: ["options.params", "'Wx'", "energy 'a'", "W, b"],
  },
  {
    name: "renameEnergy renaming a parameter onto another that keeps its name",
    call: () => renameEnergy(quadratic("a"), { name: "a2", params: { W: "b" } }),
    error: UnfoldError,
    op: "renameEnergy",
    mentions: ["'W'", "'b'", "already has", "rename 'b' too"],
  },
  {
    name: "renameEnergy renaming two parameters to one name",
    call: () => renameEnergy(quadratic("a"), { name: "a2", params: { W: "V", b: "V" } }),
    error: UnfoldError,
    op: "renameEnergy",
    mentions: ["options.params", "both 'W' and 'b'", "'V'"],
  },
  {
    name: "renameEnergy renaming a term the energy does not have",
    call: () => renameEnergy(quadratic("a"), { name: "a2", terms: { fitt: "fit2" } }),
    error: UnfoldError,
    op: "renameEnergy",
    mentions: ["options.terms", "term 'fitt'", "energy 'a'", "terms: fit"],
  },
  {
    name: "renameEnergy without a name for the copy",
    call: () => renameEnergy(quadratic("a"), bad<never>({ params: { W: "W2" } })),
    error: UnfoldError,
    op: "renameEnergy",
    mentions: ["options.name", "undefined"],
  },
  {
    name: "renameEnergy with a misspelt option",
    call: () => renameEnergy(quadratic("a"), bad<never>({ name: "a2", param: { W: "W2" } })),
    error: UnfoldError,
    op: "renameEnergy",
    mentions: ["'param'", "params"],
  },
  {
    name: "renameEnergy of something that is not an energy",
    call: () => renameEnergy(bad<never>({ name: "a" }), { name: "a2" }),
    error: UnfoldError,
    op: "renameEnergy",
    mentions: ["energy", "defineEnergy"],
  },
  {
    name: "renameParams with a new name that is not a string",
    call: () => renameParams(both, bad<never>({ W: 3 })),
    error: UnfoldError,
    op: "renameParams",
    mentions: ["term 'both'", "W", "3"],
  },
  {
    name: "renameParams of something that is not a term",
    call: () => renameParams(bad<never>({ name: "both" }), { W: "V" }),
    error: UnfoldError,
    op: "renameParams",
    mentions: ["term 'both'", "value", "function", "undefined"],
  },
  {
    name: "a renamed term that reads the name its renames gave to another parameter",
    call: () => energyProgram(defineEnergy({ name: "e", params: { V: { shape: [3, 3] } }, terms: [renameParams(both, { W: "V" })] }), [2, 3], "float64"),
    error: UnfoldError,
    op: "params",
    mentions: ["term 'both'", "reads parameter 'V'", "'W'", "rename 'V' too"],
  },
];
