// What the descent's sliders set, and the unfolding they describe: pure (no DOM), so the
// browser test builds the very same unfolding in Node for its reference trace.
import { type ParamValues, type Unfolding, defineUnfolding } from "@unfold/core";
import type { SceneInstance } from "./scenes.js";
import { dampedStep, tunableStep } from "./scenes.js";

/** What the sliders set. */
export interface DescentSettings {
  readonly layers: number;
  /** The size of the tunable step (scenes.ts) at every layer; the scene's own sizes when absent. */
  readonly stepSize?: number;
  /**
   * The size of the Yang attention majorize-minimize step (scenes.ts, dampedStep) at every layer:
   * 1 is the full step, any value in (0, 2) descends its term. The scene's own when absent; an
   * error for a scene without that step.
   */
  readonly damping?: number;
  /**
   * true: layer 0's parameter set at every layer; false: one set per layer (see `weightsOf`).
   * The scene's own arrangement (its unfolding's tiedWeights) when absent.
   */
  readonly tied?: boolean;
}

/** The exclusive bounds of the damping: the MM step descends for any size strictly between them. */
export const DAMPING_RANGE = [0, 2] as const;

/** How a scene's parameters can be arranged over the layers, in words for the page. */
export interface WeightsChoice {
  /** Whether untied weights (one set per layer) can be run for this scene. */
  readonly canUntie: boolean;
  /** The scene's own arrangement. */
  readonly tied: boolean;
  /** What untied means here, or why the scene can only be tied. */
  readonly note: string;
}

const ONE_SET = "this example has one parameter set and draws no more, so it cannot give each layer its own";

/** What the tied/untied toggle offers for `instance`. */
export function weightsChoice(instance: SceneInstance): WeightsChoice {
  const tied = instance.unfolding.tiedWeights;
  if (instance.layerParams) return { canUntie: true, tied, note: "Untied: one seeded parameter set per layer (layer 1 keeps the tied set)." };
  const sets = instance.params.length;
  if (sets > 1) return { canUntie: true, tied, note: `Untied: the example's ${sets} parameter sets, layer l taking set l mod ${sets}. Tied: the first set at every layer.` };
  return { canUntie: false, tied, note: `Tied only: ${ONE_SET}.` };
}

/** A value as an error quotes it: text in quotes (a link may carry "5" where 5 was meant), anything else as it prints. */
function given(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Checks each setting on its own (the share link checks them too), throwing an error that names
 * the setting and the value given.
 */
export function checkDescentSettings(settings: DescentSettings): void {
  const { layers, stepSize, damping, tied } = settings;
  if (!Number.isInteger(layers) || layers < 1) throw new Error(`layers must be a positive integer, got ${given(layers)}`);
  if (stepSize !== undefined && !(typeof stepSize === "number" && stepSize > 0 && Number.isFinite(stepSize))) {
    throw new Error(`step size must be a positive number, got ${given(stepSize)}`);
  }
  if (damping !== undefined && !(typeof damping === "number" && damping > DAMPING_RANGE[0] && damping < DAMPING_RANGE[1])) {
    throw new Error(`damping must be a number in (${DAMPING_RANGE[0]}, ${DAMPING_RANGE[1]}) (1 is the full attention step), got ${given(damping)}`);
  }
  if (tied !== undefined && typeof tied !== "boolean") throw new Error(`tied must be true or false, got ${given(tied)}`);
}

/**
 * The parameter set layer `layer` (0-based) reads under `settings`: the first set everywhere
 * when tied; untied, the scene's seeded set for that layer where it draws them, else its
 * example's sets in turn. Also gives the set a layer past the last would read (the attention view
 * uses it for the tokens after the last layer).
 */
export function weightsOf(instance: SceneInstance, settings: DescentSettings): (layer: number) => ParamValues {
  const tied = settings.tied ?? instance.unfolding.tiedWeights;
  if (tied) return () => instance.params[0]!;
  if (!weightsChoice(instance).canUntie) throw new Error(`tied is false (untied weights), but ${ONE_SET}`);
  const draw = instance.layerParams;
  if (draw) return (layer) => draw(layer);
  return (layer) => instance.params[layer % instance.params.length]!;
}

/**
 * The full unfolding the settings describe, with one parameter set per layer: the same run the
 * page takes layer by layer, taken at once (the browser test's reference runs this in Node).
 */
export function unfoldingFor(instance: SceneInstance, settings: DescentSettings): { unfolding: Unfolding; params: ParamValues[] } {
  checkDescentSettings(settings);
  const base = instance.unfolding;
  const layers = settings.layers;
  const tunable = tunableStep(base);
  const damped = dampedStep(base);
  if (settings.damping !== undefined && !damped) {
    throw new Error(`damping ${settings.damping}: energy '${base.energy.name}' has no attention majorize-minimize step to damp (steps: ${base.steps.map((s) => `'${s.name}' (${s.kind})`).join(", ")})`);
  }
  const stepSizes: Record<string, number[]> = {};
  base.steps.forEach((step, s) => {
    if (step.kind === "projection") return;
    const override = tunable?.index === s ? settings.stepSize : damped?.index === s ? settings.damping : undefined;
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
  const weights = weightsOf(instance, settings);
  const params = Array.from({ length: layers }, (_, l) => weights(l));
  return { unfolding, params };
}
