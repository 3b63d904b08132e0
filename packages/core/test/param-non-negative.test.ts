import { afterAll, describe, expect, it } from "vitest";
import { FeedError, ReferenceBackend, UnfoldError, checkParams, defineEnergy, defineUnfolding, gradientStep, hostTensor, ops, runUnfolding } from "../src/index.js";
import { thrown } from "./helpers.js";

// A 'nonNegative' parameter: every entry >= 0, checked on the host before anything runs, so a
// negative gain is refused by name instead of showing up as an energy that climbs.

/** E(x) = gain/2 ||x||^2 + <W, 1>: its gradient step descends only while gain >= 0. */
const gained = defineEnergy({
  name: "gained",
  params: { gain: { shape: [], constraint: "nonNegative" }, W: { shape: [2, 3], constraint: "nonNegative" } },
  terms: [{ name: "scaled", value: (x, p) => ops.add(ops.mul(ops.sum(ops.mul(x, x)), ops.mul(p.gain, 0.5)), ops.sum(p.W)) }],
});

const W = (values: number[] = [0, 1, 2, 3, 4, 5], dtype: "float32" | "float64" = "float64") => hostTensor(values, [2, 3], dtype);


describe("'nonNegative' parameters", () => {
  const backend = new ReferenceBackend();
  afterAll(() => backend.dispose());

  it("defineEnergy accepts the constraint and keeps it on the declaration", () => {
    expect(gained.params.gain.constraint).toBe("nonNegative");
  });

  it("accepts zeros, -0 and positive entries", () => {
    expect(() => checkParams(gained, { gain: hostTensor([0], []), W: W() }, "float64")).not.toThrow();
    expect(() => checkParams(gained, { gain: hostTensor([-0], []), W: W([-0, 0, 0, 0, 0, 1e-300]) }, "float64")).not.toThrow();
  });

  it("names the parameter, its shape, the first negative entry's element and its value", () => {
    const e = thrown(() => checkParams(gained, { gain: hostTensor([1], []), W: W([0, 1, 2, -0.25, 4, -7]) }, "float64"));
    expect(e).toBeInstanceOf(UnfoldError);
    expect(e.message).toBe("params: parameter 'W' [2, 3] must be non-negative (every entry >= 0), but holds -0.25 at element [1, 0]");
  });

  it("reports a float32 entry by its float32 value, and a scalar without an element", () => {
    const e = thrown(() => checkParams(gained, { gain: hostTensor([-1e-3], [], "float32"), W: W(undefined, "float32") }, "float32"));
    expect(e.message).toBe(`params: parameter 'gain' [] must be non-negative (every entry >= 0), but holds ${Math.fround(-1e-3)}`);
  });

  it("a NaN is reported as a NaN, not passed as 'not negative'", () => {
    const e = thrown(() => checkParams(gained, { gain: hostTensor([NaN], []), W: W() }, "float64"));
    expect(e).toBeInstanceOf(FeedError);
    expect(e.message).toContain("parameter 'gain' [] contains NaN");
  });

  it("runUnfolding refuses a negative gain before running", async () => {
    const unfolding = defineUnfolding({ energy: gained, steps: [gradientStep(gained, { stepSize: 0.1 })], layers: 2 });
    const state = hostTensor([1, -2, 3], [3]);
    const ok = await runUnfolding(unfolding, backend, { state, params: { gain: hostTensor([1], []), W: W() } });
    expect(ok.state.shape).toEqual([3]);
    await expect(runUnfolding(unfolding, backend, { state, params: { gain: hostTensor([-0.5], []), W: W() } })).rejects.toThrow(
      "params: parameter 'gain' [] must be non-negative (every entry >= 0), but holds -0.5",
    );
  });
});
