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
