import { type DType, DTYPES, type FloatArray, allocate, dtypeOfArray, isDType } from "../dtype.js";
import { DTypeError, ShapeError, UnfoldError, formatShape } from "../errors.js";
import { describeValue } from "../validate.js";
import { type Shape, assertValidShape, sizeOf } from "../shape.js";

/** A tensor in host memory: row-major data with its shape and dtype. */
export interface HostTensor {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly data: FloatArray;
}

/**
 * Makes a host tensor, checking that the data fills the shape. A plain array or a typed array of
 * the other precision is converted to `dtype` (by default the typed array's own, else float64).
 * NaN and infinities are kept (a host tensor may hold any result); runs and uploads refuse them.
 */
export function hostTensor(data: ArrayLike<number>, shape: Shape, dtype?: DType): HostTensor {
  assertValidShape("hostTensor", shape);
  checkNumbers("hostTensor", data);
  const isTyped = data instanceof Float32Array || data instanceof Float64Array;
  const type = dtype ?? (isTyped ? dtypeOfArray(data) : "float64");
  if (!isDType(type)) throw new DTypeError("hostTensor", `unknown dtype ${describeValue(type)}; the dtypes are ${DTYPES.join(", ")}`);
  if (data.length !== sizeOf(shape)) {
    throw new ShapeError("hostTensor", `${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
  }
  const sameType = isTyped && dtypeOfArray(data as FloatArray) === type;
  const array = sameType ? (data as FloatArray) : allocate(type, data.length);
  if (!sameType) array.set(data);
  return { shape: [...shape], dtype: type, data: array };
}

/**
 * The data must be an array or typed array of numbers: a string is array-like too, and
 * Float64Array.set would turn "123" into [1, 2, 3], null into 0 and a word into NaN.
 */
function checkNumbers(op: string, data: unknown): void {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    // BigInt arrays hold bigints, which Float64Array.set refuses with a bare TypeError.
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) throw new UnfoldError(op, `data must hold numbers, got a ${data.constructor.name}`);
    return;
  }
  const length = typeof data === "object" && data !== null ? (data as { length?: unknown }).length : undefined;
  if (typeof length !== "number") throw new UnfoldError(op, `data must be an array or typed array of numbers, got ${describeValue(data)}`);
  const values = data as ArrayLike<unknown>;
  for (let i = 0; i < length; i++) {
    if (typeof values[i] !== "number") throw new UnfoldError(op, `data[${i}] is ${describeValue(values[i])}, not a number`);
  }
}

/** A rank-0 host tensor holding one number. */
export function scalarTensor(value: number, dtype: DType = "float64"): HostTensor {
  if (typeof value !== "number") throw new UnfoldError("scalarTensor", `value must be a number, got ${describeValue(value)}`);
  return hostTensor([value], [], dtype);
}

/** The tensor's values as a Float64Array: its own array when it is float64, a converted copy otherwise. */
export function toFloat64(t: HostTensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
}
