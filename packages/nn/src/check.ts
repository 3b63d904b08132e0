import { type DType, ShapeError, Tensor, UnfoldError, formatShape } from "@unfold/core";

/**
 * Argument checks shared by the model pieces. Each names the operation and the argument, with
 * its label and shape, so a mistake is reported where the model is written rather than deep
 * inside a primitive's shape rule.
 */

/** "x 'tokens' [8, 16, 49]": the argument's role, the user's label when there is one, its shape. */
export function describeArg(role: string, t: Tensor): string {
  return t.label ? `${role} '${t.label}' ${formatShape(t.shape)}` : `${role} ${formatShape(t.shape)}`;
}

export function requireTensor(op: string, role: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new UnfoldError(op, `${role} must be a Tensor, got ${typeof value}`);
  return value;
}

export function requireRank(op: string, role: string, t: Tensor, rank: number): void {
  if (t.rank !== rank) throw new ShapeError(op, `${describeArg(role, t)} must have rank ${rank}`);
}

export function requireMinRank(op: string, role: string, t: Tensor, rank: number): void {
  if (t.rank < rank) throw new ShapeError(op, `${describeArg(role, t)} must have rank >= ${rank}`);
}

/** A scalar in all but shape: rank 0, or one element. */
export function requireScalar(op: string, role: string, t: Tensor): void {
  if (t.size !== 1) throw new ShapeError(op, `${describeArg(role, t)} must be a scalar`);
}

/** Same trace and same dtype: what every pair of arguments of one model piece needs. */
export function requireCompatible(op: string, a: [string, Tensor], b: [string, Tensor]): void {
  if (a[1].graph !== b[1].graph) throw new UnfoldError(op, `${describeArg(...a)} and ${describeArg(...b)} come from different traces`);
  if (a[1].dtype !== b[1].dtype) {
    throw new UnfoldError(op, `${describeArg(...a)} is ${a[1].dtype} but ${describeArg(...b)} is ${b[1].dtype}`);
  }
}

export function requireInteger(op: string, field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new UnfoldError(op, `${field} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

export function requireFinite(op: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new UnfoldError(op, `${field} must be a finite number, got ${String(value)}`);
  return value;
}

/** A finite number in [lo, hi) or [lo, hi] as `closedAbove` says. */
export function requireInRange(op: string, field: string, value: unknown, lo: number, hi: number, closedAbove: boolean): number {
  const v = requireFinite(op, field, value);
  if (v < lo || (closedAbove ? v > hi : v >= hi)) {
    throw new UnfoldError(op, `${field} must be in [${lo}, ${hi}${closedAbove ? "]" : ")"}, got ${v}`);
  }
  return v;
}

export function requireDType(op: string, value: unknown): DType {
  if (value !== "float32" && value !== "float64") throw new UnfoldError(op, `dtype must be 'float32' or 'float64', got ${String(value)}`);
  return value;
}
