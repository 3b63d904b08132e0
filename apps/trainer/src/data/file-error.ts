import { UnfoldError } from "@unfold/core";

/**
 * A mistake in a user's data file, reported where it is: the file as the user named it, the
 * 1-based line, and the field or column, e.g.
 *   data.jsonl line 17: field "label" must be an integer in [0, 9], got 3.5
 */
export class DataFileError extends UnfoldError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(line === undefined ? file : `${file} line ${line}`, detail);
    this.name = "DataFileError";
  }
}

/** A value as it appeared in the file, shortened so one bad cell cannot flood the message. */
export function showValue(value: unknown): string {
  // JSON.stringify writes Infinity and NaN as null, which would hide what the file held.
  const text = value === undefined ? "nothing" : typeof value === "number" && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
