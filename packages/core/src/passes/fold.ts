import type { Node } from "../ir/node.js";
import type { Program } from "../ir/program.js";
import { ruleFor } from "../primitives/registry.js";
import { sizeOf } from "../shape.js";
import { rewrite } from "./rewrite.js";

/**
 * Evaluates nodes whose inputs are all constants, replacing them with constants. Folding never
 * grows a constant: a result with more elements than its inputs together (a broadcast, an outer
 * sum) stays the node it is. A dense constant of a traced shape would pin every axis, the batch
 * axis included, where the broadcast of a scalar works at any size; it would also trade compute
 * for memory and make exported models larger.
 */
export function foldConstants(program: Program): Program {
  return rewrite(program, (node, kept) => {
    if (node.inputs.length === 0) return { keep: node };
    const args = node.inputs.map((i) => kept[i]!);
    if (!args.every((a) => a.op === "constant")) return { keep: node };
    const inputSize = args.reduce((total, a) => total + sizeOf(a.shape), 0);
    if (sizeOf(node.shape) > inputSize) return { keep: node };
    const value = ruleFor(node.op).evaluate(
      node as never,
      args.map((a) => ({ data: (a as Node & { value: Float64Array }).value, shape: a.shape })),
    );
    if (node.dtype === "float32") for (let i = 0; i < value.length; i++) value[i] = Math.fround(value[i]!);
    const { label, origin } = node;
    const tags = { ...(label ? { label } : {}), ...(origin !== undefined ? { origin } : {}) };
    return { keep: { op: "constant", value, id: node.id, inputs: [], shape: node.shape, dtype: node.dtype, ...tags } };
  });
}
