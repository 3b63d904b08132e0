// What solveFixedPoint takes besides the map and the backend, and the checks that run before
// anything is compiled or uploaded: every mistake is reported naming the option. The defaults are
// filled in here, so the solvers read one settled record.
import type { DType } from "../dtype.js";
import type { TensorInput, ParamInputs } from "./resident-inputs.js";
import { UnfoldError } from "../errors.js";
import {
  describeValue,
  requireBoolean,
  requireInteger,
  requireNonNegative,
  requireOneOf,
  requireOptionalFunction,
  requireOptions,
  requirePositive,
} from "../validate.js";
import type { FixedPointRecord } from "./forward-records.js";

/** Which forward solver runs: plain iteration of T, Anderson acceleration, or a line search on the energy. */
export type FixedPointSolver = "iteration" | "anderson" | "line-search";

/**
 * What stops the solver: the relative residual ||T(Y) - Y|| / ||Y|| at most `tol`, the energy
 * changing by at most `tol` of its magnitude in one iteration, or both at once.
 */
export type FixedPointStopRule = "residual" | "energy" | "both";

/** Anderson acceleration's settings (solver 'anderson'). */
export interface AndersonOptions {
  /** m: how many past iterates and residuals are mixed (default 5). */
  readonly memory?: number;
  /** beta in (0, 1]: the mix takes beta of the residual (default 1, the undamped mix). */
  readonly mixing?: number;
  /** lambda: added to the Gram matrix's diagonal, relative to the newest residual's ||G_k||^2 (default 1e-8). */
  readonly regularization?: number;
  /**
   * Whether a mixed iterate whose energy is above that of the plain step T(Y) is refused for the
   * plain step (default true): safeguarded Anderson, which never does worse than iteration.
   */
  readonly safeguard?: boolean;
}

/** The line search's settings (solver 'line-search'): backtracking on the energy (Armijo). */
export interface LineSearchOptions {
  /** The first trial's step size at the first iteration (default: the map's own step size). */
  readonly initialStepSize?: number;
  /** Each backtrack multiplies the trial step size by this, in (0, 1) (default 0.5). */
  readonly shrink?: number;
  /**
   * Each iteration's first trial is the last accepted step size times this, >= 1 (default 1.5: with
   * the default shrink, 2 would make the search settle on the largest size Armijo accepts, which
   * zigzags across narrow valleys).
   */
  readonly grow?: number;
  /** c in (0, 1) of the Armijo test E(Y - t d) <= E(Y) - c t <grad E, d> (default 1e-4). */
  readonly sufficientDecrease?: number;
  /** Backtracks allowed per iteration before the search gives up (default 30). */
  readonly maxBacktracks?: number;
}

/** What solveFixedPoint takes besides the map (or tied unfolding) and the backend. */
export interface FixedPointOptions<N extends string = string> {
  /**
   * Y_0, the iteration's starting point: a host tensor, or a tensor resident on the solve's
   * backend (used in place and never disposed by the solve).
   */
  readonly state: TensorInput;
  /**
   * The one parameter set of the tied map, by the energy's parameter names: each a host tensor
   * (uploaded once for the solve) or a tensor resident on the solve's backend (used in place).
   */
  readonly params: ParamInputs<N>;
  /** Default 'iteration'. */
  readonly solver?: FixedPointSolver;
  /** The stopping tolerance (default 1e-6 in float64, 1e-4 in float32). */
  readonly tol?: number;
  /** Iterations allowed before the solver stops unconverged (default 200). */
  readonly maxIterations?: number;
  /** Default 'residual'. */
  readonly stopOn?: FixedPointStopRule;
  /** Only with solver 'anderson'. */
  readonly anderson?: AndersonOptions;
  /** Only with solver 'line-search'. */
  readonly lineSearch?: LineSearchOptions;
  /** Throw when the solver stops unconverged instead of returning converged: false (default false). */
  readonly requireConvergence?: boolean;
  /**
   * Return the fixed point resident on the backend instead of reading it back (default false):
   * the result's `state` is then a DeviceTensor the caller owns and disposes.
   */
  readonly resident?: boolean;
  /** Called with each iteration's record as it is taken into the trace. */
  readonly onIteration?: (record: FixedPointRecord) => void;
  /** Called with each warning (a rise under a 'warn' guard). */
  readonly onWarning?: (message: string) => void;
}

/** The options with every default filled in. */
export interface SettledOptions {
  readonly solver: FixedPointSolver;
  readonly tol: number;
  readonly maxIterations: number;
  readonly stopOn: FixedPointStopRule;
  readonly anderson: Required<AndersonOptions>;
  readonly lineSearch: Required<Omit<LineSearchOptions, "initialStepSize">> & { readonly initialStepSize: number | undefined };
  readonly requireConvergence: boolean;
  readonly resident: boolean;
}

const OPTIONS = ["state", "params", "solver", "tol", "maxIterations", "stopOn", "anderson", "lineSearch", "requireConvergence", "resident", "onIteration", "onWarning"];
const ANDERSON = ["memory", "mixing", "regularization", "safeguard"];
const LINE_SEARCH = ["initialStepSize", "shrink", "grow", "sufficientDecrease", "maxBacktracks"];
const SOLVERS: readonly FixedPointSolver[] = ["iteration", "anderson", "line-search"];
const STOP_RULES: readonly FixedPointStopRule[] = ["residual", "energy", "both"];

/** The default tolerance: what the dtype's rounding lets a relative residual reach with room to spare. */
export function defaultTolerance(dtype: DType): number {
  return dtype === "float32" ? 1e-4 : 1e-6;
}

/** A number strictly between 0 and 1 (a ratio), or an error naming the option. */
function requireFraction(op: string, field: string, value: unknown, includeOne = false): number {
  if (typeof value !== "number" || !(value > 0 && (includeOne ? value <= 1 : value < 1))) {
    throw new UnfoldError(op, `${field} must be in (0, 1${includeOne ? "]" : ")"}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks the options (not the state and params, which the solver checks against the map) and
 * fills the defaults. Options for a solver other than the one chosen are refused, not ignored.
 */
export function settleOptions(op: string, options: FixedPointOptions, dtype: DType): SettledOptions {
  requireOptions(op, "options", options, OPTIONS);
  const solver = options.solver === undefined ? "iteration" : requireOneOf(op, "solver", options.solver, SOLVERS);
  const tol = options.tol === undefined ? defaultTolerance(dtype) : requirePositive(op, "tol", options.tol);
  const maxIterations = options.maxIterations === undefined ? 200 : requireInteger(op, "maxIterations", options.maxIterations, 1);
  const stopOn = options.stopOn === undefined ? "residual" : requireOneOf(op, "stopOn", options.stopOn, STOP_RULES);
  requireBoolean(op, "requireConvergence", options.requireConvergence);
  requireBoolean(op, "resident", options.resident);
  requireOptionalFunction(op, "onIteration", options.onIteration);
  requireOptionalFunction(op, "onWarning", options.onWarning);
  if (options.anderson !== undefined && solver !== "anderson") {
    throw new UnfoldError(op, `anderson options are given but solver is '${solver}'; set solver: 'anderson' or leave them out`);
  }
  if (options.lineSearch !== undefined && solver !== "line-search") {
    throw new UnfoldError(op, `lineSearch options are given but solver is '${solver}'; set solver: 'line-search' or leave them out`);
  }
  const a = (options.anderson === undefined ? {} : requireOptions(op, "anderson", options.anderson, ANDERSON)) as AndersonOptions;
  const l = (options.lineSearch === undefined ? {} : requireOptions(op, "lineSearch", options.lineSearch, LINE_SEARCH)) as LineSearchOptions;
  requireBoolean(op, "anderson.safeguard", a.safeguard);
  if (l.grow !== undefined && (typeof l.grow !== "number" || !Number.isFinite(l.grow) || l.grow < 1)) {
    throw new UnfoldError(op, `lineSearch.grow must be a finite number >= 1, got ${describeValue(l.grow)}`);
  }
  return {
    solver,
    tol,
    maxIterations,
    stopOn,
    anderson: {
      memory: a.memory === undefined ? 5 : requireInteger(op, "anderson.memory", a.memory, 1),
      mixing: a.mixing === undefined ? 1 : requireFraction(op, "anderson.mixing", a.mixing, true),
      regularization: a.regularization === undefined ? 1e-8 : requireNonNegative(op, "anderson.regularization", a.regularization),
      safeguard: a.safeguard ?? true,
    },
    lineSearch: {
      initialStepSize: l.initialStepSize === undefined ? undefined : requirePositive(op, "lineSearch.initialStepSize", l.initialStepSize),
      shrink: l.shrink === undefined ? 0.5 : requireFraction(op, "lineSearch.shrink", l.shrink),
      grow: l.grow ?? 1.5,
      sufficientDecrease: l.sufficientDecrease === undefined ? 1e-4 : requireFraction(op, "lineSearch.sufficientDecrease", l.sufficientDecrease),
      maxBacktracks: l.maxBacktracks === undefined ? 30 : requireInteger(op, "lineSearch.maxBacktracks", l.maxBacktracks, 0),
    },
    requireConvergence: options.requireConvergence ?? false,
    resident: options.resident ?? false,
  };
}
