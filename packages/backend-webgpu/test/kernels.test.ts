import { type Program, input, interpret, logsumexp, ops, param, runToHost, softmax, trace } from "@unfold/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WebGpuBackend } from "../src/index.js";
import { describeGpu } from "./gpu.js";
import { maxError, normals } from "./helpers.js";

/** Runs on the GPU and on the float64 interpreter; returns the worst elementwise error per output. */
async function check(backend: WebGpuBackend, program: Program, feeds: Record<string, ReturnType<typeof normals>>): Promise<Record<string, number>> {
  const executable = await backend.compile(program, { poison: true });
  const got = await runToHost(executable, feeds);
  const want = interpret(program, new Map(Object.entries(feeds).map(([k, t]) => [k, Float64Array.from(t.data)])));
  return Object.fromEntries(program.outputs.map((o) => [o.name, maxError(got[o.name]!.data, want.get(o.name)!)]));
}

describeGpu("kernels", () => {
  let backend: WebGpuBackend;
  beforeAll(async () => {
    backend = await WebGpuBackend.create();
  });
  afterAll(() => backend.dispose());

  it("caches pipelines by shader: a program differing only in its feeds' names builds none", async () => {
    const make = (name: string): Program => trace({ [name]: input([5, 7], "float32") }, (x) => ({ y: ops.exp(ops.mul(x[name]!, 3)) }));
    await backend.compile(make("a"));
    const before = backend.stats().pipelines;
    await backend.compile(make("b"));
    const after = backend.stats().pipelines;
    expect(after.compiled).toBe(before.compiled);
    expect(after.hits).toBeGreaterThan(before.hits);
  });

  it("folds transposes of either matmul operand into the kernel (one dispatch, no copies)", async () => {
    const program = trace({ a: input([3, 40, 70], "float32"), b: input([90, 40], "float32") }, ({ a, b }) => ({ y: ops.matmul(ops.transpose(a, [0, 2, 1]), b.T) }));
    const executable = await backend.compile(program);
    expect(executable.labels).toEqual([expect.stringMatching(/^matmul/)]);
    const errors = await check(backend, program, { a: normals([3, 40, 70], 1), b: normals([90, 40], 2) });
    expect(errors["y"]).toBeLessThan(1e-5);
  });

  it("fuses a matmul's elementwise consumers into its epilogue", async () => {
    const program = trace({ x: input([33, 20], "float32"), W: param([20, 17], "float32"), b: param([17], "float32") }, ({ x, W, b }) => ({
      h: ops.tanh(ops.add(ops.matmul(x, W), b)),
    }));
    const executable = await backend.compile(program);
    expect(executable.dispatches).toBe(1);
    const errors = await check(backend, program, { x: normals([33, 20], 3), W: normals([20, 17], 4), b: normals([17], 5) });
    expect(errors["h"]).toBeLessThan(1e-5);
  });

  it("fuses an epilogue through a reshape that only drops or adds size-1 axes (a head axis)", async () => {
    const program = trace({ p: input([2, 1, 30, 25], "float32"), y: input([2, 1, 25, 20], "float32"), b: input([20], "float32") }, ({ p, y, b }) => ({
      out: ops.relu(ops.add(ops.reshape(ops.matmul(p, y), [2, 30, 20]), b)),
    }));
    const executable = await backend.compile(program);
    expect(executable.labels).toEqual([expect.stringMatching(/^matmul %\d+ \+ /)]);
    const errors = await check(backend, program, { p: normals([2, 1, 30, 25], 7), y: normals([2, 1, 25, 20], 8), b: normals([20], 9) });
    expect(errors["out"]).toBeLessThan(1e-5);
  });

  it("keeps a matmul epilogue within the device's storage bindings, running the product alone past them", async () => {
    const limit = backend.device!.limits.maxStorageBuffersPerShaderStage;
    const names = Array.from({ length: limit }, (_, k) => `l${k}`);
    const specs = Object.fromEntries([["x", input([9, 6], "float32")], ["w", input([6, 7], "float32")], ...names.map((k) => [k, input([9, 7], "float32")])]);
    const program = trace(specs, (t) => ({ y: names.reduce((acc, k) => ops.add(acc, t[k]!), ops.matmul(t["x"]!, t["w"]!)) }));
    const feeds = Object.fromEntries([["x", normals([9, 6], 10)], ["w", normals([6, 7], 11)], ...names.map((k, i) => [k, normals([9, 7], 12 + i)])]);
    const errors = await check(backend, program, feeds);
    expect(errors["y"]).toBeLessThan(1e-5);
  });

  it("reduces a long row (300,000 elements) in one dispatch, accurately", async () => {
    const program = trace({ x: input([2, 300_000], "float32") }, ({ x }) => ({ s: ops.sum(ops.mul(x, x), -1), m: ops.max(x, -1) }));
    const executable = await backend.compile(program);
    expect(executable.dispatches).toBe(2);
    const errors = await check(backend, program, { x: normals([2, 300_000], 6) });
    expect(errors["s"]).toBeLessThan(1e-5);
    expect(errors["m"]).toBe(0);
  });

  it("runs softmax and logsumexp as one kernel each, long rows and short", async () => {
    for (const [rows, cols] of [[6, 1000], [40, 7]] as const) {
      const program = trace({ x: input([rows, cols], "float32") }, ({ x }) => ({ p: softmax(ops.mul(x, 4), -1) }));
      const executable = await backend.compile(program);
      expect(executable.labels).toEqual([expect.stringMatching(/^softmax/)]);
      expect((await check(backend, program, { x: normals([rows, cols], 7) }))["p"]).toBeLessThan(1e-6);
      const lse = trace({ x: input([rows, cols], "float32") }, ({ x }) => ({ l: logsumexp(x, -1) }));
      expect((await backend.compile(lse)).labels).toEqual([expect.stringMatching(/^logsumexp/)]);
      expect((await check(backend, lse, { x: normals([rows, cols], 8, 30) }))["l"]).toBeLessThan(1e-6);
    }
  });

  it("softmax over a leading axis is fused too", async () => {
    const program = trace({ x: input([50, 3, 4], "float32") }, ({ x }) => ({ p: softmax(x, 0) }));
    expect((await backend.compile(program)).dispatches).toBe(1);
    expect((await check(backend, program, { x: normals([50, 3, 4], 9) }))["p"]).toBeLessThan(1e-6);
  });

  it("fuses an elementwise chain over broadcasts: one dispatch per value read twice, plus the result", async () => {
    const program = trace({ x: input([4, 1], "float32"), y: input([5, 1, 1], "float32"), z: input([6], "float32") }, ({ x, y, z }) => {
      const t = ops.add(ops.mul(x, y), z);
      return { out: ops.sub(ops.mul(ops.tanh(t), 0.5), ops.exp(ops.neg(ops.abs(t)))) };
    });
    // t is read twice, so it is computed once (x * y inlined into it), then the rest in one kernel.
    expect((await backend.compile(program)).dispatches).toBe(2);
    expect((await check(backend, program, { x: normals([4, 1], 10), y: normals([5, 1, 1], 11), z: normals([6], 12) }))["out"]).toBeLessThan(1e-6);
  });

  it("submits one command buffer per run", async () => {
    const program = trace({ x: input([8, 8], "float32") }, ({ x }) => ({ y: ops.sum(ops.matmul(x, x), -1), z: ops.exp(x) }));
    const executable = await backend.compile(program);
    const queue = backend.device!.queue;
    const submit = queue.submit.bind(queue);
    let submits = 0;
    queue.submit = (buffers) => {
      submits++;
      submit(buffers);
    };
    try {
      for (const t of Object.values(await executable.run({ x: normals([8, 8], 13) }))) t.dispose();
    } finally {
      queue.submit = submit;
    }
    expect(executable.dispatches).toBeGreaterThan(1);
    expect(submits).toBe(1);
  });
});
