// What the training view offers for download: the checkpoint (safetensors), the model as ONNX in
// the form `pnpm train predict` reads (its model card in the metadata), the model's SHA-256 in
// sha256sum's format (predict checks it when it stands beside the model) and a few test digits in
// predict's JSONL input format.
import { type HostTensor, hostTensor } from "@unfold/core";
import { type TaskData, type TrainerModel, encodeSafetensors, logitsProgram } from "@unfold/training";
import { pageUnfoldVersion } from "./unfold-version.js";

/**
 * The metadata key under which the trainer stores its model card; predict refuses a model
 * without it. It must stay equal to apps/trainer's MODEL_CARD_KEY (the browser test runs
 * predict on a downloaded model).
 */
export const MODEL_CARD_KEY = "unfold.trainer";

/** The downloads' file names. */
export const DOWNLOAD_NAMES = { checkpoint: "model.safetensors", onnx: "model.onnx", checksum: "model.onnx.sha256", sample: "predict-sample.jsonl" } as const;

/** The trained parameters as safetensors bytes, with the config and step count in the metadata. */
export function checkpointBytes(params: Readonly<Record<string, HostTensor>>, metadata: Readonly<Record<string, string>>): Uint8Array {
  return encodeSafetensors(Object.fromEntries(Object.entries(params).map(([name, t]) => [name, { data: t.data as Float32Array | Float64Array, shape: t.shape }])), { ...metadata });
}

/**
 * The trained model as ONNX (inputs -> logits, float32, parameters baked in, the batch axis
 * symbolic, `unfold.version` the Unfold version the page was built from), as the trainer exports
 * it. onnxruntime's package is loaded only when asked for.
 */
export async function onnxBytes(model: TrainerModel, task: TaskData, params: Readonly<Record<string, HostTensor>>): Promise<Uint8Array> {
  const { exportOnnx } = await import("@unfold/backend-onnx");
  const float32 = Object.fromEntries(Object.entries(params).map(([n, t]) => [n, hostTensor(t.data, t.shape, "float32")]));
  const card = { model: model.kind, task: task.name, input: task.input, target: task.target, ...(task.labels ? { labels: task.labels } : {}) };
  return exportOnnx(logitsProgram(model, task, 1, "float32"), {
    params: float32,
    batchDim: "batch",
    metadata: { steps: model.layers, unfoldVersion: pageUnfoldVersion(), extra: { [MODEL_CARD_KEY]: JSON.stringify(card) } },
    graphName: `unfold_${model.kind.replace(/-/g, "_")}`,
  });
}

/** `<hex>  <fileName>\n`, the line `sha256sum` writes and `sha256sum -c` (and predict) read. */
export async function sha256Line(bytes: Uint8Array, fileName: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return `${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}  ${fileName}\n`;
}

/** The first `count` test examples as predict's input lines: {"input": [...], "label": n}. */
export function predictSample(task: TaskData, count: number): string {
  const n = Math.min(count, task.testCount);
  const batch = task.batch("test", Int32Array.from({ length: n }, (_, i) => i));
  const width = batch.inputs.length / n;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ input: Array.from(batch.inputs.subarray(i * width, (i + 1) * width)), label: batch.targets[i]! }));
  return `${lines.join("\n")}\n`;
}
