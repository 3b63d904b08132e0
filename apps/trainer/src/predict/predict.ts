import { FIXED_POINT_OUTPUTS } from "@unfold/backend-onnx";
import type { ModelCard } from "../output/onnx.js";
import { type PredictExample, readPredictInputs } from "./inputs.js";
import { notOnnx, readModelFile } from "./model-file.js";

export interface Prediction {
  readonly line: number;
  /** The arg-max class (class targets) or one per position (token targets). */
  readonly predicted: number | number[];
  readonly label?: number | readonly number[];
  readonly logits: Float32Array;
}

export interface PredictResult {
  readonly card: ModelCard;
  readonly predictions: readonly Prediction[];
  /** Over labelled examples (positions labelled -1 excluded); null when the file has no labels. */
  readonly accuracy: number | null;
  /** Fixed-point models only: how the model's Loop went on each batch it ran. */
  readonly fixedPoint?: readonly FixedPointBatch[];
}

/** One batch of a fixed-point model's predictions: the Loop's count and residual, by the input file's lines. */
export interface FixedPointBatch {
  readonly firstLine: number;
  readonly lastLine: number;
  readonly iterations: number;
  readonly residual: number;
  /** residual <= the model's tolerance (in float32, as the model compares). */
  readonly converged: boolean;
}

const argmax = (row: Float32Array): number => row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);

/**
 * Runs an exported model through onnxruntime-web (wasm) on a JSONL file of inputs. The model is
 * checked first (see readModelFile: its checksum file when present, a decodable graph, the
 * trainer's model card); errors name the file and, for a file that is not, the flag
 * (`--onnx`, `--input`).
 */
export async function predict(onnxPath: string, inputPath: string, options: { batch?: number } = {}): Promise<PredictResult> {
  const { bytes, card } = readModelFile(onnxPath, "--onnx");
  const examples = readPredictInputs(inputPath, card);
  const ort = await import("onnxruntime-web");
  ort.env.logLevel = "error";
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  } catch (error) {
    throw notOnnx("--onnx", onnxPath, error);
  }
  try {
    const inputName = session.inputNames[0]!;
    const outputName = session.outputNames[0]!;
    const classes = card.target.classes;
    const perExample = card.target.kind === "class" ? 1 : card.input.tokens;
    const batch = options.batch ?? 256;
    const predictions: Prediction[] = [];
    const fixedPoint: FixedPointBatch[] = [];
    for (let start = 0; start < examples.length; start += batch) {
      const chunk = examples.slice(start, start + batch);
      const width = chunk[0]!.input.length;
      const data = new Float32Array(chunk.length * width);
      chunk.forEach((e, i) => data.set(e.input, i * width));
      const dims = card.input.kind === "features" ? [chunk.length, card.input.tokens, card.input.features] : [chunk.length, card.input.tokens];
      const out = await session.run({ [inputName]: new ort.Tensor("float32", data, dims) });
      const logits = out[outputName]!.data as Float32Array;
      if (card.fixedPoint) fixedPoint.push(loopFigures(out, card.fixedPoint.tol, chunk));
      chunk.forEach((e: PredictExample, i) => {
        const rows = Array.from({ length: perExample }, (_, r) => logits.slice((i * perExample + r) * classes, (i * perExample + r + 1) * classes));
        const predicted = perExample === 1 ? argmax(rows[0]!) : rows.map(argmax);
        predictions.push({ line: e.line, predicted, ...(e.label !== undefined ? { label: e.label } : {}), logits: logits.slice(i * perExample * classes, (i + 1) * perExample * classes) });
      });
    }
    return { card, predictions, accuracy: accuracyOf(predictions), ...(card.fixedPoint ? { fixedPoint } : {}) };
  } finally {
    await session.release();
  }
}

/** The Loop's outputs for one batch (a fixed-point model's `iterations` and `residual`). */
function loopFigures(out: Record<string, { data: unknown }>, tol: number, chunk: readonly PredictExample[]): FixedPointBatch {
  const iterations = Number((out[FIXED_POINT_OUTPUTS.iterations]!.data as BigInt64Array)[0]);
  const residual = (out[FIXED_POINT_OUTPUTS.residual]!.data as Float32Array)[0]!;
  return { firstLine: chunk[0]!.line, lastLine: chunk.at(-1)!.line, iterations, residual, converged: residual <= Math.fround(tol) };
}

function accuracyOf(predictions: readonly Prediction[]): number | null {
  let correct = 0;
  let labelled = 0;
  for (const p of predictions) {
    if (p.label === undefined) continue;
    const labels = typeof p.label === "number" ? [p.label] : p.label;
    const predicted = typeof p.predicted === "number" ? [p.predicted] : p.predicted;
    labels.forEach((l, i) => {
      if (l < 0) return;
      labelled++;
      if (predicted[i] === l) correct++;
    });
  }
  return labelled ? correct / labelled : null;
}
