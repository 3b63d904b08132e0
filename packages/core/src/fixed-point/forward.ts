// solveFixedPoint: runs a layer map T to its fixed point Y* = T(Y*) with one of three forward
// solvers, keeping the state (and Anderson's history) on the backend and reading back only the
// scalars each iteration's stopping test and guard need. See docs/fixed-points.md, section 2.
import type { Backend, DeviceTensor } from "../backend/backend.js";
import type { HostTensor } from "../backend/tensor.js";
import { UnfoldError } from "../errors.js";
import type { Unfolding } from "../unfold/schedule.js";
import { describeValue } from "../validate.js";
import { anderson } from "./anderson.js";
import { SOLVE, SolveContext } from "./forward-context.js";
import { iterate } from "./forward-iteration.js";
import { type FixedPointOptions, type FixedPointSolver, settleOptions } from "./forward-options.js";
import type { FixedPointResult, ResidentFixedPointResult } from "./forward-records.js";
import { type LayerMap, layerMap } from "./layer-map.js";
import { checkLineSearchMap, lineSearch } from "./line-search.js";
import { checkParamInputs, checkTensorInput, isResident } from "./resident-inputs.js";

export type { AndersonOptions, FixedPointOptions, FixedPointSolver, FixedPointStopRule, LineSearchOptions } from "./forward-options.js";
export type { FixedPointRecord, FixedPointResult, FixedPointStop, ResidentFixedPointResult } from "./forward-records.js";
export type { ParamInputs, TensorInput } from "./resident-inputs.js";
export { defaultTolerance as defaultFixedPointTolerance } from "./forward-options.js";

/** A layer map, or a tied unfolding to take one from (see layerMap). */
function toLayerMap<N extends string>(source: Unfolding<N> | LayerMap<N>): LayerMap<N> {
  const s = source as Partial<LayerMap<N> & Unfolding<N>> | undefined;
  if (typeof s === "object" && s !== null && Array.isArray(s.stepSizes) && typeof s.unfolding === "object") return source as LayerMap<N>;
  if (typeof s === "object" && s !== null && typeof s.stepSize === "function" && typeof s.guard === "object") return layerMap(source as Unfolding<N>, SOLVE);
  throw new UnfoldError(SOLVE, `the map must be a tied unfolding (from defineUnfolding) or a layer map (from layerMap), got ${describeValue(source)}`);
}

/**
 * The guard's 'backoff' mode would change T's step sizes, and so the map and (for a step that is not
 * a plain gradient step) its fixed point: refused for iteration and Anderson, which run T as
 * defined. The line search backtracks on the energy itself, so it takes every mode.
 */
function checkGuardMode(map: LayerMap, solver: FixedPointSolver): void {
  if (map.unfolding.guard.mode === "backoff" && solver !== "line-search") {
    throw new UnfoldError(
      SOLVE,
      `solver '${solver}' runs T at its own step sizes, so the guard mode 'backoff' of the unfolding of energy '${map.energy.name}' cannot apply; ` +
        `use guard mode 'warn' or 'throw', or solver 'line-search', which backtracks on the energy`,
    );
  }
}

/**
 * Runs the layer map T of `source` (a tied unfolding or a layer map) from `options.state` until the
 * stopping rule holds or `maxIterations` run out: plain iteration Y <- T(Y), Anderson acceleration,
 * or (for a layer of one gradient step on the whole energy) a backtracking line search on the
 * energy. The state stays on the backend; each iteration reads back only scalars (the residual,
 * ||Y||^2, the energies; Anderson's Gram row and mixed energy; the line search's trial energies).
 * The unfolding's guard watches every layer evaluation ('warn' collects warnings, 'throw' throws a
 * MonotonicityError); the unfolding's layer count and tolerance play no part.
 *
 * Not converging is not an error: the result says converged: false with the reason, unless
 * `requireConvergence` asks for a throw. Every option is checked first, naming the option.
 *
 * The state and each parameter may be host tensors (uploaded once, freed at the end) or tensors
 * already resident on `backend` (used in place, never disposed by the solve). With `resident:
 * true` the fixed point is not read back: the result's state is a DeviceTensor for the caller to
 * dispose, so a caller that keeps its tensors on the device reads back only the solver's scalars.
 */
export function solveFixedPoint<N extends string>(
  source: Unfolding<N> | LayerMap<N>,
  backend: Backend,
  options: FixedPointOptions<NoInfer<N>> & { readonly resident: true },
): Promise<ResidentFixedPointResult>;
export function solveFixedPoint<N extends string>(source: Unfolding<N> | LayerMap<N>, backend: Backend, options: FixedPointOptions<NoInfer<N>>): Promise<FixedPointResult>;
export async function solveFixedPoint<N extends string>(
  source: Unfolding<N> | LayerMap<N>,
  backend: Backend,
  options: FixedPointOptions<NoInfer<N>>,
): Promise<FixedPointResult<HostTensor | DeviceTensor>> {
  const map = toLayerMap(source);
  const b = backend as Partial<Backend> | undefined;
  if (typeof b !== "object" || b === null || typeof b.compile !== "function" || typeof b.upload !== "function") {
    throw new UnfoldError(SOLVE, `backend must be a Backend (with compile and upload), got ${describeValue(backend)}`);
  }
  if (typeof options !== "object" || options === null) throw new UnfoldError(SOLVE, `options must be an object with state and params, got ${describeValue(options)}`);
  const { shape, dtype } = checkTensorInput(SOLVE, "the initial state (options.state)", options.state, backend);
  const settings = settleOptions(SOLVE, options, dtype);
  checkParamInputs(map.energy, options.params, dtype, SOLVE, backend);
  checkGuardMode(map, settings.solver);
  if (settings.solver === "line-search") checkLineSearchMap(map);

  const resident: Record<string, DeviceTensor> = {};
  const ctx = new SolveContext(map, backend, shape, dtype, resident, settings, options);
  try {
    // Resident inputs are used in place and not owned, so the solve never disposes them.
    for (const [name, value] of Object.entries(options.params as Record<string, HostTensor | DeviceTensor>)) resident[name] = isResident(value) ? value : await ctx.upload(value);
    const state = isResident(options.state) ? options.state : await ctx.upload(options.state);
    const start = await ctx.energyAt(state);
    if (settings.solver === "anderson") return await anderson(ctx, state, start);
    if (settings.solver === "line-search") return await lineSearch(ctx, state, start);
    return await iterate(ctx, state, start);
  } finally {
    ctx.disposeAll();
  }
}
