import { readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { FIXED_POINT_OUTPUTS, type FixedPointModelParts, exportFixedPointModel, exportOnnx } from "@unfold/backend-onnx";
import { unfoldVersion } from "@unfold/backend-onnx/node";
import { type HostTensor, hostTensor } from "@unfold/core";
import { checksumPathFor, makeDirectory, writeChecksum, writeFileAtomic } from "@unfold/files";
import { FIXED_POINT_STATE, type FixedPointModel, INPUT, type TaskData, type TrainerModel, fixedPointLogitsProgram, inputShape, logitsProgram, mapParamsProgram } from "@unfold/training";

/** What predict needs to know about a model file besides its graph (stored as metadata). */
export interface ModelCard {
  readonly model: string;
  readonly task: string;
  readonly input: TaskData["input"];
  readonly target: TaskData["target"];
  readonly labels?: readonly string[];
  /** Fixed-point models only: the exported loop's stopping rule and how the model was trained (model.fixedPoint). */
  readonly fixedPoint?: FixedPointCard;
}

/** A fixed-point model's settings as its model card records them. */
export interface FixedPointCard {
  /** The exported Loop's tolerance on the relative residual (model.fixedPoint.tol, else float32's default 1e-4). */
  readonly tol: number;
  readonly maxIterations: number;
  /** The forward solver used in training; the exported Loop iterates plainly whatever it was. */
  readonly trainingSolver: string;
  readonly backward: string;
}

/**
 * The tolerance of the exported Loop: the config's, else the float32 default of Unfold's forward
 * solvers (the export is float32 whatever the training dtype, and float64's default 1e-6 may lie
 * below what a float32 iteration can reach).
 */
export const FLOAT32_DEFAULT_TOL = 1e-4;

export const MODEL_CARD_KEY = "unfold.trainer";

/**
 * Writes the trained model (inputs -> logits, float32, parameters baked in as initializers, the
 * batch axis symbolic) to `path` atomically, and its SHA-256 beside it (`model.onnx.sha256`, in
 * sha256sum's format), which predict checks before trusting the file. An unrolled model is its
 * logits program; a fixed-point model (model.fixedPoint) is its map parameters, one ONNX Loop of
 * its layer map to the tolerance, and its head (exportFixedPointModel). The metadata names the
 * model, the layer count (unrolled) or the loop's settings (fixed point), the Unfold version and
 * the input/target layout predict checks inputs against. `label` names what chose the directory in errors (the trainer's `--out`).
 */
export async function exportTrainedModel(
  path: string,
  model: TrainerModel,
  task: TaskData,
  params: Readonly<Record<string, HostTensor>>,
  options: { readonly label?: string } = {},
): Promise<string> {
  makeDirectory(dirname(path), options.label ?? "--out");
  const float32 = Object.fromEntries(Object.entries(params).map(([n, t]) => [n, hostTensor(t.data, t.shape, "float32")]));
  const fixedPoint = model.fixedPoint;
  const settings = fixedPoint ? fixedPointCard(fixedPoint) : undefined;
  const card: ModelCard = {
    model: model.kind,
    task: task.name,
    input: task.input,
    target: task.target,
    ...(task.labels ? { labels: task.labels } : {}),
    ...(settings ? { fixedPoint: settings } : {}),
  };
  const extra = { [MODEL_CARD_KEY]: JSON.stringify(card) };
  const graphName = `unfold_${model.kind.replace(/-/g, "_")}${fixedPoint ? "_fixed_point" : ""}`;
  const bytes =
    fixedPoint && settings
      ? exportFixedPointModel(fixedPointParts(model, fixedPoint, task), {
          start: fixedPoint.start,
          stateFeed: FIXED_POINT_STATE,
          tol: settings.tol,
          maxIterations: settings.maxIterations,
          params: float32,
          batchDim: "batch",
          metadata: { unfoldVersion: unfoldVersion(), extra },
          graphName,
        })
      : exportOnnx(logitsProgram(model, task, 1, "float32"), {
          params: float32,
          batchDim: "batch",
          metadata: { steps: model.layers, unfoldVersion: unfoldVersion(), extra },
          graphName,
        });
  // The old checksum goes first: a crash between the two writes then leaves a model with no
  // checksum (unverified), never a new model beside the old model's checksum (a false alarm).
  await rm(checksumPathFor(path), { force: true });
  await writeFileAtomic(path, bytes);
  await writeChecksum(path, bytes);
  return path;
}

/**
 * The batch size a fixed-point model's parts are traced at before the export makes the axis
 * symbolic. Not 1: a map's gradient may meet batched values with a value broadcast along the
 * batch (a zero padding, say), which the export takes to the runtime batch size only when it can
 * see the broadcast, and at size 1 there is none to see.
 */
export const FIXED_POINT_TRACE_BATCH = 2;

/**
 * A fixed-point model's three parts, traced in float32 at FIXED_POINT_TRACE_BATCH (the export makes
 * the batch axis symbolic): inputs, params -> the map's parameters (mapParamsProgram; the anchor is
 * the start), the layer map, and Y*, params -> logits (fixedPointLogitsProgram).
 */
function fixedPointParts(model: TrainerModel, fixedPoint: FixedPointModel, task: TaskData): FixedPointModelParts {
  const batch = FIXED_POINT_TRACE_BATCH;
  return {
    prologue: mapParamsProgram(fixedPoint, model.specs, task, batch, "float32"),
    map: fixedPoint.map(batch),
    epilogue: fixedPointLogitsProgram(fixedPoint, model.specs, batch, "float32"),
  };
}

/** What the model card records about a fixed-point model: the Loop's tolerance and limit, and how it was trained. */
export function fixedPointCard(fixedPoint: FixedPointModel): FixedPointCard {
  const { config } = fixedPoint;
  return { tol: config.tol ?? FLOAT32_DEFAULT_TOL, maxIterations: config.maxIterations, trainingSolver: config.solver, backward: config.backward };
}

/** How an exported fixed-point model's Loop went on a batch of test examples. */
export interface FixedPointExportCheck {
  readonly examples: number;
  /** Applications of the layer map (the Loop's `iterations`). */
  readonly iterations: number;
  /** The batch's last relative residual (the Loop's `residual`). */
  readonly residual: number;
  readonly tol: number;
  readonly maxIterations: number;
  /** residual <= tol: the Loop stopped on the tolerance, not on maxIterations. */
  readonly converged: boolean;
}

/**
 * Runs the exported fixed-point model at `path` on the first `count` test examples in a fresh
 * onnxruntime-web session and reports whether its Loop converged. The Loop iterates plainly where
 * training may have used Anderson acceleration, so a map that Anderson solves can still be one
 * that plain iteration does not: the trainer says so rather than leave a model that stops on
 * maxIterations unremarked.
 */
export async function checkFixedPointExport(path: string, task: TaskData, settings: FixedPointCard, count: number): Promise<FixedPointExportCheck> {
  const examples = Math.min(count, task.testCount);
  const batch = task.batch("test", Int32Array.from({ length: examples }, (_, i) => i));
  const ort = await import("onnxruntime-web");
  ort.env.logLevel = "error";
  const session = await ort.InferenceSession.create(await readFile(path), { executionProviders: ["wasm"] });
  try {
    const out = await session.run({ [INPUT]: new ort.Tensor("float32", Float32Array.from(batch.inputs), inputShape(task, examples)) });
    const iterations = Number((out[FIXED_POINT_OUTPUTS.iterations]!.data as BigInt64Array)[0]);
    const residual = (out[FIXED_POINT_OUTPUTS.residual]!.data as Float32Array)[0]!;
    // The model compares in float32: the tolerance as it rounds there.
    return { examples, iterations, residual, tol: settings.tol, maxIterations: settings.maxIterations, converged: residual <= Math.fround(settings.tol) };
  } finally {
    await session.release();
  }
}

/** The trainer's line about an exported fixed-point model's Loop on the test examples. */
export function describeFixedPointExport(check: FixedPointExportCheck, trainingSolver: string): string {
  const where = `on ${check.examples} test example${check.examples === 1 ? "" : "s"}`;
  if (check.converged) return `ONNX export: the Loop converged ${where} in ${check.iterations} iterations (residual ${check.residual.toExponential(2)} <= tol ${check.tol})`;
  const solver = trainingSolver === "iteration" ? "" : ` (it iterates plainly; training used ${trainingSolver})`;
  return (
    `warning: ONNX export: the exported Loop did not converge ${where}${solver}: residual ${check.residual.toExponential(2)} > tol ${check.tol} ` +
    `after ${check.iterations} iterations (model.fixedPoint.maxIterations ${check.maxIterations}); its outputs are those of the last iterate. ` +
    "Raise model.fixedPoint.maxIterations or tol, or a larger model.fixedPoint.anchor makes the map contract faster"
  );
}

/**
 * A few test examples in predict's input format ({"input": ..., "label": ...} per line), so
 * `pnpm train predict --onnx model.onnx --input predict-sample.jsonl` works straight away.
 */
export async function writePredictSample(path: string, task: TaskData, count: number): Promise<string> {
  const n = Math.min(count, task.testCount);
  const batch = task.batch("test", Int32Array.from({ length: n }, (_, i) => i));
  const perInput = batch.inputs.length / n;
  const perTarget = batch.targets.length / n;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const input = Array.from(batch.inputs.subarray(i * perInput, (i + 1) * perInput));
    const label = perTarget === 1 ? batch.targets[i]! : Array.from(batch.targets.subarray(i * perTarget, (i + 1) * perTarget));
    lines.push(JSON.stringify({ input, label }));
  }
  makeDirectory(dirname(path), "--out");
  await writeFileAtomic(path, `${lines.join("\n")}\n`);
  return path;
}
