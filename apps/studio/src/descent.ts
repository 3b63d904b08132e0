// The live descent: an unfolding run one layer at a time, so that the page gets the tokens after
// every layer (runUnfolding reads back only energies) while each layer is still core's own
// runUnfolding, with its energy records and its guard's verdict on every step.
import { type Backend, type StepRecord, type Unfolding, defineUnfolding, runUnfolding, toFloat64 } from "@unfold/core";
import { type DescentSettings, unfoldingFor } from "./descent-settings.js";
import type { SceneInstance } from "./scenes.js";

export { type DescentSettings, unfoldingFor } from "./descent-settings.js";

/** The energy and its terms after one layer (layer 0: the input). */
export interface LayerEnergy {
  readonly layer: number;
  readonly energy: number;
  readonly terms: Readonly<Record<string, number>>;
}

/** A step that raised what it should lower (StepRecord.increased): the guard's event. */
export interface GuardEvent {
  /** The layer the step belongs to (1-based: the step moves the state from layer-1 to layer). */
  readonly layer: number;
  readonly step: string;
  readonly energy: number;
}

export interface DescentResult {
  readonly layers: LayerEnergy[];
  readonly guardEvents: GuardEvent[];
  /** The tokens after each layer, index 0 the input, as float64 in the state's layout. */
  readonly states: Float64Array[];
  readonly shape: readonly number[];
  /** Wall time of the whole run, compile included, the time spent in `onLayer` (drawing, waiting for frames) excluded. */
  readonly ms: number;
}

/** One layer of `full` (layer `layer`, 0-based) as an unfolding of its own. */
function layerUnfolding(full: Unfolding, layer: number): Unfolding {
  const stepSizes: Record<string, number> = {};
  full.steps.forEach((step, s) => {
    if (step.kind !== "projection") stepSizes[step.name] = full.stepSize(s, layer);
  });
  return defineUnfolding({ energy: full.energy, steps: full.steps, layers: 1, tiedWeights: true, stepSizes, guard: full.guard });
}

/**
 * Runs the settings' unfolding layer by layer on `backend`, calling `onLayer` after each with the
 * run so far (the page draws there, one layer per animation frame), and returns the energy trace,
 * the guard's events and the tokens after each layer. Each layer compiles nothing new: its
 * programs are the same for every layer and run (the step size is an input, not a constant), so
 * the backend's compile cache hands back the executables of the first.
 */
export async function runDescent(
  instance: SceneInstance,
  backend: Backend,
  settings: DescentSettings,
  onLayer?: (layer: LayerEnergy, state: Float64Array, sofar: DescentResult) => void | Promise<void>,
): Promise<DescentResult> {
  const start = performance.now();
  let inCallbacks = 0;
  const { unfolding, params } = unfoldingFor(instance, settings);
  let state = instance.state;
  const layers: LayerEnergy[] = [];
  const guardEvents: GuardEvent[] = [];
  const states: Float64Array[] = [toFloat64(state)];
  for (let l = 0; l < unfolding.layers; l++) {
    const { state: next, trace } = await runUnfolding(layerUnfolding(unfolding, l), backend, { state, params: params[l]! });
    if (l === 0) layers.push({ layer: 0, energy: trace.layers[0]!.energy, terms: trace.layers[0]!.terms });
    const after = trace.layers[1]!;
    layers.push({ layer: l + 1, energy: after.energy, terms: after.terms });
    for (const record of trace.steps as StepRecord[]) {
      if (record.increased) guardEvents.push({ layer: l + 1, step: record.step, energy: record.energy });
    }
    state = next;
    states.push(toFloat64(next));
    if (onLayer) {
      const called = performance.now();
      const sofar = { layers, guardEvents, states, shape: instance.state.shape, ms: called - start - inCallbacks };
      await onLayer(layers[layers.length - 1]!, states[states.length - 1]!, sofar);
      inCallbacks += performance.now() - called;
    }
  }
  return { layers, guardEvents, states, shape: instance.state.shape, ms: performance.now() - start - inCallbacks };
}
