import { Graph, Random, ReferenceBackend, energyProgram, gradientStep, hostTensor, interpret, relativeError, runUnfolding, stepProgram } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { CRATE_COMPRESSION_TERM, crateEnergy, crateProximalStep, crateStepBound, initCrateParams, istaBlock, istaStep, istaStepBound, nonNegativeSoftThreshold, sparseCodingEnergy } from "../src/index.js";
import { crateIstaZoo, crateZoo } from "../src/crate/zoo.js";
import { matmul } from "./helpers.js";

const [n, d] = [6, 5];

const transpose = (m: ArrayLike<number>, rows: number, cols: number): Float64Array => {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j]!;
  return t;
};

/** 1/2 ||X - Z D^T||^2 + lambda ||Z||_1 with plain loops. */
function objective(Z: ArrayLike<number>, X: ArrayLike<number>, D: ArrayLike<number>, lambda: number): number {
  const ZD = matmul(Z, transpose(D, d, d), n, d, d);
  let value = 0;
  for (let i = 0; i < n * d; i++) value += 0.5 * (X[i]! - ZD[i]!) ** 2 + lambda * Math.abs(Z[i]!);
  return value;
}

const istaInstance = (seed: number, lambda = 0.1) => {
  const rng = new Random(seed);
  const energy = sparseCodingEnergy({ dim: d, tokens: n, lambda });
  const D = rng.normals(d * d, 0.6);
  const X = rng.normals(n * d).map(Math.abs);
  const bound = istaStepBound(hostTensor(D, [d, d]));
  const step = (Z: Float64Array, eta: number): Float64Array =>
    interpret(stepProgram(energy, istaStep(energy, { stepSize: eta }), [n, d], "float64"), new Map([["state", Z], ["stepSize", Float64Array.from([eta])], ["D", D], ["X", X]])).get("state")!;
  return { rng, energy, D, X, bound, step, lambda };
};

describe("CRATE: the ISTA step", () => {
  it("from Z = X is CRATE's ISTA block ReLU(X + eta (X - X D^T) D - eta lambda), its gradient derived by autodiff", () => {
    const { D, X, step, lambda } = istaInstance(3);
    const eta = 0.07;
    const residual = matmul(X.map((x, i) => x - matmul(X, transpose(D, d, d), n, d, d)[i]!), D, n, d, d);
    const expected = X.map((x, i) => Math.max(0, x + eta * residual[i]! - eta * lambda));
    expect(relativeError(step(Float64Array.from(X), eta), expected)).toBeLessThan(1e-13);
    // istaBlock, the closed form a CRATE layer uses, is the same map.
    const graph = new Graph();
    const block = istaBlock(graph.leaf("input", "X", [n, d], "float64"), graph.leaf("param", "D", [d, d], "float64"), eta, lambda);
    expect(relativeError(interpret(graph.toProgram({ z: block }), new Map([["X", X], ["D", D]])).get("z")!, expected)).toBeLessThan(1e-13);
  });

  /**
   * The proximal gradient descent lemma: with L = ||D||_2^2 and the convex prox, a step of size eta
   * lowers the objective F by at least (1/eta - L/2) ||Z+ - Z||^2, so every eta < 2 / L descends.
   * Checked at 1/L (istaStepBound, the usual safe choice), 1/(2L) and 1.9/L.
   */
  it("lowers 1/2 ||X - Z D^T||^2 + lambda ||Z||_1 from Z >= 0 by at least (1/eta - L/2) ||Z+ - Z||^2 for eta < 2 / L, L = ||D||_2^2 (30 instances, 10 steps each)", () => {
    let steps = 0;
    for (let t = 0; t < 30; t++) {
      const { rng, D, X, bound, step, lambda } = istaInstance(100 + t, 0.05 + 0.1 * (t % 4));
      const L = 1 / bound;
      for (const eta of [bound, 0.5 * bound, 1.9 * bound]) {
        let Z: Float64Array = rng.normals(n * d).map(Math.abs);
        for (let k = 0; k < 10; k++) {
          const next = step(Z, eta);
          const moved = next.reduce((sum, v, i) => sum + (v - Z[i]!) ** 2, 0);
          const before = objective(Z, X, D, lambda);
          expect(objective(next, X, D, lambda)).toBeLessThanOrEqual(before - (1 / eta - L / 2) * moved + 1e-12 * before);
          expect(Math.min(...next)).toBeGreaterThanOrEqual(0);
          Z = next;
          steps++;
        }
      }
    }
    expect(steps).toBe(900);
  });

  it("2 / L matters: at eta = 2.5 / ||D||_2^2, beyond the descent lemma's limit, some step raises the objective", () => {
    let raised = 0;
    for (let t = 0; t < 10; t++) {
      const { rng, D, X, bound, step, lambda } = istaInstance(200 + t);
      let Z: Float64Array = rng.normals(n * d).map(Math.abs);
      for (let k = 0; k < 5; k++) {
        const next = step(Z, 2.5 * bound);
        if (objective(next, X, D, lambda) > objective(Z, X, D, lambda)) raised++;
        Z = next;
      }
    }
    expect(raised).toBeGreaterThan(0);
  });
});

describe("CRATE: the non-negative soft threshold", () => {
  it("is the prox of tau ||z||_1 + indicator(z >= 0): z* - v + tau = 0 where z* > 0, and v <= tau where z* = 0", () => {
    const graph = new Graph();
    const v = graph.leaf("input", "v", [400], "float64");
    const tau = 0.3;
    const program = graph.toProgram({ z: nonNegativeSoftThreshold(v, tau) });
    const values = new Random(4).normals(400);
    const z = interpret(program, new Map([["v", values]])).get("z")!;
    let positive = 0;
    z.forEach((zi, i) => {
      expect(zi).toBeGreaterThanOrEqual(0);
      if (zi > 0) {
        positive++;
        expect(Math.abs(zi - values[i]! + tau)).toBeLessThan(1e-15);
      } else expect(values[i]!).toBeLessThanOrEqual(tau);
    });
    expect(positive).toBeGreaterThan(50);
    expect(positive).toBeLessThan(350);
    // And it minimizes tau |z| + 1/2 (z - v)^2 over z >= 0: no feasible perturbation does better.
    const cost = (zi: number, vi: number): number => tau * Math.abs(zi) + 0.5 * (zi - vi) ** 2;
    z.forEach((zi, i) => {
      for (const delta of [1e-3, -1e-3, 0.1, -0.1]) if (zi + delta >= 0) expect(cost(zi + delta, values[i]!)).toBeGreaterThan(cost(zi, values[i]!));
    });
  });
});

describe("CRATE: the proximal gradient step on the surrogate R^c + lambda ||Z||_1", () => {
  const config = { dim: d, heads: 2, headDim: 3, eps: 0.8, lambda: 0.05 };
  const energy = crateEnergy(config);
  const energyProg = energyProgram(energy, [n, d], "float64");
  const total = (Z: Float64Array, U: Float64Array): number => {
    const out = interpret(energyProg, new Map([["state", Z], ["U", U]]));
    return out.get("term:compression")![0]! + out.get("term:sparsity")![0]!;
  };
  const proximal = (alpha: number) => {
    const program = stepProgram(energy, crateProximalStep(energy, { stepSize: alpha }), [n, d], "float64");
    return (Z: Float64Array, U: Float64Array): Float64Array => interpret(program, new Map([["state", Z], ["U", U], ["stepSize", Float64Array.from([alpha])]])).get("state")!;
  };

  it("is ReLU(Z - alpha grad R^c(Z) - alpha lambda), grad R^c from an autodiff gradient step on the compression term", () => {
    const lambda = 0.4;
    const thresholded = crateEnergy({ ...config, lambda });
    const rng = new Random(250);
    const U = rng.normals(2 * d * 3, 0.8);
    const Z = rng.normals(n * d).map(Math.abs);
    const alpha = 0.5;
    const feeds = new Map([["state", Z], ["U", U], ["stepSize", Float64Array.from([alpha])]]);
    const gradientMoved = interpret(stepProgram(thresholded, gradientStep(thresholded, { stepSize: alpha, terms: [CRATE_COMPRESSION_TERM] }), [n, d], "float64"), feeds).get("state")!;
    const expected = gradientMoved.map((v) => Math.max(0, v - alpha * lambda));
    const got = interpret(stepProgram(thresholded, crateProximalStep(thresholded, { stepSize: alpha }), [n, d], "float64"), feeds).get("state")!;
    expect(relativeError(got, expected)).toBeLessThan(1e-13);
    // The threshold decides: entries are cut at alpha lambda = 0.2, and some lie within
    // (alpha lambda, 2 alpha lambda], so a doubled threshold would zero them.
    const between = gradientMoved.filter((v) => v > alpha * lambda && v <= 2 * alpha * lambda).length;
    expect(between).toBeGreaterThan(0);
    expect(expected.filter((v) => v === 0).length).toBeGreaterThan(0);
  });

  /**
   * With L = c lambda_max(sum_k U_k U_k^T) bounding the curvature of R^c and the convex prox, a step
   * of size alpha lowers R^c + lambda ||Z||_1 by at least (1/alpha - L/2) ||Z+ - Z||^2: checked at
   * 1/L (crateStepBound) and 1.9/L, on random bases that are neither orthonormal nor incoherent.
   */
  it("lowers R^c + lambda ||Z||_1 from Z >= 0 by at least (1/alpha - L/2) ||Z+ - Z||^2 for alpha = 1/L and 1.9/L, L = 1 / crateStepBound", () => {
    let steps = 0;
    for (let t = 0; t < 20; t++) {
      const rng = new Random(300 + t);
      const U = rng.normals(2 * d * 3, 0.8);
      const bound = crateStepBound(config, n, hostTensor(U, [2, d, 3]));
      for (const alpha of [bound, 1.9 * bound]) {
        const step = proximal(alpha);
        let Z: Float64Array = rng.normals(n * d, 2).map(Math.abs);
        for (let k = 0; k < 6; k++) {
          const next = step(Z, U);
          const moved = next.reduce((sum, v, i) => sum + (v - Z[i]!) ** 2, 0);
          const before = total(Z, U);
          expect(total(next, U)).toBeLessThanOrEqual(before - (1 / alpha - 1 / (2 * bound)) * moved + 1e-12 * Math.abs(before));
          expect(Math.min(...next)).toBeGreaterThanOrEqual(0);
          Z = next;
          steps++;
        }
      }
    }
    expect(steps).toBe(240);
  });

  const curvature = (K: number, p: number, U: Float64Array, Z: Float64Array, H: Float64Array): number => {
    const program = energyProgram(crateEnergy({ dim: d, heads: K, headDim: p }), [n, d], "float64");
    const f = (t: number): number => interpret(program, new Map([["state", Z.map((z, i) => z + t * H[i]!)], ["U", U]])).get("term:compression")![0]!;
    const h = 1e-4;
    return (f(h) - 2 * f(0) + f(-h)) / (h * h);
  };
  const unit = (v: Float64Array): Float64Array => v.map((x) => x / Math.hypot(...v));

  it("its L = c lambda_max(sum_k U_k U_k^T) bounds the compression term's curvature at random states", () => {
    for (let t = 0; t < 20; t++) {
      const rng = new Random(400 + t);
      const U = rng.normals(2 * d * 3, 0.8);
      const L = 1 / crateStepBound({ dim: d, heads: 2, headDim: 3 }, n, hostTensor(U, [2, d, 3]));
      expect(curvature(2, 3, U, rng.normals(n * d, 0.5), unit(rng.normals(n * d)))).toBeLessThanOrEqual(L * (1 + 1e-6));
    }
  });

  it("its L is attained at Z = 0 along H = e_1 v^T, v the top eigenvector of sum_k U_k U_k^T (two subspaces, not orthonormal)", () => {
    const rng = new Random(5);
    const [K, p] = [2, 2];
    const U = rng.normals(K * d * p);
    const L = 1 / crateStepBound({ dim: d, heads: K, headDim: p }, n, hostTensor(U, [K, d, p]));
    // The top eigenvector of M = sum_k U_k U_k^T by power iteration, M written out here.
    const M = new Float64Array(d * d);
    for (let k = 0; k < K; k++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) for (let j = 0; j < p; j++) M[a * d + b]! += U[(k * d + a) * p + j]! * U[(k * d + b) * p + j]!;
    let v: Float64Array = rng.normals(d);
    for (let k = 0; k < 500; k++) v = unit(matmul(M, v, d, d, 1));
    const H = new Float64Array(n * d);
    H.set(v, 0);
    const top = curvature(K, p, U, new Float64Array(n * d), H);
    expect(top).toBeCloseTo(L, 5);
    // Random directions approach it from below.
    let best = 0;
    for (let k = 0; k < 100; k++) best = Math.max(best, curvature(K, p, U, new Float64Array(n * d), unit(rng.normals(n * d))));
    expect(best).toBeLessThanOrEqual(top * (1 + 1e-6));
  });

  it("for incoherent orthonormal subspaces (initCrateParams, K p <= d) L = c exactly, where c sum_k ||U_k||_2^2 would give K c", () => {
    for (const [K, p, eps] of [[2, 2, 1], [1, 5, 0.7], [4, 1, 1.3]] as const) {
      const subspaces = { dim: d, heads: K, headDim: p, eps };
      const c = p / (n * eps * eps);
      expect(crateStepBound(subspaces, n, initCrateParams(subspaces, { seed: 3 }).U) * c).toBeCloseTo(1, 12);
    }
  });
});

describe("CRATE: the zoo examples", () => {
  it.each([crateZoo, crateIstaZoo])("$name runs its guarded unfolding on the reference backend in float64 and float32, the energy falling", async (entry) => {
    for (const dtype of ["float64", "float32"] as const) {
      const { unfolding, state, params } = entry.example(dtype);
      const { trace } = await runUnfolding(unfolding, new ReferenceBackend(), { state, params });
      const energies = trace.layers.map((l) => l.energy);
      expect(energies.length).toBe(unfolding.layers + 1);
      expect(energies.at(-1)!).toBeLessThan(energies[0]! - 1e-3);
    }
  });
});
