import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXED_POINT_METADATA, FIXED_POINT_OUTPUTS, inspectOnnx } from "@unfold/backend-onnx";
import { type HostTensor, ReferenceBackend, hostTensor, interpret, relativeError, solveFixedPoint } from "@unfold/core";
import { FIXED_POINT_STATE, INPUT, LOGITS, type TaskData, type TrainerModel, fixedPointLogitsProgram, inputShape, mapParamsProgram } from "@unfold/training";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { type ModelCard, RUN_FILES, predict, predictCommand, trainCommand } from "../src/index.js";
import { captureIO, finished, quiet, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

// `unfold train --depth implicit` exports the fixed-point model as inputs -> map parameters -> one
// ONNX Loop of the layer map to the tolerance -> logits, with the batch axis symbolic, and
// `unfold train predict` runs it: its predictions are the trainer's own, and its logits Unfold's
// (prologue, plain iteration to the same tolerance, head) in float64 on the same inputs.

const TOL = 1e-5;
const MAX_ITERATIONS = 300;

/** The tiny run's config, tied, without a layer count, exporting. */
function fixedPointJson(fixedPoint: Record<string, unknown>): Record<string, unknown> {
  const base = tinyConfigJson();
  const { layers: _layers, ...model } = base["model"] as Record<string, unknown>;
  return { ...base, model: { ...model, tied: true, fixedPoint }, onnx: true };
}

/** The model's logits on the first `count` test examples, in float64 on the ReferenceBackend: prologue, plain iteration to `tol`, head. */
async function inFrameworkLogits(model: TrainerModel, task: TaskData, params: Record<string, HostTensor>, count: number, tol: number): Promise<Float64Array> {
  const fixedPoint = model.fixedPoint!;
  const batch = task.batch("test", Int32Array.from({ length: count }, (_, i) => i));
  const feeds = new Map<string, Float64Array>(Object.entries(params).map(([name, t]) => [name, Float64Array.from(t.data)]));
  feeds.set(INPUT, Float64Array.from(batch.inputs));
  const prologue = mapParamsProgram(fixedPoint, model.specs, task, count, "float64");
  const theta = interpret(prologue, feeds);
  const mapParams = Object.fromEntries(prologue.outputs.map((o) => [o.name, hostTensor(theta.get(o.name)!, prologue.nodes[o.id]!.shape, "float64")]));
  const solved = await solveFixedPoint(fixedPoint.map(count), new ReferenceBackend(), { state: mapParams[fixedPoint.start]!, params: mapParams, solver: "iteration", tol, maxIterations: fixedPoint.config.maxIterations });
  expect(solved.converged).toBe(true);
  feeds.set(FIXED_POINT_STATE, Float64Array.from(solved.state.data));
  return interpret(fixedPointLogitsProgram(fixedPoint, model.specs, count, "float64"), feeds).get(LOGITS)!;
}

describe("the trainer's ONNX export of a fixed-point model", () => {
  it("writes model.onnx (one Loop, symbolic batch) that predict runs to the trainer's predictions and Unfold's logits", async () => {
    const out = join(tempDir(), "run");
    const config = writeConfigFile(tempDir(), fixedPointJson({ tol: TOL, maxIterations: MAX_ITERATIONS }));
    const io = captureIO();
    const run = finished(await trainCommand(["--config", config, "--depth", "implicit", "--backend", "reference", "--dtype", "float64", "--out", out], io, { progressStream: quiet }));
    const modelPath = join(out, RUN_FILES.model);
    for (const path of [modelPath, `${modelPath}.sha256`, join(out, RUN_FILES.predictSample)]) expect(existsSync(path), path).toBe(true);
    expect(io.lines.some((l) => l.includes("model.onnx"))).toBe(true);

    const summary = inspectOnnx(readFileSync(modelPath));
    expect(summary.inputs).toEqual([{ name: INPUT, dtype: "float32", shape: ["batch", ...inputShape(run.task, 1).slice(1)] }]);
    expect(summary.outputs[0]).toEqual({ name: LOGITS, dtype: "float32", shape: ["batch", 10] });
    expect(summary.metadata[FIXED_POINT_METADATA.kind]).toBe("loop");
    expect(summary.metadata[FIXED_POINT_METADATA.tol]).toBe(String(TOL));
    expect(summary.metadata[FIXED_POINT_METADATA.maxIterations]).toBe(String(MAX_ITERATIONS));
    expect(summary.metadata["unfold.steps"]).toBeUndefined();
    const card = JSON.parse(summary.metadata["unfold.trainer"]!) as ModelCard;
    expect(card.fixedPoint).toEqual({ tol: TOL, maxIterations: MAX_ITERATIONS, trainingSolver: "anderson", backward: "implicit" });

    // predict's batches of 256 (all 16 at once) and of 5 (5, 5, 5, 1): one file, any batch size.
    const whole = await predict(modelPath, join(out, RUN_FILES.predictSample));
    const fives = await predict(modelPath, join(out, RUN_FILES.predictSample), { batch: 5 });
    expect(whole.predictions).toHaveLength(16);
    const trainer = Array.from(run.test.predictions.slice(0, 16));
    expect(whole.predictions.map((p) => p.predicted)).toEqual(trainer);
    expect(fives.predictions.map((p) => p.predicted)).toEqual(trainer);

    const want = await inFrameworkLogits(run.model, run.task, run.params, 16, TOL);
    const got = Float64Array.from(whole.predictions.flatMap((p) => Array.from(p.logits)));
    const inFives = Float64Array.from(fives.predictions.flatMap((p) => Array.from(p.logits)));
    // The loop stops within about tol / (1 - rho) of the fixed point (the batch's residual, so
    // each batch size stops at its own distance), and float32 adds its rounding.
    expect(relativeError(got, want)).toBeLessThan(1e-5);
    expect(relativeError(inFives, want)).toBeLessThan(1e-5);
    console.log(`fixed-point export: logits ${relativeError(got, want).toExponential(1)} (batch 16) and ${relativeError(inFives, want).toExponential(1)} (batches of 5) from Unfold's float64`);

    // The loop converged on the sample: its residual is at most tol, in fewer than maxIterations.
    const bytes = readFileSync(modelPath);
    const session = await ort.InferenceSession.create(bytes);
    try {
      const inputs = run.task.batch("test", Int32Array.from({ length: 16 }, (_, i) => i)).inputs;
      const outs = await session.run({ [INPUT]: new ort.Tensor("float32", Float32Array.from(inputs), inputShape(run.task, 16)) });
      const iterations = Number((outs[FIXED_POINT_OUTPUTS.iterations]!.data as BigInt64Array)[0]);
      const residual = (outs[FIXED_POINT_OUTPUTS.residual]!.data as Float32Array)[0]!;
      expect(residual).toBeLessThanOrEqual(TOL);
      expect(iterations).toBeLessThan(MAX_ITERATIONS);
      console.log(`fixed-point export: model.onnx ${bytes.length} bytes; 16 test examples converged in ${iterations} iterations (residual ${residual.toExponential(2)})`);
      // predict reports the Loop per batch it ran, by the sample file's lines.
      expect(whole.fixedPoint).toEqual([{ firstLine: 1, lastLine: 16, iterations, residual, converged: true }]);
      expect(fives.fixedPoint!.map((b) => [b.firstLine, b.lastLine, b.converged])).toEqual([
        [1, 5, true],
        [6, 10, true],
        [11, 15, true],
        [16, 16, true],
      ]);
      // The trainer ran the same check and said so.
      expect(io.progressed).toContain(`ONNX export: the Loop converged on 16 test examples in ${iterations} iterations (residual ${residual.toExponential(2)} <= tol ${TOL})`);
    } finally {
      await session.release();
    }

    // The command prints the trainer's classes for the sample lines.
    const command = captureIO();
    await predictCommand(["--onnx", modelPath, "--input", join(out, RUN_FILES.predictSample)], command);
    expect(command.lines.filter((l) => l.startsWith("line "))).toHaveLength(16);
  }, 180_000);

  it("warns when the exported Loop stops on maxIterations rather than the tolerance, naming the settings", async () => {
    const out = join(tempDir(), "run");
    const config = writeConfigFile(tempDir(), fixedPointJson({ tol: 1e-9, maxIterations: 3 }));
    const io = captureIO();
    finished(await trainCommand(["--config", config, "--depth", "implicit", "--backend", "reference", "--dtype", "float64", "--out", out], io, { progressStream: quiet }));
    expect(existsSync(join(out, RUN_FILES.model))).toBe(true);
    const warning = io.progressed.find((l) => l.startsWith("warning: ONNX export"));
    const result = await predict(join(out, RUN_FILES.model), join(out, RUN_FILES.predictSample));
    expect(result.fixedPoint).toHaveLength(1);
    expect(result.fixedPoint![0]).toMatchObject({ iterations: 3, converged: false });
    expect(result.fixedPoint![0]!.residual).toBeGreaterThan(1e-9);
    // The predict command says so for the lines it concerns, and its --json line carries the figures.
    const command = captureIO();
    await predictCommand(["--onnx", join(out, RUN_FILES.model), "--input", join(out, RUN_FILES.predictSample), "--json"], command);
    expect(command.progressed).toEqual([expect.stringMatching(/^warning: lines 1-16: the model's fixed-point Loop stopped after 3 iterations at residual \d\.\d\de-\d+, above its tolerance 1e-9; these predictions come from the last iterate$/)]);
    expect(JSON.parse(command.lines.at(-1)!).fixedPoint).toEqual(result.fixedPoint);
    expect(warning).toMatch(
      /^warning: ONNX export: the exported Loop did not converge on 16 test examples \(it iterates plainly; training used anderson\): residual \d\.\d\de-\d+ > tol 1e-9 after 3 iterations \(model\.fixedPoint\.maxIterations 3\); its outputs are those of the last iterate\. Raise model\.fixedPoint\.maxIterations or tol/,
    );
  }, 180_000);

  it("exports a float32 run with the float32 default tolerance (model.fixedPoint.tol unset), predicting as the trainer does", async () => {
    const out = join(tempDir(), "run");
    const config = writeConfigFile(tempDir(), fixedPointJson({}));
    const run = finished(await trainCommand(["--config", config, "--depth", "implicit", "--backend", "reference", "--dtype", "float32", "--out", out], captureIO(), { progressStream: quiet }));
    const modelPath = join(out, RUN_FILES.model);
    const summary = inspectOnnx(readFileSync(modelPath));
    expect(summary.metadata[FIXED_POINT_METADATA.tol]).toBe("0.0001");
    expect(summary.metadata[FIXED_POINT_METADATA.maxIterations]).toBe("200");
    const result = await predict(modelPath, join(out, RUN_FILES.predictSample));
    expect(result.predictions.map((p) => p.predicted)).toEqual(Array.from(run.test.predictions.slice(0, 16)));
    const want = await inFrameworkLogits(run.model, run.task, run.params, 16, 1e-4);
    const error = relativeError(Float64Array.from(result.predictions.flatMap((p) => Array.from(p.logits))), want);
    expect(error).toBeLessThan(1e-3);
    console.log(`fixed-point export (float32 run, tol 1e-4): logits ${error.toExponential(1)} from Unfold's float64`);
  }, 180_000);
});
