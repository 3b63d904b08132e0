import type { LayerMap, Shape, Tensor } from "@unfold/core";
import type { FixedPointConfig } from "../config/schema.js";

/**
 * A model whose depth is "until the layer map stops moving the state": Y* = T(Y*, theta(params,
 * input)), logits = head(Y*). The map's energy parameters (theta) are computed from the training
 * parameters and the input batch by a traced function, so their gradient goes back to the
 * training parameters by that function's vector-Jacobian product (see docs/fixed-points.md,
 * section 6).
 */
export interface FixedPointModel {
  /** The solver, backward mode and anchor settings (model.fixedPoint). */
  readonly config: FixedPointConfig;
  /** The state's shape for a batch of `batch` inputs: [batch, tokens, dim]. */
  stateShape(batch: number): Shape;
  /** The layer map for a batch of `batch` inputs (its anchor parameter has the state's shape). */
  map(batch: number): LayerMap;
  /** The map's energy parameters from the training parameters and the input batch, traced. */
  mapParams(input: Tensor, params: Record<string, Tensor>): Record<string, Tensor>;
  /** The map's parameter whose value is also the solver's starting state (the anchor X). */
  readonly start: string;
  /** The fixed point to logits, traced. */
  head(state: Tensor, params: Record<string, Tensor>): Tensor;
}
