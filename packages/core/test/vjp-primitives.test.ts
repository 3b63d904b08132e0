// Every primitive's vector-Jacobian rule against float64 central differences of
// L = sum(w * f(x)) on random shapes (broadcasting included), and the subgradients documented at
// ties. The table below is keyed by op and checked against the registry, so a new primitive
// without a case fails here. Composites are checked in vjp-composites.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Tensor, Random, computedOps, gradients, interpret, ops, sizeOf, trace, input } from "../src/index.js";
import {
  type LeafSet,
  awayFromZero,
  broadcastPairArb,
  checkGradients,
  checkZeroGradients,
  distinct,
  expectClose,
  indices,
  normals,
  operandArb,
  permutationArb,
  seedArb,
  shapeArb,
  uniforms,
} from "./derivative-check.js";
import { assertProperty, sumLike } from "./vjp-property.js";

type ComputedOp = ReturnType<typeof computedOps>[number];
type Draw = (rng: Random, shape: readonly number[]) => Float64Array;


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

describe("the checker itself", () => {
  it("rejects a wrong gradient", () => {
    // A deliberately wrong rule (d/dx exp(x) taken as x) must fail the relative-error check.
    const x = Float64Array.of(0.3, -1.2, 2);
    expect(() => expectClose(x, x.map(Math.exp), 1e-6, "wrong")).toThrow(/relative error/);
  });
});
