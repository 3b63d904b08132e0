// What runUnfolding records: the energy and its terms after every layer and every step. The
// records live apart from the run so that the guard's decision can read them without the run.

/** The energy and each of its terms at one point of a run. */
export interface EnergyRecord {
  readonly energy: number;
  readonly terms: Readonly<Record<string, number>>;
}

/** The energy after layer `layer` (layer 0 is the input). */
export interface LayerRecord extends EnergyRecord {
  readonly layer: number;
}

/** The energy after one step of one layer, with the step size finally used. */
export interface StepRecord extends EnergyRecord {
  readonly layer: number;
  readonly step: string;
  readonly stepSize: number;
  readonly backoffs: number;
  /**
   * Whether the watched energy (the step's terms, or the total under guard.watch 'total') went
   * up by more than the slack at this step, as it was finally taken (after any backoffs). Recorded
   * under every guard mode, 'off' included: the mode decides only what to do about a rise.
   */
  readonly increased: boolean;
}

/** What runUnfolding records: the energy after every layer and every step, and the warnings. */
export interface UnfoldTrace {
  readonly layers: LayerRecord[];
  readonly steps: StepRecord[];
  readonly warnings: string[];
  /** The layer after which the tolerance stop fired, if it did. */
  stoppedAfter: number | undefined;
}
