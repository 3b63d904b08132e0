import { type DType, type FloatArray, allocate, dtypeOfArray, isDType } from "../dtype.js";
import { DTypeError, ShapeError, formatShape } from "../errors.js";
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
 */
export function hostTensor(data: ArrayLike<number>, shape: Shape, dtype?: DType): HostTensor {
  assertValidShape("hostTensor", shape);
  const isTyped = data instanceof Float32Array || data instanceof Float64Array;
  const type = dtype ?? (isTyped ? dtypeOfArray(data) : "float64");
  if (!isDType(type)) throw new DTypeError("hostTensor", `unknown dtype '${String(type)}'`);
  if (data.length !== sizeOf(shape)) {
    throw new ShapeError("hostTensor", `${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
  }
  const sameType = isTyped && dtypeOfArray(data as FloatArray) === type;
  const array = sameType ? (data as FloatArray) : allocate(type, data.length);
  if (!sameType) array.set(data);
  return { shape: [...shape], dtype: type, data: array };
}

export function scalarTensor(value: number, dtype: DType = "float64"): HostTensor {
  return hostTensor([value], [], dtype);
}

export function toFloat64(t: HostTensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data);
}
