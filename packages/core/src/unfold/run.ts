import type { Backend, DeviceTensor } from "../backend/backend.js";
import { type HostTensor, scalarTensor } from "../backend/tensor.js";
import { FeedError, MonotonicityError, UnfoldError } from "../errors.js";
import { checkHostTensor } from "../backend/host-data.js";
import { describeValue, requireFunction, requireNames, requireOneOf, requireOptionalFunction, requireOptions } from "../validate.js";
import { type ParamValues, checkParams } from "../energy/params.js";
import type { Unfolding } from "./schedule.js";
import type { Step } from "./steps.js";
import { energyProgram, stepProgram, termOutput } from "./programs.js";

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

/** What a step-size bound is asked with: the step about to run, at the current state. */
export interface StepSizeContext {
  readonly step: Step;
  /** The step's index in the layer, and the layer (1-based, as in the trace). */
  readonly stepIndex: number;
  readonly layer: number;
  /** The schedule's step size for this step. */
  readonly scheduled: number;
  /** Host copies of the current state and of this layer's parameters. */
  readonly state: HostTensor;
  readonly params: ParamValues;
}

/**
 * A bound on the step size from outside the schedule, e.g. from the energy's curvature
 * (@unfold/hessian's curvatureStepBound: 2/lambda_max of the Hessian at the current state).
 * "check" leaves the schedule alone and reports a scheduled size above the bound (a warning, or
 * an error under a throw guard); "limit" runs min(scheduled, bound). Consulted before every step
 * it applies to, with the state read back to the host, so it costs a readback per step.
 */
export interface StepSizeBound {
  readonly mode: "check" | "limit";
  /** Only these steps (by name); every step when absent. */
  readonly steps?: readonly string[];
  /** The bound for the step about to run; a positive number. */
  bound(context: StepSizeContext): number | Promise<number>;
}

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
  /** Called with each warning (a rise under a 'warn' guard, a step size above a checked bound). */
  readonly onWarning?: (message: string) => void;
}

/**
 * Runs an unfolding layer by layer on a backend, keeping the state and parameters resident and
 * reading back only energies. Records the energy trace per layer and per step, enforces the
 * monotonicity guard, and stops early on the tolerance.
 */
export async function runUnfolding<N extends string>(
  unfolding: Unfolding<N>,
  backend: Backend,
  options: UnfoldRunOptions<NoInfer<N>>,
): Promise<{ state: HostTensor; trace: UnfoldTrace }> {
  checkRunArguments(unfolding, backend, options);
  const { energy, guard } = unfolding;
  // The state is uploaded before any run, so the run-time feed checks never see its values.
  const { shape, dtype } = checkHostTensor("runUnfolding", "the initial state", options.state);
  const paramSets = layerParams(unfolding, options.params);
  paramSets.forEach((set, i) => checkParams(energy, set, dtype, unfolding.tiedWeights ? "params" : `params[${i}]`));
  const slack = guard.slack ?? (dtype === "float32" ? 1e-5 : 1e-10);

  const energyExe = await backend.compile(energyProgram(energy, shape, dtype));
  const stepExes = await Promise.all(unfolding.steps.map((s) => backend.compile(stepProgram(energy, s, shape, dtype))));
  const owned: DeviceTensor[] = [];
  const upload = async (t: HostTensor): Promise<DeviceTensor> => {
    const d = await backend.upload(t);
    owned.push(d);
    return d;
  };
  const trace: UnfoldTrace = { layers: [], steps: [], warnings: [], stoppedAfter: undefined };
  const warn = (message: string): void => {
    trace.warnings.push(message);
    options.onWarning?.(message);
  };
  // The uploads sit inside the try: one failing (out of device memory) must not leak the others.
  try {
    const resident: Record<string, DeviceTensor>[] = [];
    for (const set of paramSets) {
      const entry: Record<string, DeviceTensor> = {};
      for (const [name, value] of Object.entries(set)) entry[name] = await upload(value);
      resident.push(entry);
    }
    let state = await upload(options.state);
    let current = await readEnergies(await energyExe.run({ state, ...resident[0]! }));
    const layer0 = { layer: 0, ...current };
    trace.layers.push(layer0);
    options.onLayer?.(layer0);
    for (let layer = 0; layer < unfolding.layers; layer++) {
      const params = resident[unfolding.tiedWeights ? 0 : layer]!;
      // An untied layer descends its own energy: the guard and the tolerance must compare
      // energies under this layer's parameters, not the state's energy under the last layer's.
      if (!unfolding.tiedWeights && layer > 0) current = await readEnergies(await energyExe.run({ state, ...params }));
      const start = current;
      for (let s = 0; s < unfolding.steps.length; s++) {
        const step = unfolding.steps[s]!;
        const watched = (r: EnergyRecord): number =>
          guard.watch === "total" ? r.energy : step.terms.reduce((acc, t) => acc + r.terms[t]!, 0);
        // Whatever the guard's mode: the trace records every rise, the mode decides what to do.
        const watching = guard.watch === "total" || step.terms.length > 0;
        let stepSize = unfolding.stepSize(s, layer);
        const rule = options.stepSizeBound;
        if (rule && (!rule.steps || rule.steps.includes(step.name))) {
          const context = { step, stepIndex: s, layer: layer + 1, scheduled: stepSize, state: await state.read(), params: paramSets[unfolding.tiedWeights ? 0 : layer]! };
          const bound = await rule.bound(context);
          if (!(bound > 0)) throw new UnfoldError("runUnfolding", `stepSizeBound returned ${bound} for layer ${layer + 1}, step '${step.name}'; a bound must be a positive number`);
          if (rule.mode === "limit") stepSize = Math.min(stepSize, bound);
          else if (stepSize > bound) {
            const message = `layer ${layer + 1}, step '${step.name}': step size ${stepSize} exceeds the bound ${bound}`;
            if (guard.mode === "throw") throw new UnfoldError("runUnfolding", message);
            warn(message);
          }
        }
        let backoffs = 0;
        while (true) {
          const run = await stepExes[s]!.run({ state, ...params, stepSize: scalarTensor(stepSize, dtype) });
          const record = await readEnergies(run);
          const before = watched(current);
          const after = watched(record);
          // Written as "not at most" so a NaN energy (a step that left the energy's domain, or
          // overflowed) counts as a rise: every comparison with NaN is false, and `>` would
          // let a diverged state through the guard silently.
          const increased = watching && !(after - before <= slack * Math.max(1, Math.abs(before)));
          if (increased && guard.mode === "backoff" && backoffs < guard.maxBackoffs) {
            run["state"]!.dispose();
            stepSize *= guard.backoffFactor;
            backoffs++;
            continue;
          }
          if (increased && guard.mode !== "off") {
            const message =
              `layer ${layer + 1}, step '${step.name}': ${guard.watch === "total" ? "total energy" : `terms ${step.terms.join("+")}`} ` +
              `rose from ${before} to ${after} at step size ${stepSize}` + (backoffs ? ` after ${backoffs} backoffs` : "");
            if (guard.mode === "throw") {
              run["state"]!.dispose();
              throw new MonotonicityError("runUnfolding", message);
            }
            warn(message);
          }
          state.dispose();
          state = run["state"]!;
          owned.push(state);
          current = record;
          trace.steps.push({ layer: layer + 1, step: step.name, stepSize, backoffs, increased, ...record });
          break;
        }
      }
      const rec = { layer: layer + 1, ...current };
      trace.layers.push(rec);
      options.onLayer?.(rec);
      const tol = unfolding.tolerance;
      if (tol !== undefined && Math.abs(start.energy - rec.energy) <= tol * Math.max(1, Math.abs(start.energy))) {
        trace.stoppedAfter = layer + 1;
        break;
      }
    }
    return { state: await state.read(), trace };
  } finally {
    for (const t of owned) if (!t.disposed) t.dispose();
  }
}

const RUN_OPTIONS = ["state", "params", "stepSizeBound", "onLayer", "onWarning"];

/** The unfolding came from defineUnfolding, the backend is one, and the options are well formed. */
function checkRunArguments(unfolding: Unfolding, backend: Backend, options: UnfoldRunOptions): void {
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

function layerParams(unfolding: Unfolding, params: ParamValues | readonly ParamValues[]): ParamValues[] {
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

/** Reads the energy and term outputs of a run and disposes them; the `state` output is left alone. */
async function readEnergies(outs: Record<string, DeviceTensor>): Promise<EnergyRecord> {
  const terms: Record<string, number> = {};
  let energy = NaN;
  for (const [name, t] of Object.entries(outs)) {
    if (name === "state") continue;
    const value = (await t.read()).data[0]!;
    t.dispose();
    if (name === "energy") energy = value;
    else if (name.startsWith("term:")) terms[name.slice(termOutput("").length)] = value;
  }
  return { energy, terms };
}
