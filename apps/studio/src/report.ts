// What the page publishes on window.__studio: the browser test (and anyone at the console)
// reads the last run's numbers from it rather than from the drawing.
import type { BackendName } from "./backends.js";
import type { StepBound } from "./curvature.js";
import type { GuardEvent, LayerEnergy } from "./descent.js";
import type { CurvatureApi } from "./curvature-view/report.js";

/** One run of the descent as the page shows it. */
export interface RunReport {
  readonly energy: string;
  readonly backend: BackendName;
  /** What the backend runs on, in words (e.g. "WebAssembly SIMD, 1 thread"). */
  readonly engine: string;
  readonly layerCount: number;
  /** The tunable step's size in this run. */
  readonly stepSize: number | undefined;
  /** The attention MM step's size (the damping slider) where the scene has that step. */
  readonly damping: number | undefined;
  /** Whether every layer read the same parameter set. */
  readonly tied: boolean;
  /** The MNIST scene's digit: its index among the page's test digits and its label. */
  readonly digit: { readonly index: number; readonly label: number } | undefined;
  readonly layers: LayerEnergy[];
  readonly guardEvents: GuardEvent[];
  /** The run's wall time in the page, compile included. */
  readonly ms: number;
  /** Relative error (core's relativeError) of the energy trace against the float64 reference; 0 on the reference. */
  readonly maxRelativeDifference: number;
  readonly bound: StepBound | undefined;
  /**
   * The Yang attention weights gamma (first sequence, head 0), row-major n x n, at the input and
   * after the last layer; undefined for energies without that term.
   */
  readonly attention: { readonly tokens: number; readonly input: number[]; readonly last: number[] } | undefined;
}

export interface StudioApi {
  /** Set once the page has wired its controls. */
  ready: boolean;
  /** The run under way (or the last one): resolves to its report, rejects with its error. */
  current: Promise<RunReport> | undefined;
  last: RunReport | undefined;
  error: string | undefined;
  /** The curvature view's last update (src/curvature-view), once it is mounted. */
  curvature?: CurvatureApi;
}

declare global {
  interface Window {
    __studio?: StudioApi;
  }
}
