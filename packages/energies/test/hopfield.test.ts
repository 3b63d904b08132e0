import fc from "fast-check";
import { type ParamValues, type Program, Random, ReferenceBackend, runUnfolding, toFloat64, closedFormStep, gradientStep, gradients, input, logsumexp, ops, relativeError, termValues, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { HOPFIELD_STEP_BOUND, HOPFIELD_TERM, hopfieldEnergy, hopfieldUpdate } from "../src/index.js";
import { hopfieldZooEntry } from "../src/hopfield/zoo.js";
import { run } from "./helpers.js";

interface Instance {
  readonly batch: number;
  readonly dim: number;
  readonly memories: number;
  readonly beta: number;
  readonly q: Float64Array;
  readonly X: Float64Array;
}

/** Queries and patterns with norms about `scale`. */
function randomInstance(seed: number, batch: number, dim: number, memories: number, beta: number, scale = 1): Instance {
  const rng = new Random(seed);
  return { batch, dim, memories, beta, q: rng.normals(batch * dim, scale / Math.sqrt(dim)), X: rng.normals(memories * dim, scale / Math.sqrt(dim)) };
}

const energyOf = (c: Instance) => hopfieldEnergy({ dim: c.dim, memories: c.memories, beta: c.beta });

/** E(q), the CCCP step q_a, E(q_a), the gradient step of the same size and ||q - T(q)||^2, in one program. */
function stepProgram(c: Instance): Program {
  const energy = energyOf(c);
  const cccp = closedFormStep(energy, HOPFIELD_TERM);
  const gradient = gradientStep(energy, { stepSize: 1 });
  return trace({ q: input([c.batch, c.dim]), X: input([c.memories, c.dim]), a: input([]) }, ({ q, X, a }) => {
    const next = cccp.apply(q, { X }, a);
    const residual = ops.sub(q, hopfieldUpdate(q, X, c.beta));
    return {
      energy: termValues(energy, q, { X })[HOPFIELD_TERM]!,
      next,
      nextEnergy: termValues(energy, next, { X })[HOPFIELD_TERM]!,
      gradientNext: gradient.apply(q, { X }, a),
      residual: ops.sum(ops.mul(residual, residual)),
    };
  });
}

/**
 * The CCCP majorizer at q_t, M(q) = -f(q_t) - grad f(q_t)^T (q - q_t) + 1/2 ||q||^2 with
 * f = 1/beta logsumexp(beta X q) summed over the queries and grad f(q_t) from autodiff; its
 * gradient at q by autodiff; and E(q). Nothing here uses the closed form.
 */
function majorizerProgram(c: Instance): Program {
  const energy = energyOf(c);
  return trace({ q: input([c.batch, c.dim]), qt: input([c.batch, c.dim]), X: input([c.memories, c.dim]) }, ({ q, qt, X }) => {
    const f = ops.mul(ops.sum(logsumexp(ops.mul(ops.matmul(qt, ops.swapLastAxes(X)), c.beta), -1)), 1 / c.beta);
    const gradF = gradients(f, [qt])[0]!;
    const M = ops.add(ops.sub(ops.neg(f), ops.sum(ops.mul(gradF, ops.sub(q, qt)))), ops.mul(ops.sum(ops.mul(q, q)), 0.5));
    return { majorizer: M, majorizerGradient: gradients(M, [q])[0]!, energy: termValues(energy, q, { X })[HOPFIELD_TERM]! };
  });
}

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

describe("modern Hopfield energy", () => {
  it("equals -1/beta sum_b logsumexp(beta X q_b) + 1/2 ||q||^2 written with plain loops", () => {
    const c = randomInstance(3, 4, 5, 7, 2.5);
    const program = trace({ q: input([c.batch, c.dim]), X: input([c.memories, c.dim]) }, ({ q, X }) => termValues(energyOf(c), q, { X })[HOPFIELD_TERM]!);
    let expected = 0;
    for (let b = 0; b < c.batch; b++) {
      const logits = Array.from({ length: c.memories }, (_, m) => {
        let dot = 0;
        for (let k = 0; k < c.dim; k++) dot += c.X[m * c.dim + k]! * c.q[b * c.dim + k]!;
        return c.beta * dot;
      });
      const top = Math.max(...logits);
      expected -= (top + Math.log(logits.reduce((s, l) => s + Math.exp(l - top), 0))) / c.beta;
      for (let k = 0; k < c.dim; k++) expected += 0.5 * c.q[b * c.dim + k]! ** 2;
    }
    const got = run(program, { q: c.q, X: c.X })["out"]![0]!;
    expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(expected)));
  });

  it("has the autodiff gradient that central differences give, in float64", () => {
    const c = randomInstance(11, 3, 6, 5, 3);
    const energy = energyOf(c);
    const program = trace({ q: input([c.batch, c.dim]), X: input([c.memories, c.dim]) }, ({ q, X }) => {
      const e = termValues(energy, q, { X })[HOPFIELD_TERM]!;
      return { energy: e, gradient: gradients(e, [q])[0]! };
    });
    const at = (q: Float64Array): number => run(program, { q, X: c.X })["energy"]![0]!;
    const gradient = run(program, { q: c.q, X: c.X })["gradient"]!;
    const h = 1e-5;
    const numeric = Float64Array.from(c.q, (_, i) => {
      const up = Float64Array.from(c.q);
      const down = Float64Array.from(c.q);
      up[i]! += h;
      down[i]! -= h;
      return (at(up) - at(down)) / (2 * h);
    });
    expect(relativeError(gradient, numeric)).toBeLessThanOrEqual(1e-8);
  });

  it("declares a closed-form step equal to the autodiff gradient step of the same size (grad E = q - T(q))", () => {
    for (const [seed, beta] of [[1, 0.5], [2, 4], [5, 20]] as const) {
      const c = randomInstance(seed, 4, 6, 9, beta);
      const program = stepProgram(c);
      for (const a of [0.3, 1, 1.7]) {
        const out = run(program, { q: c.q, X: c.X, a: [a] });
        expect(relativeError(out["next"]!, out["gradientNext"]!)).toBeLessThanOrEqual(1e-13);
      }
    }
  });

  it("steps to the minimizer of the CCCP majorizer, which lies above E and touches it at q_t (autodiff, float64)", () => {
    const c = randomInstance(8, 3, 7, 6, 3);
    const next = run(stepProgram(c), { q: c.q, X: c.X, a: [1] })["next"]!;
    const majorizer = majorizerProgram(c);
    const at = (q: Float64Array) => run(majorizer, { q, qt: c.q, X: c.X });
    // The majorizer's gradient vanishes at the declared step: it is the majorizer's argmin.
    const gradientThere = at(next)["majorizerGradient"]!;
    expect(norm(gradientThere)).toBeLessThanOrEqual(1e-13 * Math.max(1, norm(next)));
    // ... and not at q_t (unless q_t were a fixed point), so the check is not vacuous.
    expect(norm(at(c.q)["majorizerGradient"]!)).toBeGreaterThan(0.1);
    // M(q_t) = E(q_t), and M >= E at random points (f is convex, so it lies above its tangent).
    const touch = at(c.q);
    expect(Math.abs(touch["majorizer"]![0]! - touch["energy"]![0]!)).toBeLessThanOrEqual(1e-13);
    const rng = new Random(9);
    for (let trial = 0; trial < 20; trial++) {
      const out = at(rng.normals(c.batch * c.dim, 1));
      expect(out["majorizer"]![0]!).toBeGreaterThanOrEqual(out["energy"]![0]! - 1e-12);
    }
  });

  it("never rises over many steps of any size in (0, 2), by at least a (1 - a/2) ||q - T(q)||^2 each (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 1_000_000 }),
          batch: fc.integer({ min: 1, max: 4 }),
          dim: fc.integer({ min: 1, max: 6 }),
          memories: fc.integer({ min: 1, max: 8 }),
          beta: fc.double({ min: 0.05, max: 30, noNaN: true }),
          scale: fc.double({ min: 0.1, max: 3, noNaN: true }),
          a: fc.double({ min: 0.01, max: HOPFIELD_STEP_BOUND - 0.01, noNaN: true }),
        }),
        ({ seed, batch, dim, memories, beta, scale, a }) => {
          const c = randomInstance(seed, batch, dim, memories, beta, scale);
          const program = stepProgram(c);
          let q = c.q;
          for (let step = 0; step < 25; step++) {
            const out = run(program, { q, X: c.X, a: [a] });
            const before = out["energy"]![0]!;
            const after = out["nextEnergy"]![0]!;
            const promised = a * (1 - a / 2) * out["residual"]![0]!;
            expect(after).toBeLessThanOrEqual(before - promised + 1e-12 * Math.max(1, Math.abs(before)));
            q = out["next"]!;
          }
        },
      ),
      { numRuns: 60, seed: 18 },
    );
  });

  it("rises for a step size above 2 on some instance, so the bound is not loose to the point of meaning nothing", () => {
    const c = randomInstance(4, 2, 5, 4, 0.5, 2);
    const out = run(stepProgram(c), { q: c.q, X: c.X, a: [2.5] });
    expect(out["nextEnergy"]![0]!).toBeGreaterThan(out["energy"]![0]!);
  });

  it("keeps each stored pattern within 2 (N-1) exp(-beta Delta_i) max_j ||x_j|| of its update (Ramsauer et al., Theorem 5's bound)", () => {
    // Unit-norm patterns in 64 dimensions are nearly orthogonal, so each is well separated
    // (Delta_i = x_i^T x_i - max_{j != i} x_i^T x_j is close to 1).
    const memories = 10;
    const dim = 64;
    const rng = new Random(21);
    const X = rng.normals(memories * dim);
    for (let i = 0; i < memories; i++) {
      const row = X.subarray(i * dim, (i + 1) * dim);
      const n = norm(row);
      row.forEach((v, k) => (row[k] = v / n));
    }
    const dot = (i: number, j: number): number => X.subarray(i * dim, (i + 1) * dim).reduce((s, v, k) => s + v * X[j * dim + k]!, 0);
    for (const beta of [8, 32]) {
      const c: Instance = { batch: memories, dim, memories, beta, q: X, X };
      const out = run(stepProgram(c), { q: X, X, a: [1] })["next"]!;
      for (let i = 0; i < memories; i++) {
        const separation = dot(i, i) - Math.max(...Array.from({ length: memories }, (_, j) => (j === i ? -Infinity : dot(i, j))));
        const distance = norm(Array.from({ length: dim }, (_, k) => out[i * dim + k]! - X[i * dim + k]!));
        const bound = 2 * (memories - 1) * Math.exp(-beta * separation);
        expect(separation).toBeGreaterThan(0.4);
        expect(distance).toBeLessThanOrEqual(bound);
        if (beta === 32) expect(distance).toBeLessThan(1e-4);
      }
    }
  });

  it("runs its zoo example under a throwing guard in both dtypes, lowering E and retrieving each query's pattern", async () => {
    for (const dtype of ["float64", "float32"] as const) {
      const { unfolding, state, params } = hopfieldZooEntry.example(dtype);
      const { trace: record, state: final } = await runUnfolding(unfolding, new ReferenceBackend(), { state, params });
      expect(record.layers.at(-1)!.energy).toBeLessThan(record.layers[0]!.energy);
      expect(record.steps.filter((s) => s.increased)).toEqual([]);
      // The example's queries are patterns 0..2 plus noise: each must end nearest its own pattern.
      const q = toFloat64(final);
      const X = toFloat64((params as ParamValues)["X"]!); // tied: one parameter set
      const [batch, dim] = final.shape as [number, number];
      for (let b = 0; b < batch; b++) {
        const distances = Array.from({ length: X.length / dim }, (_, m) => norm(Array.from({ length: dim }, (_, k) => q[b * dim + k]! - X[m * dim + k]!)));
        expect(distances.indexOf(Math.min(...distances))).toBe(b);
      }
    }
  });
});
