import { join } from "node:path";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { FIXED_POINT_OUTPUTS } from "@unfold/backend-onnx";
import { type HostTensor, ReferenceBackend, hostTensor, interpret, relativeError, solveFixedPoint } from "@unfold/core";
import { initParams } from "@unfold/nn";
import { FIXED_POINT_STATE, INPUT, LOGITS, type TaskData, type TrainerModel, fixedPointLogitsProgram, inputShape, mapParamsProgram } from "@unfold/training";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { ModelConfig, buildModel, exportTrainedModel, fileTask } from "../src/index.js";

// The trainer's export works for any fixed-point model (the FixedPointModel interface): for each
// model kind with model.fixedPoint, an exported untrained model, run in a fresh onnxruntime-web
// session at two batch sizes, gives the logits Unfold computes in float64 (prologue, plain
// iteration to the same tolerance, head).

const TOL = 1e-5;

/** A small file task of 3 tokens of 4 features, two classes. */
function smallTask(): TaskData {
  const path = join(mkdtempSync(join(tmpdir(), "unfold-fp-export-")), "data.jsonl");
  const rows = Array.from({ length: 12 }, (_, k) => JSON.stringify({ input: Array.from({ length: 3 }, (_, t) => Array.from({ length: 4 }, (_, f) => Math.sin(k + 2 * t + 3 * f))), label: k % 2 }));
  writeFileSync(path, rows.join("\n"));
  return fileTask({ path });
}

async function inFrameworkLogits(model: TrainerModel, task: TaskData, params: Record<string, HostTensor>, inputs: Float64Array, count: number): Promise<Float64Array> {
  const fixedPoint = model.fixedPoint!;
  const feeds = new Map<string, Float64Array>(Object.entries(params).map(([name, t]) => [name, Float64Array.from(t.data)]));
  feeds.set(INPUT, inputs);
  const prologue = mapParamsProgram(fixedPoint, model.specs, task, count, "float64");
  const theta = interpret(prologue, feeds);
  const mapParams = Object.fromEntries(prologue.outputs.map((o) => [o.name, hostTensor(theta.get(o.name)!, prologue.nodes[o.id]!.shape, "float64")]));
  const solved = await solveFixedPoint(fixedPoint.map(count), new ReferenceBackend(), { state: mapParams[fixedPoint.start]!, params: mapParams, solver: "iteration", tol: TOL, maxIterations: fixedPoint.config.maxIterations });
  expect(solved.converged, `${solved.stoppedBy}: ${solved.reason}`).toBe(true);
  feeds.set(FIXED_POINT_STATE, Float64Array.from(solved.state.data));
  return interpret(fixedPointLogitsProgram(fixedPoint, model.specs, count, "float64"), feeds).get(LOGITS)!;
}

/** Each kind at settings where plain iteration (what the exported Loop runs) converges from the initial parameters. */
const MODELS: Record<string, { model: Record<string, unknown>; anchor: number }> = {
  yang: { model: { kind: "yang", dim: 4, tied: true }, anchor: 1 },
  crate: { model: { kind: "crate", dim: 4, heads: 1, tied: true, mssaStep: 0.2 }, anchor: 5 },
  "energy-transformer": { model: { kind: "energy-transformer", dim: 4, heads: 1 }, anchor: 5 },
};

describe("the trainer's export of every fixed-point model kind", () => {
  for (const [kind, { model: config, anchor }] of Object.entries(MODELS)) {
    it(`${kind}: one file gives Unfold's logits at batch 2 and 5`, async () => {
      const task = smallTask();
      const model = buildModel(ModelConfig.parse({ ...config, fixedPoint: { tol: TOL, maxIterations: 500, anchor } }), task);
      expect(model.fixedPoint).toBeDefined();
      const params = initParams(model.specs, { seed: 3, dtype: "float64" });
      const path = join(mkdtempSync(join(tmpdir(), "unfold-fp-export-")), "model.onnx");
      await exportTrainedModel(path, model, task, params);
      const session = await ort.InferenceSession.create(readFileSync(path));
      try {
        for (const count of [2, 5]) {
          const batch = task.batch("test", Int32Array.from({ length: count }, (_, i) => i % task.testCount));
          const out = await session.run({ [INPUT]: new ort.Tensor("float32", Float32Array.from(batch.inputs), inputShape(task, count)) });
          const got = Float64Array.from(out[LOGITS]!.data as Float32Array);
          const want = await inFrameworkLogits(model, task, params, Float64Array.from(batch.inputs), count);
          const iterations = Number((out[FIXED_POINT_OUTPUTS.iterations]!.data as BigInt64Array)[0]);
          const error = relativeError(got, want);
          console.log(`${kind}, batch ${count}: ${iterations} iterations, logits ${error.toExponential(1)} from Unfold's float64`);
          expect((out[FIXED_POINT_OUTPUTS.residual]!.data as Float32Array)[0]).toBeLessThanOrEqual(TOL);
          expect(error).toBeLessThan(1e-5);
        }
      } finally {
        await session.release();
      }
    });
  }
});
