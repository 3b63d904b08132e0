// Strided views, checked against the reference interpreter's layout ops: every view must read
// exactly the elements the op would produce, in row-major order.
import { describe, expect, it } from "vitest";
import { type Tensor, type View, broadcastView, contiguousView, input, interpret, isContiguous, ops, reshapeView, sameViews, sliceView, trace, transposeView, unitReshape, unitReshapeView } from "../src/index.js";

/** The elements a view reads from `data`, in row-major order of its shape. */
function read(view: View, data: Float64Array): number[] {
  const out: number[] = [];
  const index = new Array<number>(view.shape.length).fill(0);
  const total = view.shape.reduce((a, b) => a * b, 1);
  for (let t = 0; t < total; t++) {
    out.push(data[view.offset + index.reduce((acc, i, a) => acc + i * view.strides[a]!, 0)]!);
    for (let a = view.shape.length - 1; a >= 0; a--) {
      if (++index[a]! < view.shape[a]!) break;
      index[a] = 0;
    }
  }
  return out;
}

const data = Float64Array.from({ length: 24 }, (_, i) => i * 1.5 - 7);
const run = (f: (x: Tensor) => Tensor): number[] =>
  [...interpret(trace({ x: input([2, 3, 4]) }, ({ x }) => ({ y: f(x) })), new Map([["x", data]])).get("y")!];

describe("strided views", () => {
  const base = contiguousView(0, [2, 3, 4]);

  it("transpose, slice, broadcast and reshape read what the ops compute", () => {
    expect(read(transposeView(base, [2, 0, 1]), data)).toEqual(run((x) => ops.transpose(x, [2, 0, 1])));
    expect(read(sliceView(base, [1, 1, 0], [1, 2, 3]), data)).toEqual(run((x) => ops.slice(x, [1, 1, 0], [1, 2, 3])));
    const row = sliceView(base, [0, 0, 0], [1, 1, 4]);
    expect(read(broadcastView(row, [5, 2, 3, 4]), data)).toEqual(Array.from({ length: 30 }, () => [0, 1, 2, 3].map((j) => data[j]!)).flat());
    expect(read(reshapeView(base, [6, 4])!, data)).toEqual(run((x) => ops.reshape(x, [6, 4])));
  });

  it("knows which views are contiguous, and refuses to reshape a strided one", () => {
    expect(isContiguous(base)).toBe(true);
    expect(isContiguous(sliceView(base, [0, 1, 0], [2, 1, 4]))).toBe(false);
    expect(isContiguous(sliceView(base, [1, 0, 0], [1, 3, 4]))).toBe(true);
    expect(reshapeView(transposeView(base, [0, 2, 1]), [24])).toBeUndefined();
  });

  it("moves size-1 axes without touching the others", () => {
    expect(unitReshape([2, 1, 3], [2, 3, 1])).toBe(true);
    expect(unitReshape([2, 3], [3, 2])).toBe(false);
    const t = transposeView(base, [0, 2, 1]);
    const v = unitReshapeView(t, [2, 1, 4, 3]);
    expect(read(v, data)).toEqual(read(t, data));
    expect(sameViews(t, transposeView(base, [0, 2, 1]))).toBe(true);
    expect(sameViews(t, base)).toBe(false);
  });
});
