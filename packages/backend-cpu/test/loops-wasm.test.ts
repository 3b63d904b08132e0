import { Random } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { detectSimd } from "../src/wasm/simd-support.js";
import { Arena } from "../src/memory.js";
import type { Expr } from "../src/kernels/loops/expr.js";
import { type LoopKernel, type LoopKernelSpec, loopKernel } from "../src/kernels/loops/loops.js";
import { createWasmLoops } from "../src/kernels/loops/loops-wasm.js";

const TINY = 1.1754943508222875e-38;
const arena = new Arena({ initialBytes: 1 << 20 });
const wasmLoops = createWasmLoops(arena.memory);
const UNARY = ["neg", "abs", "sqrt", "exp", "stopGradient"] as const;
const BINARY = ["add", "sub", "mul", "div", "max", "min", "greater", "greaterEqual", "equal"] as const;

const input = (index: number): Expr => ({ kind: "input", index });
const unary = (op: (typeof UNARY)[number], arg: Expr): Expr => ({ kind: "unary", op, arg });
const binary = (op: (typeof BINARY)[number], a: Expr, b: Expr): Expr => ({ kind: "binary", op, args: [a, b] });

/**
 * One element in float64, or with `float32` rounded to float32 after every operation (what a
 * loop over float32 alone computes).
 */
function evaluate(e: Expr, x: readonly number[], float32 = false): number {
  const round = float32 ? Math.fround : (v: number): number => v;
  switch (e.kind) {
    case "input":
      return x[e.index]!;
    case "cast":
      return e.to === "float32" ? Math.fround(evaluate(e.arg, x, float32)) : evaluate(e.arg, x, float32);
    case "unary": {
      const a = evaluate(e.arg, x, float32);
      const f: Record<string, (v: number) => number> = { neg: (v) => -v, abs: Math.abs, sqrt: Math.sqrt, exp: Math.exp, stopGradient: (v) => v };
      return round(f[e.op]!(a));
    }
    case "binary": {
      const [a, b] = [evaluate(e.args[0], x, float32), evaluate(e.args[1], x, float32)];
      const f: Record<string, (p: number, q: number) => number> = {
        add: (p, q) => p + q,
        sub: (p, q) => p - q,
        mul: (p, q) => p * q,
        div: (p, q) => p / q,
        max: Math.max,
        min: Math.min,
        greater: (p, q) => (p > q ? 1 : 0),
        greaterEqual: (p, q) => (p >= q ? 1 : 0),
        equal: (p, q) => (p === q ? 1 : 0),
      };
      return round(f[e.op]!(a, b));
    }
  }
}

/** Result of a spec over its inputs, by plain index arithmetic (no loop collapsing); float64 unless `float32`. */
function reference(spec: LoopKernelSpec, data: Float32Array, bases: number[], outElements: number, float32 = false): Float64Array {
  const out = new Float64Array(outElements).fill(spec.reduce?.op === "max" ? -Infinity : 0);
  const seen = new Uint8Array(outElements);
  const rank = spec.shape.length;
  const idx = new Array<number>(rank).fill(0);
  const total = spec.shape.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    let r = n;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a] = r % spec.shape[a]!;
      r = Math.floor(r / spec.shape[a]!);
    }
    const at = (strides: readonly number[]): number => strides.reduce((s, st, a) => s + st * idx[a]!, 0);
    const v = evaluate(spec.expr, spec.inputs.map((acc, k) => data[bases[k]! + at(acc.strides)]!), float32);
    const o = at(spec.output.strides);
    if (!spec.reduce) out[o] = v;
    else out[o] = spec.reduce.op === "sum" ? out[o]! + v : Math.max(out[o]!, v);
    seen[o] = 1;
  }
  return out;
}

/** Runs a kernel on poisoned output with guard values after it; returns the output. */
function run(kernel: LoopKernel, data: Float32Array, bases: number[], outElements: number): Float32Array {
  const need = (bases.at(-1)! + outElements + 8) * 4;
  if (arena.bytes < need) arena.memory.grow(Math.ceil((need - arena.bytes) / 65536));
  const f32 = new Float32Array(arena.memory.buffer);
  const f64 = new Float64Array(arena.memory.buffer);
  f32.set(data.subarray(0, bases.at(-1)!));
  f32.fill(NaN, bases.at(-1)!, bases.at(-1)! + outElements);
  f32.fill(12345, bases.at(-1)! + outElements, bases.at(-1)! + outElements + 8);
  kernel(f32, f64, ...bases);
  expect(Array.from(f32.subarray(bases.at(-1)! + outElements, bases.at(-1)! + outElements + 8))).toEqual(new Array(8).fill(12345));
  return f32.slice(bases.at(-1)!, bases.at(-1)! + outElements);
}

/** Normwise relative error (NaN and infinite positions must agree, and are left out). */
function compare(got: Float32Array, want: ArrayLike<number>, what: string): number {
  let [num, den] = [0, 0];
  for (let i = 0; i < got.length; i++) {
    const [g, w] = [got[i]!, Math.fround(want[i]!)];
    expect(g !== 0 && Math.abs(g) < TINY && Math.abs(w) >= TINY, `${what}: subnormal ${g} at ${i}`).toBe(false);
    if (!Number.isFinite(w) || !Number.isFinite(g)) {
      expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what}: ${g} vs ${w} at ${i}`).toBe(true);
      continue;
    }
    num += (g - w) ** 2;
    den += w * w;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** Strides of an input over `shape`: contiguous, broadcast, padded rows, or permuted. */
function layout(rng: Random, shape: readonly number[], kind: number): { strides: number[]; elements: number } {
  const rank = shape.length;
  const dims = shape.map((d, a) => (kind === 1 && rng.uniform() < 0.4 && a !== rank - 1 ? 0 : kind === 1 && a === rank - 1 && rng.uniform() < 0.3 ? 0 : d));
  const order = dims.map((_, a) => a);
  if (kind === 3) order.sort(() => rng.uniform() - 0.5);
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let j = rank - 1; j >= 0; j--) {
    const a = order[j]!;
    if (dims[a] === 0) continue;
    strides[a] = s;
    s *= dims[a]! + (kind === 2 && j < rank - 1 ? rng.int(0, 3) : 0);
  }
  return { strides, elements: s };
}

function randomExpr(rng: Random, inputs: number, depth: number): Expr {
  if (depth === 0 || rng.uniform() < 0.25) return input(rng.int(0, inputs - 1));
  if (rng.uniform() < 0.35) {
    const op = UNARY[rng.int(0, UNARY.length - 1)]!;
    // exp of a tame argument: sums of products of normals can overflow float32 long before float64.
    const arg = randomExpr(rng, inputs, depth - 1);
    return op === "exp" ? unary("exp", { kind: "cast", to: "float32", arg: binary("min", arg, input(0)) }) : unary(op, arg);
  }
  return binary(BINARY[rng.int(0, BINARY.length - 1)]!, randomExpr(rng, inputs, depth - 1), randomExpr(rng, inputs, depth - 1));
}

/** Places inputs at odd element offsets (unaligned vectors) and returns data and bases. */
function place(rng: Random, elements: number[], outElements: number, scale: number): { data: Float32Array; bases: number[] } {
  const bases: number[] = [];
  let at = rng.int(0, 3);
  for (const n of elements) {
    bases.push(at);
    at += n + rng.int(0, 5);
  }
  bases.push(at);
  const data = new Float32Array(at + outElements);
  const values = rng.normals(at, scale);
  data.set(values.subarray(0, at));
  return { data, bases };
}

describe.runIf(detectSimd().simd)("WebAssembly SIMD loop kernels", () => {
  it("match float64 math and the JavaScript loops on random elementwise kernels", () => {
    const rng = new Random(11);
    let vectorised = 0;
    let exact = 0;
    for (let trial = 0; trial < 300; trial++) {
      const rank = rng.int(1, 4);
      const shape = Array.from({ length: rank }, () => (rng.uniform() < 0.15 ? 1 : rng.int(1, 11)));
      const count = rng.int(1, 3);
      const layouts = Array.from({ length: count }, () => layout(rng, shape, rng.int(0, 3)));
      const out = layout(rng, shape, 0);
      const spec: LoopKernelSpec = {
        shape,
        inputs: layouts.map((l) => ({ dtype: "float32", strides: l.strides })),
        expr: randomExpr(rng, count, 3),
        output: { dtype: "float32", strides: out.strides },
      };
      const kernel = wasmLoops(spec);
      if (!kernel) continue;
      vectorised++;
      const { data, bases } = place(rng, layouts.map((l) => l.elements), out.elements, 2);
      const got = run(kernel, data, bases, out.elements);
      const js = run(loopKernel(spec), data, bases, out.elements);
      const what = `${JSON.stringify(spec)}`;
      expect(compare(got, reference(spec, data, bases, out.elements), what), what).toBeLessThanOrEqual(1e-6);
      expect(compare(got, js, what), what).toBeLessThanOrEqual(1e-6);
      // A float32 loop rounds after every operation, in both forms: without exp (whose vector
      // form may differ by an ulp) they agree with that rounding bit for bit, signed zeros too.
      if (!JSON.stringify(spec.expr).includes('"exp"')) {
        expect(Array.from(got), `${what}: SIMD against float32 rounding`).toEqual(Array.from(Float32Array.from(reference(spec, data, bases, out.elements, true))));
        expect(Array.from(got), `${what}: SIMD against JavaScript`).toEqual(Array.from(js));
        exact++;
      }
    }
    expect(vectorised).toBeGreaterThan(150);
    expect(exact).toBeGreaterThan(50);
  });

  it("match on random reductions, over inner or outer axes", () => {
    const rng = new Random(12);
    const plans = { inner: 0, outer: 0 };
    for (let trial = 0; trial < 300; trial++) {
      const rank = rng.int(1, 4);
      const shape = Array.from({ length: rank }, () => (rng.uniform() < 0.1 ? 1 : rng.int(1, 13)));
      const axes = shape.map((_, a) => a).filter(() => rng.uniform() < 0.5);
      if (axes.length === 0) axes.push(rng.int(0, rank - 1));
      const count = rng.int(1, 2);
      const layouts = Array.from({ length: count }, () => layout(rng, shape, rng.int(0, 2)));
      const kept = shape.map((d, a) => (axes.includes(a) ? 1 : d));
      const out = layout(rng, kept, 0);
      const op = rng.uniform() < 0.5 ? "sum" : "max";
      const spec: LoopKernelSpec = {
        shape,
        inputs: layouts.map((l) => ({ dtype: "float32", strides: l.strides })),
        expr: randomExpr(rng, count, 2),
        output: { dtype: "float32", strides: out.strides.map((s, a) => (axes.includes(a) ? 0 : s)) },
        reduce: { op, axes },
      };
      const kernel = wasmLoops(spec);
      if (!kernel) continue;
      plans[axes.includes(rank - 1) ? "inner" : "outer"]++;
      const { data, bases } = place(rng, layouts.map((l) => l.elements), out.elements, 1);
      const got = run(kernel, data, bases, out.elements);
      const js = run(loopKernel(spec), data, bases, out.elements);
      const what = `${JSON.stringify(spec)}`;
      expect(compare(got, reference(spec, data, bases, out.elements), what), what).toBeLessThanOrEqual(1e-6);
      expect(compare(got, js, what), what).toBeLessThanOrEqual(1e-6);
    }
    expect(plans.inner).toBeGreaterThan(50);
    expect(plans.outer).toBeGreaterThan(20);
  });

  it("gives every op's special values (NaN, infinities, signed zeros, exp's range ends)", () => {
    const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 88.5, 88.72, 88.73, 100, -87.3, -87.4, -103, -200, 2.5, 1e-30, -3e38];
    const n = specials.length;
    const a = Float32Array.from(specials.flatMap((x) => specials.map(() => x)));
    const b = Float32Array.from(specials.flatMap(() => specials));
    const data = new Float32Array(3 * n * n);
    data.set(a, 0);
    data.set(b, n * n);
    const bases = [0, n * n, 2 * n * n];
    const flat = (expr: Expr): LoopKernelSpec => ({ shape: [n, n], inputs: [{ dtype: "float32", strides: [n, 1] }, { dtype: "float32", strides: [n, 1] }], expr, output: { dtype: "float32", strides: [n, 1] } });
    const exprs: Expr[] = [...UNARY.map((op) => unary(op, input(0))), ...BINARY.map((op) => binary(op, input(0), input(1))), { kind: "cast", to: "float32", arg: binary("mul", input(0), input(1)) }];
    for (const expr of exprs) {
      const spec = flat(expr);
      const got = run(wasmLoops(spec)!, data, bases, n * n);
      const want = reference(spec, data, bases, n * n);
      for (let i = 0; i < n * n; i++) {
        const w = Math.fround(want[i]!);
        const g = got[i]!;
        const what = `${JSON.stringify(expr)}(${a[i]}, ${b[i]}): got ${g}, want ${w}`;
        if (Number.isNaN(w) || !Number.isFinite(w) || w === 0 || expr.kind !== "unary" || expr.op !== "exp") {
          // Exact (float64 evaluation, one rounding), but exp results below the smallest normal flush to 0.
          expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)) || (Math.abs(w) < TINY && g === 0), what).toBe(true);
        } else if (Math.abs(w) < TINY) expect(g, what).toBe(0);
        else expect(Math.abs(g - w) / Math.abs(w), what).toBeLessThanOrEqual(2.4e-7);
      }
    }
  });

  it("leaves to JavaScript what it has no vector form of", () => {
    const base = { shape: [4, 8], expr: input(0), output: { dtype: "float32", strides: [8, 1] } } as const;
    expect(wasmLoops({ ...base, inputs: [{ dtype: "float32", strides: [8, 1] }] })).toBeDefined();
    expect(wasmLoops({ ...base, inputs: [{ dtype: "float64", strides: [8, 1] }] })).toBeUndefined();
    expect(wasmLoops({ ...base, inputs: [{ dtype: "float32", strides: [1, 4] }] })).toBeUndefined();
    // A transposed input reduced along its unit-stride axis vectorises (inner, then outer kept axis).
    expect(wasmLoops({ ...base, inputs: [{ dtype: "float32", strides: [1, 4] }], output: { dtype: "float32", strides: [0, 1] }, reduce: { op: "sum", axes: [0] } })).toBeDefined();
    expect(wasmLoops({ ...base, inputs: [{ dtype: "float32", strides: [8, 1] }], output: { dtype: "float32", strides: [0, 1] }, reduce: { op: "max", axes: [0] } })).toBeDefined();
    expect(wasmLoops({ ...base, inputs: [{ dtype: "float32", strides: [8, 1] }], expr: unary("exp", input(0)) })).toBeDefined();
    expect(wasmLoops({ ...base, inputs: [{ dtype: "float32", strides: [8, 1] }], expr: { kind: "unary", op: "tanh", arg: input(0) } })).toBeUndefined();
    // A reduction of a strided input: neither axis has unit stride for every access.
    expect(wasmLoops({ ...base, inputs: [{ dtype: "float32", strides: [16, 2] }], output: { dtype: "float32", strides: [0, 1] }, reduce: { op: "sum", axes: [0] } })).toBeUndefined();
  });
});
