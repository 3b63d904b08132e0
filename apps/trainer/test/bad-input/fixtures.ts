import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportOnnx } from "@unfold/backend-onnx";
import { Graph } from "@unfold/core";
import { writeChecksum } from "@unfold/files";
import { initParams } from "@unfold/nn";
import { ModelConfig, buildModel, exportTrainedModel, fileTask, predictCommand, trainCommand } from "../../src/index.js";

/** Files the bad-input cases read, all under one temp directory. */
export const root = mkdtempSync(join(tmpdir(), "unfold-trainer-bad-"));
let counter = 0;

/** Writes `contents` to a fresh file whose name ends with `name`; returns its path. */
export function file(name: string, contents: string | Uint8Array): string {
  const path = join(root, `${counter++}-${name}`);
  writeFileSync(path, contents);
  return path;
}

/** A fresh empty directory. */
export function directory(name: string): string {
  const path = join(root, `${counter++}-${name}`);
  mkdirSync(path);
  return path;
}

/** A path under the temp directory where nothing exists. */
export const nowhere = (name: string): string => join(root, `missing-${counter++}`, name);

/** JSON Lines from records (strings are written as they are: for broken lines). */
export const jsonl = (...records: unknown[]): string => records.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n";

/** `n` good JSONL examples of two features, labels cycling through `classes`. */
export const rows = (n: number, classes = 2): Record<string, unknown>[] => Array.from({ length: n }, (_, k) => ({ input: [k, 1], label: k % classes }));

/** CSV text from a header and rows. */
export const csv = (header: string, ...lines: string[]): string => [header, ...lines].join("\n") + "\n";

/** `n` good CSV rows of two feature columns. */
export const csvRows = (n: number, classes = 2): string[] => Array.from({ length: n }, (_, k) => `${k % classes},${k},1`);

const quiet = { write: () => true, isTTY: false };
const silentIO = { out: () => undefined, progress: () => undefined };

/** Flags that keep a run on a user's file tiny. */
const TINY_FILE_RUN = [["--batch-size", "2"], ["--epochs", "1"], ["--warmup-steps", "0"], ["--dim", "4"], ["--layers", "1"], ["--energy-inputs", "1"]] as const;
/** Flags that keep a run on a built-in task tiny. */
const TINY_BUILT_IN_RUN = [["--train-examples", "100"], ["--test-examples", "20"], ["--batch-size", "10"], ["--epochs", "1"], ["--warmup-steps", "0"], ["--dim", "4"], ["--layers", "1"]] as const;

/** Settings in a config file that keep a run tiny, so a wrongly accepted config finishes in seconds. */
export const TINY_TRAIN = { epochs: 1, warmupSteps: 0, batchSize: 2 } as const;

/**
 * `pnpm train ARGS`, in process. Flags that keep an accepted run tiny are added unless the case
 * sets them (or a config does), so an input that is wrongly accepted shows up as a finished run
 * in seconds, not as a long one that ends in the test's timeout.
 */
export function train(...args: string[]): Promise<unknown> {
  const has = (flag: string): boolean => args.includes(flag);
  const tiny = has("--data") ? TINY_FILE_RUN : has("--config") || has("--resume") ? [] : TINY_BUILT_IN_RUN;
  const extra: string[] = has("--out") ? [] : ["--out", directoryPath()];
  for (const [flag, value] of tiny) if (!has(flag)) extra.push(flag, value);
  return trainCommand([...args, ...extra], silentIO, { progressStream: quiet });
}

/** `pnpm train predict ARGS`, in process. */
export function predictWith(...args: string[]): Promise<unknown> {
  return predictCommand(args, silentIO);
}

/** `pnpm train --data FILE ...` with the settings that keep an accepted run tiny. */
export const trainOn = (data: string, ...args: string[]): Promise<unknown> => train("--data", data, ...args);

function directoryPath(): string {
  return join(root, `out-${counter++}`);
}

/** A file task's JSONL data the exported fixture model was built for: 3 tokens of 2 features, 3 classes. */
const MODEL_DATA = jsonl(...Array.from({ length: 12 }, (_, k) => ({ input: [[k, 1], [2, k], [0, 1]], label: k % 3 })));

let exported: Promise<{ onnx: string; bytes: Uint8Array }> | undefined;

/**
 * A model exported by the trainer (untrained: parameters at initialization, which is all the
 * predict cases need), with the checksum file the export writes beside it.
 */
export function exportedModel(): Promise<{ onnx: string; bytes: Uint8Array }> {
  exported ??= (async () => {
    const task = fileTask({ path: file("model-data.jsonl", MODEL_DATA) });
    const model = buildModel(ModelConfig.parse({ kind: "transformer", dim: 4, layers: 1, heads: 1, mlpDim: 4 }), task);
    const onnx = join(directory("model"), "model.onnx");
    await exportTrainedModel(onnx, model, task, initParams(model.specs, { seed: 1, dtype: "float32" }));
    return { onnx, bytes: new Uint8Array(readFileSync(onnx)) };
  })();
  return exported;
}

/** A copy of the exported model, changed by `change`, with the exported bytes' checksum beside it when `withChecksum`. */
export async function modelCopy(name: string, withChecksum: boolean, change?: (bytes: Uint8Array) => Uint8Array): Promise<string> {
  const { bytes } = await exportedModel();
  const path = join(directory(name), "model.onnx");
  writeFileSync(path, change ? change(Uint8Array.from(bytes)) : bytes);
  // The checksum of the model as exported, so a changed copy no longer matches it.
  if (withChecksum) await writeChecksum(path, bytes);
  return path;
}

/** A valid ONNX model that the trainer did not write (no model card in its metadata). */
export function foreignModel(): string {
  const graph = new Graph();
  const x = graph.leaf("input", "x", [2], "float32");
  return file("foreign.onnx", exportOnnx(graph.toProgram({ y: x })));
}

/** A good predict input line for the fixture model (3 tokens of 2 features). */
export const goodInput = { input: [[1, 2], [3, 4], [5, 6]] };
