import { type DType, UnfoldError, describeValue, requireOneOf } from "@unfold/core";

/** Option checks shared by the energies' constructors, worded as their messages always were. */

/** An optional integer seed (the generators fold it to 32 bits). */
export function seedOption(op: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value)) throw new UnfoldError(op, `options.seed must be an integer, got ${describeValue(value)}`);
  return value;
}

export function dtypeOption(op: string, value: unknown): DType {
  return value === undefined ? "float64" : requireOneOf(op, "options.dtype", value, ["float32", "float64"] as const);
}
