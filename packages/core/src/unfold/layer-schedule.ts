// The schedule of a run: which layers run, with which parameter set, which steps in which order
// at which scheduled step sizes, and when the tolerance stops the run early. It knows nothing of
// backends, the guard or step-size bounds; runUnfolding walks it.
import type { Unfolding } from "./schedule.js";
import type { Step } from "./steps.js";

/** One step of one layer, as scheduled (before any bound or backoff changes its size). */
export interface ScheduledStep {
  readonly step: Step;
  /** The step's index in the layer (0-based, as Unfolding.stepSize takes it). */
  readonly index: number;
  /** The schedule's step size for this step at this layer. */
  readonly scheduled: number;
}

/** One layer of a run. */
export interface ScheduledLayer {
  /** The layer's number, 1-based as in the trace (layer 0 is the input). */
  readonly layer: number;
  /** Which of the run's parameter sets the layer uses: 0 under tied weights, else its own. */
  readonly paramSet: number;
  /**
   * Whether the layer's parameters differ from the previous layer's, so the energy the guard and
   * the tolerance compare against must be read again under them: an untied layer descends its
   * own energy, not the state's energy under the last layer's parameters.
   */
  readonly newParams: boolean;
  readonly steps: readonly ScheduledStep[];
}

/** The layers of an unfolding in order, each with its steps and their scheduled sizes. */
export function* layerSchedule(unfolding: Unfolding): Generator<ScheduledLayer> {
  for (let layer = 0; layer < unfolding.layers; layer++) {
    yield {
      layer: layer + 1,
      paramSet: unfolding.tiedWeights ? 0 : layer,
      newParams: !unfolding.tiedWeights && layer > 0,
      steps: unfolding.steps.map((step, index) => ({ step, index, scheduled: unfolding.stepSize(index, layer) })),
    };
  }
}

/**
 * Whether a layer that took the total energy from `start` to `end` stops the run: it changed the
 * energy by at most `tolerance` times its magnitude (or, below magnitude 1, by at most
 * `tolerance`). Never without a tolerance.
 */
export function toleranceReached(tolerance: number | undefined, start: number, end: number): boolean {
  return tolerance !== undefined && Math.abs(start - end) <= tolerance * Math.max(1, Math.abs(start));
}
