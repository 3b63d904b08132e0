/**
 * Strided views, for backends that plan programs over buffers: element `index` of a view is
 * element offset + sum(index[i] * strides[i]) of its slot's buffer. Reshape (of a contiguous
 * view), broadcast, transpose and slice are views, so they cost no kernel: whatever reads them
 * takes the strides. Shared by the CPU and WebGPU backends, which lower the same layout ops.
 */
import { stridesOf } from "../shape.js";

/** A strided view of one buffer slot: element `index` is element offset + sum(index[i] * strides[i]) of the slot. */
export interface View {
  readonly slot: number;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

/** A dense row-major view of `shape` starting at `offset` of `slot`. */
export function contiguousView(slot: number, shape: readonly number[], offset = 0): View {
  return { slot, offset, shape, strides: stridesOf(shape) };
}

/** Whether the view reads its elements in row-major order, densely (size-1 axes ignored). */
export function isContiguous(view: View): boolean {
  let expected = 1;
  for (let i = view.shape.length - 1; i >= 0; i--) {
    if (view.shape[i] === 1) continue;
    if (view.strides[i] !== expected) return false;
    expected *= view.shape[i]!;
  }
  return true;
}

/** NumPy broadcasting as strides: a stretched axis reads the same element (stride 0). */
export function broadcastView(view: View, shape: readonly number[]): View {
  const lead = shape.length - view.shape.length;
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const from = view.shape[i - lead]!;
    return from === 1 && d !== 1 ? 0 : view.strides[i - lead]!;
  });
  return { slot: view.slot, offset: view.offset, shape, strides };
}

/** The view with its axes permuted by `perm` (output axis i is input axis perm[i]): no data moves. */
export function transposeView(view: View, perm: readonly number[]): View {
  return { slot: view.slot, offset: view.offset, shape: perm.map((p) => view.shape[p]!), strides: perm.map((p) => view.strides[p]!) };
}

/** The view of the block of `shape` starting at `begin`: the same strides, a later offset. */
export function sliceView(view: View, begin: readonly number[], shape: readonly number[]): View {
  const offset = view.offset + begin.reduce((acc, b, i) => acc + b * view.strides[i]!, 0);
  return { slot: view.slot, offset, shape, strides: view.strides };
}

/** A reshape is a view only of a contiguous view; the caller materializes otherwise. */
export function reshapeView(view: View, shape: readonly number[]): View | undefined {
  return isContiguous(view) ? contiguousView(view.slot, shape, view.offset) : undefined;
}

/** Whether two views read the same elements of the same slot in the same order. */
export function sameViews(a: View, b: View): boolean {
  return a.slot === b.slot && a.offset === b.offset && a.strides.length === b.strides.length && a.strides.every((s, i) => s === b.strides[i]) && a.shape.every((d, i) => d === b.shape[i]);
}

/** Whether two shapes differ only in size-1 axes: a reshape between them moves no element. */
export function unitReshape(from: readonly number[], to: readonly number[]): boolean {
  const a = from.filter((d) => d !== 1);
  const b = to.filter((d) => d !== 1);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * A view under a reshape that only adds or drops size-1 axes (unitReshape): the other axes keep
 * their strides, in order; a size-1 axis is never stepped along, so its stride is immaterial.
 */
export function unitReshapeView(view: View, shape: readonly number[]): View {
  const strides = view.strides.filter((_, i) => view.shape[i] !== 1);
  let next = 0;
  return { slot: view.slot, offset: view.offset, shape, strides: shape.map((d) => (d === 1 ? 0 : strides[next++]!)) };
}
