import { ShapeError, defineEnergy, defineUnfolding, gradientStep, ops, optimize, unfoldedProgram } from "@unfold/core";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { exportOnnx } from "../src/index.js";
import { reference, relErr } from "./helpers.js";
import { COLS, OP_FAMILIES, ROWS, familyFeeds, familyProgram } from "./op-families.js";

const TRACED = 6;

describe("export of autodiff-derived steps with a symbolic batch axis", () => {
  it("exports E = 1/2 ||X||^2 with one gradient step (the failure that was reported)", () => {
    const energy = defineEnergy({ name: "quad", params: {}, terms: [{ name: "half", value: (x) => ops.mul(ops.sum(ops.mul(x, x)), 0.5) }] });
    const u = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 0.1 })], layers: 1 });
    expect(exportOnnx(unfoldedProgram(u, [6, 16], "float32"), { batchDim: "batch" }).length).toBeGreaterThan(0);
  });

  for (const f of OP_FAMILIES) {
    it(`${f.name}: traced at ${TRACED}, runs at 3 and 11 like the reference traced there`, async () => {
      const program = familyProgram(f, TRACED);
      // No value keeps the traced batch size as a constant: every constant is small.
      for (const n of optimize(program).nodes) {
        if (n.op === "constant") expect(n.shape[0] === TRACED && n.shape.length > 0, `constant %${n.id} ${JSON.stringify(n.shape)}`).toBe(false);
      }
      const { params } = familyFeeds(f, TRACED);
      const bytes = exportOnnx(program, { batchDim: "batch", params });
      const session = await ort.InferenceSession.create(bytes);
      try {
        for (const batch of [3, 11]) {
          const { state } = familyFeeds(f, batch);
          const out = await session.run({ state: new ort.Tensor("float32", state.data as Float32Array, [batch, ROWS, COLS]) });
          const got = out["state.out"]!;
          expect(got.dims).toEqual([batch, ROWS, COLS]);
          const want = reference(familyProgram(f, batch), { state, ...params }).get("state")!;
          expect(relErr(got.data as Float32Array, want), `batch ${batch}`).toBeLessThan(1e-5);
        }
      } finally {
        await session.release();
      }
    });
  }

  it("refuses a step whose gradient reduces over the batch axis, naming the term", () => {
    // Centering over the batch couples the rows: the gradient sums over the batch axis.
    const energy = defineEnergy({
      name: "batchy",
      params: {},
      terms: [{ name: "center", value: (x) => ops.mul(ops.sum(ops.mul(x.sub(ops.mean(x, 0, true)), x)), 0.5) }],
    });
    const u = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 0.1 })], layers: 1 });
    const program = unfoldedProgram(u, [6, 16], "float32");
    expect(() => exportOnnx(program, { batchDim: "batch" })).toThrow(ShapeError);
    expect(() => exportOnnx(program, { batchDim: "batch" })).toThrow(
      /^exportOnnx: batchDim 'batch': (the gradient of )?term 'center' of energy 'batchy' reduces over the batch axis \(sum %\d+ \[1, 16\]\)/,
    );
    // Without a batch axis the same program exports.
    expect(exportOnnx(program).length).toBeGreaterThan(0);
  });

  it("refuses a term that gathers along the batch axis, naming the term itself", () => {
    const energy = defineEnergy({
      name: "rows",
      params: {},
      terms: [{ name: "pick", value: (x) => ops.mul(ops.sum(ops.gather(x, x.graph.constant([0, 2], [2], x.dtype), 0).square()), 0.5) }],
    });
    const u = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 0.1 })], layers: 1 });
    expect(() => exportOnnx(unfoldedProgram(u, [6, 16], "float32"), { batchDim: "rows" })).toThrow(
      /^exportOnnx: batchDim 'rows': term 'pick' of energy 'rows' gathers along the batch axis \(gather %\d+ \[2, 16\]\)/,
    );
  });
});
