// What proximalStep says when proxTerm is wrong: the name is checked before the terms, so a
// misspelt proxTerm is reported as such (not as an unlisted prox term, nor under "energy:"), and
// a second prox term is refused without suggesting the proxTerm that is already set.
import { describe, expect, it } from "vitest";
import { type Tensor, defineEnergy, ops, proximalStep } from "../src/index.js";

const softThreshold = (v: Tensor, t: Tensor): Tensor => ops.mul(ops.sign(v), ops.relu(ops.sub(ops.abs(v), t)));

const l1 = (name: string) => ({
  name,
  value: (z: Tensor, p: { readonly a: Tensor }) => ops.mul(ops.sum(ops.abs(z)), p.a),
  prox: (v: Tensor, p: { readonly a: Tensor }, s: Tensor) => softThreshold(v, ops.mul(p.a, s)),
});
const fit = { name: "fit", value: (z: Tensor) => ops.mul(ops.sum(ops.mul(z, z)), 0.5) };

const sc = defineEnergy({ name: "sc", params: { a: { shape: [] } }, terms: [fit, l1("l1")] });
const twoProx = defineEnergy({ name: "two-prox", params: { a: { shape: [] } }, terms: [fit, l1("l1"), l1("l1b")] });

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return "no error";
};

describe("proximalStep's proxTerm errors", () => {
  it("says a misspelt proxTerm names no term, listing the terms, with the terms left to their default", () => {
    expect(messageOf(() => proximalStep(sc, { proxTerm: "L1", stepSize: 0.1 }))).toBe(
      "proximalStep: proxTerm 'L1': energy 'sc' has no term of that name (terms: fit, l1; terms that declare a prox: 'l1')",
    );
  });

  it("says the same with the terms given, under proximalStep rather than energy", () => {
    expect(messageOf(() => proximalStep(twoProx, { proxTerm: "L1", stepSize: 0.1, terms: ["fit"] }))).toBe(
      "proximalStep: proxTerm 'L1': energy 'two-prox' has no term of that name (terms: fit, l1, l1b; terms that declare a prox: 'l1', 'l1b')",
    );
  });

  it("says a proxTerm without a prox declares none, whatever the other terms are", () => {
    const message = messageOf(() => proximalStep(sc, { proxTerm: "fit", stepSize: 0.1 }));
    expect(message).toMatch(/^proximalStep: proxTerm 'fit': term 'fit' of energy 'sc' declares no prox \(terms that declare a prox: 'l1'\)/);
    expect(message).not.toContain("proxTerm: 'l1'");
  });

  it("refuses a second prox term by saying a step applies one prox, not by suggesting another proxTerm", () => {
    const message = messageOf(() => proximalStep(twoProx, { proxTerm: "l1", stepSize: 0.1 }));
    expect(message).toBe(
      "proximalStep: term 'l1b' of energy 'two-prox' also declares a prox, and a proximal step applies one prox (that of proxTerm 'l1'); " +
        "to take the subgradient of 'l1b', list it in terms (terms: ['fit', 'l1b']), or sum 'l1' and 'l1b' into one term with a joint prox",
    );
  });

  it("takes the listed terms the message suggests: the second prox term differentiated, the first proxed", () => {
    expect(proximalStep(twoProx, { proxTerm: "l1", stepSize: 0.1, terms: ["fit", "l1b"] }).terms).toEqual(["fit", "l1b", "l1"]);
  });

  it("still tells a gradient step over a prox term to use proximalStep", () => {
    expect(messageOf(() => proximalStep(sc, { prox: (v) => v, stepSize: 0.1 }))).toContain("proximalStep(energy, { proxTerm: 'l1', ... })");
  });
});
