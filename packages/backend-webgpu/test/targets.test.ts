import { type Program, type Tensor, input, interpret, ops, runToHost, softmax, trace } from "@unfold/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KernelTarget, WebGpuBackend } from "../src/index.js";
import { describeGpu } from "./gpu.js";
import { maxError, normals } from "./helpers.js";

type Feeds = Record<string, ReturnType<typeof normals>>;

/** Worst error per output against the float64 interpreter, every buffer poisoned with NaN first. */
async function check(backend: WebGpuBackend, program: Program, feeds: Feeds): Promise<Record<string, number>> {
  const executable = await backend.compile(program, { poison: true });
  const got = await runToHost(executable, feeds);
  const want = interpret(program, new Map(Object.entries(feeds).map(([k, t]) => [k, Float64Array.from(t.data)])));
  return Object.fromEntries(program.outputs.map((o) => [o.name, maxError(got[o.name]!.data, want.get(o.name)!)]));
}

// Each kernel target generates different matmul, reduction and softmax kernels; both must be
// right on whatever adapter the tests run on (a missed store shows as poison).
describeGpu("kernel targets", () => {
  for (const target of ["gpu", "cpu"] as const satisfies readonly KernelTarget[]) {
    describe(target, () => {
      let backend: WebGpuBackend;
      beforeAll(async () => {
        backend = await WebGpuBackend.create({ target });
      });
      afterAll(() => backend.dispose());

      it("matmul: sizes off every tile, transposed and broadcast operands, batches", async () => {
        const cases: [number[], number[], (a: Tensor, b: Tensor) => Tensor][] = [
          [[37, 13], [13, 29], (a, b) => ops.matmul(a, b)],
          [[130, 70], [150, 70], (a, b) => ops.matmul(a, b.T)],
          [[70, 130], [70, 9], (a, b) => ops.matmul(a.T, b)],
          [[3, 33, 20], [20, 130], (a, b) => ops.matmul(a, b)],
          [[1, 5], [5, 1], (a, b) => ops.matmul(a, b)],
        ];
        for (const [i, [as, bs, f]] of cases.entries()) {
          const program = trace({ a: input(as, "float32"), b: input(bs, "float32") }, ({ a, b }) => ({ y: f(a, b) }));
          const errors = await check(backend, program, { a: normals(as, 10 + i), b: normals(bs, 20 + i) });
          expect(errors["y"], `case ${i}`).toBeLessThan(1e-5);
        }
      });

      it("matmul: symmetric products (Z Z^T, Z^T Z, batched) store every element, mirrored ones included", async () => {
        const shapes = [[37, 13], [130, 20], [2, 70, 9], [64, 64]];
        for (const [i, shape] of shapes.entries()) {
          const program = trace({ z: input(shape, "float32") }, ({ z }) => ({ g: ops.matmul(z, ops.swapLastAxes(z)), h: ops.matmul(ops.swapLastAxes(z), z) }));
          const errors = await check(backend, program, { z: normals(shape, 30 + i) });
          expect(errors["g"], `Z Z^T ${shape.join("x")}`).toBeLessThan(1e-5);
          expect(errors["h"], `Z^T Z ${shape.join("x")}`).toBeLessThan(1e-5);
        }
      });

      it("matmul: a square operand times itself is not mistaken for a symmetric product", async () => {
        const program = trace({ x: input([40, 40], "float32") }, ({ x }) => ({ y: ops.matmul(x, x) }));
        const errors = await check(backend, program, { x: normals([40, 40], 40) });
        expect(errors["y"]).toBeLessThan(1e-5);
      });

      it("matmul: a symmetric product under an epilogue evaluates it at each mirrored position", async () => {
        const program = trace({ z: input([2, 45, 12], "float32"), c: input([2, 1, 45], "float32") }, ({ z, c }) => ({
          y: ops.exp(ops.sub(ops.matmul(z, ops.swapLastAxes(z)), c)),
        }));
        const executable = await backend.compile(program);
        expect(executable.dispatches).toBe(1);
        const errors = await check(backend, program, { z: normals([2, 45, 12], 45, 0.3), c: normals([2, 1, 45], 46) });
        expect(errors["y"]).toBeLessThan(1e-5);
      });

      it("matmul: epilogue on the register-blocked tile", async () => {
        const program = trace({ x: input([45, 20], "float32"), w: input([20, 70], "float32"), b: input([70], "float32") }, ({ x, w, b }) => ({
          y: ops.relu(ops.add(ops.matmul(x, w), b)),
        }));
        const executable = await backend.compile(program);
        expect(executable.dispatches).toBe(1);
        const errors = await check(backend, program, { x: normals([45, 20], 50), w: normals([20, 70], 51), b: normals([70], 52) });
        expect(errors["y"]).toBeLessThan(1e-5);
      });

      it("softmax with a row-vector bias: the scaled bias folds into the softmax kernel", async () => {
        // softmax(Z Z^T - q / 2) with q_j = |z_j|^2 broadcast along rows, as in an attention step.
        const program = trace({ z: input([2, 50, 16], "float32") }, ({ z }) => {
          const q = ops.reshape(ops.sum(ops.mul(z, z), -1), [2, 1, 50]);
          return { p: softmax(ops.sub(ops.matmul(z, ops.swapLastAxes(z)), ops.mul(q, 0.5)), -1) };
        });
        const executable = await backend.compile(program);
        expect(executable.labels.map((l) => l.split(" ")[0])).toEqual(["sum", "matmul", "softmax"]);
        const errors = await check(backend, program, { z: normals([2, 50, 16], 60, 0.5) });
        expect(errors["p"]).toBeLessThan(1e-5);
      });

      it("row kernels: rows short, long and past the serial limit, over inner and outer axes", async () => {
        for (const [i, shape] of [[300, 7], [9, 700], [3, 5000]].entries()) {
          const program = trace({ x: input(shape, "float32") }, ({ x }) => ({ s: ops.sum(x, -1), m: ops.max(x, 0), p: softmax(x, -1) }));
          const errors = await check(backend, program, { x: normals(shape, 70 + i) });
          expect(errors["s"], `sum ${shape.join("x")}`).toBeLessThan(1e-5);
          expect(errors["m"], `max ${shape.join("x")}`).toBe(0);
          expect(errors["p"], `softmax ${shape.join("x")}`).toBeLessThan(1e-6);
        }
      });
    });
  }
});
