import { type Energy, type LayerMap, type Step, defineUnfolding, layerMap } from "@unfold/core";
import type { TrainableSpecs } from "@unfold/nn";
import type { FixedPointConfig } from "../config/schema.js";
import type { FixedPointModel } from "../fixed-point/model.js";
import type { TrainerModel } from "./model.js";

/**
 * How a fixed-point model solves, for its `describe()`: "to tolerance 1e-6 (anderson, at most 100
 * iterations), implicit gradients".
 */
export function describeSolve(fixedPoint: FixedPointConfig): string {
  const tol = fixedPoint.tol === undefined ? "the dtype's default tolerance" : `tolerance ${fixedPoint.tol}`;
  return `to ${tol} (${fixedPoint.solver}, at most ${fixedPoint.maxIterations} iterations), ${fixedPoint.backward} gradients`;
}

/**
 * The trainer's view of a fixed-point model (yang, crate or energy-transformer with
 * model.fixedPoint): one tied layer, the map and its parameters in `fixedPoint`, and no unrolled
 * logits program, since its logits come from the solver.
 */
export function fixedPointTrainerModel(kind: string, specs: TrainableSpecs, fixedPoint: FixedPointModel, describe: () => string): TrainerModel {
  return {
    kind,
    specs,
    layers: 1,
    fixedPoint,
    logits: () => {
      throw new Error("a fixed-point model (model.fixedPoint) has no unrolled logits program: its logits come from the solver (TrainingSession evaluates it)");
    },
    describe,
  };
}

/**
 * A fixed-point model's layer map for each batch size, built on first use and kept: the anchor
 * parameter has the state's shape, so each batch size has its own energy and map. `layer` gives
 * the batch's energy and one layer's steps. The guard is off: the solver's trace records any
 * rise, and training does not stop on one.
 */
export function layerMapsByBatch(layer: (batch: number) => { readonly energy: Energy; readonly steps: readonly Step[] }): (batch: number) => LayerMap {
  const maps = new Map<number, LayerMap>();
  return (batch) => {
    const cached = maps.get(batch);
    if (cached) return cached;
    const { energy, steps } = layer(batch);
    const built = layerMap(defineUnfolding({ energy, steps, layers: 1, tiedWeights: true, guard: { mode: "off" } }));
    maps.set(batch, built);
    return built;
  };
}
