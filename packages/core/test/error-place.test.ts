// An error raised inside user code says where, once: in its message and in its stack, which is
// what Node prints for an uncaught error and what a CLI prints with --verbose.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { type Energy, type Tensor, UnfoldError, defineEnergy, energyProgram, ops, renameEnergy, renameParams, sumEnergies } from "../src/index.js";

const PLACE = "(in term 'fit' of energy 'two-views')";

/** The error `fn` throws, with its stack not yet read (V8 writes it on the first read). */
function thrown(fn: () => unknown): UnfoldError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UnfoldError) return error;
    throw error;
  }
  throw new Error("expected an UnfoldError");
}

const count = (text: string, fragment: string): number => text.split(fragment).length - 1;

/** A term that fails inside (matmul of the state [1, 3] with a vector W [3]). */
const view = defineEnergy({ name: "view-a", params: { W: { shape: [3] } }, terms: [{ name: "fit", value: (z, p) => ops.sum(ops.matmul(z, p.W)) }] });

const cases: ReadonlyArray<readonly [string, () => Energy]> = [
  ["a renamed energy", () => renameEnergy(view, { name: "two-views", params: { W: "W2" } })],
  ["a renamed term in a sum of energies", () => {
    const other = defineEnergy({ name: "other", params: {}, terms: [{ name: "pull", value: (z) => ops.sum(ops.mul(z, z)) }] });
    const renamed = defineEnergy({ name: "view-b", params: { W2: { shape: [3] } }, terms: [renameParams(view.terms[0]!, { W: "W2" })] });
    return sumEnergies("two-views", [other, renamed]);
  }],
  ["a term as written", () => defineEnergy({ name: "two-views", params: { W: { shape: [3] } }, terms: view.terms })],
];

describe("the place an error arose", () => {
  it.each(cases)("is said once in the message and once in the stack, for %s", (_name, make) => {
    const error = thrown(() => energyProgram(make(), [1, 3], "float64"));
    expect(error.message).toMatch(/^matmul: /);
    expect(count(error.message, PLACE)).toBe(1);
    expect(count(String(error.stack), PLACE)).toBe(1);
    expect(count(inspect(error), PLACE)).toBe(1);
  });

  it("is said once for a renamed term that reads a parameter its energy does not declare", () => {
    const typo = defineEnergy({ name: "view-a", params: { W: { shape: [3] } }, terms: [{ name: "fit", value: (z, p) => ops.sum(ops.mul(z, (p as unknown as Record<string, Tensor>)["V"]!)) }] });
    const error = thrown(() => energyProgram(renameEnergy(typo, { name: "two-views", params: { W: "W2" } }), [1, 3], "float64"));
    const place = "term 'fit' of energy 'two-views'";
    expect(error.message).toBe(`params: ${place} reads parameter 'V', which energy 'two-views' does not declare (declared: W2)`);
    expect(count(String(error.stack), place)).toBe(1);
  });
});
