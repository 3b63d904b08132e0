import { ShapeError, formatShape } from "./errors.js";
import { describeValue } from "./validate.js";

/** A tensor's dimensions, outermost first (row-major); [] is a scalar. */
export type Shape = readonly number[];

/** The number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides: the last axis is contiguous. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i]!;
  }
  return strides;
}

/** Whether two shapes have the same rank and extents. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A shape is an array of non-negative integers; `what` names the value it belongs to. */
export function assertValidShape(op: string, shape: unknown, what?: string): asserts shape is Shape {
  const of = what ? ` of ${what}` : "";
  if (!Array.isArray(shape)) throw new ShapeError(op, `the shape${of} must be an array of dimensions, got ${describeValue(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(op, `invalid shape${of} ${formatShape(shape)}: dimensions must be non-negative integers`);
    }
  }
}

/** NumPy broadcasting: align on the right; a dimension of 1 stretches to match. */
export function broadcastShapes(op: string, a: Shape, b: Shape, labels: [string?, string?] = []): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      const left = labels[0] ? `'${labels[0]}' ` : "";
      const right = labels[1] ? `'${labels[1]}' ` : "";
      throw new ShapeError(
        op,
        `cannot broadcast ${left}${formatShape(a)} with ${right}${formatShape(b)} (axis ${i - rank} is ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True when `from` broadcasts to `to` under NumPy rules. */
export function broadcastsTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  const offset = to.length - from.length;
  return from.every((d, i) => d === 1 || d === to[offset + i]);
}

/** Resolves negative axes and checks range and uniqueness. */
export function normalizeAxes(op: string, axes: readonly number[], rank: number, value?: string): number[] {
  const of = value ? ` of ${value}` : "";
  // Reached with whatever the caller passed: a lone non-number is reported as one bad axis.
  const list: readonly unknown[] = Array.isArray(axes) ? axes : [axes];
  const out = list.map((a) => {
    if (typeof a !== "number" || !Number.isInteger(a)) throw new ShapeError(op, `axis ${describeValue(a)}${of} is not an integer`);
    const axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank) {
      throw new ShapeError(op, `axis ${a} is out of range for rank ${rank}${of}`);
    }
    return axis;
  });
  if (new Set(out).size !== out.length) throw new ShapeError(op, `repeated axis in [${axes.join(", ")}]${of}`);
  return out.sort((x, y) => x - y);
}
