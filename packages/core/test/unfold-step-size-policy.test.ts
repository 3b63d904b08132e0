// The step-size policy without a backend: which steps a bound applies to, 'limit' and 'check'
// against the scheduled size, bounds that are no positive number, and the backoff sizes.
import { describe, expect, it } from "vitest";
import { UnfoldError } from "../src/index.js";
import { type BoundQuestion, applyStepSizeBound, backoffStepSize, boundAppliesTo } from "../src/unfold/step-size-policy.js";

const question = (more: Partial<BoundQuestion>): BoundQuestion => ({ mode: "limit", scheduled: 0.5, bound: 0.2, guardMode: "off", layer: 3, step: "gd", ...more });

describe("which steps a bound applies to", () => {
  const bound = () => 1;
  it("every step when it lists none, only the listed ones otherwise, none without a bound", () => {
    expect(boundAppliesTo({ mode: "limit", bound }, "gd")).toBe(true);
    expect(boundAppliesTo({ mode: "limit", steps: ["gd"], bound }, "gd")).toBe(true);
    expect(boundAppliesTo({ mode: "limit", steps: ["gd"], bound }, "prox")).toBe(false);
    expect(boundAppliesTo({ mode: "limit", steps: [], bound }, "gd")).toBe(false);
    expect(boundAppliesTo(undefined, "gd")).toBe(false);
  });
});

describe("applying a bound", () => {
  it("'limit' takes the bound when it is below the scheduled size, without a warning", () => {
    expect(applyStepSizeBound(question({ mode: "limit", scheduled: 0.5, bound: 0.2 }))).toEqual({ stepSize: 0.2, warning: undefined });
  });

  it("'limit' keeps the scheduled size when it is within the bound", () => {
    expect(applyStepSizeBound(question({ mode: "limit", scheduled: 0.1, bound: 0.2 }))).toEqual({ stepSize: 0.1, warning: undefined });
  });

  it("'check' keeps the scheduled size and warns when it exceeds the bound", () => {
    for (const guardMode of ["off", "warn", "backoff"] as const) {
      expect(applyStepSizeBound(question({ mode: "check", guardMode }))).toEqual({
        stepSize: 0.5,
        warning: "layer 3, step 'gd': step size 0.5 exceeds the bound 0.2",
      });
    }
  });

  it("'check' under a throw guard throws the same message", () => {
    expect(() => applyStepSizeBound(question({ mode: "check", guardMode: "throw" }))).toThrow(UnfoldError);
    expect(() => applyStepSizeBound(question({ mode: "check", guardMode: "throw" }))).toThrow("runUnfolding: layer 3, step 'gd': step size 0.5 exceeds the bound 0.2");
  });

  it("'check' says nothing at or below the bound, even under a throw guard", () => {
    expect(applyStepSizeBound(question({ mode: "check", guardMode: "throw", scheduled: 0.2 }))).toEqual({ stepSize: 0.2, warning: undefined });
    expect(applyStepSizeBound(question({ mode: "check", guardMode: "throw", scheduled: 0.1 }))).toEqual({ stepSize: 0.1, warning: undefined });
  });

  it.each([0, -1, NaN, -Infinity])("a bound of %s is an error in either mode, naming the layer and the step", (bound) => {
    for (const mode of ["check", "limit"] as const) {
      expect(() => applyStepSizeBound(question({ mode, bound }))).toThrow(
        `runUnfolding: stepSizeBound returned ${bound} for layer 3, step 'gd'; a bound must be a positive number`,
      );
    }
  });

  it("an infinite bound limits nothing", () => {
    expect(applyStepSizeBound(question({ mode: "limit", bound: Infinity }))).toEqual({ stepSize: 0.5, warning: undefined });
  });
});

describe("backoff sizes", () => {
  const guard = { backoffFactor: 0.5, maxBackoffs: 3 };
  it("multiplies the size by the factor while backoffs are left", () => {
    expect(backoffStepSize(0.8, 0, guard)).toBe(0.4);
    expect(backoffStepSize(0.4, 1, guard)).toBe(0.2);
    expect(backoffStepSize(0.2, 2, guard)).toBe(0.1);
    expect(backoffStepSize(0.9, 0, { backoffFactor: 0.1, maxBackoffs: 1 })).toBeCloseTo(0.09, 15);
  });

  it("gives none once maxBackoffs have been spent", () => {
    expect(backoffStepSize(0.1, 3, guard)).toBeUndefined();
    expect(backoffStepSize(0.1, 4, guard)).toBeUndefined();
  });

  it("gives none at all when maxBackoffs is 0", () => {
    expect(backoffStepSize(0.8, 0, { backoffFactor: 0.5, maxBackoffs: 0 })).toBeUndefined();
  });

  it("the sizes of a run of backoffs are the scheduled size times the factor's powers", () => {
    const sizes: number[] = [];
    let size: number | undefined = 1;
    for (let b = 0; size !== undefined; b++) {
      sizes.push(size);
      size = backoffStepSize(size, b, guard);
    }
    expect(sizes).toEqual([1, 0.5, 0.25, 0.125]);
  });
});
