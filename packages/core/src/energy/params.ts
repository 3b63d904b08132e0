import { DTypeError, FeedError, UnfoldError, formatShape } from "../errors.js";
import type { DType } from "../dtype.js";
import { sameShape, sizeOf } from "../shape.js";
import type { HostTensor } from "../backend/tensor.js";
import { checkFinite, checkHostData, checkHostShape, unravel } from "../backend/host-data.js";
import { describeValue } from "../validate.js";
import { asymmetry } from "../linalg/dense.js";
import type { Energy } from "./energy.js";

/**
 * Parameter values by name, as runUnfolding takes them. Typed by the energy's parameter names, so
 * a missing or misspelt name fails to compile; `ParamValues` alone (N = string) is untyped.
 */
export type ParamValues<N extends string = string> = { readonly [K in N]: HostTensor };

/** Relative asymmetry allowed for a 'symmetric' parameter (rounding of a symmetrized float32). */
const SYMMETRY_TOLERANCE = 1e-6;

/**
 * Checks parameter values against an energy's declarations: every parameter present with the
 * declared shape and dtype, nothing extra, constraints satisfied. Called before any run, so a
 * non-symmetric matrix or a negative entry of a 'nonNegative' parameter (a gain) is reported as
 * such rather than as an energy that fails to descend.
 */
export function checkParams(energy: Energy, values: ParamValues, dtype: DType, where = "params"): void {
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new FeedError(where, `the parameter values of energy '${energy.name}' must be an object of HostTensors by name, got ${describeValue(values)}`);
  }
  for (const name of Object.keys(values)) {
    if (!energy.params[name]) {
      throw new FeedError(where, `unknown parameter '${name}' for energy '${energy.name}' (parameters: ${Object.keys(energy.params).join(", ")})`);
    }
  }
  for (const [name, spec] of Object.entries(energy.params)) {
    const value = values[name];
    const what = `parameter '${name}'`;
    if (value === undefined) throw new FeedError(where, `missing parameter '${name}' ${formatShape(spec.shape)} for energy '${energy.name}'`);
    checkHostShape(where, what, value);
    if (!sameShape(value.shape, spec.shape)) {
      throw new FeedError(where, `parameter '${name}' has shape ${formatShape(value.shape)}, energy '${energy.name}' expects ${formatShape(spec.shape)}`);
    }
    if (value.dtype !== dtype) throw new DTypeError(where, `parameter '${name}' is ${value.dtype}, the state is ${dtype}`);
    checkHostData(where, what, value);
    // Parameters are uploaded, and run-time feed checks skip device tensors; a NaN would also
    // pass the constraint checks, since it compares false with every tolerance and with 0.
    checkFinite(where, what, value);
    if (spec.constraint === "symmetric") checkSymmetric(where, name, value);
    if (spec.constraint === "nonNegative") checkNonNegative(where, name, value);
  }
}

/** Every entry >= 0 (-0 included): the first negative one is named by its index and value. */
function checkNonNegative(where: string, name: string, value: HostTensor): void {
  const at = value.data.findIndex((v) => v < 0);
  if (at < 0) return;
  const entry = value.shape.length === 0 ? "" : ` at element ${formatShape(unravel(at, value.shape))}`;
  throw new UnfoldError(where, `parameter '${name}' ${formatShape(value.shape)} must be non-negative (every entry >= 0), but holds ${value.data[at]}${entry}`);
}

function checkSymmetric(where: string, name: string, value: HostTensor): void {
  const n = value.shape.at(-1) ?? 0;
  if (value.shape.length < 2 || value.shape.at(-2) !== n) {
    throw new UnfoldError(where, `parameter '${name}' must be a square matrix to be symmetric, got ${formatShape(value.shape)}`);
  }
  const count = sizeOf(value.shape) / (n * n);
  for (let k = 0; k < count; k++) {
    const block = value.data.subarray(k * n * n, (k + 1) * n * n);
    const { relative, row, col } = asymmetry(block, n);
    if (relative > SYMMETRY_TOLERANCE) {
      const at = count > 1 ? ` (matrix ${k})` : "";
      throw new UnfoldError(
        where,
        `parameter '${name}'${at} must be symmetric: entry (${row}, ${col}) differs from (${col}, ${row}) by ${relative.toExponential(2)} of its largest entry`,
      );
    }
  }
}
