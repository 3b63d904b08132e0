import { Random } from "@unfold/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CpuEngine, createEngine } from "../src/engine.js";
import type { Expr } from "../src/kernels/loops/expr.js";
import { LOOP_SPLIT_MIN_ELEMENTS, createParallelLoops } from "../src/kernels/loops/loops-parallel.js";
import type { LoopKernelSpec } from "../src/kernels/loops/loops.js";
import { createWasmLoops } from "../src/kernels/loops/loops-wasm.js";
import { stridesOf } from "@unfold/core";

const input = (index: number): Expr => ({ kind: "input", index });
const bin = (op: "add" | "sub" | "mul" | "max", a: Expr, b: Expr): Expr => ({ kind: "binary", op, args: [a, b] });
const f32 = (strides: readonly number[]) => ({ dtype: "float32" as const, strides });

/** The shapes the Yang forward runs: the feed-forward update, attention's residual, a row-norm reduction, a column sum. */
function specs(): { name: string; spec: LoopKernelSpec }[] {
  const shape = [8, 128, 64];
  const dense = stridesOf(shape);
  const bias = [0, 0, 1];
  return [
    {
      name: "max(0, 0.5 y - 0.25 z + b) over [8, 128, 64], b broadcast",
      spec: { shape, inputs: [f32(dense), f32(dense), f32(bias)], expr: bin("max", bin("add", bin("sub", bin("mul", input(0), input(0)), input(1)), input(2)), input(2)), output: f32(dense) },
    },
    {
      name: "the sum of squares along the last axis, [8, 1, 128, 64] -> [8, 1, 128, 1]",
      spec: { shape: [8, 1, 128, 64], inputs: [f32(stridesOf([8, 1, 128, 64]))], expr: bin("mul", input(0), input(0)), output: f32([128, 0, 1, 0]), reduce: { op: "sum", axes: [3] } },
    },
    {
      name: "a column sum of a transposed read, [1, 300, 200] over axis 1, an odd chunk extent",
      spec: { shape: [1, 300, 200], inputs: [f32([0, 1, 300])], expr: input(0), output: f32([0, 0, 1]), reduce: { op: "sum", axes: [1] } },
    },
    {
      name: "a batch of one: split along the second axis, [1, 517, 96]",
      spec: { shape: [1, 517, 96], inputs: [f32(stridesOf([1, 517, 96])), f32([0, 0, 1])], expr: bin("add", input(0), input(1)), output: f32(stridesOf([1, 517, 96])) },
    },
  ];
}

describe("loops shared among the worker threads", () => {
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 4096, shared: true });
  let gemm: CpuEngine;
  let rounds = 0;
  const byCaller: [number, number][] = [];
  beforeAll(async () => {
    gemm = await createEngine(memory, { threads: 2 });
  });
  afterAll(async () => {
    await gemm.dispose();
  });
  const counted = () => ({
    threads: gemm.threads,
    shareKernel: (m: WebAssembly.Module) => gemm.shareKernel(m),
    runKernelRound: (p: Float64Array, work: (chunk: number) => void) => {
      rounds++;
      // The calling thread dawdles over its chunks, so the (held) worker surely runs some.
      const local = gemm.runKernelRound(p, (chunk) => {
        const until = performance.now() + 5;
        while (performance.now() < until);
        work(chunk);
      });
      byCaller.push([local, p[24]!]);
      return local;
    },
  });

  it.each(specs())("$name: bit for bit the single-threaded kernel's result", ({ spec }) => {
    const parallel = createParallelLoops(memory, counted())(spec);
    expect(parallel, "the loop should run threaded").toBeDefined();
    const single = createWasmLoops(memory)(spec)!;
    const rng = new Random(7);
    const sizes = spec.inputs.map((a) => 1 + a.strides.reduce((s, st, i) => s + st * (spec.shape[i]! - 1), 0));
    const outSize = 1 + spec.output.strides.reduce((s, st, i) => s + st * (spec.shape[i]! - 1), 0);
    const bases: number[] = [];
    let at = 3;
    for (const n of sizes) {
      bases.push(at);
      at += n + 5;
    }
    const view = new Float32Array(memory.buffer);
    view.set(rng.normals(at - 3), 3);
    const outA = at;
    const outB = at + outSize + 16;
    view.fill(NaN, outA, outB + outSize);
    view.fill(4242, outB + outSize, outB + outSize + 8);
    single(view, new Float64Array(memory.buffer), ...bases, outA);
    const before = rounds;
    gemm.hold();
    try {
      parallel!([...bases, outB]);
    } finally {
      gemm.release();
    }
    expect(rounds - before).toBe(1);
    // The worker instantiated the shared kernels and ran chunks of its own.
    const [local, chunks] = byCaller.at(-1)!;
    expect(local).toBeLessThan(chunks);
    const want = view.slice(outA, outA + outSize);
    const got = view.slice(outB, outB + outSize);
    expect(got.some(Number.isNaN)).toBe(false);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(Array.from(view.subarray(outB + outSize, outB + outSize + 8))).toEqual(new Array(8).fill(4242));
  });

  it("leaves small loops, loops with too many operands and unsplittable reductions on the calling thread", () => {
    const loops = createParallelLoops(memory, counted());
    const small = [4, LOOP_SPLIT_MIN_ELEMENTS / 8];
    expect(loops({ shape: small, inputs: [f32(stridesOf(small))], expr: input(0), output: f32(stridesOf(small)) })).toBeUndefined();
    const shape = [64, 1024];
    const many = Array.from({ length: 12 }, () => f32(stridesOf(shape)));
    const sum = many.slice(1).reduce<Expr>((e, _a, k) => bin("add", e, input(k + 1)), input(0));
    expect(loops({ shape, inputs: many, expr: sum, output: f32(stridesOf(shape)) })).toBeUndefined();
    expect(loops({ shape, inputs: [f32(stridesOf(shape))], expr: input(0), output: f32([0, 0]), reduce: { op: "sum", axes: [0, 1] } })).toBeUndefined();
  });

  it("stays on the calling thread without workers", async () => {
    const lone = await createEngine(memory, { threads: 1 });
    const spec = specs()[0]!.spec;
    expect(createParallelLoops(memory, lone)(spec)).toBeUndefined();
    await lone.dispose();
  });
});
