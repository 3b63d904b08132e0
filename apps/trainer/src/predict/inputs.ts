import { readFileSync } from "node:fs";
import type { ModelCard } from "../output/onnx.js";

/** One example to predict: the model's input, flattened, and its label(s) when the file gives them. */
export interface PredictExample {
  readonly line: number;
  readonly input: Float64Array;
  readonly label?: number | readonly number[];
}

function flatten(value: unknown, where: string): number[] {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`${where} must hold finite numbers, found ${value}`);
    return [value];
  }
  if (!Array.isArray(value)) throw new Error(`${where} must be a number or an array of numbers, got ${JSON.stringify(value)?.slice(0, 40)}`);
  return value.flatMap((v, i) => flatten(v, `${where}[${i}]`));
}

/**
 * Reads a JSONL file of {"input": [...], "label"?: ...} lines (the format the trainer's
 * predict-sample.jsonl and a user's JSONL data use). Each input must hold exactly the values the
 * model takes (tokens x features, or token ids), nested or flat; an error names the line and field.
 */
export function readPredictInputs(path: string, card: ModelCard): PredictExample[] {
  const text = readFileSync(path, "utf8");
  const expected = card.input.kind === "features" ? card.input.tokens * card.input.features : card.input.tokens;
  const shape = card.input.kind === "features" ? `${card.input.tokens} x ${card.input.features}` : `${card.input.tokens} token ids`;
  const examples: PredictExample[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (error) {
      throw new Error(`${path} line ${line}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) throw new Error(`${path} line ${line}: expected an object like {"input": [...]}`);
    const { input, label } = record as { input?: unknown; label?: unknown };
    if (input === undefined) throw new Error(`${path} line ${line}: field "input" is missing`);
    const values = flatten(input, `${path} line ${line}: field "input"`);
    if (values.length !== expected) throw new Error(`${path} line ${line}: field "input" has ${values.length} values; the model takes ${expected} (${shape})`);
    if (card.input.kind === "ids") {
      const bad = values.find((v) => !Number.isInteger(v) || v < 0 || v >= (card.input as { vocab: number }).vocab);
      if (bad !== undefined) throw new Error(`${path} line ${line}: field "input" holds ${bad}, not a token id in [0, ${card.input.vocab - 1}]`);
    }
    const example: PredictExample = { line, input: Float64Array.from(values), ...(label !== undefined ? { label: parseLabel(label, path, line) } : {}) };
    examples.push(example);
  });
  if (examples.length === 0) throw new Error(`${path}: no examples (expected one JSON object per line)`);
  return examples;
}

function parseLabel(label: unknown, path: string, line: number): number | number[] {
  const values = flatten(label, `${path} line ${line}: field "label"`);
  if (values.some((v) => !Number.isInteger(v))) throw new Error(`${path} line ${line}: field "label" must hold integers`);
  return Array.isArray(label) ? values : values[0]!;
}
