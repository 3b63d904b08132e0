import { DTypeError, ShapeError, describe } from "../errors.js";
import { broadcastShapes, sizeOf } from "../shape.js";
import * as ops from "../trace/ops.js";
import { broadcastOffsets } from "./indexing.js";
import type { PrimitiveRule } from "./rule.js";

/** Batched matrix product [..., m, k] x [..., k, n] -> [..., m, n], batch axes broadcast. */
export const matmulRule: PrimitiveRule<"matmul"> = {
  infer: (_spec, [a, b]) => {
    if (a!.shape.length < 2 || b!.shape.length < 2) {
      throw new ShapeError(
        "matmul",
        `needs rank >= 2 on both sides, got ${describe(a!.label, a!.shape)} and ${describe(b!.label, b!.shape)} (reshape vectors to [1, n] or [n, 1])`,
      );
    }
    if (a!.dtype !== b!.dtype) {
      throw new DTypeError("matmul", `dtype mismatch: ${describe(a!.label, a!.shape)} is ${a!.dtype}, ${describe(b!.label, b!.shape)} is ${b!.dtype}`);
    }
    const [m, k] = a!.shape.slice(-2) as [number, number];
    const [k2, n] = b!.shape.slice(-2) as [number, number];
    if (k !== k2) {
      throw new ShapeError(
        "matmul",
        `inner dimensions differ: ${describe(a!.label, a!.shape)} x ${describe(b!.label, b!.shape)} (${k} vs ${k2})`,
      );
    }
    const batch = broadcastShapes("matmul", a!.shape.slice(0, -2), b!.shape.slice(0, -2), [a!.label, b!.label]);
    return { shape: [...batch, m, n], dtype: a!.dtype };
  },
  evaluate: (node, [a, b]) => {
    const [m, n] = node.shape.slice(-2) as [number, number];
    const k = a!.shape.at(-1)!;
    const batchShape = node.shape.slice(0, -2);
    const ia = broadcastOffsets(a!.shape.slice(0, -2), batchShape);
    const ib = broadcastOffsets(b!.shape.slice(0, -2), batchShape);
    const out = new Float64Array(sizeOf(node.shape));
    for (let t = 0; t < ia.length; t++) {
      const ao = ia[t]! * m * k;
      const bo = ib[t]! * k * n;
      const oo = t * m * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc += a!.data[ao + i * k + p]! * b!.data[bo + p * n + j]!;
          out[oo + i * n + j] = acc;
        }
      }
    }
    return out;
  },
  vjp: ({ cotangent, args }) => {
    const [a, b] = args as [ops.T, ops.T];
    return [
      ops.sumToShape(ops.matmul(cotangent, ops.swapLastAxes(b)), a.shape),
      ops.sumToShape(ops.matmul(ops.swapLastAxes(a), cotangent), b.shape),
    ];
  },
};
