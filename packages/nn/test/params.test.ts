import { Graph, ShapeError, UnfoldError } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { type TrainableSpecs, countParams, decayFlags, initParams, mergeSpecs, specLeaves, prefixSpecs, unprefix } from "../src/index.js";

function stats(data: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  const n = data.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += data[i]! / n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (data[i]! - mean) ** 2 / n;
  return { mean, std: Math.sqrt(variance), min: Math.min(...Array.from(data)), max: Math.max(...Array.from(data)) };
}

const specs: TrainableSpecs = {
  W: { shape: [100, 200], init: { kind: "glorot" } },
  b: { shape: [200], init: { kind: "zeros" } },
  n: { shape: [50, 400], init: { kind: "normal", std: 0.02 } },
  u: { shape: [20000], init: { kind: "uniform", limit: 0.5 } },
};

describe("initParams", () => {
  it("is deterministic in the seed and differs across seeds", () => {
    const a = initParams(specs, { seed: 3 });
    const b = initParams(specs, { seed: 3 });
    const c = initParams(specs, { seed: 4 });
    for (const name of Object.keys(specs)) expect(Array.from(a[name]!.data)).toEqual(Array.from(b[name]!.data));
    expect(Array.from(a["W"]!.data)).not.toEqual(Array.from(c["W"]!.data));
    expect(Object.keys(a)).toEqual(["W", "b", "n", "u"]);
  });

  it("gives each parameter its own stream: adding or reordering parameters changes no other", () => {
    const base = initParams(specs, { seed: 11 });
    const reordered: TrainableSpecs = { u: specs["u"]!, n: specs["n"]!, b: specs["b"]!, W: specs["W"]! };
    const grown = initParams({ ...reordered, A: { shape: [7, 7], init: { kind: "normal", std: 1 } } }, { seed: 11 });
    for (const name of Object.keys(specs)) expect(Array.from(grown[name]!.data)).toEqual(Array.from(base[name]!.data));
    // Two parameters with the same spec still get different values.
    const twins = initParams({ p: specs["n"]!, q: specs["n"]! }, { seed: 11 });
    expect(Array.from(twins["p"]!.data)).not.toEqual(Array.from(twins["q"]!.data));
  });

  it("draws with roughly the right statistics", () => {
    const v = initParams(specs, { seed: 5 });
    const glorotLimit = Math.sqrt(6 / 300);
    const W = stats(v["W"]!.data);
    expect(W.max).toBeLessThanOrEqual(glorotLimit);
    expect(W.min).toBeGreaterThanOrEqual(-glorotLimit);
    expect(Math.abs(W.mean)).toBeLessThan(0.005);
    expect(W.std / (glorotLimit / Math.sqrt(3))).toBeCloseTo(1, 1);
    const n = stats(v["n"]!.data);
    expect(Math.abs(n.mean)).toBeLessThan(0.001);
    expect(n.std / 0.02).toBeCloseTo(1, 1);
    const u = stats(v["u"]!.data);
    expect(u.max).toBeLessThanOrEqual(0.5);
    expect(u.min).toBeGreaterThanOrEqual(-0.5);
    expect(u.std / (0.5 / Math.sqrt(3))).toBeCloseTo(1, 1);
    expect(Array.from(v["b"]!.data).every((x) => x === 0)).toBe(true);
  });

  it("makes constants, ones and (stacked, rectangular, noisy) identities", () => {
    const v = initParams(
      {
        c: { shape: [3], init: { kind: "constant", value: 2.5 } },
        o: { shape: [2, 2], init: { kind: "ones" } },
        I: { shape: [2, 3, 3], init: { kind: "identity" } },
        R: { shape: [2, 3], init: { kind: "identity" } },
        N: { shape: [40, 40], init: { kind: "identity", noise: 0.1 } },
      },
      { seed: 1 },
    );
    expect(Array.from(v["c"]!.data)).toEqual([2.5, 2.5, 2.5]);
    expect(Array.from(v["o"]!.data)).toEqual([1, 1, 1, 1]);
    expect(Array.from(v["I"]!.data)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(v["R"]!.data)).toEqual([1, 0, 0, 0, 1, 0]);
    const N = v["N"]!.data;
    const offDiagonal = Array.from(N).filter((_, i) => i % 41 !== 0);
    const diagonal = Array.from(N).filter((_, i) => i % 41 === 0);
    expect(stats(offDiagonal).std / 0.1).toBeCloseTo(1, 1);
    expect(stats(diagonal).mean).toBeCloseTo(1, 1);
  });

  it("returns float32 data when asked, rounded from the same draw", () => {
    const f64 = initParams(specs, { seed: 9 });
    const f32 = initParams(specs, { seed: 9, dtype: "float32" });
    expect(f32["W"]!.dtype).toBe("float32");
    expect(f32["W"]!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f32["W"]!.data)).toEqual(Array.from(f64["W"]!.data, (x) => Math.fround(x)));
  });

  it("rejects bad specs and options, naming the parameter", () => {
    expect(() => initParams({ v: { shape: [4], init: { kind: "glorot" } } }, { seed: 1 })).toThrow(/initParams: parameter 'v' \[4\]: the 'glorot' initializer needs rank >= 2/);
    expect(() => initParams({ v: { shape: [4], init: { kind: "normal", std: -1 } } }, { seed: 1 })).toThrow(/init\.std must be >= 0/);
    expect(() => initParams({ v: { shape: [4, -1], init: { kind: "zeros" } } }, { seed: 1 })).toThrow(ShapeError);
    expect(() => initParams({ v: { shape: [4], init: { kind: "xavier" } as never } }, { seed: 1 })).toThrow(/unknown initializer/);
    expect(() => initParams(specs, { seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => initParams(specs, { seed: 1, dtype: "int8" as never })).toThrow(UnfoldError);
  });
});

describe("spec helpers", () => {
  it("counts parameters", () => {
    expect(countParams(specs)).toBe(100 * 200 + 200 + 50 * 400 + 20000);
    expect(countParams({})).toBe(0);
    expect(countParams({ s: { shape: [], init: { kind: "zeros" } } })).toBe(1);
  });

  it("declares parameter leaves with the specs' shapes", () => {
    const graph = new Graph();
    const leaves = specLeaves(graph, specs, "float32");
    expect(Object.keys(leaves)).toEqual(["W", "b", "n", "u"]);
    expect(leaves["W"]!.shape).toEqual([100, 200]);
    expect(leaves["W"]!.dtype).toBe("float32");
    expect(leaves["W"]!.node.op).toBe("param");
    expect(graph.toProgram({ W: leaves["W"]! }).feeds.map((f) => f.name)).toEqual(["W", "b", "n", "u"]);
  });

  it("merges and prefixes, refusing duplicates", () => {
    const head = prefixSpecs("head", { W: specs["W"]!, b: specs["b"]! });
    expect(Object.keys(head)).toEqual(["head.W", "head.b"]);
    const merged = mergeSpecs(head, prefixSpecs("body", { W: specs["W"]! }));
    expect(Object.keys(merged)).toEqual(["head.W", "head.b", "body.W"]);
    expect(() => mergeSpecs(head, { "head.b": specs["b"]! })).toThrow(/mergeSpecs: parameter 'head.b' is declared twice/);
    expect(() => prefixSpecs("", specs)).toThrow(/prefix must be a non-empty string/);
    expect(Object.keys(unprefix("head", { "head.W": 1, "head.b": 2, "body.W": 3 }))).toEqual(["W", "b"]);
  });

  it("decays matrices by default, vectors not, and follows an explicit flag", () => {
    expect(decayFlags({ ...specs, e: { shape: [5, 5], init: { kind: "zeros" }, decay: false }, g: { shape: [5], init: { kind: "ones" }, decay: true } })).toEqual({
      W: true,
      b: false,
      e: false,
      g: true,
      n: true,
      u: false,
    });
  });
});
