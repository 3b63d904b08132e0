import { readFileSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { UnfoldError } from "@unfold/core";
import { describeFsError, fsErrorCode } from "@unfold/files";
import { type LabelledSplit, decideClasses } from "./classes.js";
import { parseCsv } from "./csv.js";
import type { ParseOptions, ParsedExamples } from "./examples.js";
import { DataFileError } from "./file-error.js";
import { parseJsonl } from "./jsonl.js";
import { type StoredSplit, storedTask, type InputKind, type TaskData } from "@unfold/training";

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
  /**
   * Number of classes: labels must be below it. Without it the class set is the labels the
   * training examples use (see decideClasses).
   */
  readonly classes?: number;
  /** "ids": inputs are integer token ids (vocab = largest id + 1); default "features". */
  readonly input?: "features" | "ids";
  /** Where a warning goes (labels that are not 0..N-1); standard error by default. */
  readonly warn?: (message: string) => void;
}

const warnOnStderr = (message: string): void => void process.stderr.write(`warning: ${message}\n`);

/**
 * A user's data. JSONL: each line {"input": number[] | number[][], "label": number | number[]};
 * CSV: one example per row, columns `label` then feature columns (header row required; feature
 * columns named anything), tokens given by options.tokens (features per token = columns / tokens).
 * Split: the last `testFraction` of rows (default 0.2) is the test split, or a separate test
 * file. Every mistake in a file is a DataFileError naming the file, the line and the field; the
 * class count is decided by decideClasses.
 */
export function fileTask(options: FileTaskOptions): TaskData {
  const testFraction = options.testFraction ?? 0.2;
  if (typeof testFraction !== "number" || !(testFraction >= 0 && testFraction < 1)) {
    throw new UnfoldError("fileTask", `testFraction must be in [0, 1), got ${testFraction}`);
  }
  if (options.testPath !== undefined && options.testFraction !== undefined) {
    throw new UnfoldError("fileTask", "testFraction applies only without a test file (testPath); give one of them");
  }
  if (options.tokens !== undefined && (!Number.isInteger(options.tokens) || options.tokens < 1)) {
    throw new UnfoldError("fileTask", `tokens must be an integer >= 1, got ${options.tokens}`);
  }
  if (options.classes !== undefined && (!Number.isInteger(options.classes) || options.classes < 2)) {
    throw new UnfoldError("fileTask", `classes must be an integer >= 2, got ${options.classes}`);
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
  let train: LabelledSplit & StoredSplit;
  let test: LabelledSplit & StoredSplit;
  if (held) {
    checkSameLayout(main, held);
    train = main;
    test = held;
  } else {
    const testCount = Math.round(main.count * testFraction);
    if (testCount >= main.count) {
      throw new DataFileError(options.path, undefined, `${main.count} examples leave none for training with testFraction ${testFraction}`);
    }
    // A fraction that rounds to no examples would leave a test split of nothing, scored as 0% accurate.
    if (testFraction > 0 && testCount === 0) {
      throw new DataFileError(
        options.path,
        undefined,
        `${main.count} examples leave none for testing with testFraction ${testFraction} (the test split is the last ${Math.round(testFraction * 100)}%); add examples, raise task.testFraction, or give a test file (--test-data)`,
      );
    }
    [train, test] = splitAt(main, main.count - testCount, testFraction);
  }

  const classes = decideClasses(train, test, options.classes, options.warn ?? warnOnStderr);
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
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = fsErrorCode(error);
    const reason = code === "ENOENT" ? `no such file (looked for '${resolve(path)}')` : code === "EISDIR" ? "is a directory, not a data file" : `cannot read the file: ${describeFsError(error)}`;
    throw new DataFileError(path, undefined, reason);
  }
  const kind = format ?? formatFromExtension(path);
  // A byte-order mark would otherwise glue itself to the first header name or JSON brace.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return kind === "csv" ? parseCsv(path, text, parse) : parseJsonl(path, text, parse);
}

function formatFromExtension(path: string): "jsonl" | "csv" {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".csv") return "csv";
  throw new DataFileError(
    path,
    undefined,
    `cannot tell the format from the extension ${JSON.stringify(ext)}: name the file .jsonl (or .ndjson) or .csv, or set task.format ("jsonl" or "csv") in a config`,
  );
}

function checkSameLayout(train: ParsedExamples, test: ParsedExamples): void {
  if (train.tokens !== test.tokens || train.features !== test.features || train.labelKind !== test.labelKind) {
    const layout = (p: ParsedExamples) => `[${p.tokens}, ${p.features}] inputs with ${p.labelKind === "class" ? "one label" : "a label per token"}`;
    throw new DataFileError(test.file, undefined, `examples are ${layout(test)}, but ${train.file} has ${layout(train)}`);
  }
}

/** The first `at` examples and the rest, as views (no copy); `heldOut` is the rest's share of the file. */
function splitAt(all: ParsedExamples, at: number, heldOut: number): [LabelledSplit & StoredSplit, LabelledSplit & StoredSplit] {
  const inSize = all.tokens * all.features;
  const outSize = all.labelKind === "class" ? 1 : all.tokens;
  const common = { file: all.file, labelKind: all.labelKind, labelField: all.labelField, ...(heldOut > 0 ? { heldOutShare: heldOut } : {}) };
  return [
    { ...common, inputs: all.inputs.subarray(0, at * inSize), targets: all.targets.subarray(0, at * outSize), lines: all.lines.subarray(0, at), count: at },
    { ...common, inputs: all.inputs.subarray(at * inSize), targets: all.targets.subarray(at * outSize), lines: all.lines.subarray(at), count: all.count - at },
  ];
}
