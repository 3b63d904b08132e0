/** The element types a program can carry. Every backend declares which of these it supports. */
export type DType = "float32" | "float64";

/** Every dtype a program may compute in. */
export const DTYPES: readonly DType[] = ["float32", "float64"];

export type TypedArrayFor<D extends DType> = D extends "float32" ? Float32Array : Float64Array;
/** The typed array holding a tensor's values: Float32Array for float32, Float64Array for float64. */
export type FloatArray = Float32Array | Float64Array;

export function isDType(value: unknown): value is DType {
  return value === "float32" || value === "float64";
}

export function allocate(dtype: DType, size: number): FloatArray {
  return dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
}

export function dtypeOfArray(data: FloatArray): DType {
  return data instanceof Float32Array ? "float32" : "float64";
}
