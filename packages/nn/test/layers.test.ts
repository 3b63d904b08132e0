import { Graph, Random, ShapeError, UnfoldError, interpret, trace, input } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { MASKED_LOGIT, causalMask, embedTokens, linear, linearSpecs, meanPool } from "../src/index.js";
import { gradientError, normals, run } from "./helpers.js";

const rng = new Random(42);

describe("linear", () => {
  it("has gradients matching finite differences, with batch axes and a bias", () => {
    const leaves = { x: { shape: [2, 3, 4], data: normals(rng, [2, 3, 4]) }, W: { shape: [4, 5], data: normals(rng, [4, 5]) }, b: { shape: [5], data: normals(rng, [5]) } };
    expect(gradientError(leaves, (t) => linear(t["x"]!, t["W"]!, t["b"]!))).toBeLessThan(1e-7);
  });

  it("maps a single vector and matches a plain product", () => {
    const x = [1, 2, 3];
    const W = [1, 0, 2, -1, 0.5, 0.5];
    const program = trace({ x: input([3]), W: input([3, 2]) }, (t) => linear(t.x, t.W));
    const y = run(program, { x, W })["out"]!;
    expect(Array.from(y)).toEqual([1 * 1 + 2 * 2 + 3 * 0.5, 0 - 2 + 1.5]);
  });

  it("names the shapes that disagree", () => {
    const g = new Graph();
    const x = g.leaf("input", "x", [8, 16, 49]);
    const W = g.leaf("param", "W", [48, 64]);
    expect(() => linear(x, W)).toThrow(ShapeError);
    expect(() => linear(x, W)).toThrow("linear: x 'x' [8, 16, 49] and W 'W' [48, 64] disagree on the input width");
    const y = g.leaf("input", "y", [8, 48]);
    const b = g.leaf("param", "b", [63]);
    expect(() => linear(y, W, b)).toThrow(/linear: b 'b' \[63\] must be a vector of the output width 64/);
    expect(() => linear(y, g.leaf("param", "V", [48, 64, 1]))).toThrow(/linear: W 'V' \[48, 64, 1\] must have rank 2/);
    expect(() => linear(y, new Graph().leaf("param", "U", [48, 2]))).toThrow(/different traces/);
  });

  it("declares W and, unless told otherwise, b", () => {
    const s = linearSpecs(3, 4);
    expect(s["W"]).toEqual({ shape: [3, 4], init: { kind: "glorot" } });
    expect(s["b"]).toEqual({ shape: [4], init: { kind: "zeros" } });
    expect(Object.keys(linearSpecs(3, 4, { bias: false, init: { kind: "normal", std: 0.1 } }))).toEqual(["W"]);
    expect(() => linearSpecs(0, 4)).toThrow(/linearSpecs: inDim must be an integer >= 1/);
  });
});

describe("embedTokens", () => {
  it("looks up rows and has table gradients matching finite differences (repeated ids accumulate)", () => {
    const ids = Float64Array.from([0, 2, 2, 1, 3, 0]);
    const table = normals(rng, [4, 3]);
    const y = run(trace({ ids: input([2, 3]), table: input([4, 3]) }, (t) => embedTokens(t.ids, t.table)), { ids, table })["out"]!;
    expect(Array.from(y.subarray(3, 6))).toEqual(Array.from(table.subarray(6, 9)));
    const leaves = { ids: { shape: [2, 3], data: ids, diff: false }, table: { shape: [4, 3], data: table } };
    expect(gradientError(leaves, (t) => embedTokens(t["ids"]!, t["table"]!))).toBeLessThan(1e-7);
  });

  it("wants a [vocab, d] table", () => {
    const g = new Graph();
    expect(() => embedTokens(g.leaf("input", "ids", [2, 3]), g.leaf("param", "E", [4, 3, 1]))).toThrow(/embedTokens: table 'E' \[4, 3, 1\] must have rank 2/);
  });
});

describe("meanPool", () => {
  it("averages the token axis, with gradients matching finite differences", () => {
    const leaves = { x: { shape: [2, 3, 4], data: normals(rng, [2, 3, 4]) } };
    const y = run(trace({ x: input([2, 3, 4]) }, (t) => meanPool(t.x)), { x: leaves.x.data })["out"]!;
    expect(y.length).toBe(8);
    expect(y[5]).toBeCloseTo((leaves.x.data[13]! + leaves.x.data[17]! + leaves.x.data[21]!) / 3, 14);
    expect(gradientError(leaves, (t) => meanPool(t["x"]!))).toBeLessThan(1e-7);
    expect(() => meanPool(new Graph().leaf("input", "v", [4]))).toThrow(/meanPool: x 'v' \[4\] must have rank >= 2/);
  });
});

describe("causalMask", () => {
  it("is 0 on and below the diagonal and a large finite negative above", () => {
    const g = new Graph();
    const program = g.toProgram({ mask: causalMask(3, "float64", g) });
    const mask = interpret(program, new Map()).get("mask")!;
    expect(Array.from(mask)).toEqual([0, MASKED_LOGIT, MASKED_LOGIT, 0, 0, MASKED_LOGIT, 0, 0, 0]);
    expect(Number.isFinite(MASKED_LOGIT)).toBe(true);
    expect(Math.exp(MASKED_LOGIT)).toBe(0);
    expect(Math.fround(Math.exp(Math.fround(MASKED_LOGIT)))).toBe(0);
    expect(() => causalMask(0, "float64", g)).toThrow(UnfoldError);
  });
});
