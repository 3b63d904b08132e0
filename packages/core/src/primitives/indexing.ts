import type { Shape } from "../shape.js";
import { sizeOf, stridesOf } from "../shape.js";

/**
 * For every element of `outShape` (row-major), the flat offset of the element of `inShape`
 * that NumPy broadcasting reads for it. The reference interpreter favours being obviously
 * right over being fast, so every strided loop goes through this one table.
 */
export function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const axis = rank - inShape.length + i;
    strides[axis] = inShape[i] === 1 ? 0 : inStrides[i]!;
  }
  return offsetsFor(outShape, strides);
}

/** Offsets of an arbitrary strided view, walked in row-major order of `shape`. */
export function offsetsFor(shape: Shape, strides: readonly number[], base = 0): Int32Array {
  const size = sizeOf(shape);
  const out = new Int32Array(size);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let offset = base;
  for (let flat = 0; flat < size; flat++) {
    out[flat] = offset;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      offset += strides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      offset -= strides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}
