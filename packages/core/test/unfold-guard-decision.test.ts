// The monotonicity guard's decision table, without a backend: each mode against a clear rise, a
// rise within the slack, and a fall; backoff with and without a backoff left; what is watched.
import { describe, expect, it } from "vitest";
import { type GuardInput, decideGuard, guardSlack, watchedEnergy } from "../src/unfold/guard-decision.js";
import type { EnergyRecord } from "../src/unfold/records.js";
import type { GuardMode } from "../src/unfold/schedule.js";

const record = (quadratic: number, linear: number): EnergyRecord => ({ energy: quadratic + linear, terms: { quadratic, linear } });

/** A step 'gd' descending 'quadratic' at layer 2, taken at size 0.25 with no backoff yet. */
function input(mode: GuardMode, before: EnergyRecord, after: EnergyRecord, more: Partial<GuardInput> = {}): GuardInput {
  return {
    before,
    after,
    guard: { mode, watch: "terms", slack: 1e-6 },
    dtype: "float64",
    step: { name: "gd", terms: ["quadratic"] },
    layer: 2,
    stepSize: 0.25,
    backoffs: 0,
    retryStepSize: 0.125,
    ...more,
  };
}

// The watched term goes from 10 to 11 (a rise), to 10 + 5e-6 (a rise within the slack: 1e-6
// relative to 10 forgives up to 1e-5), or to 9 (a fall).
const RISE = record(11, 0);
const WITHIN = record(10 + 5e-6, 0);
const FALL = record(9, 0);
const BEFORE = record(10, 0);
const message = "layer 2, step 'gd': terms quadratic rose from 10 to 11 at step size 0.25";

describe("the guard's decision table", () => {
  const table: [GuardMode, EnergyRecord, string, boolean][] = [
    ["off", RISE, "accept", true],
    ["off", WITHIN, "accept", false],
    ["off", FALL, "accept", false],
    ["warn", RISE, "warn", true],
    ["warn", WITHIN, "accept", false],
    ["warn", FALL, "accept", false],
    ["throw", RISE, "throw", true],
    ["throw", WITHIN, "accept", false],
    ["throw", FALL, "accept", false],
    ["backoff", RISE, "backOff", true],
    ["backoff", WITHIN, "accept", false],
    ["backoff", FALL, "accept", false],
  ];
  it.each(table)("mode %s, after %o: %s (increased %s)", (mode, after, action, increased) => {
    const decision = decideGuard(input(mode, BEFORE, after));
    expect(decision.action).toBe(action);
    expect(decision.increased).toBe(increased);
  });

  it("warn and throw carry the message naming the layer, the step, the terms, both energies and the size", () => {
    for (const mode of ["warn", "throw"] as const) {
      const decision = decideGuard(input(mode, BEFORE, RISE));
      expect(decision).toEqual({ action: mode, increased: true, message });
    }
  });

  it("backoff retries at the size the policy gives while a backoff is left", () => {
    expect(decideGuard(input("backoff", BEFORE, RISE, { retryStepSize: 0.125 }))).toEqual({ action: "backOff", increased: true, stepSize: 0.125 });
  });

  it("backoff with no backoff left warns, counting the backoffs taken", () => {
    const decision = decideGuard(input("backoff", BEFORE, RISE, { retryStepSize: undefined, backoffs: 3, stepSize: 0.03125 }));
    expect(decision).toEqual({
      action: "warn",
      increased: true,
      message: "layer 2, step 'gd': terms quadratic rose from 10 to 11 at step size 0.03125 after 3 backoffs",
    });
  });

  it("a NaN energy after the step counts as a rise", () => {
    expect(decideGuard(input("throw", BEFORE, record(NaN, 0))).action).toBe("throw");
    expect(decideGuard(input("off", BEFORE, record(NaN, 0))).increased).toBe(true);
  });

  it("the slack is relative to the energy's magnitude, and absolute below magnitude 1", () => {
    // Before 1000: slack 1e-6 forgives a rise of up to 1e-3.
    expect(decideGuard(input("throw", record(1000, 0), record(1000 + 9e-4, 0))).action).toBe("accept");
    expect(decideGuard(input("throw", record(1000, 0), record(1000 + 2e-3, 0))).action).toBe("throw");
    // Before 0.001: the slack is 1e-6 absolute, not 1e-9.
    expect(decideGuard(input("throw", record(0.001, 0), record(0.001 + 9e-7, 0))).action).toBe("accept");
    expect(decideGuard(input("throw", record(0.001, 0), record(0.001 + 2e-6, 0))).action).toBe("throw");
  });
});

describe("what the guard watches", () => {
  it("'terms' watches only the step's terms: a rise elsewhere is not the step's", () => {
    // quadratic falls 10 -> 9, linear rises 0 -> 5: the total rises, the step's term does not.
    const after = record(9, 5);
    expect(decideGuard(input("throw", BEFORE, after)).action).toBe("accept");
    const total = decideGuard(input("throw", BEFORE, after, { guard: { mode: "throw", watch: "total", slack: 1e-6 } }));
    expect(total).toEqual({ action: "throw", increased: true, message: "layer 2, step 'gd': total energy rose from 10 to 14 at step size 0.25" });
  });

  it("a step of several terms watches their sum and names them all", () => {
    const decision = decideGuard(input("warn", record(10, -4), record(10, -3), { step: { name: "both", terms: ["quadratic", "linear"] } }));
    expect(decision).toEqual({ action: "warn", increased: true, message: "layer 2, step 'both': terms quadratic+linear rose from 6 to 7 at step size 0.25" });
  });

  it("a step with no terms promises nothing under 'terms', but is watched under 'total'", () => {
    const projection = { name: "project", terms: [] };
    expect(decideGuard(input("throw", BEFORE, RISE, { step: projection }))).toEqual({ action: "accept", increased: false });
    expect(decideGuard(input("throw", BEFORE, RISE, { step: projection, guard: { mode: "throw", watch: "total" } })).action).toBe("throw");
  });

  it("watchedEnergy sums the named terms or takes the total", () => {
    expect(watchedEnergy(record(3, 4), "terms", ["quadratic"])).toBe(3);
    expect(watchedEnergy(record(3, 4), "terms", ["quadratic", "linear"])).toBe(7);
    expect(watchedEnergy(record(3, 4), "terms", [])).toBe(0);
    expect(watchedEnergy(record(3, 4), "total", ["quadratic"])).toBe(7);
  });
});

describe("the default slack", () => {
  it("is 1e-10 in float64 and 1e-5 in float32; a given slack wins in both", () => {
    expect(guardSlack(undefined, "float64")).toBe(1e-10);
    expect(guardSlack(undefined, "float32")).toBe(1e-5);
    expect(guardSlack(0, "float32")).toBe(0);
    expect(guardSlack(1e-3, "float64")).toBe(1e-3);
  });

  it("a rise of 1e-7 relative passes in float32 and fails in float64 under the defaults", () => {
    const after = record(10 * (1 + 1e-7), 0);
    const guard = { mode: "throw" as const, watch: "terms" as const };
    expect(decideGuard(input("throw", BEFORE, after, { guard, dtype: "float32" })).action).toBe("accept");
    expect(decideGuard(input("throw", BEFORE, after, { guard, dtype: "float64" })).action).toBe("throw");
  });
});
