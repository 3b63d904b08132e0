// What runUnfolding takes besides the unfolding and the backend, and the checks that run before
// anything is compiled or uploaded: every mistake is reported naming the option.
import type { Backend } from "../backend/backend.js";
import type { HostTensor } from "../backend/tensor.js";
import type { ParamValues } from "../energy/params.js";
import { FeedError, UnfoldError } from "../errors.js";
import { describeValue, requireFunction, requireNames, requireOneOf, requireOptionalFunction, requireOptions } from "../validate.js";
import type { LayerRecord, StepRecord } from "./records.js";
import type { Unfolding } from "./schedule.js";
import type { StepSizeBound } from "./step-size-policy.js";

/** What runUnfolding takes besides the unfolding and the backend. */
export interface UnfoldRunOptions<N extends string = string> {
  readonly state: HostTensor;
  /**
   * One parameter set (tied weights) or one per layer (untied), by the energy's parameter names
   * (typed: a missing or misspelt name fails to compile).
   */
  readonly params: ParamValues<N> | readonly ParamValues<N>[];
  readonly stepSizeBound?: StepSizeBound;
  /** Called after each layer: progress for long runs. */
  readonly onLayer?: (record: LayerRecord) => void;
  /**
   * Called after each layer (layer 0: the input, as given) with its record and the state after it
   * on the host, and awaited before the next layer runs, so a caller can draw every layer and pace
   * the run (a page waits for an animation frame here). The state comes back in the same
   * transfer as the layer's energies, so asking for it costs no extra round trip to the device;
   * the last one is the state the run returns.
   */
  readonly onLayerState?: (record: LayerRecord, state: HostTensor) => void | Promise<void>;
  /** Called with each step's record as it is taken into the trace (after its backoffs, if any). */
  readonly onStep?: (record: StepRecord) => void;
  /** Called with each warning (a rise under a 'warn' guard, a step size above a checked bound). */
  readonly onWarning?: (message: string) => void;
}

const RUN_OPTIONS = ["state", "params", "stepSizeBound", "onLayer", "onLayerState", "onStep", "onWarning"];

/** The unfolding came from defineUnfolding, the backend is one, and the options are well formed. */
export function checkRunArguments(unfolding: Unfolding, backend: Backend, options: UnfoldRunOptions): void {
  const where = "runUnfolding";
  const u = unfolding as Partial<Unfolding> | undefined;
  if (typeof u !== "object" || u === null || typeof u.stepSize !== "function" || typeof u.guard !== "object") {
    throw new UnfoldError(where, `unfolding must be what defineUnfolding returns, got ${describeValue(unfolding)}; pass the config through defineUnfolding`);
  }
  const b = backend as Partial<Backend> | undefined;
  if (typeof b !== "object" || b === null || typeof b.compile !== "function" || typeof b.upload !== "function") {
    throw new UnfoldError(where, `backend must be a Backend (with compile and upload), got ${describeValue(backend)}`);
  }
  requireOptions(where, "options", options, RUN_OPTIONS);
  requireOptionalFunction(where, "onLayer", options.onLayer);
  requireOptionalFunction(where, "onLayerState", options.onLayerState);
  requireOptionalFunction(where, "onStep", options.onStep);
  requireOptionalFunction(where, "onWarning", options.onWarning);
  const rule = options.stepSizeBound;
  if (rule === undefined) return;
  requireOptions(where, "stepSizeBound", rule, ["mode", "steps", "bound"]);
  requireOneOf(where, "stepSizeBound.mode", rule.mode, ["check", "limit"]);
  requireFunction(where, "stepSizeBound.bound", rule.bound);
  if (rule.steps !== undefined) {
    const names = unfolding.steps.map((s) => s.name);
    for (const name of requireNames(where, "stepSizeBound.steps", rule.steps)) {
      if (!names.includes(name)) throw new UnfoldError(where, `stepSizeBound.steps names '${name}', which is no step of the unfolding (steps: ${names.join(", ")})`);
    }
  }
}

/** The run's parameter sets: one under tied weights, one per layer under untied weights. */
export function layerParams(unfolding: Unfolding, params: ParamValues | readonly ParamValues[]): ParamValues[] {
  if (typeof params !== "object" || params === null) {
    const wanted = unfolding.tiedWeights ? "one parameter set (HostTensors by name)" : `an array of ${unfolding.layers} parameter sets, one per layer`;
    throw new FeedError("runUnfolding", `params must be ${wanted}, got ${describeValue(params)}`);
  }
  if (unfolding.tiedWeights) {
    if (Array.isArray(params)) throw new UnfoldError("runUnfolding", "tied weights take one parameter set, not an array");
    return [params as ParamValues];
  }
  if (!Array.isArray(params) || params.length !== unfolding.layers) {
    const got = Array.isArray(params) ? `${params.length} sets` : "one set";
    throw new UnfoldError("runUnfolding", `untied weights take one parameter set per layer (${unfolding.layers}), got ${got}`);
  }
  return [...params];
}
