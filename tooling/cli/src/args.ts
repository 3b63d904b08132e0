import { parseArgs } from "node:util";

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

export function parse(args: string[], options: Options): Record<string, string | boolean | undefined> {
  return parseArgs({ args, options: options ?? {}, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
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
