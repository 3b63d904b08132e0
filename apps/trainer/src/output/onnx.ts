import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { exportOnnx } from "@unfold/backend-onnx";
import { unfoldVersion } from "@unfold/backend-onnx/node";
import { type HostTensor, hostTensor } from "@unfold/core";
import { checksumPathFor, makeDirectory, writeChecksum, writeFileAtomic } from "@unfold/files";
import { type TaskData, type TrainerModel, logitsProgram } from "@unfold/training";

/** What predict needs to know about a model file besides its graph (stored as metadata). */
export interface ModelCard {
  readonly model: string;
  readonly task: string;
  readonly input: TaskData["input"];
  readonly target: TaskData["target"];
  readonly labels?: readonly string[];
}

export const MODEL_CARD_KEY = "unfold.trainer";

/**
 * Writes the trained model (inputs -> logits, float32, parameters baked in as initializers, the
 * batch axis symbolic) to `path` atomically, and its SHA-256 beside it (`model.onnx.sha256`, in
 * sha256sum's format), which predict checks before trusting the file. The metadata names the
 * model, the layer count, the Unfold version and the input/target layout predict checks inputs
 * against. `label` names what chose the directory in errors (the trainer's `--out`).
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
  const card: ModelCard = { model: model.kind, task: task.name, input: task.input, target: task.target, ...(task.labels ? { labels: task.labels } : {}) };
  const bytes = exportOnnx(logitsProgram(model, task, 1, "float32"), {
    params: float32,
    batchDim: "batch",
    metadata: { steps: model.layers, unfoldVersion: unfoldVersion(), extra: { [MODEL_CARD_KEY]: JSON.stringify(card) } },
    graphName: `unfold_${model.kind.replace(/-/g, "_")}`,
  });
  // The old checksum goes first: a crash between the two writes then leaves a model with no
  // checksum (unverified), never a new model beside the old model's checksum (a false alarm).
  await rm(checksumPathFor(path), { force: true });
  await writeFileAtomic(path, bytes);
  await writeChecksum(path, bytes);
  return path;
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
