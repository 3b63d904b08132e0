import { sizeOf } from "../shape.js";
import * as ops from "../trace/ops.js";
import { broadcastOffsets } from "./indexing.js";
import type { PrimitiveRule } from "./rule.js";

/** Reductions keep the reduced axes as size 1, so their outputs broadcast back onto their inputs. */
function reducedShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

export const sumRule: PrimitiveRule<"sum"> = {
  infer: (spec, [x]) => ({ shape: reducedShape(x!.shape, spec.axes), dtype: x!.dtype }),
  evaluate: (node, [x]) => {
    const out = new Float64Array(sizeOf(node.shape));
    const to = broadcastOffsets(node.shape, x!.shape);
    for (let i = 0; i < x!.data.length; i++) out[to[i]!]! += x!.data[i]!;
    return out;
  },
  vjp: ({ cotangent, args }) => [ops.broadcastTo(cotangent, args[0]!.shape)],
};

export const reduceMaxRule: PrimitiveRule<"reduceMax"> = {
  infer: (spec, [x]) => ({ shape: reducedShape(x!.shape, spec.axes), dtype: x!.dtype }),
  evaluate: (node, [x]) => {
    const out = new Float64Array(sizeOf(node.shape)).fill(-Infinity);
    const to = broadcastOffsets(node.shape, x!.shape);
    for (let i = 0; i < x!.data.length; i++) {
      const v = x!.data[i]!;
      // NaN wins, as in every mainstream array library: a NaN input must not vanish.
      if (v > out[to[i]!]! || Number.isNaN(v)) out[to[i]!] = v;
    }
    return out;
  },
  // Ties share the cotangent equally, which keeps the rule symmetric in the tied entries.
  vjp: ({ node, cotangent, args, output }) => {
    const x = args[0]!;
    const hit = ops.equal(x, ops.broadcastTo(output, x.shape));
    const count = ops.sumKeep(hit, node.axes);
    return [ops.mul(ops.broadcastTo(ops.div(cotangent, count), x.shape), hit)];
  },
};
