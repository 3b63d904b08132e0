import { type Tensor, layerNorm } from "@unfold/core";
import { countParams, mergeSpecs, transformerEncoder, transformerSpecs } from "@unfold/nn";
import type { TransformerModelConfig } from "../config/schema.js";
import type { TaskData } from "../task/task.js";
import { inputOutput } from "./embedding.js";
import type { TrainerModel } from "./model.js";

/**
 * The standard baseline: a pre-LayerNorm Transformer encoder (multi-head attention and a ReLU MLP
 * with residual connections) between the same embedding and head as the energy models, plus a
 * final LayerNorm. No energy: it is what the unfolded models are compared against.
 */
export function transformerModel(config: TransformerModelConfig, task: TaskData): TrainerModel {
  const { dim, layers, heads, mlpDim, tied } = config;
  const io = inputOutput(task, dim, config.head);
  const encoder = { dim, heads, mlpDim, layers, tied, causal: config.causal };
  const specs = mergeSpecs(io.specs, transformerSpecs(encoder), {
    "final.gain": { shape: [dim], init: { kind: "ones" }, decay: false },
    "final.bias": { shape: [dim], init: { kind: "zeros" }, decay: false },
  });
  const encode = (input: Tensor, p: Record<string, Tensor>): Tensor =>
    layerNorm(transformerEncoder(io.embed(input, p), p, encoder), { gamma: p["final.gain"]!, beta: p["final.bias"]! });
  return {
    kind: "transformer",
    specs,
    layers,
    logits: (input, p) => io.head(encode(input, p), p),
    describe: () =>
      `standard Transformer (pre-LayerNorm${config.causal ? ", causal" : ""}): ${layers} ${tied ? "tied " : ""}layers, dim ${dim}, ${heads} heads, MLP ${mlpDim}, ` +
      `${countParams(specs).toLocaleString("en-US")} parameters`,
  };
}
