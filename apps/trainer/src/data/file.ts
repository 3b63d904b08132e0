import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { UnfoldError } from "@unfold/core";
import { parseCsv } from "./csv.js";
import type { ParseOptions, ParsedExamples } from "./examples.js";
import { DataFileError } from "./file-error.js";
import { parseJsonl } from "./jsonl.js";
import { type StoredSplit, storedTask } from "./stored.js";
import type { InputKind, TaskData } from "./task.js";

export interface FileTaskOptions {
  readonly path: string;
  /** A separate test file in the same layout; without it the last `testFraction` of rows is the test split. */
  readonly testPath?: string;
  /** From the extension by default (.jsonl / .ndjson, .csv). */
  readonly format?: "jsonl" | "csv";
  /** Tokens per example for flat inputs (CSV rows, flat JSONL inputs); features per token = numbers / tokens. Default 1. */
  readonly tokens?: number;
  /** Share of rows, from the end, held out for test; default 0.2. */
  readonly testFraction?: number;
  /** Number of classes; default the largest label + 1. Labels must be below it. */
  readonly classes?: number;
  /** "ids": inputs are integer token ids (vocab = largest id + 1); default "features". */
  readonly input?: "features" | "ids";
}

/**
 * A user's data. JSONL: each line {"input": number[] | number[][], "label": number | number[]};
 * CSV: one example per row, columns `label` then feature columns (header row required; feature
 * columns named anything), tokens given by options.tokens (features per token = columns / tokens).
 * Split: the last `testFraction` of rows (default 0.2) is the test split, or a separate test
 * file. Every mistake in a file is a DataFileError naming the file, the line and the field.
 */
export function fileTask(options: FileTaskOptions): TaskData {
  const testFraction = options.testFraction ?? 0.2;
  if (typeof testFraction !== "number" || !(testFraction >= 0 && testFraction < 1)) {
    throw new UnfoldError("fileTask", `testFraction must be in [0, 1), got ${testFraction}`);
  }
  if (options.tokens !== undefined && (!Number.isInteger(options.tokens) || options.tokens < 1)) {
    throw new UnfoldError("fileTask", `tokens must be an integer >= 1, got ${options.tokens}`);
  }
  if (options.classes !== undefined && (!Number.isInteger(options.classes) || options.classes < 1)) {
    throw new UnfoldError("fileTask", `classes must be an integer >= 1, got ${options.classes}`);
  }
  if (options.input !== undefined && options.input !== "features" && options.input !== "ids") {
    throw new UnfoldError("fileTask", `input must be "features" or "ids", got ${JSON.stringify(options.input)}`);
  }
  const parse: ParseOptions = {
    ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
    ...(options.classes === undefined ? {} : { classes: options.classes }),
    ...(options.input === undefined ? {} : { input: options.input }),
  };

  const main = readExamples(options.path, options.format, parse);
  const held = options.testPath === undefined ? undefined : readExamples(options.testPath, options.format, parse);
  let train: StoredSplit;
  let test: StoredSplit;
  if (held) {
    checkSameLayout(main, held);
    train = main;
    test = held;
  } else {
    const testCount = Math.round(main.count * testFraction);
    if (testCount >= main.count) {
      throw new DataFileError(options.path, undefined, `${main.count} examples leave none for training with testFraction ${testFraction}`);
    }
    [train, test] = splitAt(main, main.count - testCount);
  }

  const maxLabel = Math.max(main.maxLabel, held?.maxLabel ?? -1);
  if (maxLabel < 0) throw new DataFileError(options.path, undefined, "every label is -1, so there is nothing to learn");
  const classes = options.classes ?? maxLabel + 1;
  const input: InputKind =
    options.input === "ids"
      ? { kind: "ids", tokens: main.tokens, vocab: Math.max(main.maxId, held?.maxId ?? -1) + 1 }
      : { kind: "features", tokens: main.tokens, features: main.features };
  return storedTask({
    name: basename(options.path),
    input,
    target: { kind: main.labelKind, classes },
    train,
    test,
  });
}

function readExamples(path: string, format: "jsonl" | "csv" | undefined, parse: ParseOptions): ParsedExamples {
  const kind = format ?? formatFromExtension(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataFileError(path, undefined, code === "ENOENT" ? "no such file" : `cannot read the file (${(error as Error).message})`);
  }
  // A byte-order mark would otherwise glue itself to the first header name or JSON brace.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return kind === "csv" ? parseCsv(path, text, parse) : parseJsonl(path, text, parse);
}

function formatFromExtension(path: string): "jsonl" | "csv" {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".csv") return "csv";
  throw new UnfoldError("fileTask", `cannot tell the format of ${path} from its extension ${JSON.stringify(ext)}; pass format "jsonl" or "csv"`);
}

function checkSameLayout(train: ParsedExamples, test: ParsedExamples): void {
  if (train.tokens !== test.tokens || train.features !== test.features || train.labelKind !== test.labelKind) {
    const layout = (p: ParsedExamples) => `[${p.tokens}, ${p.features}] inputs with ${p.labelKind === "class" ? "one label" : "a label per token"}`;
    throw new DataFileError(test.file, undefined, `examples are ${layout(test)}, but ${train.file} has ${layout(train)}`);
  }
}

/** The first `at` examples and the rest, as views (no copy). */
function splitAt(all: ParsedExamples, at: number): [StoredSplit, StoredSplit] {
  const inSize = all.tokens * all.features;
  const outSize = all.labelKind === "class" ? 1 : all.tokens;
  return [
    { inputs: all.inputs.subarray(0, at * inSize), targets: all.targets.subarray(0, at * outSize), count: at },
    { inputs: all.inputs.subarray(at * inSize), targets: all.targets.subarray(at * outSize), count: all.count - at },
  ];
}
