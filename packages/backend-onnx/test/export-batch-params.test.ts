// batchDim's default puts the batch axis on the program's inputs only. A parameter with one row
// per example (sparse coding's signals y) that is left as a graph input does not get it, and the
// refusal must say so and show the batchDim that names it.
import { Random, ShapeError, type Tensor, defineEnergy, defineUnfolding, hostTensor, ops, proximalStep, unfoldedProgram } from "@unfold/core";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { exportOnnx } from "../src/index.js";
import { reference, relErr } from "./helpers.js";

const n = 8;
const m = 12;

/** Sparse coding of a batch of signals y [b, n] over D [n, m]: y is a parameter, one row per example. */
function sparseCoding(batch: number) {
  const softThreshold = (v: Tensor, t: Tensor): Tensor => ops.mul(ops.sign(v), ops.relu(ops.sub(ops.abs(v), t)));
  const energy = defineEnergy({
    name: "sc-batch",
    params: { D: { shape: [n, m] }, y: { shape: [batch, n] }, lambda: { shape: [] } },
    terms: [
      {
        name: "fit",
        value: (z, p) => {
          const r = ops.sub(ops.matmul(z, ops.swapLastAxes(p.D)), p.y);
          return ops.mul(ops.sum(ops.mul(r, r)), 0.5);
        },
      },
      { name: "l1", value: (z, p) => ops.mul(ops.sum(ops.abs(z)), p.lambda), prox: (v, p, a) => softThreshold(v, ops.mul(p.lambda, a)) },
    ],
  });
  const u = defineUnfolding({ energy, steps: [proximalStep(energy, { proxTerm: "l1", stepSize: 0.05 })], layers: 3 });
  return unfoldedProgram(u, [batch, m], "float32");
}

const rng = new Random(11);
const f32 = (values: ArrayLike<number>, shape: number[]) => hostTensor(Float32Array.from(values), shape, "float32");
const D = f32(rng.normals(n * m, 0.4), [n, m]);
const lambda = f32([0.1], []);

describe("exportOnnx batchDim with a per-example parameter left as a graph input", () => {
  it("refuses the default, naming the parameter and the batchDim that would carry it", () => {
    const program = sparseCoding(2);
    const attempt = () => exportOnnx(program, { params: { D, lambda }, batchDim: "batch" });
    expect(attempt).toThrow(ShapeError);
    expect(attempt).toThrow(
      /^exportOnnx: batchDim 'batch': term 'fit' of energy 'sc-batch' meets an operand of fixed leading size 2 on the batch axis \(sub %\d+ \[2, 8\]\), so the batch axis cannot be symbolic; the operand comes from parameter 'y' \[2, 8\], left as a graph input without the batch axis \(by default only the inputs whose leading size is the first input's carry it, never a parameter\): if it holds one row per example, name it in batchDim: \{ name: 'batch', inputs: \['state', 'y'\] \}; otherwise export without batchDim$/,
    );
  });

  it("does not suggest naming a parameter that is baked in", () => {
    const y = f32(rng.normals(2 * n), [2, n]);
    const attempt = () => exportOnnx(sparseCoding(2), { params: { D, y, lambda }, batchDim: "batch" });
    expect(attempt).toThrow(/meets an operand of fixed leading size 2 on the batch axis \(sub %\d+ \[2, 8\]\), so the batch axis cannot be symbolic; export without batchDim$/);
  });

  it("exports with the suggested batchDim, and the file runs at other batch sizes like the reference", async () => {
    const bytes = exportOnnx(sparseCoding(2), { params: { D, lambda }, batchDim: { name: "batch", inputs: ["state", "y"] } });
    const session = await ort.InferenceSession.create(bytes);
    try {
      for (const batch of [1, 5]) {
        const state = f32(rng.normals(batch * m, 0.5), [batch, m]);
        const y = f32(rng.normals(batch * n), [batch, n]);
        const out = await session.run({
          state: new ort.Tensor("float32", state.data as Float32Array, [batch, m]),
          y: new ort.Tensor("float32", y.data as Float32Array, [batch, n]),
        });
        const got = out["state.out"]!;
        expect(got.dims).toEqual([batch, m]);
        const want = reference(sparseCoding(batch), { state, y, D, lambda }).get("state")!;
        expect(relErr(got.data as Float32Array, want), `batch ${batch}`).toBeLessThan(1e-5);
      }
    } finally {
      await session.release();
    }
  });
});
