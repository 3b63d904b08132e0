import { DataFileError, showValue } from "../data/file-error.js";
import { readInputFile } from "../data/input-file.js";
import { nonFiniteReason, parseJsonLine } from "../data/json-line.js";
import type { ModelCard } from "../output/onnx.js";

/** One example to predict: the model's input, flattened, and its label(s) when the file gives them. */
export interface PredictExample {
  readonly line: number;
  readonly input: Float64Array;
  readonly label?: number | readonly number[];
}

/** The numbers of a (nested) array, depth first; `fail` gets the complaint about the first bad element. */
function flatten(value: unknown, field: string, fail: (detail: string) => never): number[] {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(`field "${field}" ${nonFiniteReason(value)}`);
    return [value];
  }
  if (!Array.isArray(value)) return fail(`field "${field}" must be a number or an array of numbers, got ${showValue(value)}`);
  return value.flatMap((v, i) => flatten(v, `${field}[${i}]`, fail));
}

/**
 * Reads a JSONL file of {"input": [...], "label"?: ...} lines (the format the trainer's
 * predict-sample.jsonl and a user's JSONL data use). Each input must hold exactly the values the
 * model takes (tokens x features, or token ids), nested or flat, every one finite; a label must
 * be one the model can predict. An error names the file, the line and the field; a file that
 * cannot be read names `--input`.
 */
export function readPredictInputs(path: string, card: ModelCard): PredictExample[] {
  const text = readInputFile(path, "--input", "a JSONL file of inputs").toString("utf8").replace(/^\ufeff/, "");
  const expected = card.input.kind === "features" ? card.input.tokens * card.input.features : card.input.tokens;
  const shape = card.input.kind === "features" ? `${card.input.tokens} x ${card.input.features}` : `${card.input.tokens} token ids`;
  const examples: PredictExample[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    const fail = (detail: string): never => {
      throw new DataFileError(path, line, detail);
    };
    const parsed = parseJsonLine(raw.trim());
    if (!parsed.ok) return fail(parsed.reason);
    const record = parsed.value;
    if (typeof record !== "object" || record === null || Array.isArray(record)) return fail(`expected an object like {"input": [...]}, got ${showValue(record)}`);
    const { input, label } = record as { input?: unknown; label?: unknown };
    if (input === undefined) return fail(`field "input" is missing`);
    const values = flatten(input, "input", fail);
    if (values.length !== expected) fail(`field "input" has ${values.length} values; the model takes ${expected} (${shape})`);
    if (card.input.kind === "ids") {
      const vocab = card.input.vocab;
      const bad = values.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= vocab);
      if (bad >= 0) fail(`field "input" holds ${values[bad]} at position ${bad}, not a token id in [0, ${vocab - 1}]`);
    }
    examples.push({ line, input: Float64Array.from(values), ...(label !== undefined ? { label: parseLabel(label, card, fail) } : {}) });
  });
  if (examples.length === 0) throw new DataFileError(path, undefined, `no examples (expected one JSON object per line)`);
  return examples;
}

/** A label the model can be scored on: one class, or one per token (-1 = not scored), each below the model's class count. */
function parseLabel(label: unknown, card: ModelCard, fail: (detail: string) => never): number | number[] {
  const classes = card.target.classes;
  const check = (v: unknown, field: string, allowIgnore: boolean): number => {
    const lo = allowIgnore ? -1 : 0;
    if (typeof v === "number" && !Number.isFinite(v)) fail(`field "${field}" ${nonFiniteReason(v)}`);
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v >= classes) {
      fail(`field "${field}" must be an integer in [0, ${classes - 1}]${allowIgnore ? " (or -1 for no score)" : ""}, the model's classes, got ${showValue(v)}`);
    }
    return v as number;
  };
  if (card.target.kind === "class") {
    if (Array.isArray(label)) fail(`field "label" must be one integer (the model predicts one class per example), got an array`);
    return check(label, "label", false);
  }
  const tokens = card.input.tokens;
  if (!Array.isArray(label) || label.length !== tokens) fail(`field "label" must be an array of ${tokens} integers (the model predicts one class per token), got ${showValue(label)}`);
  return (label as unknown[]).map((v, t) => check(v, `label[${t}]`, true));
}
