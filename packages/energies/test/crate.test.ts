import { Graph, Random, energyProgram, gradientStep, interpret, relativeError, stepProgram, symmetricEigen } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { compressionRate, crateEnergy, initCrateParams, logDetPositiveDefinite, mssaStep } from "../src/index.js";

// n tokens of d features, n != d: a token count read from the feature axis changes c and fails.
// d = K p in the MSSA settings, so the orthonormal subspaces cover R^d (sum_k U_k U_k^T = I), the
// paper's assumption behind MSSA.
const [n, d] = [6, 8];

/** c = p / (n eps^2), written out here rather than taken from the source, so the references check it. */
const rateOf = (p: number, eps: number): number => p / (n * eps * eps);

/** R^c(Z; U) with plain loops: 1/2 sum_k log det(I + c (Z U_k)^T (Z U_k)), the log det from the eigenvalues. */
function compressionOf(Z: ArrayLike<number>, U: ArrayLike<number>, K: number, p: number, eps: number): number {
  const c = rateOf(p, eps);
  let total = 0;
  for (let k = 0; k < K; k++) {
    const W = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) for (let r = 0; r < d; r++) W[i * p + j]! += Z[i * d + r]! * U[(k * d + r) * p + j]!;
    const A = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      let g = 0;
      for (let i = 0; i < n; i++) g += W[i * p + a]! * W[i * p + b]!;
      A[a * p + b] = (a === b ? 1 : 0) + c * g;
    }
    total += 0.5 * symmetricEigen(A, p).values.reduce((s, v) => s + Math.log(v), 0);
  }
  return total;
}

/** (1 - alpha c) Z + alpha c^2 sum_k softmax(W_k W_k^T) W_k U_k^T with plain loops. */
function mssaOf(Z: ArrayLike<number>, U: ArrayLike<number>, K: number, p: number, eps: number, alpha: number): Float64Array {
  const c = rateOf(p, eps);
  const out = Float64Array.from(Z, (z) => (1 - alpha * c) * z);
  for (let k = 0; k < K; k++) {
    const W = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) for (let r = 0; r < d; r++) W[i * p + j]! += Z[i * d + r]! * U[(k * d + r) * p + j]!;
    for (let i = 0; i < n; i++) {
      const logits = Array.from({ length: n }, (_, m) => Array.from({ length: p }, (_, j) => W[i * p + j]! * W[m * p + j]!).reduce((s, v) => s + v, 0));
      const top = Math.max(...logits);
      const weights = logits.map((l) => Math.exp(l - top));
      const sum = weights.reduce((s, v) => s + v, 0);
      for (let j = 0; j < p; j++) {
        const attended = weights.reduce((s, w, m) => s + (w / sum) * W[m * p + j]!, 0);
        for (let r = 0; r < d; r++) out[i * d + r]! += alpha * c * c * attended * U[(k * d + r) * p + j]!;
      }
    }
  }
  return out;
}

const setup = (heads: number, headDim: number, eps: number, seed: number, scale = 1) => {
  const config = { dim: d, heads, headDim, eps };
  const energy = crateEnergy(config);
  const U = Float64Array.from(initCrateParams(config, { seed }).U.data);
  const Z = new Random(1000 + seed).normals(n * d, scale);
  const feeds = (state: Float64Array, alpha?: number): Map<string, Float64Array> =>
    new Map([["state", state], ["U", U], ...(alpha === undefined ? [] : [["stepSize", Float64Array.from([alpha])] as [string, Float64Array]])]);
  const compression = (state: Float64Array): number => interpret(energyProgram(energy, [n, d], "float64"), feeds(state)).get("term:compression")![0]!;
  const stepped = (step: Parameters<typeof stepProgram>[1], alpha: number): Float64Array => interpret(stepProgram(energy, step, [n, d], "float64"), feeds(Z, alpha)).get("state")!;
  return { config, energy, U, Z, compression, stepped };
};

describe("CRATE: the compression term", () => {
  it("logDetPositiveDefinite equals the sum of log eigenvalues on random positive definite matrices", () => {
    const rng = new Random(5);
    for (const p of [1, 2, 5, 9]) {
      const M = rng.normals(p * p);
      const A = new Float64Array(p * p);
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) for (let r = 0; r < p; r++) A[i * p + j]! += M[r * p + i]! * M[r * p + j]!;
      for (let i = 0; i < p; i++) A[i * p + i]! += 0.1;
      const graph = new Graph();
      const program = graph.toProgram({ logdet: logDetPositiveDefinite(graph.leaf("input", "A", [2, p, p], "float64")) });
      const out = interpret(program, new Map([["A", Float64Array.from([...A, ...A.map((v, i) => (i % (p + 1) === 0 ? v + 1 : v))])]])).get("logdet")!;
      const expected = symmetricEigen(A, p).values.reduce((s, v) => s + Math.log(v), 0);
      expect(Math.abs(out[0]! - expected)).toBeLessThan(1e-11 * Math.max(1, Math.abs(expected)));
      expect(out[1]!).toBeGreaterThan(out[0]!); // A + I is larger in the Loewner order
    }
  });

  it("equals 1/2 sum_k log det(I + p/(n eps^2) (Z U_k)^T (Z U_k)), summed over the batch", () => {
    for (const [K, p, eps] of [[2, 4, 1], [4, 2, 0.7], [3, 5, 1.3]] as const) {
      const { U, Z, compression } = setup(K, p, eps, 11);
      expect(relativeError(Float64Array.from([compression(Z)]), Float64Array.from([compressionOf(Z, U, K, p, eps)]))).toBeLessThan(1e-12);
    }
    const graph = new Graph();
    const Zb = graph.leaf("input", "Z", [2, n, d], "float64");
    const { U, Z } = setup(2, 4, 1, 12);
    const Z2 = new Random(77).normals(n * d);
    const out = interpret(graph.toProgram({ r: compressionRate(Zb, graph.leaf("param", "U", [2, d, 4], "float64"), 1) }), new Map([["Z", Float64Array.from([...Z, ...Z2])], ["U", U]])).get("r")![0]!;
    expect(out).toBeCloseTo(compressionOf(Z, U, 2, 4, 1) + compressionOf(Z2, U, 2, 4, 1), 10);
  });

  it("its autodiff gradient matches central finite differences in float64", () => {
    for (const [K, p, eps] of [[2, 4, 1], [4, 2, 0.5]] as const) {
      const { U, Z, energy, stepped } = setup(K, p, eps, 21);
      const gradient = stepped(gradientStep(energy, { stepSize: 1, terms: ["compression"] }), 1).map((v, i) => Z[i]! - v);
      const h = 1e-6;
      const fd = Z.map((_, i) => {
        const plus = Float64Array.from(Z);
        const minus = Float64Array.from(Z);
        plus[i]! += h;
        minus[i]! -= h;
        return (compressionOf(plus, U, K, p, eps) - compressionOf(minus, U, K, p, eps)) / (2 * h);
      });
      expect(relativeError(gradient, fd)).toBeLessThan(1e-7);
    }
  });
});

describe("CRATE: the MSSA step and the exact gradient", () => {
  it("is (1 - alpha c) Z + alpha c MSSA(Z | U), MSSA = c sum_k softmax(Z U_k (Z U_k)^T) Z U_k U_k^T", () => {
    const { U, Z, energy, stepped } = setup(2, 4, 0.8, 31);
    expect(relativeError(stepped(mssaStep(energy), 0.3), mssaOf(Z, U, 2, 4, 0.8, 0.3))).toBeLessThan(1e-12);
  });

  /**
   * MSSA is the paper's approximation of -grad R^c, not the gradient of an energy. What holds,
   * measured on 40 random instances per setting (orthogonal subspaces covering R^d, 6 Gaussian
   * tokens; the smallest cosines were 0.83, 0.90, 0.96, 0.53 and 0.25 in the order below): with
   * c = p / (n eps^2) <= 1, the MSSA direction (Z - Z+) / alpha is a descent direction of the
   * exact R^c (a small step lowers it), at a cosine with the exact gradient of at least 0.8 at
   * c = 1/2 and tokens of unit scale, falling as c or the tokens grow (0.2 at c = 1); at
   * c = 2 the softmax term outweighs the shrinkage and a small MSSA step raises R^c instead.
   */
  const angles = (K: number, p: number, eps: number, scale: number): { cosines: number[]; lowered: number } => {
    const cosines: number[] = [];
    let lowered = 0;
    for (let t = 0; t < 40; t++) {
      const { Z, energy, compression, stepped } = setup(K, p, eps, 100 + t, scale);
      const exact = stepped(gradientStep(energy, { stepSize: 1, terms: ["compression"] }), 1).map((v, i) => Z[i]! - v);
      const alpha = 1e-3;
      const next = stepped(mssaStep(energy), alpha);
      const direction = next.map((v, i) => (Z[i]! - v) / alpha);
      const dot = exact.reduce((s, g, i) => s + g * direction[i]!, 0);
      cosines.push(dot / Math.sqrt(exact.reduce((s, g) => s + g * g, 0) * direction.reduce((s, g) => s + g * g, 0)));
      if (compression(next) < compression(Z)) lowered++;
    }
    return { cosines, lowered };
  };

  /** The eps that gives c = p / (n eps^2). */
  const epsFor = (p: number, c: number): number => Math.sqrt(p / (n * c));

  it.each([
    [2, 4, 0.5, 1, 0.8],
    [4, 2, 0.25, 1, 0.85],
    [2, 4, 0.5, 0.3, 0.9],
    [2, 4, 0.5, 3, 0.5],
    [2, 4, 1, 1, 0.2],
  ])("K %i, p %i, c %f, token scale %f: a small MSSA step lowers the exact R^c, cosine with -grad >= %f", (K, p, c, scale, floor) => {
    const eps = epsFor(p, c);
    expect(rateOf(p, eps)).toBeCloseTo(c, 12);
    const { cosines, lowered } = angles(K, p, eps, scale);
    expect(lowered).toBe(40);
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(floor);
  });

  it("at c = 2 (p = 4, n = 6, eps = 1/sqrt(3)) the approximation fails: a small MSSA step raises the exact R^c", () => {
    const { cosines, lowered } = angles(2, 4, epsFor(4, 2), 1);
    expect(lowered).toBe(0);
    expect(Math.max(...cosines)).toBeLessThan(0);
  });
});
