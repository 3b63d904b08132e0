import type { Tensor } from "@unfold/core";
import type { TrainableSpecs } from "@unfold/nn";
import type { FixedPointModel } from "../fixed-point/model.js";

/**
 * One energy value per layer boundary of an energy model, for a batch of one input: `before[l]`
 * is E_l(Y^l) and `after[l]` is E_l(Y^(l+1)), both under layer l's own energy (its parameters).
 * With tied weights E_l is one energy and after[l] === before[l+1]; with untied weights only
 * after[l] <= before[l] is what descent promises.
 */
export interface EnergyTrace {
  readonly before: readonly Tensor[];
  readonly after: readonly Tensor[];
}

/** A trainable model: its parameters and the traced maps from an input batch to logits (and energies). */
export interface TrainerModel {
  /** "yang", "energy-transformer", "transformer" or "crate". */
  readonly kind: string;
  readonly specs: TrainableSpecs;
  /** Unfolded steps (layers) between the embedding and the head. */
  readonly layers: number;
  /** Logits [batch, classes] for a class target, [batch, tokens, classes] for a token target. */
  logits(input: Tensor, params: Record<string, Tensor>): Tensor;
  /**
   * Fixed-point models only (model.fixedPoint): the layer map iterated to convergence and trained
   * by implicit gradients. Such a model has no unrolled `logits`: the session runs the solver.
   */
  readonly fixedPoint?: FixedPointModel;
  /** Energy models only: the energy at every layer boundary. */
  energyTrace?(input: Tensor, params: Record<string, Tensor>): EnergyTrace;
  /** One line for logs and reports. */
  describe(): string;
}

/**
 * What a model measures by layer on `config.energyInputs` test inputs once trained: an energy
 * model its energy trace, CRATE its coding rate and sparsity; nothing for the baseline. Where
 * it is not "none", the count must fit the test split (checked before training starts).
 */
export function layerFigure(model: TrainerModel): "energy figure" | "crate figures" | "none" {
  if (model.energyTrace) return "energy figure";
  return model.kind === "crate" ? "crate figures" : "none";
}

/** Parameter names of layer `layer` (untied) or the shared set (tied). */
export function layerPrefix(tied: boolean, layer: number): string {
  return tied ? "shared" : `layer${layer}`;
}
