import { DataFileError, showValue } from "./file-error.js";
import { nonFiniteReason } from "./json-line.js";

/** What the parsers of a user's file produce: examples in one shape, ready to become a task. */
export interface ParsedExamples {
  readonly file: string;
  readonly count: number;
  readonly tokens: number;
  /** Features per token; 1 for ids input. */
  readonly features: number;
  /** [count, tokens, features] (or [count, tokens] ids). */
  readonly inputs: Float64Array;
  readonly labelKind: "class" | "tokens";
  /** [count] or [count, tokens]; -1 marks no loss in "tokens" labels. */
  readonly targets: Float64Array;
  /** Largest input id seen (ids input; -1 otherwise). */
  readonly maxId: number;
  /** The 1-based line of each example, for errors found after parsing. */
  readonly lines: Int32Array;
  /** How errors name the label: `field "label"` (JSONL) or `column "label"` (CSV). */
  readonly labelField: string;
}

/** How a parser reads inputs and labels; the same for the train and the test file. */
export interface ParseOptions {
  /** Tokens per example for flat inputs; default 1 (one token of all features). */
  readonly tokens?: number;
  /** When given, labels must be below it (the class count from --classes / task.classes). */
  readonly classes?: number;
  /** Inputs are continuous features (default) or integer token ids. */
  readonly input?: "features" | "ids";
}

/**
 * Accumulates examples line by line and holds each line to the shape of the first one, so a
 * ragged or inconsistent file is reported at the first line that differs, naming the line the
 * expectation came from.
 */
export class ExampleCollector {
  private readonly inputs: number[] = [];
  private readonly targets: number[] = [];
  private readonly lines: number[] = [];
  private first: { line: number; tokens: number; features: number; labelKind: "class" | "tokens" } | undefined;
  private maxId = -1;
  private count = 0;

  constructor(
    private readonly file: string,
    private readonly options: ParseOptions,
    private readonly labelField: string,
  ) {}

  /** The expected tokens of an example: options.tokens, else those of the first example. */
  expectedTokens(): number | undefined {
    return this.options.tokens ?? this.first?.tokens;
  }

  add(line: number, input: { tokens: number; features: number; values: ArrayLike<number> }, label: { kind: "class" | "tokens"; values: ArrayLike<number> }, where: { input: string; label: string }): void {
    const first = this.first;
    if (first) {
      if (input.tokens !== first.tokens || input.features !== first.features) {
        throw new DataFileError(this.file, line, `${where.input} has shape [${input.tokens}, ${input.features}] (tokens, features), expected [${first.tokens}, ${first.features}] as on line ${first.line}`);
      }
      if (label.kind !== first.labelKind) {
        const describe = (k: string) => (k === "class" ? "one integer" : "an array of integers");
        throw new DataFileError(this.file, line, `${where.label} is ${describe(label.kind)} but on line ${first.line} it is ${describe(first.labelKind)}; every example needs the same kind of label`);
      }
    } else {
      this.first = { line, tokens: input.tokens, features: input.features, labelKind: label.kind };
    }
    for (let i = 0; i < input.values.length; i++) {
      const v = input.values[i]!;
      this.inputs.push(v);
      if (v > this.maxId) this.maxId = v;
    }
    for (let i = 0; i < label.values.length; i++) this.targets.push(label.values[i]!);
    this.lines.push(line);
    this.count++;
  }

  finish(): ParsedExamples {
    if (!this.first) throw new DataFileError(this.file, undefined, "the file has no examples (it is empty or blank)");
    return {
      file: this.file,
      count: this.count,
      tokens: this.first.tokens,
      features: this.first.features,
      inputs: Float64Array.from(this.inputs),
      labelKind: this.first.labelKind,
      targets: Float64Array.from(this.targets),
      maxId: this.options.input === "ids" ? this.maxId : -1,
      lines: Int32Array.from(this.lines),
      labelField: this.labelField,
    };
  }
}

/**
 * Checks a class label (or one entry of per-token labels, where -1 is allowed) and returns what
 * is wrong with it, to be followed by ", got <value>"; undefined when it is good.
 */
export function labelProblem(value: unknown, options: ParseOptions, allowIgnore: boolean): string | undefined {
  const lo = allowIgnore ? -1 : 0;
  const classes = options.classes;
  if (typeof value === "number" && !Number.isFinite(value)) return "is not a finite number";
  const ok = typeof value === "number" && Number.isInteger(value) && value >= lo && (classes === undefined || value < classes);
  if (ok) return undefined;
  const ignore = allowIgnore ? " (or -1 for no loss)" : "";
  return classes === undefined
    ? `must be a non-negative integer${ignore}`
    : `must be an integer in [0, ${classes - 1}]${ignore}: the class count is ${classes} (--classes / task.classes)`;
}

/** Checks one input number (ids must be non-negative integers); returns the whole complaint, value included. */
export function inputProblem(value: unknown, options: ParseOptions): string | undefined {
  if (typeof value === "number" && !Number.isFinite(value)) return nonFiniteReason(value);
  if (typeof value !== "number") return `must be a finite number, got ${showValue(value)}`;
  if (options.input === "ids" && (!Number.isInteger(value) || value < 0)) return `must be a non-negative integer token id, got ${showValue(value)}`;
  return undefined;
}
