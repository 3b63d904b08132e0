// What solveFixedPoint records: one entry per iteration (the residual of the iterate it started
// from, the energy of the iterate it ends at), and what the solve as a whole gives back.
import type { DeviceTensor } from "../backend/backend.js";
import type { HostTensor } from "../backend/tensor.js";
import type { FixedPointSolver } from "./forward-options.js";

/** One iteration of a forward solver. */
export interface FixedPointRecord {
  /** 1-based. */
  readonly iteration: number;
  /** ||T(Y_k) - Y_k|| / ||Y_k|| at the iterate Y_k this iteration started from. */
  readonly residual: number;
  /** The total energy at the iterate this iteration ends at (what the solver returns if it stops here). */
  readonly energy: number;
  /** Each term's energy at that iterate. */
  readonly terms: Readonly<Record<string, number>>;
  /** The change of the energy the stopping rule 'energy' tests (see docs/fixed-points.md, section 2). */
  readonly energyChange: number;
  /** Layer evaluations (applications of T) so far, this iteration's included. */
  readonly layerEvaluations: number;
  /**
   * Whether a step of the layer raised what it promises to lower (the guard's test), recorded
   * under every guard mode; under the line search, whether the accepted step raised the energy.
   */
  readonly increased: boolean;
  /** Anderson: the history size mixed (0 when no mix was tried: the iteration converged). */
  readonly history?: number;
  /** Anderson: the energy at the plain step T(Y_k), which the safeguard compares the mixed iterate's with. */
  readonly plainEnergy?: number;
  /** Anderson: whether the mixed iterate was refused for the plain step T(Y_k) by the safeguard. */
  readonly safeguarded?: boolean;
  /** Line search: the step size accepted, along the layer's own direction (Y - T(Y)) / alpha. */
  readonly stepSize?: number;
  /** Line search: how many trials were refused before it. */
  readonly backtracks?: number;
}

/**
 * Why the solver stopped: the stopping rule held ('tolerance'), the iterations ran out, a
 * residual or energy stopped being finite, or the line search found no decrease.
 */
export type FixedPointStop = "tolerance" | "maxIterations" | "nonFinite" | "lineSearch";

/**
 * What solveFixedPoint gives back. `S` is where the state comes back: on the host (the default),
 * or resident on the solve's backend with options.resident, the caller's to dispose.
 */
export interface FixedPointResult<S extends HostTensor | DeviceTensor = HostTensor> {
  /** The last iterate: T(Y_k) of the last iteration for iteration and Anderson. */
  readonly state: S;
  readonly converged: boolean;
  readonly stoppedBy: FixedPointStop;
  /** Why it did not converge, in words naming the numbers; undefined when it converged. */
  readonly reason: string | undefined;
  readonly solver: FixedPointSolver;
  readonly iterations: number;
  /** Applications of the layer map T. */
  readonly layerEvaluations: number;
  /** Evaluations of the energy outside T (Anderson's mixed iterates, the line search's trials, the start). */
  readonly energyEvaluations: number;
  /** The relative residual of the last iteration, and the energy of the returned state. */
  readonly residual: number;
  readonly energy: number;
  readonly trace: readonly FixedPointRecord[];
  readonly warnings: readonly string[];
}

/** solveFixedPoint's result with options.resident: the fixed point stays on the backend (the caller disposes it). */
export type ResidentFixedPointResult = FixedPointResult<DeviceTensor>;
