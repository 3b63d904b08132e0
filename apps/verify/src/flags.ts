import { describeFsError, prepareOutputFile } from "@unfold/files";

/** An integer flag from `min` to `max`; the error names the flag, the range and the value given. */
export function integerInRange(flag: string, value: string | boolean | undefined, fallback: number, min: number, max: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (value !== undefined && (typeof value !== "string" || value.trim() === "" || !Number.isInteger(n) || n < min || n > max)) {
    throw new Error(`--${flag} must be an integer from ${min} to ${max}, got '${String(value)}'`);
  }
  return n;
}

/** An integer flag that must be one of `allowed`; the error says why and lists them. */
export function integerOneOf(flag: string, value: string | boolean | undefined, fallback: number, allowed: readonly number[], why: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !allowed.includes(n)) {
    throw new Error(`--${flag} must be ${why}: one of ${allowed.join(", ")}; got '${String(value)}'`);
  }
  return n;
}

/**
 * The file a flag names for output, checked before any work starts: a path (not empty), not a
 * directory, in a directory that exists or can be made and that takes a new file. Returns the
 * absolute path.
 */
export function outputFileFlag(flag: string, value: string | boolean | undefined, fallback: string): string {
  if (value === undefined) return prepareOutputFile(fallback, `--${flag}`);
  if (typeof value !== "string" || value.trim() === "") throw new Error(`--${flag} needs a file path`);
  return prepareOutputFile(value, `--${flag}`);
}

/** Runs a write of the file a flag named, turning a file-system failure into an error naming the flag and the path. */
export async function writingFlag<T>(flag: string, path: string, write: () => T | Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (typeof (error as { code?: unknown } | null)?.code !== "string") throw error;
    throw new Error(`--${flag}: cannot write '${path}': ${describeFsError(error)}`, { cause: error });
  }
}
