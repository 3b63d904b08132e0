import { DTYPES, isDType } from "../dtype.js";
import { DTypeError, FeedError, formatShape } from "../errors.js";
import { type Shape, sizeOf, stridesOf } from "../shape.js";
import { describeValue } from "../validate.js";
import type { HostTensor } from "./tensor.js";

/**
 * Checks of host data on its way to a backend (run feeds, uploads, an unfolding's state and
 * parameters). `what` names the value in the messages: "feed 'x'", "parameter 'W'".
 */

const WRAP = "wrap it with hostTensor(data, shape)";

/** The value is shaped like a HostTensor: an object with an array shape and a known dtype. */
export function checkHostShape(op: string, what: string, value: unknown, alternative = "a HostTensor"): HostTensor {
  if (Array.isArray(value)) throw new FeedError(op, `${what} is a plain array of ${value.length} values, not ${alternative}; ${WRAP}`);
  if (ArrayBuffer.isView(value)) throw new FeedError(op, `${what} is ${describeValue(value)}, not ${alternative}; ${WRAP}`);
  if (typeof value !== "object" || value === null) throw new FeedError(op, `${what} is ${describeValue(value)}, not ${alternative}; make one with hostTensor(data, shape)`);
  const t = value as Partial<HostTensor>;
  if (t.data === undefined || t.shape === undefined) {
    throw new FeedError(op, `${what} is ${describeValue(value)}, not ${alternative} (it has no data or no shape); ${WRAP}`);
  }
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new FeedError(op, `${what} has shape ${Array.isArray(t.shape) ? formatShape(t.shape) : describeValue(t.shape)}, not an array of non-negative integers`);
  }
  if (!isDType(t.dtype)) throw new DTypeError(op, `${what} has dtype ${describeValue(t.dtype)}; the dtypes are ${DTYPES.join(", ")}`);
  return value as HostTensor;
}

/**
 * The data is a typed array of the tensor's own dtype and fills its shape. Backends copy it with
 * a typed-array set or hand it to a runtime as it is: a plain array, a Float64Array labelled
 * float32 or a short array would each be misread in a different way.
 */
export function checkHostData(op: string, what: string, t: HostTensor): void {
  const { data } = t;
  if (Array.isArray(data)) throw new FeedError(op, `${what} holds a plain array; a HostTensor's data is a Float32Array or Float64Array: make it with hostTensor(data, shape)`);
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new FeedError(op, `${what} has data ${describeValue(data)}, not a Float32Array or Float64Array; make it with hostTensor(data, shape)`);
  }
  const holds = data instanceof Float32Array ? "float32" : "float64";
  if (holds !== t.dtype) {
    throw new DTypeError(op, `${what} is ${t.dtype} but holds a ${data.constructor.name}; make it with hostTensor(data, shape, '${t.dtype}')`);
  }
  const size = sizeOf(t.shape);
  if (data.length !== size) throw new FeedError(op, `${what} has ${data.length} values for shape ${formatShape(t.shape)} (${size} elements)`);
}

/**
 * No NaN or infinity in the data. `fed` marks data bound for a backend (a run feed, an upload),
 * whose message also says where an infinity a program needs belongs.
 */
export function checkFinite(op: string, what: string, t: HostTensor, fed = false): void {
  const found = findNonFinite(t.data, t.shape);
  if (!found) return;
  const why = !fed ? "" : Number.isNaN(found.value) ? "; host data must be finite" : "; host data must be finite (a program that needs an infinity holds it as a constant)";
  throw new FeedError(op, `${what} ${formatShape(t.shape)} contains ${found.value} at element ${formatShape(found.at)}${why}`);
}

/** Every check of a host tensor: its form, its data, and finite values. */
export function checkHostTensor(op: string, what: string, value: unknown, fed = false): HostTensor {
  const t = checkHostShape(op, what, value);
  checkHostData(op, what, t);
  checkFinite(op, what, t, fed);
  return t;
}

/**
 * A backend's upload check: the tensor is a HostTensor whose data fills its shape, with no NaN or
 * infinity. A resident tensor is never scanned again (runs check host feeds only), so this is
 * where a non-finite value would otherwise slip in. Every backend calls it first.
 */
export function checkUpload(tensor: HostTensor): void {
  checkHostTensor("upload", "the tensor", tensor, true);
}

/** The first NaN or infinity in row-major data, with its index, or undefined when all are finite. */
export function findNonFinite(data: ArrayLike<number>, shape: Shape): { at: number[]; value: number } | undefined {
  // One loop per array type, so each stays monomorphic: every run of every backend scans its
  // host feeds, and a loop shared by Float32Array, Float64Array and arrays ran ~8x slower.
  const at = data instanceof Float32Array ? firstNonFinite32(data) : data instanceof Float64Array ? firstNonFinite64(data) : firstNonFinite(data);
  return at < 0 ? undefined : { at: unravel(at, shape), value: data[at]! };
}

// v - v is 0 for every finite v, and NaN for NaN and for both infinities.

function firstNonFinite32(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

function firstNonFinite64(data: Float64Array): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** The row-major index of element `flat` of `shape`, as the messages name elements ([1, 0]). */
export function unravel(flat: number, shape: Shape): number[] {
  return stridesOf(shape).map((s, i) => Math.floor(flat / s) % shape[i]!);
}
