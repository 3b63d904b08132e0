import { parseArgs } from "node:util";
import { prepareOutputFile } from "@unfold/files";

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

/**
 * Parses flags strictly, with one-line errors that name the flag: an unknown flag lists the
 * valid ones, a value that starts with a dash says how to write it, and a flag given twice is
 * refused rather than silently keeping the last value.
 */
export function parse(args: string[], options: Options): Record<string, string | boolean | undefined> {
  const known = options ?? {};
  let parsed;
  try {
    parsed = parseArgs({ args, options: known, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    throw new Error(rewordParseError(error, args, Object.keys(known)));
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option" || known[token.name]?.multiple) continue;
    if (seen.has(token.name)) throw new Error(`--${token.name} is given more than once; give it once`);
    seen.add(token.name);
  }
  return parsed.values as Record<string, string | boolean | undefined>;
}

function rewordParseError(error: unknown, args: readonly string[], flags: readonly string[]): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag ${flag ?? message}; valid flags: ${flags.map((f) => `--${f}`).join(", ")}`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const value = /argument '([^']*)'/.exec(message)?.[1];
    return `unexpected argument '${value ?? "?"}': this command takes only --flags (see --help)`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) {
    if (message.includes("ambiguous")) {
      const value = args[args.indexOf(flag) + 1] ?? "";
      return `${flag}: the value '${value}' starts with a dash; write ${flag}=${value}`;
    }
    if (message.includes("argument missing")) return `${flag} needs a value`;
    if (message.includes("does not take an argument")) return `${flag} is a switch and takes no value`;
  }
  return message.split("\n")[0]!;
}

/** Parses an integer flag of at least `min`, naming the flag when the value is wrong. */
export function integerFlag(flag: string, value: string | boolean | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new Error(`--${flag} must be an integer >= ${min}, got '${String(value)}'`);
  }
  return n;
}

/**
 * Parses a comma-separated filter against the values it may name; an unknown value is an error
 * naming the flag and every valid value. Undefined when the flag is absent.
 */
export function listFlag<T extends string>(flag: string, value: string | boolean | undefined, valid: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined;
  const items = typeof value === "string" ? value.split(",").map((s) => s.trim()).filter(Boolean) : [];
  if (items.length === 0) throw new Error(`--${flag} needs a comma-separated list; valid values: ${valid.join(", ")}`);
  const unknown = items.filter((i) => !valid.includes(i as T));
  if (unknown.length) {
    const what = unknown.map((u) => `'${u}'`).join(", ");
    throw new Error(`--${flag}: unknown value${unknown.length > 1 ? "s" : ""} ${what}; valid values: ${valid.join(", ")}`);
  }
  // The canonical order, without repeats.
  return valid.filter((v) => items.includes(v));
}

/** Parses a positive number flag, naming the flag when the value is wrong. */
export function positiveFlag(flag: string, value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number, got '${String(value)}'`);
  return n;
}

/** Parses a comma-separated list of integers >= min, e.g. --d-model 16,64. */
export function integerListFlag(flag: string, value: string | boolean | undefined, fallback: readonly number[], min = 1): number[] {
  if (value === undefined) return [...fallback];
  if (typeof value !== "string" || value.trim() === "") throw new Error(`--${flag} must be a comma-separated list of integers >= ${min}, got '${String(value)}'`);
  return value.split(",").map((part) => integerFlag(flag, part.trim(), 0, min));
}

/**
 * The file an output flag names, checked before any work starts: a path (not empty), not a
 * directory, in a directory that exists or can be made and takes a new file. Absolute. Undefined
 * when the flag is absent and there is no fallback.
 */
export function outputFileFlag(flag: string, value: string | boolean | undefined, fallback: string): string;
export function outputFileFlag(flag: string, value: string | boolean | undefined): string | undefined;
export function outputFileFlag(flag: string, value: string | boolean | undefined, fallback?: string): string | undefined {
  if (value === undefined) return fallback === undefined ? undefined : prepareOutputFile(fallback, `--${flag}`);
  if (typeof value !== "string" || value.trim() === "") throw new Error(`--${flag} needs a file path`);
  return prepareOutputFile(value, `--${flag}`);
}
