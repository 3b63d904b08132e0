// The suite's verdicts, unit-tested on hand-made results: the comparison flags every kind of
// wrong output (perturbed, NaN, wrong infinity, shape, dtype, array type, missing, extra), and
// expectRejection flags every wrong way of failing.
import { DTypeError, FeedError, type HostTensor, Random, hostTensor, sizeOf } from "@unfold/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConformanceError, type ReferenceValue, assertMatchesReference, compareOutput, compareOutputs, expectRejection } from "../src/index.js";

const ref = (data: number[], shape: number[], dtype: "float32" | "float64" = "float64"): ReferenceValue => ({ shape, dtype, data: Float64Array.from(data) });
const out = (data: number[], shape: number[], dtype: "float32" | "float64" = "float64"): HostTensor => hostTensor(data, shape, dtype);

describe("compareOutput", () => {
  it("passes an exact result and reports zero error", () => {
    const r = compareOutput("y", out([1, 2, 3, 4], [2, 2]), ref([1, 2, 3, 4], [2, 2]), 1e-12);
    expect(r).toEqual({ name: "y", error: 0 });
  });

  it("passes a float32 result that is the reference rounded to float32", () => {
    const values = [1 / 3, Math.PI, -Math.E, 1e-3];
    expect(compareOutput("y", out(values, [4], "float32"), ref(values, [4], "float32"), 1e-5).problem).toBeUndefined();
  });

  it("flags one perturbed element, naming the output, the error and the worst element", () => {
    const r = compareOutput("logits", out([1, 2, 3, 4.01], [2, 2]), ref([1, 2, 3, 4], [2, 2]), 1e-5);
    expect(r.problem).toMatch(/output 'logits': relative error .* exceeds 1\.0e-5/);
    expect(r.problem).toContain("worst element [1, 1]: 4.01 vs reference 4");
    expect(r.error).toBeCloseTo(0.01 / Math.sqrt(30), 12);
  });

  it("flags any single-element perturbation above the tolerance and none well below it", () => {
    const tol = 1e-5;
    const arb = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 }),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
      ratio: fc.oneof(fc.double({ min: 2, max: 1e6, noNaN: true }), fc.double({ min: 1e-6, max: 0.5, noNaN: true })),
      sign: fc.constantFrom(-1, 1),
    });
    fc.assert(
      fc.property(arb, ({ shape, seed, ratio, sign }) => {
        const rng = new Random(seed);
        const data = Array.from(rng.normals(sizeOf(shape)));
        const norm = Math.hypot(...data);
        const perturbed = data.slice();
        const k = rng.int(0, data.length - 1);
        perturbed[k]! += sign * ratio * tol * norm;
        const r = compareOutput("y", out(perturbed, shape), ref(data, shape), tol);
        expect(r.problem !== undefined).toBe(ratio > 1);
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it("flags a NaN anywhere (an element no kernel wrote, under poisoning), with its index", () => {
    const r = compareOutput("h", out([1, 2, 3, Number.NaN, 5, 6], [2, 3]), ref([1, 2, 3, 4, 5, 6], [2, 3]), 1);
    expect(r.problem).toContain("NaN at element [1, 0]");
  });

  it("treats a NaN in the reference as a broken case, not a broken backend", () => {
    expect(() => compareOutput("h", out([1, 2], [2]), ref([1, Number.NaN], [2]), 1)).toThrow(ConformanceError);
  });

  it("requires infinities to match exactly and compares the finite rest", () => {
    expect(compareOutput("m", out([-Infinity, 1], [2]), ref([-Infinity, 1], [2]), 1e-12).problem).toBeUndefined();
    expect(compareOutput("m", out([-1e30, 1], [2]), ref([-Infinity, 1], [2]), 1).problem).toContain("element [0] is -1e+30, the reference is -Infinity");
    expect(compareOutput("m", out([Infinity, 1], [2]), ref([5, 1], [2]), 1).problem).toContain("element [0] is Infinity");
    expect(compareOutput("m", out([-Infinity, 2], [2]), ref([-Infinity, 1], [2]), 1e-5).problem).toContain("relative error");
  });

  it("flags a wrong dtype, shape, length or array type", () => {
    expect(compareOutput("y", out([1, 2], [2], "float64"), ref([1, 2], [2], "float32"), 1).problem).toContain("dtype is float64, the program says float32[2]");
    expect(compareOutput("y", out([1, 2], [2, 1]), ref([1, 2], [2]), 1).problem).toContain("shape is [2, 1]");
    const short: HostTensor = { shape: [3], dtype: "float64", data: Float64Array.from([1, 2]) };
    expect(compareOutput("y", short, ref([1, 2, 3], [3]), 1).problem).toContain("holds 2 values");
    const mislabelled: HostTensor = { shape: [2], dtype: "float32", data: Float64Array.from([1, 2]) };
    expect(compareOutput("y", mislabelled, ref([1, 2], [2], "float32"), 1).problem).toContain("its data is float64");
  });

  it("measures an all-zero reference by the absolute norm", () => {
    expect(compareOutput("z", out([0, 0], [2]), ref([0, 0], [2]), 0).problem).toBeUndefined();
    expect(compareOutput("z", out([0, 1e-3], [2]), ref([0, 0], [2]), 1e-5).problem).toContain("relative error 1.000e-3");
  });
});

describe("compareOutputs and assertMatchesReference", () => {
  const expected = { a: ref([1, 2], [2]), b: ref([3], []) };

  it("flags a missing output and an output the program does not have", () => {
    const problems = compareOutputs({ a: out([1, 2], [2]), c: out([3], []) }, expected, 1e-12).flatMap((r) => (r.problem ? [r.problem] : []));
    expect(problems).toEqual(["output 'b' is missing", "output 'c' is not an output of the program"]);
  });

  it("throws one ConformanceError listing every failing output, with the context", () => {
    const actual = { a: out([1, 2.5], [2]), b: out([Number.NaN], []) };
    expect(() => assertMatchesReference(actual, expected, 1e-5, "sample 3")).toThrow(ConformanceError);
    try {
      assertMatchesReference(actual, expected, 1e-5, "sample 3");
    } catch (error) {
      expect((error as Error).message).toMatch(/^sample 3: 2 of 2 outputs disagree/);
      expect((error as Error).message).toContain("output 'a': relative error");
      expect((error as Error).message).toContain("output 'b': NaN at element []");
    }
  });

  it("returns the comparisons when everything matches", () => {
    const results = assertMatchesReference({ a: out([1, 2], [2]), b: out([3], []) }, expected, 1e-12);
    expect(results.map((r) => r.name)).toEqual(["a", "b"]);
  });
});

describe("expectRejection", () => {
  const feedError = (): Promise<never> => Promise.reject(new FeedError("run", "unknown feed 'bogus'; the program takes: x"));

  it("accepts the expected core error naming what it must", async () => {
    const error = await expectRejection("run", feedError, { name: "FeedError", mentions: ["bogus"] });
    expect(error).toBeInstanceOf(FeedError);
  });

  it("accepts a subclass by its class chain (UnfoldError for any core error)", async () => {
    await expect(expectRejection("run", feedError, { name: "UnfoldError" })).resolves.toBeInstanceOf(FeedError);
  });

  it("fails when the promise resolves", async () => {
    await expect(expectRejection("run with NaN", () => Promise.resolve({}), { name: "FeedError" })).rejects.toThrow(/run with NaN: resolved; it must reject with a FeedError/);
  });

  it("fails on another error class", async () => {
    const dtype = (): Promise<never> => Promise.reject(new DTypeError("run", "feed 'x' is float64"));
    await expect(expectRejection("run", dtype, { name: "FeedError" })).rejects.toThrow(/rejected with DTypeError .* expected a FeedError/);
    const typeError = (): Promise<never> => Promise.reject(new TypeError("cannot read properties of undefined"));
    await expect(expectRejection("run", typeError, { name: "FeedError" })).rejects.toThrow(ConformanceError);
  });

  it("fails when the message leaves out what it must name", async () => {
    await expect(expectRejection("run", feedError, { name: "FeedError", mentions: ["bogus", "[2, 3]"] })).rejects.toThrow(/does not mention "\[2, 3\]"/);
  });

  it("fails on a synchronous throw instead of a rejected promise", async () => {
    const sync = (): Promise<never> => {
      throw new FeedError("run", "unknown feed 'bogus'");
    };
    await expect(expectRejection("run", sync, { name: "FeedError" })).rejects.toThrow(/threw synchronously/);
  });
});
