import type { Node } from "../ir/node.js";
import type { Program } from "../ir/program.js";
import { ruleFor } from "../primitives/registry.js";
import { sizeOf } from "../shape.js";
import { rewrite } from "./rewrite.js";

/** Folding never grows a constant past this many elements (it would trade compute for memory). */
const MAX_FOLDED_GROWTH = 4096;

/** Evaluates nodes whose inputs are all constants, replacing them with constants. */
export function foldConstants(program: Program): Program {
  return rewrite(program, (node, kept) => {
    if (node.inputs.length === 0) return { keep: node };
    const args = node.inputs.map((i) => kept[i]!);
    if (!args.every((a) => a.op === "constant")) return { keep: node };
    const size = sizeOf(node.shape);
    const largest = Math.max(...args.map((a) => sizeOf(a.shape)));
    if (size > Math.max(largest, MAX_FOLDED_GROWTH)) return { keep: node };
    const value = ruleFor(node.op).evaluate(
      node as never,
      args.map((a) => ({ data: (a as Node & { value: Float64Array }).value, shape: a.shape })),
    );
    if (node.dtype === "float32") for (let i = 0; i < value.length; i++) value[i] = Math.fround(value[i]!);
    const { label } = node;
    return { keep: { op: "constant", value, id: node.id, inputs: [], shape: node.shape, dtype: node.dtype, ...(label ? { label } : {}) } };
  });
}
