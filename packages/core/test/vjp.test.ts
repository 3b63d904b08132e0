// Every primitive's vector-Jacobian rule, and every composite, against float64 central
// differences of L = sum(w * f(x)) on random shapes (broadcasting included). The table below is
// keyed by op and checked against the registry, so a new primitive without a case fails here.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Tensor,
  Random,
  computedOps,
  crossEntropy,
  gradients,
  interpret,
  layerNorm,
  logSoftmax,
  logsumexp,
  moments,
  oneHot,
  ops,
  sigmoid,
  sizeOf,
  softmax,
  trace,
  input,
} from "../src/index.js";
import {
  type LeafSet,
  awayFromZero,
  axisArb,
  broadcastPairArb,
  checkGradients,
  checkZeroGradients,
  distinct,
  expectAllFinite,
  expectClose,
  indices,
  normals,
  operandArb,
  permutationArb,
  seedArb,
  shapeArb,
  uniforms,
} from "./derivative-check.js";

type ComputedOp = ReturnType<typeof computedOps>[number];
type Draw = (rng: Random, shape: readonly number[]) => Float64Array;

const RUNS = 25;
const SEED = 0x5eed;
const assertProperty = <T>(arb: fc.Arbitrary<T>, check: (value: T) => void, runs = RUNS): void =>
  fc.assert(fc.property(arb, check), { numRuns: runs, seed: SEED });

const anyReal: Draw = (rng, s) => normals(rng, s);
const positive: Draw = (rng, s) => uniforms(rng, s, 0.5, 2);

function unaryCase(op: ComputedOp, f: (x: Tensor) => Tensor, draw: Draw): () => void {
  return () =>
    assertProperty(fc.tuple(shapeArb(), seedArb), ([shape, seed]) => {
      const rng = new Random(seed);
      checkGradients({ x: { shape, data: draw(rng, shape) } }, ({ x }) => f(x!), { seed, covers: op });
    });
}

/** Binary op on two shapes that broadcast against each other, in either direction. */
function binaryCase(op: ComputedOp, f: (a: Tensor, b: Tensor) => Tensor, draw: (rng: Random, sa: number[], sb: number[]) => [Float64Array, Float64Array]): () => void {
  return () =>
    assertProperty(fc.tuple(broadcastPairArb(), seedArb), ([[sa, sb], seed]) => {
      const [da, db] = draw(new Random(seed), sa, sb);
      checkGradients({ a: { shape: sa, data: da }, b: { shape: sb, data: db } }, ({ a, b }) => f(a!, b!), { seed, covers: op });
    });
}

function zeroGradientBinaryCase(op: ComputedOp, f: (a: Tensor, b: Tensor) => Tensor): () => void {
  return () =>
    assertProperty(fc.tuple(broadcastPairArb(), seedArb, fc.boolean()), ([[sa, sb], seed, tied]) => {
      const rng = new Random(seed);
      // Small integers make exact ties common: the comparison's discontinuity must not leak either.
      const draw = (s: number[]): Float64Array => (tied ? indices(rng, s, 3) : normals(rng, s));
      const a = { shape: sa, data: draw(sa) };
      const b = { shape: sb, data: draw(sb) };
      checkZeroGradients({ a, b }, (x) => f(x["a"]!, x["b"]!), { seed, covers: op });
      // Used as a mask inside a differentiable expression: p gets its gradient, a and b still none.
      const leaves: LeafSet = { a: { ...a, diff: false }, b: { ...b, diff: false }, p: { shape: sa, data: normals(rng, sa) } };
      checkGradients(leaves, (x) => ops.mul(ops.add(f(x["a"]!, x["b"]!), 0.5), ops.mul(x["p"]!, x["p"]!)), { seed });
    });
}

const sumLike = fc.tuple(shapeArb(), seedArb).chain(([shape, seed]) =>
  fc.record({
    shape: fc.constant(shape),
    seed: fc.constant(seed),
    // A subset of the axes (null: all of them), some written negative as the seed's bits say.
    axes: fc.option(fc.subarray(shape.map((_, i) => i)).map((axes) => axes.map((a) => (seed & (1 << a) ? a - shape.length : a)))),
    keepDims: fc.boolean(),
  }),
);

/** Reshape targets: the dims permuted, with 1s inserted, a pair merged, or a -1 inferred. */
const reshapeArb = fc.tuple(shapeArb(), seedArb).chain(([shape, seed]) =>
  fc.record({
    shape: fc.constant(shape),
    seed: fc.constant(seed),
    target: fc
      .tuple(permutationArb(shape.length), fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.boolean())
      .map(([perm, ones, merge, infer]) => {
        let t = perm.map((p) => shape[p]!);
        if (merge && t.length >= 2) t = [t[0]! * t[1]!, ...t.slice(2)];
        t = [...Array<number>(ones).fill(1), ...t];
        if (infer && t.length > 0) t[t.length - 1] = -1;
        return t;
      }),
  }),
);

const sliceArb = fc.tuple(shapeArb(1, 3), seedArb).chain(([shape, seed]) =>
  fc.record({
    shape: fc.constant(shape),
    seed: fc.constant(seed),
    box: fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 1, max: d - b }))))),
  }),
);

/** gather(x, idx, axis) / scatterAdd(u, idx, axis, n): x is [pre, n, post], idx any shape of rank 0-2. */
const indexedArb = fc.record({
  shape: shapeArb(1, 3),
  idxShape: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
  seed: seedArb,
  axisPick: fc.nat(),
});

const CASES: Record<ComputedOp, () => void> = {
  neg: unaryCase("neg", ops.neg, anyReal),
  exp: unaryCase("exp", ops.exp, anyReal),
  log: unaryCase("log", ops.log, positive),
  sqrt: unaryCase("sqrt", ops.sqrt, positive),
  tanh: unaryCase("tanh", ops.tanh, (rng, s) => normals(rng, s, 1.5)),
  abs: unaryCase("abs", ops.abs, (rng, s) => awayFromZero(rng, s, 0.2, 2)),
  sign: () =>
    assertProperty(fc.tuple(shapeArb(), seedArb), ([shape, seed]) => {
      const rng = new Random(seed);
      // Zeros included: sign(0) must not leak a gradient either.
      const data = normals(rng, shape).map((v) => (rng.uniform() < 0.25 ? 0 : v));
      checkZeroGradients({ x: { shape, data } }, ({ x }) => ops.sign(x!), { seed, covers: "sign" });
      // |x| = x sign(x) away from 0: the product rule must only see the x factor.
      const away = awayFromZero(rng, shape, 0.2, 2);
      const r = checkGradients({ x: { shape, data: away } }, ({ x }) => ops.mul(x!, ops.sign(x!)), { seed });
      expect(Array.from(r.y)).toEqual(Array.from(away, Math.abs));
    }),
  stopGradient: () =>
    assertProperty(fc.tuple(shapeArb(), seedArb), ([shape, seed]) => {
      const rng = new Random(seed);
      const data = normals(rng, shape);
      checkZeroGradients({ x: { shape, data } }, ({ x }) => ops.stopGradient(x!), { seed, covers: "stopGradient" });
      // d/dx [x * stop(x)] = stop(x): only the unstopped path counts (finite differences would see 2x).
      const program = trace({ x: input(shape) }, ({ x }, graph) => {
        const w = graph.constant(new Random(seed).normals(x.size), shape, "float64");
        return gradients(ops.sum(ops.mul(w, ops.mul(x, ops.stopGradient(x)))), [x])[0]!;
      });
      const w = new Random(seed).normals(data.length);
      expect(Array.from(interpret(program, new Map([["x", data]])).get("out")!)).toEqual(Array.from(data, (v, i) => v * w[i]!));
    }),
  cast: () =>
    assertProperty(fc.tuple(shapeArb(), seedArb), ([shape, seed]) => {
      const rng = new Random(seed);
      const w = normals(rng, shape);
      const x32 = normals(rng, shape).map(Math.fround);
      // float32 -> float64: the float64 cotangent 2 w y comes back cast to float32.
      const up = trace({ x: input(shape, "float32"), w: input(shape) }, ({ x, w }) => {
        const y = ops.cast(x, "float64");
        const [g] = gradients(ops.sum(ops.mul(w, ops.mul(y, y))), [x]);
        expect(g!.dtype).toBe("float32");
        return g!;
      });
      const gUp = interpret(up, new Map([["x", x32], ["w", w]])).get("out")!;
      expect(up.nodes.some((n) => n.op === "cast" && n.dtype === "float32")).toBe(true);
      expect(Array.from(gUp)).toEqual(Array.from(x32, (v, i) => Math.fround(2 * w[i]! * v)));
      // float64 -> float32: the float32 cotangent comes back, unchanged, as float64.
      const x64 = normals(rng, shape);
      const seed32 = normals(rng, shape).map(Math.fround);
      const down = trace({ x: input(shape), ct: input(shape, "float32") }, ({ x, ct }) => {
        const [g] = gradients(ops.cast(x, "float32"), [x], ct);
        expect(g!.dtype).toBe("float64");
        return g!;
      });
      expect(Array.from(interpret(down, new Map([["x", x64], ["ct", seed32]])).get("out")!)).toEqual(Array.from(seed32));
    }),

  add: binaryCase("add", ops.add, (rng, sa, sb) => [normals(rng, sa), normals(rng, sb)]),
  sub: binaryCase("sub", ops.sub, (rng, sa, sb) => [normals(rng, sa), normals(rng, sb)]),
  mul: binaryCase("mul", ops.mul, (rng, sa, sb) => [normals(rng, sa), normals(rng, sb)]),
  div: binaryCase("div", ops.div, (rng, sa, sb) => [normals(rng, sa), awayFromZero(rng, sb, 0.5, 2)]),
  max: binaryCase("max", ops.maximum, (rng, sa, sb) => distinct(rng, [sa, sb]) as [Float64Array, Float64Array]),
  min: binaryCase("min", ops.minimum, (rng, sa, sb) => distinct(rng, [sa, sb]) as [Float64Array, Float64Array]),
  pow: binaryCase("pow", ops.pow, (rng, sa, sb) => [uniforms(rng, sa, 0.5, 2), uniforms(rng, sb, -2, 2)]),
  greater: zeroGradientBinaryCase("greater", ops.greater),
  greaterEqual: zeroGradientBinaryCase("greaterEqual", ops.greaterEqual),
  equal: zeroGradientBinaryCase("equal", ops.equal),

  sum: () =>
    assertProperty(sumLike, ({ shape, seed, axes, keepDims }) => {
      const data = normals(new Random(seed), shape);
      checkGradients({ x: { shape, data } }, ({ x }) => ops.sum(x!, axes ?? undefined, keepDims), { seed, covers: "sum" });
    }),
  reduceMax: () =>
    assertProperty(sumLike, ({ shape, seed, axes, keepDims }) => {
      const [data] = distinct(new Random(seed), [shape]);
      checkGradients({ x: { shape, data: data! } }, ({ x }) => ops.max(x!, axes ?? undefined, keepDims), { seed, covers: "reduceMax" });
    }),
  matmul: () =>
    assertProperty(
      fc.tuple(broadcastPairArb(0, 2), dimArb3(), seedArb),
      ([[ba, bb], [m, k, n], seed]) => {
        const rng = new Random(seed);
        const sa = [...ba, m, k];
        const sb = [...bb, k, n];
        checkGradients({ a: { shape: sa, data: normals(rng, sa) }, b: { shape: sb, data: normals(rng, sb) } }, ({ a, b }) => ops.matmul(a!, b!), {
          seed,
          covers: "matmul",
        });
      },
    ),
  reshape: () =>
    assertProperty(
      // A reshape to the same shape emits no node; those draws are skipped.
      reshapeArb.filter(({ shape, target }) => {
        const resolved = target.map((d) => (d === -1 ? -sizeOf(shape) / target.reduce((p, q) => p * q, 1) : d));
        return resolved.length !== shape.length || resolved.some((d, i) => d !== shape[i]);
      }),
      ({ shape, seed, target }) => {
        checkGradients({ x: { shape, data: normals(new Random(seed), shape) } }, ({ x }) => ops.mul(ops.reshape(x!, target), ops.reshape(x!, target)), {
          seed,
          covers: "reshape",
        });
      },
    ),
  broadcast: () =>
    assertProperty(
      fc
        .tuple(shapeArb(1, 3), seedArb)
        .chain(([out, seed]) => fc.tuple(fc.constant(out), operandArb(out), fc.constant(seed)))
        .filter(([out, from]) => from.length !== out.length || from.some((d, i) => d !== out[i])),
      ([out, from, seed]) => {
        checkGradients({ x: { shape: from, data: normals(new Random(seed), from) } }, ({ x }) => ops.tanh(ops.broadcastTo(x!, out)), {
          seed,
          covers: "broadcast",
        });
      },
    ),
  transpose: () =>
    assertProperty(
      shapeArb().chain((shape) => fc.tuple(fc.constant(shape), permutationArb(shape.length), seedArb)),
      ([shape, perm, seed]) => {
        checkGradients({ x: { shape, data: normals(new Random(seed), shape) } }, ({ x }) => ops.transpose(x!, perm), { seed, covers: "transpose" });
      },
    ),
  slice: () =>
    assertProperty(sliceArb, ({ shape, seed, box }) => {
      const begin = box.map(([b]) => b);
      const size = box.map(([, s]) => s);
      checkGradients({ x: { shape, data: normals(new Random(seed), shape) } }, ({ x }) => ops.exp(ops.slice(x!, begin, size)), { seed, covers: "slice" });
    }),
  concat: () =>
    assertProperty(
      fc.tuple(shapeArb(1, 3), seedArb, fc.nat(), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 })),
      ([shape, seed, axisPick, widths]) => {
        const axis = axisPick % shape.length;
        const rng = new Random(seed);
        const leaves: LeafSet = Object.fromEntries(
          widths.map((w, i) => {
            const s = shape.map((d, j) => (j === axis ? w : d));
            return [`p${i}`, { shape: s, data: normals(rng, s) }];
          }),
        );
        // Negative axes are accepted too; squaring makes the pieces' gradients depend on their values.
        const ax = axisPick % 2 ? axis - shape.length : axis;
        checkGradients(leaves, (x) => ops.mul(ops.concat(Object.values(x), ax), ops.concat(Object.values(x), ax)), { seed, covers: "concat" });
      },
    ),
  gather: () =>
    assertProperty(indexedArb, ({ shape, idxShape, seed, axisPick }) => {
      const rng = new Random(seed);
      const axis = axisPick % shape.length;
      const idx = indices(rng, idxShape, shape[axis]!);
      const leaves: LeafSet = { x: { shape, data: normals(rng, shape) }, idx: { shape: idxShape, data: idx, diff: false } };
      checkGradients(leaves, ({ x, idx }) => ops.gather(x!, idx!, axis), { seed, covers: "gather" });
    }),
  scatterAdd: () =>
    assertProperty(indexedArb, ({ shape, idxShape, seed, axisPick }) => {
      const rng = new Random(seed);
      const axis = axisPick % shape.length;
      const n = shape[axis]!;
      const uShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
      const leaves: LeafSet = { u: { shape: uShape, data: normals(rng, uShape) }, idx: { shape: idxShape, data: indices(rng, idxShape, n), diff: false } };
      // Squared so the cotangent of u depends on where (and how often) each index lands.
      checkGradients(leaves, ({ u, idx }) => ops.mul(ops.scatterAdd(u!, idx!, axis, n), ops.scatterAdd(u!, idx!, axis, n)), { seed, covers: "scatterAdd" });
    }),
};

function dimArb3(): fc.Arbitrary<[number, number, number]> {
  const d = fc.integer({ min: 1, max: 4 });
  return fc.tuple(d, d, d);
}

describe("vjp of every primitive matches central differences", () => {
  it("has a case for every computed primitive in the registry", () => {
    const missing = computedOps().filter((op) => !Object.hasOwn(CASES, op));
    expect(missing).toEqual([]);
    expect(computedOps().length).toBeGreaterThan(25);
  });

  for (const [op, run] of Object.entries(CASES)) it(op, run);
});

describe("documented subgradients at ties", () => {
  it("max sends a tied cotangent to its first argument, min likewise", () => {
    const program = trace({ a: input([3]), b: input([3]) }, ({ a, b }) => {
      const [ga, gb] = gradients(ops.sum(ops.maximum(a, b)), [a, b]);
      const [ha, hb] = gradients(ops.sum(ops.minimum(a, b)), [a, b]);
      return { ga: ga!, gb: gb!, ha: ha!, hb: hb! };
    });
    const out = interpret(program, new Map([["a", Float64Array.of(1, 2, 3)], ["b", Float64Array.of(1, 5, 0)]]));
    expect(Array.from(out.get("ga")!)).toEqual([1, 0, 1]);
    expect(Array.from(out.get("gb")!)).toEqual([0, 1, 0]);
    expect(Array.from(out.get("ha")!)).toEqual([1, 1, 0]);
    expect(Array.from(out.get("hb")!)).toEqual([0, 0, 1]);
  });

  it("reduceMax shares a tied cotangent equally", () => {
    const program = trace({ x: input([2, 3]) }, ({ x }) => gradients(ops.mul(ops.sum(ops.max(x, 1)), 2), [x])[0]!);
    const out = interpret(program, new Map([["x", Float64Array.of(4, 1, 4, 2, 2, 2)]])).get("out")!;
    expect(Array.from(out)).toEqual([1, 0, 1, 2 / 3, 2 / 3, 2 / 3]);
  });
});

// ---------------------------------------------------------------------------------------------
// Composites and other traced helpers

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

describe("the checker itself", () => {
  it("rejects a wrong gradient", () => {
    // A deliberately wrong rule (d/dx exp(x) taken as x) must fail the relative-error check.
    const x = Float64Array.of(0.3, -1.2, 2);
    expect(() => expectClose(x, x.map(Math.exp), 1e-6, "wrong")).toThrow(/relative error/);
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
