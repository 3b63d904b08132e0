import { mkdir, writeFile, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { saveOnnx, unfoldVersion } from "@unfold/backend-onnx/node";
import { type HostTensor, hostTensor } from "@unfold/core";
import type { TaskData } from "../data/task.js";
import type { TrainerModel } from "../model/model.js";
import { logitsProgram } from "../train/programs.js";

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
 * batch axis symbolic) to `path` atomically. The metadata names the model, the layer count, the
 * Unfold version and the input/target layout predict checks inputs against.
 */
export async function exportTrainedModel(path: string, model: TrainerModel, task: TaskData, params: Readonly<Record<string, HostTensor>>): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const float32 = Object.fromEntries(Object.entries(params).map(([n, t]) => [n, hostTensor(t.data, t.shape, "float32")]));
  const card: ModelCard = { model: model.kind, task: task.name, input: task.input, target: task.target, ...(task.labels ? { labels: task.labels } : {}) };
  await saveOnnx(path, logitsProgram(model, task, 1, "float32"), {
    params: float32,
    batchDim: "batch",
    metadata: { steps: model.layers, unfoldVersion: unfoldVersion(), extra: { [MODEL_CARD_KEY]: JSON.stringify(card) } },
    graphName: `unfold_${model.kind.replace(/-/g, "_")}`,
  });
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
  const temp = join(dirname(path), `.${process.pid}.predict-sample.tmp`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(temp, `${lines.join("\n")}\n`);
  await rename(temp, path);
  return path;
}
