// What the descent's sliders set, and the unfolding they describe: pure (no DOM), so the
// browser test builds the very same unfolding in Node for its reference trace.
import { type ParamValues, type Unfolding, defineUnfolding } from "@unfold/core";
import type { SceneInstance } from "./scenes.js";
import { tunableStep } from "./scenes.js";

/** What the sliders set. */
export interface DescentSettings {
  readonly layers: number;
  /** The size of the tunable step (scenes.ts) at every layer; the scene's own sizes when absent. */
  readonly stepSize?: number;
}

/**
 * The full unfolding the settings describe, with one parameter set per layer: the same run the
 * page takes layer by layer, taken at once (the browser test's reference runs this in Node).
 */
export function unfoldingFor(instance: SceneInstance, settings: DescentSettings): { unfolding: Unfolding; params: ParamValues[] } {
  const base = instance.unfolding;
  if (!Number.isInteger(settings.layers) || settings.layers < 1) throw new Error(`layers must be a positive integer, got ${settings.layers}`);
  const layers = settings.layers;
  const tunable = tunableStep(base);
  if (settings.stepSize !== undefined && !(settings.stepSize > 0 && Number.isFinite(settings.stepSize))) {
    throw new Error(`step size must be a positive number, got ${settings.stepSize}`);
  }
  const stepSizes: Record<string, number[]> = {};
  base.steps.forEach((step, s) => {
    if (step.kind === "projection") return;
    const override = tunable?.index === s ? settings.stepSize : undefined;
    stepSizes[step.name] = Array.from({ length: layers }, (_, l) => override ?? base.stepSize(s, l % base.layers));
  });
  const unfolding = defineUnfolding({
    energy: base.energy,
    steps: base.steps,
    layers,
    tiedWeights: false,
    stepSizes,
    // 'off' still records every rise (StepRecord.increased): the page marks them instead of stopping.
    guard: { mode: "off", watch: base.guard.watch, ...(base.guard.slack !== undefined ? { slack: base.guard.slack } : {}) },
  });
  const params = Array.from({ length: layers }, (_, l) => instance.params[l % instance.params.length]!);
  return { unfolding, params };
}
