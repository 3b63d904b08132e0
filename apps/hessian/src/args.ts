import { parseArgs } from "node:util";

/** Parses an integer flag of at least `min`, naming the flag when the value is wrong. */
export function integerFlag(flag: string, value: string | boolean | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got '${String(value)}'`);
  return n;
}

export function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>["options"]): Record<string, string | boolean | undefined> {
  return parseArgs({ args, options: options ?? {}, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
}

/** Runs a CLI main, printing a clean one-line error (not a stack) for bad input. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
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
