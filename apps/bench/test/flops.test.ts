import { Graph, ops, optimize, softmax, trace, input } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { countFlops } from "../src/index.js";

describe("countFlops", () => {
  it("counts 2 m k n for a matmul and nothing for its leaves", () => {
    const p = trace({ A: input([6, 5]), B: input([5, 7]) }, ({ A, B }) => ops.matmul(A!, B!));
    expect(countFlops(p)).toEqual({ total: 2 * 6 * 5 * 7, matmul: 420, elementwise: 0, reduction: 0 });
  });

  it("multiplies by the broadcast batch of a batched matmul", () => {
    // [3, 1, 2, 4] x [5, 4, 6] -> [3, 5, 2, 6]: 15 products of 2 x 4 x 6.
    const p = trace({ A: input([3, 1, 2, 4]), B: input([5, 4, 6]) }, ({ A, B }) => ops.matmul(A!, B!));
    expect(countFlops(p).matmul).toBe(15 * 2 * 2 * 4 * 6);
  });

  it("counts elementwise ops by output size, reductions by input size, layout ops as zero", () => {
    const p = trace({ X: input([4, 3]), b: input([3]) }, ({ X, b }) => {
      const shifted = ops.add(X!, b!); // 12 (broadcast of b is free)
      const e = ops.exp(ops.transpose(shifted)); // transpose 0, exp 12
      const r = ops.reshape(ops.relu(e), [12]); // relu = max(e, 0): 12, reshape 0
      return ops.sum(ops.stopGradient(r)); // stopGradient 0, sum of 12 inputs: 12
    });
    expect(countFlops(p)).toEqual({ total: 48, matmul: 0, elementwise: 36, reduction: 12 });
  });

  it("counts a softmax composite as its primitives", () => {
    // max 2x3 (6), stopGradient (0), sub (6), exp (6), sum (6), div (6).
    const p = trace({ X: input([2, 3]) }, ({ X }) => softmax(X!, -1));
    expect(countFlops(p)).toEqual({ total: 30, matmul: 0, elementwise: 18, reduction: 12 });
  });

  it("counts a hand-built two-layer MLP and its optimized form alike when nothing is redundant", () => {
    const g = new Graph();
    const x = g.leaf("input", "x", [8, 16], "float32");
    const W1 = g.leaf("param", "W1", [16, 32], "float32");
    const W2 = g.leaf("param", "W2", [32, 4], "float32");
    const h = ops.relu(ops.matmul(x, W1)); // 2*8*16*32 + 8*32
    const y = ops.matmul(h, W2); // 2*8*32*4
    const p = g.toProgram({ y });
    const expected = 2 * 8 * 16 * 32 + 8 * 32 + 2 * 8 * 32 * 4;
    expect(countFlops(p).total).toBe(expected);
    expect(countFlops(optimize(p)).total).toBe(expected);
  });

  it("counts a scatter-add by its updates and a gather as free", () => {
    const p = trace({ X: input([5, 3]), idx: input([4]) }, ({ X, idx }) => ops.scatterAdd(ops.gather(X!, idx!, 0), idx!, 0, 5));
    expect(countFlops(p)).toEqual({ total: 12, matmul: 0, elementwise: 0, reduction: 12 });
  });
});
