import { type Tensor, UnfoldError, ops } from "@unfold/core";
import { type TrainableSpecs, embedTokens, linear, meanPool, mergeSpecs, prefixSpecs } from "@unfold/nn";
import type { TaskData } from "../task/task.js";

/**
 * How inputs become the initial state Y^0 [batch, tokens, dim] and how the final state becomes
 * logits: shared by every model so they differ only in what happens in between.
 */
export interface InputOutput {
  readonly specs: TrainableSpecs;
  /** Inputs (features or token ids) to the initial state Y^0 [batch, tokens, dim]. */
  embed(input: Tensor, params: Record<string, Tensor>): Tensor;
  /** The final state to logits: [batch, classes] for a class target, [batch, tokens, classes] for a token target. */
  head(state: Tensor, params: Record<string, Tensor>): Tensor;
}

/**
 * 'mean' pools the tokens before a linear head; 'flatten' gives every position its own head
 * weights (a linear map of all tokens together), which keeps where a feature was: what a digit
 * classifier over patches needs. Token targets always use a per-token head.
 */
export type HeadKind = "mean" | "flatten";

/** The embedding and head for `task`'s input and target kinds at model width `dim`, with their parameters. */
export function inputOutput(task: TaskData, dim: number, headKind: HeadKind = "mean"): InputOutput {
  const { input, target } = task;
  const tokens = input.tokens;
  const flatten = target.kind === "class" && headKind === "flatten";
  const embedSpecs: TrainableSpecs =
    input.kind === "features"
      ? prefixSpecs("embed", { W: { shape: [input.features, dim], init: { kind: "glorot" } }, b: { shape: [dim], init: { kind: "zeros" } } })
      : { "embed.table": { shape: [input.vocab, dim], init: { kind: "normal", std: 1 / Math.sqrt(dim) } } };
  const specs = mergeSpecs(
    embedSpecs,
    { "embed.position": { shape: [tokens, dim], init: { kind: "normal", std: 0.02 }, decay: false } },
    prefixSpecs("head", {
      W: { shape: [flatten ? tokens * dim : dim, target.classes], init: { kind: "glorot" } },
      b: { shape: [target.classes], init: { kind: "zeros" } },
    }),
  );
  return {
    specs,
    embed: (x, p) => {
      const expected = input.kind === "features" ? [tokens, input.features] : [tokens];
      if (x.rank !== expected.length + 1 || expected.some((d, i) => x.shape[i + 1] !== d)) {
        throw new UnfoldError("embed", `input must have shape [batch, ${expected.join(", ")}], got [${x.shape.join(", ")}]`);
      }
      const tokenVectors = input.kind === "features" ? linear(x, p["embed.W"]!, p["embed.b"]!) : embedTokens(x, p["embed.table"]!);
      return ops.add(tokenVectors, p["embed.position"]!);
    },
    head: (state, p) => {
      const features =
        target.kind !== "class" ? state : flatten ? ops.reshape(state, [...state.shape.slice(0, -2), tokens * dim]) : meanPool(state);
      return linear(features, p["head.W"]!, p["head.b"]!);
    },
  };
}
