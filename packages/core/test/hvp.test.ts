// Second- and higher-order derivatives built on `gradients`: Hessian-vector products against
// central differences of the gradient, dense Hessians and Jacobians against hvp and vjp,
// `differentiate` against finite differences, and repeated grad against closed forms.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type LeafSpec,
  type Program,
  type Tensor,
  Random,
  crossEntropy,
  differentiate,
  grad,
  gradients,
  hessian,
  hvp,
  inline,
  input,
  interpret,
  jacobian,
  layerNorm,
  logsumexp,
  ops,
  param,
  sigmoid,
  sizeOf,
  softmax,
  trace,
  vjp,
} from "../src/index.js";
import { expectAllFinite, expectClose, numericDirectional, numericGradient, seedArb } from "./derivative-check.js";

const SEED = 0xd1ff;
const RUNS = 20;
const assertProperty = <T>(arb: fc.Arbitrary<T>, check: (value: T) => void, runs = RUNS): void =>
  fc.assert(fc.property(arb, check), { numRuns: runs, seed: SEED });

type Shapes = Readonly<Record<string, readonly number[]>>;

/** A scalar function of x and some further arguments, with shapes drawn from small dims. */
interface ScalarCase {
  readonly name: string;
  readonly shapes: (n: number, d: number, c: number) => Shapes;
  readonly f: (x: Tensor, ...rest: Tensor[]) => Tensor;
  /** Argument names after x, in the order f takes them. */
  readonly rest: readonly string[];
}

const SCALAR_CASES: readonly ScalarCase[] = [
  {
    name: "sum(softmax(X W)^2)",
    shapes: (n, d, c) => ({ x: [n, d], W: [d, c] }),
    f: (x, W) => ops.sum(ops.mul(softmax(ops.matmul(x, W!)), softmax(ops.matmul(x, W!)))),
    rest: ["W"],
  },
  {
    name: "sum(softmax(X W)^2) with respect to W",
    shapes: (n, d, c) => ({ x: [d, c], X: [n, d] }),
    f: (W, X) => {
      const s = softmax(ops.matmul(X!, W));
      return ops.sum(ops.mul(s, s));
    },
    rest: ["X"],
  },
  {
    name: "logsumexp(A x) over all entries",
    shapes: (n, d, c) => ({ x: [d, c], A: [n, d] }),
    f: (x, A) => logsumexp(ops.reshape(ops.matmul(A!, x), [-1]), 0),
    rest: ["A"],
  },
  {
    name: "layerNorm energy 1/2 ||layerNorm(x; gamma, beta) - T||^2",
    shapes: (n, d) => ({ x: [n, d + 1], gamma: [d + 1], beta: [d + 1], T: [n, d + 1] }),
    f: (x, gamma, beta, T) => {
      const r = ops.sub(layerNorm(x, { gamma: gamma!, beta: beta!, eps: 0.1 }), T!);
      return ops.mul(ops.sum(ops.mul(r, r)), 0.5);
    },
    rest: ["gamma", "beta", "T"],
  },
  {
    // Both matmul operands depend on x, so the cross terms of the matmul rule are exercised.
    name: "Gram energy ||X^T X||^2 / 4",
    shapes: (n, d) => ({ x: [n, d] }),
    f: (x) => {
      const G = ops.matmul(ops.swapLastAxes(x), x);
      return ops.mul(ops.sum(ops.mul(G, G)), 0.25);
    },
    rest: [],
  },
  {
    name: "pairwise energy -sum_ij exp(-||x_i - x_j||^2)",
    shapes: (n, d) => ({ x: [n + 1, d] }),
    f: (x) => {
      const [n, d] = x.shape as [number, number];
      const diff = ops.sub(ops.reshape(x, [n, 1, d]), ops.reshape(x, [1, n, d]));
      return ops.neg(ops.sum(ops.exp(ops.neg(ops.sum(ops.mul(diff, diff), -1)))));
    },
    rest: [],
  },
  {
    // Piecewise smooth: random data stays clear of ties and kinks by far more than the step.
    name: "sum(max(x, axis 1)^2) + sum(|x|^3) / 3 + sum(relu(x) x)",
    shapes: (n, d) => ({ x: [n, d] }),
    f: (x) => {
      const m = ops.max(x, 1);
      const a = ops.abs(x);
      return ops.add(ops.add(ops.sum(ops.mul(m, m)), ops.div(ops.sum(ops.mul(a, ops.mul(a, a))), 3)), ops.sum(ops.mul(ops.relu(x), x)));
    },
    rest: [],
  },
  {
    // Indexing and layout ops inside a second derivative.
    name: "sum(tanh(gather(x, idx, 1)) * concat([slice(x), x])^2) + sum(exp(transpose(x)) * x^T)",
    shapes: (n, d) => ({ x: [n, d] }),
    f: (x) => {
      const [n, d] = x.shape as [number, number];
      const idx = x.graph.constant(Array.from({ length: d + 1 }, (_, j) => (j * 7 + 1) % d), [d + 1], "float64");
      const s = ops.concat([ops.slice(x, [0, d - 1], [n, 1]), x], 1);
      const first = ops.sum(ops.mul(ops.tanh(ops.gather(x, idx, 1)), ops.mul(s, s)));
      return ops.add(first, ops.sum(ops.mul(ops.exp(ops.transpose(x)), ops.swapLastAxes(x))));
    },
    rest: [],
  },
  {
    name: "crossEntropy(tanh(X W) + b, targets) + 1/4 sum(b^4)",
    shapes: (n, d, c) => ({ x: [d, c + 1], X: [n, d], b: [c + 1], targets: [n, c + 1] }),
    f: (W, X, b, targets) => {
      const logits = ops.add(ops.tanh(ops.matmul(X!, W)), b!);
      return ops.add(crossEntropy(logits, targets!), ops.mul(ops.sum(ops.mul(ops.mul(b!, b!), ops.mul(b!, b!))), 0.25));
    },
    rest: ["X", "b", "targets"],
  },
];

const dimsArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), seedArb);

function specs(shapes: Shapes): Record<string, LeafSpec> {
  return Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, input(s)]));
}

function withLeaf(shapes: Shapes, name: string, shape: readonly number[]): Record<string, LeafSpec> {
  return { ...specs(shapes), [name]: input(shape) };
}

/** Random feeds for every shape; "targets" rows are probability distributions. */
function randomFeeds(rng: Random, shapes: Shapes): Map<string, Float64Array> {
  const feeds = new Map<string, Float64Array>();
  for (const [name, shape] of Object.entries(shapes)) {
    if (name === "targets") {
      const c = shape.at(-1)!;
      const t = rng.uniforms(sizeOf(shape), 0.1, 1);
      for (let r = 0; r < t.length; r += c) {
        const s = t.subarray(r, r + c).reduce((a, b) => a + b, 0);
        for (let j = r; j < r + c; j++) t[j]! /= s;
      }
      feeds.set(name, t);
    } else feeds.set(name, rng.normals(sizeOf(shape)));
  }
  return feeds;
}

function gradProgram(c: ScalarCase, shapes: Shapes): Program {
  return trace(specs(shapes), (a) => grad(c.f)(a["x"]!, ...c.rest.map((r) => a[r]!)));
}

function evalOut(program: Program, feeds: ReadonlyMap<string, Float64Array>, name = "out"): Float64Array {
  return interpret(program, feeds).get(name)!;
}

describe("hvp matches central differences of the gradient", () => {
  for (const c of SCALAR_CASES) {
    it(c.name, () => {
      assertProperty(dimsArb, ([n, d, k, seed]) => {
        const shapes = c.shapes(n, d, k);
        const rng = new Random(seed);
        const feeds = randomFeeds(rng, shapes);
        const v = rng.normals(sizeOf(shapes["x"]!));
        const program = trace(withLeaf(shapes, "v", shapes["x"]!), (a) => hvp(c.f)(a["x"]!, a["v"]!, ...c.rest.map((r) => a[r]!)));
        const hv = evalOut(program, new Map(feeds).set("v", v));
        expectAllFinite(hv, "hvp");
        const g = gradProgram(c, shapes);
        const fd = numericDirectional((x) => evalOut(g, new Map(feeds).set("x", x)), feeds.get("x")!, v, 1e-5);
        expectClose(hv, fd, 1e-6, `hvp of ${c.name}`, 1e-9);
      });
    });
  }

  it("equals the closed form ((A + A^T) / 2) v for the quadratic form x^T A x / 2", () => {
    assertProperty(fc.tuple(fc.integer({ min: 1, max: 5 }), seedArb), ([n, seed]) => {
      const rng = new Random(seed);
      const [A, x, v] = [rng.normals(n * n), rng.normals(n), rng.normals(n)];
      const program = trace({ x: input([n, 1]), v: input([n, 1]), A: input([n, n]) }, ({ x, v, A }) =>
        hvp((x, A) => ops.mul(ops.sum(ops.mul(x, ops.matmul(A!, x))), 0.5))(x, v, A),
      );
      const got = evalOut(program, new Map([["x", x], ["v", v], ["A", A]]));
      const want = Float64Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < n; j++) s += ((A[i * n + j]! + A[j * n + i]!) / 2) * v[j]!;
        return s;
      });
      expectClose(got, want, 1e-12, "hvp of a quadratic form");
    });
  });
});

describe("hessian", () => {
  for (const c of SCALAR_CASES) {
    it(`is symmetric and agrees with hvp on basis vectors: ${c.name}`, () => {
      assertProperty(
        dimsArb,
        ([n, d, k, seed]) => {
          const shapes = c.shapes(n, d, k);
          const xShape = shapes["x"]!;
          const size = sizeOf(xShape);
          const feeds = randomFeeds(new Random(seed), shapes);
          const program = trace(specs(shapes), (a) => {
            const x = a["x"]!;
            const rest = c.rest.map((r) => a[r]!);
            const H = hessian(c.f)(x, ...rest);
            expect(H.shape).toEqual([...xShape, ...xShape]);
            const columns: Record<string, Tensor> = {};
            for (let j = 0; j < size; j++) {
              const e = new Float64Array(size);
              e[j] = 1;
              columns[`hv${j}`] = hvp(c.f)(x, x.graph.constant(e, xShape, "float64"), ...rest);
            }
            return { H, ...columns };
          });
          const out = interpret(program, feeds);
          const H = out.get("H")!;
          const Ht = H.map((_, t) => H[(t % size) * size + Math.floor(t / size)]!);
          expectClose(H, Ht, 1e-10, "H vs H^T");
          const g = gradProgram(c, shapes);
          const x = feeds.get("x")!;
          for (let j = 0; j < size; j++) {
            const column = H.filter((_, t) => t % size === j);
            expectClose(column, out.get(`hv${j}`)!, 1e-10, `H[:, ${j}] vs hvp(e_${j})`);
            const e = new Float64Array(size);
            e[j] = 1;
            const fd = numericDirectional((xs) => evalOut(g, new Map(feeds).set("x", xs)), x, e, 1e-5);
            expectClose(column, fd, 1e-6, `H[:, ${j}] vs finite differences`, 1e-9);
          }
        },
        8,
      );
    });
  }
});

describe("empty tensors", () => {
  it("jacobian of an empty output, and hessian of an empty argument, are empty tensors of the right shape", () => {
    const program = trace({ x: input([3]), z: input([0, 2]) }, ({ x, z }) => ({
      J: jacobian((x) => ops.slice(x, [1], [0]))(x),
      H: hessian((z) => ops.sum(ops.exp(z)))(z),
    }));
    expect(program.nodes[program.outputs[0]!.id]!.shape).toEqual([0, 3]);
    expect(program.nodes[program.outputs[1]!.id]!.shape).toEqual([0, 2, 0, 2]);
    const out = interpret(program, new Map([["x", Float64Array.of(1, 2, 3)], ["z", new Float64Array(0)]]));
    expect(out.get("J")!.length).toBe(0);
    expect(out.get("H")!.length).toBe(0);
  });
});

/** Non-scalar functions for jacobian and vjp. */
const VECTOR_CASES: readonly { name: string; shapes: (n: number, d: number, c: number) => Shapes; f: (x: Tensor, ...rest: Tensor[]) => Tensor; rest: string[] }[] = [
  {
    name: "softmax(X W)",
    shapes: (n, d, c) => ({ x: [n, d], W: [d, c + 1] }),
    f: (x, W) => softmax(ops.matmul(x, W!)),
    rest: ["W"],
  },
  {
    name: "x * exp(y) broadcast against a row, then summed over rows",
    shapes: (n, d) => ({ x: [n, d], y: [1, d] }),
    f: (x, y) => ops.sum(ops.mul(ops.tanh(x), ops.exp(ops.mul(x, y!))), 0),
    rest: ["y"],
  },
  {
    name: "sigmoid of a batched matmul with broadcast batch",
    shapes: (n, d, c) => ({ x: [2, n, d], B: [d, c] }),
    f: (x, B) => sigmoid(ops.matmul(x, ops.broadcastTo(B!, [1, ...B!.shape]))),
    rest: ["B"],
  },
];

describe("jacobian", () => {
  for (const c of VECTOR_CASES) {
    it(`contracts with a cotangent to the vjp, and matches finite differences: ${c.name}`, () => {
      assertProperty(dimsArb, ([n, d, k, seed]) => {
        const shapes = c.shapes(n, d, k);
        const xShape = shapes["x"]!;
        const rng = new Random(seed);
        const feeds = randomFeeds(rng, shapes);
        let yShape: readonly number[] = [];
        const program = trace(specs(shapes), (a) => {
          const x = a["x"]!;
          const rest = c.rest.map((r) => a[r]!);
          const J = jacobian(c.f)(x, ...rest);
          yShape = c.f(x, ...rest).shape;
          expect(J.shape).toEqual([...yShape, ...xShape]);
          return J;
        });
        const ySize = sizeOf(yShape);
        const xSize = sizeOf(xShape);
        const J = evalOut(program, feeds);
        const u = rng.normals(ySize);
        const pull = trace(withLeaf(shapes, "u", yShape), (a) => {
          const { out, pullback } = vjp(c.f, a["x"]!, ...c.rest.map((r) => a[r]!));
          const [gx, ...gRest] = pullback(a["u"]!);
          expect(gRest.map((t) => t.shape)).toEqual(c.rest.map((r) => shapes[r]));
          return { out, gx: gx! };
        });
        const pulled = interpret(pull, new Map(feeds).set("u", u));
        const uJ = Float64Array.from({ length: xSize }, (_, j) => u.reduce((s, ui, i) => s + ui * J[i * xSize + j]!, 0));
        expectClose(pulled.get("gx")!, uJ, 1e-12, "u^T J vs vjp");
        const forward = trace(specs(shapes), (a) => c.f(a["x"]!, ...c.rest.map((r) => a[r]!)));
        for (let j = 0; j < xSize; j++) {
          const e = new Float64Array(xSize);
          e[j] = 1;
          const fd = numericDirectional((xs) => evalOut(forward, new Map(feeds).set("x", xs)), feeds.get("x")!, e, 1e-6);
          expectClose(
            J.filter((_, t) => t % xSize === j),
            fd,
            1e-6,
            `J[:, ${j}]`,
            1e-9,
          );
        }
        expectClose(pulled.get("out")!, evalOut(forward, feeds), 0, "vjp's primal output");
      });
    });
  }
});

describe("differentiate", () => {
  const model = (n: number, d: number, c: number): Program =>
    trace({ x: input([n, d]), W: param([d, c]), b: param([c]), t: input([n, c]) }, ({ x, W, b, t }) => {
      const logits = ops.add(ops.matmul(x, W), b);
      return { loss: crossEntropy(logits, t), logits };
    });

  it("keeps the outputs and adds gradients of every parameter that match finite differences", () => {
    assertProperty(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), seedArb), ([n, d, c, seed]) => {
      const program = model(n, d, c);
      const dp = differentiate(program, { of: "loss" });
      expect(dp.outputs.map((o) => o.name)).toEqual(["loss", "logits", "grad_W", "grad_b"]);
      const feeds = randomFeeds(new Random(seed), { x: [n, d], W: [d, c], b: [c], targets: [n, c] });
      feeds.set("t", feeds.get("targets")!);
      feeds.delete("targets");
      const out = interpret(dp, feeds);
      const orig = interpret(program, feeds);
      expect(Array.from(out.get("loss")!)).toEqual(Array.from(orig.get("loss")!));
      expect(Array.from(out.get("logits")!)).toEqual(Array.from(orig.get("logits")!));
      for (const p of ["W", "b"]) {
        const fd = numericGradient((v) => evalOut(program, new Map(feeds).set(p, v), "loss")[0]!, feeds.get(p)!);
        expectClose(out.get(`grad_${p}`)!, fd, 1e-6, `grad_${p}`, 1e-9);
      }
    });
  });

  it("differentiates with respect to named inputs, under custom output names", () => {
    assertProperty(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), seedArb), ([n, d, c, seed]) => {
      const program = model(n, d, c);
      const dp = differentiate(program, { of: "loss", wrt: ["x", "t"], name: (f) => `d${f}` });
      expect(dp.outputs.map((o) => o.name)).toEqual(["loss", "logits", "dx", "dt"]);
      const feeds = randomFeeds(new Random(seed), { x: [n, d], W: [d, c], b: [c], t: [n, c] });
      const out = interpret(dp, feeds);
      for (const f of ["x", "t"]) {
        const fd = numericGradient((v) => evalOut(program, new Map(feeds).set(f, v), "loss")[0]!, feeds.get(f)!);
        expectClose(out.get(`d${f}`)!, fd, 1e-6, `d${f}`, 1e-9);
      }
    });
  });

  it("can be applied to its own result: the gradient of a squared gradient norm", () => {
    assertProperty(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), seedArb), ([n, d, seed]) => {
      // First pass: g = dE/dW for E = sum(tanh(x W)^2); second pass: d(||g||^2)/dW.
      const program = trace({ x: input([n, d]), W: param([d, 2]) }, ({ x, W }) => {
        const h = ops.tanh(ops.matmul(x, W));
        return { E: ops.sum(ops.mul(h, h)) };
      });
      const first = differentiate(program, { of: "E" });
      const withNorm = trace({ x: input([n, d]), W: param([d, 2]) }, (a, graph) => {
        const outs = inline(graph, first, a);
        return { G: ops.sum(ops.mul(outs["grad_W"]!, outs["grad_W"]!)) };
      });
      const second = differentiate(withNorm, { of: "G" });
      const feeds = randomFeeds(new Random(seed), { x: [n, d], W: [d, 2] });
      const fd = numericGradient((v) => evalOut(withNorm, new Map(feeds).set("W", v), "G")[0]!, feeds.get("W")!);
      expectClose(evalOut(second, feeds, "grad_W"), fd, 1e-6, "d||dE/dW||^2/dW", 1e-9);
    });
  });
});

describe("repeated grad of a scalar function of a scalar", () => {
  type Closed = { name: string; f: (x: Tensor) => Tensor; lo: number; hi: number; derivs: (x: number) => number[] };
  const CLOSED: Closed[] = [
    {
      name: "tanh",
      f: ops.tanh,
      lo: -3,
      hi: 3,
      derivs: (x) => {
        const t = Math.tanh(x);
        const s = 1 - t * t;
        return [s, -2 * t * s, -2 * s * (1 - 3 * t * t), 8 * t * s * (2 - 3 * t * t)];
      },
    },
    { name: "log", f: ops.log, lo: 0.2, hi: 5, derivs: (x) => [1 / x, -1 / x ** 2, 2 / x ** 3, -6 / x ** 4] },
    { name: "sqrt", f: ops.sqrt, lo: 0.2, hi: 5, derivs: (x) => [0.5 * x ** -0.5, -0.25 * x ** -1.5, 0.375 * x ** -2.5] },
    { name: "1 / x", f: (x) => ops.div(1, x), lo: 0.3, hi: 4, derivs: (x) => [-1 / x ** 2, 2 / x ** 3, -6 / x ** 4] },
    { name: "x^2.5 (pow)", f: (x) => ops.pow(x, 2.5), lo: 0.2, hi: 3, derivs: (x) => [2.5 * x ** 1.5, 3.75 * x ** 0.5, 1.875 * x ** -0.5] },
    { name: "2^x (pow in the exponent)", f: (x) => ops.pow(2, x), lo: -2, hi: 2, derivs: (x) => [1, 2, 3].map((k) => Math.LN2 ** k * 2 ** x) },
    { name: "x exp(x)", f: (x) => ops.mul(x, ops.exp(x)), lo: -2, hi: 2, derivs: (x) => [1, 2, 3, 4].map((k) => (x + k) * Math.exp(x)) },
    {
      name: "sigmoid",
      f: sigmoid,
      lo: -4,
      hi: 4,
      derivs: (x) => {
        const s = 1 / (1 + Math.exp(-x));
        const d = s * (1 - s);
        return [d, d * (1 - 2 * s), d * (1 - 6 * s + 6 * s * s)];
      },
    },
    {
      name: "logsumexp([x, 2x, 0])",
      f: (x) => logsumexp(ops.concat([ops.reshape(x, [1]), ops.reshape(ops.mul(x, 2), [1]), ops.zeros(x, [1])], 0)),
      lo: -2,
      hi: 2,
      derivs: (x) => {
        // With p = softmax([x, 2x, 0]) and a = (1, 2, 0): f' = E[a], f'' = Var[a], f''' = E[(a - E a)^3].
        const e = [Math.exp(x), Math.exp(2 * x), 1];
        const z = e[0]! + e[1]! + e[2]!;
        const p = e.map((v) => v / z);
        const a = [1, 2, 0];
        const m = p.reduce((s, pi, i) => s + pi * a[i]!, 0);
        const central = (k: number): number => p.reduce((s, pi, i) => s + pi * (a[i]! - m) ** k, 0);
        return [m, central(2), central(3)];
      },
    },
  ];

  for (const c of CLOSED) {
    it(`derivatives 1..${c.derivs(1).length} of ${c.name}`, () => {
      const order = c.derivs(1).length;
      const program = trace({ x: input([]) }, ({ x }) => {
        let g = c.f;
        const outs: Record<string, Tensor> = {};
        for (let k = 1; k <= order; k++) {
          g = grad(g);
          outs[`d${k}`] = g(x);
        }
        return outs;
      });
      assertProperty(fc.double({ min: c.lo, max: c.hi, noNaN: true }), (x) => {
        const out = interpret(program, new Map([["x", Float64Array.of(x)]]));
        c.derivs(x).forEach((want, k) => {
          const got = out.get(`d${k + 1}`)![0]!;
          if (!(Math.abs(got - want) <= 1e-10 * Math.max(1, Math.abs(want)))) {
            throw new Error(`d${k + 1} ${c.name} at ${x}: got ${got}, want ${want}`);
          }
        });
      }, 40);
    });
  }

  it("mixed partials of x^2 y^3 agree in both orders with 6 x y^2", () => {
    assertProperty(fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true })), ([xv, yv]) => {
      const program = trace({ x: input([]), y: input([]) }, ({ x, y }) => {
        const f = ops.mul(ops.mul(x, x), ops.mul(y, ops.mul(y, y)));
        const [fx, fy] = gradients(f, [x, y]);
        return { fxy: gradients(fx!, [y])[0]!, fyx: gradients(fy!, [x])[0]! };
      });
      const out = interpret(program, new Map([["x", Float64Array.of(xv)], ["y", Float64Array.of(yv)]]));
      const want = 6 * xv * yv * yv;
      expect(out.get("fxy")![0]).toBeCloseTo(want, 12);
      expect(out.get("fyx")![0]).toBeCloseTo(want, 12);
    });
  });

  it("the gradient with respect to an intermediate counts every path from it", () => {
    // y = u^2 + u with u = exp(x): dy/du = 2u + 1, and the second derivative in x via u is exact.
    const program = trace({ x: input([]) }, ({ x }) => {
      const u = ops.exp(x);
      const y = ops.add(ops.mul(u, u), u);
      const [du] = gradients(y, [u]);
      const [dx] = gradients(y, [x]);
      return { du: du!, dx: dx!, dxx: gradients(dx!, [x])[0]! };
    });
    for (const x of [-1, 0, 0.5, 1.3]) {
      const out = interpret(program, new Map([["x", Float64Array.of(x)]]));
      const u = Math.exp(x);
      expect(out.get("du")![0]).toBeCloseTo(2 * u + 1, 12);
      expect(out.get("dx")![0]).toBeCloseTo(2 * u * u + u, 12);
      expect(out.get("dxx")![0]).toBeCloseTo(4 * u * u + u, 12);
    }
  });
});
