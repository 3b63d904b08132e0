// Every composite and traced helper (softmax, logsumexp, logSoftmax, layerNorm, moments,
// crossEntropy, sigmoid, mean, relu) against float64 central differences of L = sum(w * f(x)),
// large shifted logits included, and sigmoid's accuracy in both tails. The primitives' rules are
// checked in vjp-primitives.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Random, crossEntropy, layerNorm, logSoftmax, logsumexp, moments, oneHot, ops, sigmoid, softmax } from "../src/index.js";
import { type LeafSet, awayFromZero, axisArb, checkGradients, expectAllFinite, expectClose, indices, normals, seedArb, shapeArb, uniforms } from "./derivative-check.js";
import { assertProperty, sumLike } from "./vjp-property.js";

/** A shape of rank >= 1 and an axis of it. */
const shapeAxisArb = shapeArb(1, 3).chain((shape) => fc.tuple(fc.constant(shape), axisArb(shape.length), seedArb));
/** Logits are shifted by this much in some runs: stable forms must stay finite and exact. */
const shiftArb = fc.constantFrom(0, 0, 1e3, -1e3);
/** For shifted logits the step is absolute: the function is shift-invariant, not scale-relative. */
const stepFor = (shift: number): ((v: number) => number) | undefined => (shift === 0 ? undefined : () => 1e-5);

describe("vjp of composites matches central differences", () => {
  it("softmax, large shifted logits included", () => {
    assertProperty(fc.tuple(shapeAxisArb, shiftArb), ([[shape, axis, seed], shift]) => {
      const data = normals(new Random(seed), shape, 2).map((v) => v + shift);
      // Over a size-1 axis softmax is constant 1: then the gradient must come out zero.
      const r = checkGradients({ x: { shape, data } }, ({ x }) => softmax(x!, axis), { seed, step: stepFor(shift), nonZero: sizeAt(shape, axis) > 1 });
      expectAllFinite(r.y, "softmax");
      for (const g of Object.values(r.grads)) expectAllFinite(g, "d softmax");
    });
  });

  it("logsumexp, with and without kept dims, large shifted logits included", () => {
    assertProperty(fc.tuple(shapeAxisArb, shiftArb, fc.boolean()), ([[shape, axis, seed], shift, keep]) => {
      const data = normals(new Random(seed), shape, 2).map((v) => v + shift);
      const r = checkGradients({ x: { shape, data } }, ({ x }) => logsumexp(x!, axis, keep), { seed, step: stepFor(shift) });
      expectAllFinite(r.y, "logsumexp");
      // The value itself against a direct float64 evaluation along the axis.
      expect(Math.abs(r.y[0]! - directLogsumexp(data, shape, axis))).toBeLessThan(1e-9 * Math.max(1, Math.abs(shift)));
    });
  });

  it("logSoftmax, large shifted logits included", () => {
    assertProperty(fc.tuple(shapeAxisArb, shiftArb), ([[shape, axis, seed], shift]) => {
      const data = normals(new Random(seed), shape, 2).map((v) => v + shift);
      const r = checkGradients({ x: { shape, data } }, ({ x }) => logSoftmax(x!, axis), { seed, step: stepFor(shift), nonZero: sizeAt(shape, axis) > 1 });
      expectAllFinite(r.y, "logSoftmax");
    });
  });

  it("layerNorm with gamma and beta over any axis", () => {
    const formArb = fc.constantFrom("scalar", "vector", "shaped");
    assertProperty(fc.tuple(shapeAxisArb, formArb, fc.boolean(), fc.constantFrom(1e-5, 0.5)), ([[shape, axis, seed], form, withBeta, eps]) => {
      const rng = new Random(seed);
      const a = axis < 0 ? axis + shape.length : axis;
      const d = shape[a]!;
      // The documented forms: a scalar, or a vector over the normalized axis (given as [d], or
      // already shaped [d, 1, ...] to broadcast); the vector must run along `axis` either way.
      const paramShape = form === "scalar" ? [] : form === "vector" ? [d] : [d, ...shape.slice(a + 1).map(() => 1)];
      const gamma = uniforms(rng, paramShape, 0.5, 1.5);
      const beta = normals(rng, paramShape);
      const leaves: LeafSet = {
        x: { shape, data: normals(rng, shape, 2) },
        gamma: { shape: paramShape, data: gamma },
        ...(withBeta ? { beta: { shape: paramShape, data: beta } } : {}),
      };
      // One element on the axis makes x - mean = 0, so x has no influence; two elements with a
      // tiny eps normalize to +-1 with an O(eps) gradient that central differences cannot resolve.
      fc.pre(d > 2 || (d === 2 && eps > 0.1));
      const r = checkGradients(leaves, ({ x, gamma, beta }) => layerNorm(x!, { axis, eps, gamma: gamma!, ...(beta ? { beta } : {}) }), { seed });
      const want = directLayerNorm(leaves["x"]!.data, shape, a, eps, gamma, withBeta ? beta : new Float64Array(gamma.length));
      expectClose(r.y, want, 1e-12, "layerNorm value");
    });
  });

  it("moments (mean and biased variance)", () => {
    assertProperty(shapeAxisArb, ([shape, axis, seed]) => {
      checkGradients({ x: { shape, data: normals(new Random(seed), shape) } }, ({ x }) => {
        const { mean, variance } = moments(x!, axis);
        return ops.concat([mean, variance], axis);
      }, { seed });
    });
  });

  it("crossEntropy with respect to logits and targets, large shifted logits included", () => {
    assertProperty(fc.tuple(shapeAxisArb, shiftArb), ([[shape, axis, seed], shift]) => {
      const rng = new Random(seed);
      const a = axis < 0 ? axis + shape.length : axis;
      const t = uniforms(rng, shape, 0.1, 1);
      normalizeAlong(t, shape, a);
      const leaves: LeafSet = { logits: { shape, data: normals(rng, shape, 2).map((v) => v + shift) }, targets: { shape, data: t } };
      // Over a size-1 class axis logSoftmax is exactly 0, and so is every gradient.
      const nonZero = sizeAt(shape, axis) > 1;
      const r = checkGradients(leaves, ({ logits, targets }) => crossEntropy(logits!, targets!, axis), { seed, step: stepFor(shift), nonZero });
      expectAllFinite(r.y, "crossEntropy");
    });
  });

  it("crossEntropy on oneHot targets: no cotangent reaches the integer labels", () => {
    assertProperty(fc.tuple(shapeArb(1, 2), fc.integer({ min: 2, max: 4 }), seedArb), ([rows, classes, seed]) => {
      const rng = new Random(seed);
      const shape = [...rows, classes];
      const leaves: LeafSet = { logits: { shape, data: normals(rng, shape, 2) }, labels: { shape: rows, data: indices(rng, rows, classes), diff: false } };
      checkGradients(leaves, ({ logits, labels }) => crossEntropy(logits!, oneHot(labels!, classes)), { seed });
    });
  });

  it("sigmoid, including large |x| where a naive form overflows", () => {
    assertProperty(fc.tuple(shapeArb(1, 3), seedArb), ([shape, seed]) => {
      const rng = new Random(seed);
      // Element 0 stays moderate so the gradient is not all zero.
      const data = normals(rng, shape, 3).map((v, i) => (i > 0 && rng.uniform() < 0.3 ? Math.sign(v) * (20 + 800 * rng.uniform()) : v));
      const r = checkGradients({ x: { shape, data } }, ({ x }) => sigmoid(x!), { seed });
      expectAllFinite(r.grads["x"]!, "d sigmoid");
      expect(r.y.every((v) => v >= 0 && v <= 1)).toBe(true);
    });
  });

  it("mean and relu (traced helpers over primitives)", () => {
    assertProperty(sumLike, ({ shape, seed, axes, keepDims }) => {
      const data = awayFromZero(new Random(seed), shape, 0.1, 2);
      // All-negative draws legitimately have a zero gradient, which autodiff must reproduce.
      checkGradients({ x: { shape, data } }, ({ x }) => ops.mean(ops.relu(x!), axes ?? undefined, keepDims), { seed, nonZero: false });
    });
  });

  it("a composite's gradient reaches a shared input through every path", () => {
    // softmax(x) * logSoftmax(x) + sigmoid(x): three composites fan out from one leaf.
    assertProperty(shapeAxisArb, ([shape, axis, seed]) => {
      checkGradients(
        { x: { shape, data: normals(new Random(seed), shape) } },
        ({ x }) => ops.add(ops.mul(softmax(x!, axis), logSoftmax(x!, axis)), sigmoid(x!)),
        { seed },
      );
    });
  });
});

function sizeAt(shape: readonly number[], axis: number): number {
  return shape[axis < 0 ? axis + shape.length : axis]!;
}

function directLogsumexp(data: Float64Array, shape: readonly number[], axis: number): number {
  // The first output element: index 0 on every axis but `axis`.
  const a = axis < 0 ? axis + shape.length : axis;
  const stride = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const values = Array.from({ length: shape[a]! }, (_, i) => data[i * stride]!);
  const m = Math.max(...values);
  return m + Math.log(values.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** layerNorm along `axis`, with gamma and beta indexed by position along it (or scalars). */
function directLayerNorm(x: Float64Array, shape: readonly number[], axis: number, eps: number, gamma: Float64Array, beta: Float64Array): Float64Array {
  const n = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const out = new Float64Array(x.length);
  for (let o = 0; o < x.length / (n * inner); o++) {
    for (let t = 0; t < inner; t++) {
      const at = (i: number): number => (o * n + i) * inner + t;
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x[at(i)]! / n;
      let variance = 0;
      for (let i = 0; i < n; i++) variance += (x[at(i)]! - mean) ** 2 / n;
      for (let i = 0; i < n; i++) {
        const k = gamma.length === 1 ? 0 : i;
        out[at(i)] = ((x[at(i)]! - mean) / Math.sqrt(variance + eps)) * gamma[k]! + beta[k]!;
      }
    }
  }
  return out;
}

function normalizeAlong(data: Float64Array, shape: readonly number[], axis: number): void {
  const n = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outer = data.length / (n * inner);
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < inner; t++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += data[(o * n + i) * inner + t]!;
      for (let i = 0; i < n; i++) data[(o * n + i) * inner + t]! /= s;
    }
  }
}

describe("sigmoid keeps relative accuracy in both tails", () => {
  it("matches 1/(1+e^-x) to full relative precision for large |x|, with derivative 1/4 at 0", async () => {
    const { sigmoid: sig, trace: tr, input: inp, interpret: run, grad: g } = await import("../src/index.js");
    const xs = [-80, -20, -7.5, -1e-3, 0, 1e-3, 7.5, 20, 80];
    const p = tr({ x: inp([xs.length]) }, ({ x }) => sig(x));
    const out = run(p, new Map([["x", Float64Array.from(xs)]])).get("out")!;
    xs.forEach((x, i) => {
      const want = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
      expect(Math.abs(out[i]! - want)).toBeLessThanOrEqual(1e-15 * want);
    });
    const d = tr({ x: inp([]) }, ({ x }) => g((t) => sig(t))(x));
    expect(run(d, new Map([["x", Float64Array.from([0])]])).get("out")![0]).toBeCloseTo(0.25, 15);
  });
});
