import { Graph, Random, differentiate, interpret, ops, symmetricEigen } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { boundedSpectrumWeight, spectralRadiusBound } from "../src/index.js";

function run(d: number, M: Float64Array, build: (g: Graph, m: ReturnType<Graph["leaf"]>) => ReturnType<Graph["leaf"]>): Float64Array {
  const g = new Graph();
  const m = g.leaf("input", "M", [d, d], "float64");
  const program = g.toProgram({ out: build(g, m) });
  return interpret(program, new Map([["M", M]])).get("out")!;
}

function randomSymmetric(rng: Random, d: number, scale: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) a[i * d + j] = a[j * d + i] = scale * rng.normal();
  return a;
}

const spectralRadius = (a: Float64Array, d: number): number => Math.max(...symmetricEigen(a, d).values.map(Math.abs));

describe("spectralRadiusBound", () => {
  it("bounds the spectral radius from above, within d^(1/16) for power 8", () => {
    const rng = new Random(3);
    for (const d of [2, 5, 16, 40]) {
      for (const scale of [1e-3, 1, 50]) {
        const S = randomSymmetric(rng, d, scale);
        const bound = run(d, S, (_g, m) => spectralRadiusBound(m))[0]!;
        const radius = spectralRadius(S, d);
        expect(bound).toBeGreaterThanOrEqual(radius * (1 - 1e-12));
        expect(bound).toBeLessThanOrEqual(radius * d ** (1 / 16) * (1 + 1e-12));
      }
    }
  });

  it("is exact for a matrix with one dominant eigenvalue and tighter with a higher power", () => {
    const d = 6;
    const S = new Float64Array(d * d);
    S[0] = 3;
    for (let i = 1; i < d; i++) S[i * d + i] = 0.1;
    const b8 = run(d, S, (_g, m) => spectralRadiusBound(m))[0]!;
    const b2 = run(d, S, (_g, m) => spectralRadiusBound(m, { power: 2 }))[0]!;
    expect(b8).toBeCloseTo(3, 10);
    expect(b2).toBeGreaterThan(b8);
  });

  it("rejects a non-square matrix and a power that is not a power of two", () => {
    const g = new Graph();
    expect(() => spectralRadiusBound(g.leaf("input", "M", [2, 3], "float64"))).toThrow(/square matrix.*\[2, 3\]/);
    expect(() => spectralRadiusBound(g.leaf("input", "N", [3, 3], "float64"), { power: 3 })).toThrow(/power of two/);
  });
});

describe("boundedSpectrumWeight", () => {
  it("keeps every eigenvalue strictly inside (-radius, radius), however large M is", () => {
    const rng = new Random(7);
    for (const d of [3, 12, 32]) {
      for (const scale of [1e-4, 0.1, 1, 100]) {
        const M = rng.normals(d * d, scale);
        const W = run(d, M, (_g, m) => boundedSpectrumWeight(m, 0.95));
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(W[i * d + j]).toBeCloseTo(W[j * d + i]!, 14);
        expect(spectralRadius(W, d)).toBeLessThan(0.95);
      }
    }
  });

  it("passes a small symmetric matrix nearly unchanged", () => {
    const d = 8;
    const S = randomSymmetric(new Random(1), d, 1e-3);
    const W = run(d, S, (_g, m) => boundedSpectrumWeight(m, 0.9));
    let err = 0;
    for (let k = 0; k < d * d; k++) err = Math.max(err, Math.abs(W[k]! - S[k]!) / Math.abs(S[k]! || 1));
    expect(err).toBeLessThan(1e-3);
  });

  it("has gradients that match central finite differences", () => {
    const d = 4;
    const M = new Random(5).normals(d * d, 1);
    const C = new Random(6).normals(d * d, 1);
    const g = new Graph();
    const m = g.leaf("param", "M", [d, d], "float64");
    const c = g.leaf("input", "C", [d, d], "float64");
    const program = differentiate(g.toProgram({ y: ops.sum(ops.mul(boundedSpectrumWeight(m, 0.9), c)) }), { of: "y" });
    const f = (x: Float64Array): number => interpret(program, new Map([["M", x], ["C", C]])).get("y")![0]!;
    const grad = interpret(program, new Map([["M", M], ["C", C]])).get("grad_M")!;
    const h = 1e-6;
    for (let k = 0; k < d * d; k++) {
      const plus = Float64Array.from(M);
      const minus = Float64Array.from(M);
      plus[k]! += h;
      minus[k]! -= h;
      expect(grad[k]).toBeCloseTo((f(plus) - f(minus)) / (2 * h), 6);
    }
  });

  it("rejects a radius outside (0, 1)", () => {
    const g = new Graph();
    expect(() => boundedSpectrumWeight(g.leaf("input", "M", [2, 2], "float64"), 1)).toThrow(/radius must be in \(0, 1\), got 1/);
  });
});
