import { inspectOnnx } from "@unfold/backend-onnx";
import { checksumPathFor, describeFsError, verifyChecksum } from "@unfold/files";
import { readInputFile } from "../data/input-file.js";
import { MODEL_CARD_KEY, type ModelCard } from "../output/onnx.js";

/** A model file predict cannot trust: the message names the flag and the file and says what is wrong. */
export class ModelFileError extends Error {
  override readonly name = "ModelFileError";
}

/** The words for a file the ONNX decoder or runtime could not load, with the decoder's own reason kept. */
export function notOnnx(label: string, path: string, reason: unknown): ModelFileError {
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new ModelFileError(`${label}: '${path}' is not a valid ONNX model: the file is truncated or corrupt (${detail})`);
}

/**
 * Reads a model file for predict and checks it as far as can be done before running it: not
 * empty, the same bytes the trainer wrote when a `.sha256` file stands beside it (a flipped bit
 * in a weight decodes and runs without complaint otherwise), a decodable ONNX graph, and the
 * trainer's model card in its metadata. `label` is the flag that named it (`--onnx`).
 */
export function readModelFile(path: string, label = "--onnx"): { bytes: Uint8Array; card: ModelCard } {
  const bytes = new Uint8Array(readInputFile(path, label, "an ONNX model file (model.onnx from unfold train)"));
  if (bytes.length === 0) throw new ModelFileError(`${label}: '${path}' is empty (0 bytes), not an ONNX model`);
  let checksum: ReturnType<typeof verifyChecksum>;
  try {
    checksum = verifyChecksum(path, bytes);
  } catch (error) {
    // A malformed checksum file's message names it already; a file-system error is only a code.
    const reason = (error as { code?: unknown }).code === undefined ? (error as Error).message : `${checksumPathFor(path)}: ${describeFsError(error)}`;
    throw new ModelFileError(`${label}: cannot check '${path}': ${reason}`);
  }
  if (checksum.status === "mismatch") {
    throw new ModelFileError(
      `${label}: '${path}' does not match ${checksumPathFor(path)} (its sha256 is ${checksum.actual.slice(0, 12)}..., the checksum file says ${checksum.expected.slice(0, 12)}...): ` +
        "the model was changed or damaged after it was written; export it again",
    );
  }
  return { bytes, card: modelCard(bytes, path, label) };
}

/** The model card the trainer stored in an exported model's metadata, checked for the fields predict uses. */
export function modelCard(bytes: Uint8Array, path: string, label = "--onnx"): ModelCard {
  let summary: ReturnType<typeof inspectOnnx>;
  try {
    summary = inspectOnnx(bytes);
  } catch (error) {
    throw notOnnx(label, path, error);
  }
  if (summary.inputs.length === 0 || summary.outputs.length === 0) throw notOnnx(label, path, "it decodes to no graph inputs or outputs");
  const raw = summary.metadata[MODEL_CARD_KEY];
  if (!raw) throw new ModelFileError(`${label}: '${path}' is not a model exported by the trainer (no '${MODEL_CARD_KEY}' metadata)`);
  let card: unknown;
  try {
    card = JSON.parse(raw);
  } catch (error) {
    throw new ModelFileError(`${label}: '${path}': its model card (metadata '${MODEL_CARD_KEY}') is not valid JSON (${(error as Error).message}): the file is corrupt`);
  }
  const problem = cardProblem(card);
  if (problem) throw new ModelFileError(`${label}: '${path}': its model card (metadata '${MODEL_CARD_KEY}') ${problem}: the file is corrupt or from another version`);
  return card as ModelCard;
}

const count = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 1;

/** What is wrong with a parsed model card, or undefined when predict can use it. */
function cardProblem(card: unknown): string | undefined {
  if (typeof card !== "object" || card === null) return "is not an object";
  const { input, target } = card as { input?: { kind?: unknown; tokens?: unknown; features?: unknown; vocab?: unknown }; target?: { kind?: unknown; classes?: unknown } };
  if (!input || !count(input.tokens) || !(input.kind === "features" ? count(input.features) : input.kind === "ids" && count(input.vocab))) return "has no valid input layout";
  if (!target || (target.kind !== "class" && target.kind !== "tokens") || !count(target.classes)) return "has no valid target layout";
  return undefined;
}
