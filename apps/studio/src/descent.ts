// The live descent: the settings' whole unfolding as one core runUnfolding, which hands the
// page the tokens after every layer (onLayerState, read back with that layer's energies) and
// waits while the page draws, so the programs compile once, the parameters are uploaded once and
// the state stays on the device from layer to layer.
import { type Backend, runUnfolding, toFloat64 } from "@unfold/core";
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

/**
 * Runs the settings' unfolding on `backend`, calling `onLayer` after each layer with the run so
 * far (the page draws there, one layer per animation frame; the run waits for it), and returns
 * the energy trace, the guard's events and the tokens after each layer. One runUnfolding: its
 * programs are the same for every layer and run (the step size is an input, not a constant), so
 * a later run gets them from the backend's compile cache.
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
  const layers: LayerEnergy[] = [];
  const guardEvents: GuardEvent[] = [];
  const states: Float64Array[] = [];
  const shape = instance.state.shape;
  await runUnfolding(unfolding, backend, {
    state: instance.state,
    params: unfolding.tiedWeights ? params[0]! : params,
    onStep: (record) => {
      if (record.increased) guardEvents.push({ layer: record.layer, step: record.step, energy: record.energy });
    },
    onLayerState: async (record, state) => {
      layers.push({ layer: record.layer, energy: record.energy, terms: record.terms });
      states.push(toFloat64(state));
      if (!onLayer || record.layer === 0) return;
      const called = performance.now();
      await onLayer(layers[layers.length - 1]!, states[states.length - 1]!, { layers, guardEvents, states, shape, ms: called - start - inCallbacks });
      inCallbacks += performance.now() - called;
    },
  });
  return { layers, guardEvents, states, shape, ms: performance.now() - start - inCallbacks };
}
