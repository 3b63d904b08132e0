import { type ParseOptions, type ParsedExamples, ExampleCollector, inputProblem, labelProblem } from "./examples.js";
import { DataFileError, showValue } from "./file-error.js";
import { parseJsonLine } from "./json-line.js";

/**
 * JSON Lines: one example per non-blank line, {"input": number[] | number[][], "label": number |
 * number[]}. A flat input is split into options.tokens tokens (default 1); a nested input is
 * [tokens][features]. A label array gives one label per token (-1 = no loss there).
 */
export function parseJsonl(file: string, text: string, options: ParseOptions): ParsedExamples {
  const collector = new ExampleCollector(file, options, `field "label"`);
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = index + 1;
    const source = raw.trim();
    if (source === "") return;
    const fail = (detail: string): never => {
      throw new DataFileError(file, line, detail);
    };
    const parsed = parseJsonLine(source);
    if (!parsed.ok) return fail(parsed.reason);
    const record = parsed.value;
    if (typeof record !== "object" || record === null || Array.isArray(record)) fail(`expected an object {"input": ..., "label": ...}, got ${showValue(record)}`);
    const fields = record as Record<string, unknown>;
    if (!("input" in fields)) fail(`field "input" is missing`);
    if (!("label" in fields)) fail(`field "label" is missing`);
    const input = readInput(fields["input"], options, fail);
    collector.add(line, input, readLabel(fields["label"], input.tokens, options, fail), { input: `field "input"`, label: `field "label"` });
  });
  return collector.finish();
}

function readInput(value: unknown, options: ParseOptions, fail: (detail: string) => never): { tokens: number; features: number; values: number[] } {
  if (!Array.isArray(value)) return fail(`field "input" must be an array of numbers or of token arrays, got ${showValue(value)}`);
  if (value.length === 0) return fail(`field "input" is empty`);
  if (Array.isArray(value[0])) {
    if (options.input === "ids") return fail(`field "input" must be a flat array of token ids (ids input), got nested arrays`);
    // [tokens][features]: every row the same length as row 0.
    const features = (value[0] as unknown[]).length;
    if (features === 0) return fail(`field "input[0]" is an empty token`);
    if (options.tokens !== undefined && value.length !== options.tokens) return fail(`field "input" has ${value.length} tokens, expected ${options.tokens} (task.tokens)`);
    const values: number[] = [];
    value.forEach((row: unknown, t) => {
      if (!Array.isArray(row)) fail(`field "input[${t}]" must be an array of numbers (a token) like input[0], got ${showValue(row)}`);
      const cells = row as unknown[];
      if (cells.length !== features) fail(`field "input" is ragged: token ${t} has ${cells.length} features, token 0 has ${features}`);
      cells.forEach((v, f) => {
        const problem = inputProblem(v, options);
        if (problem) fail(`field "input[${t}][${f}]" ${problem}`);
        values.push(v as number);
      });
    });
    return { tokens: value.length, features, values };
  }
  value.forEach((v, i) => {
    const problem = inputProblem(v, options);
    if (problem) fail(`field "input[${i}]" ${problem}`);
  });
  const values = value as number[];
  if (options.input === "ids") return { tokens: values.length, features: 1, values };
  const tokens = options.tokens ?? 1;
  if (values.length % tokens !== 0) return fail(`field "input" has ${values.length} numbers, which do not split into ${tokens} tokens (task.tokens)`);
  return { tokens, features: values.length / tokens, values };
}

function readLabel(value: unknown, tokens: number, options: ParseOptions, fail: (detail: string) => never): { kind: "class" | "tokens"; values: number[] } {
  if (Array.isArray(value)) {
    if (value.length !== tokens) return fail(`field "label" has ${value.length} entries, expected ${tokens} (one per input token)`);
    value.forEach((v, t) => {
      const problem = labelProblem(v, options, true);
      if (problem) fail(`field "label[${t}]" ${problem}, got ${showValue(v)}`);
    });
    return { kind: "tokens", values: value as number[] };
  }
  if (typeof value !== "number") return fail(`field "label" must be an integer or an array of integers, got ${showValue(value)}`);
  const problem = labelProblem(value, options, false);
  if (problem) return fail(`field "label" ${problem}, got ${showValue(value)}`);
  return { kind: "class", values: [value] };
}
