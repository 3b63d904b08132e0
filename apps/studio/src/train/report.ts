// What the training view publishes on window.__studioTraining: the browser test (and anyone at
// the console) reads the run's numbers here rather than from the charts.

/** One training step as the view recorded it. */
export interface TrainingPoint {
  readonly step: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Training time in seconds when the step ended, over the run's steps only (compile, evaluations and pauses excluded). */
  readonly seconds: number;
}

export interface TrainingApi {
  /** Set once the view's controls are wired. */
  ready: boolean;
  state: "idle" | "loading" | "running" | "paused" | "done" | "error";
  /** Runs started since the page loaded: Resume continues a run, so only Train adds one. */
  runs: number;
  backend: string | undefined;
  engine: string | undefined;
  /** The run's total steps (the quick config's epochs over the page's digits). */
  totalSteps: number;
  points: TrainingPoint[];
  /** Steps per second over the steps run so far, compile and pauses excluded. */
  stepsPerSecond: number | undefined;
  /** Test accuracy and arg-max predictions on the test digits, before and after training. */
  testBefore: { readonly accuracy: number; readonly predictions: number[] } | undefined;
  testAfter: { readonly accuracy: number; readonly predictions: number[] } | undefined;
  /** Mean energy by layer over the profiled test digits, before and after. */
  energyBefore: number[] | undefined;
  energyAfter: number[] | undefined;
  /** How often a layer raised the energy in the last profile (descent says never). */
  energyIncreases: number | undefined;
  error: string | undefined;
}

declare global {
  interface Window {
    __studioTraining?: TrainingApi;
  }
}
