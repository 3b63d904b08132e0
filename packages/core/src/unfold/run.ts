// runUnfolding: the orchestration of a run. It walks the schedule (layer-schedule.ts), takes each
// step at the size the step-size policy gives (step-size-policy.ts), asks the guard what to do
// about the result (guard-decision.ts), and owns everything on the device: the compiled programs,
// the resident state and parameters, and the readback of energies.
import type { Backend, DeviceTensor } from "../backend/backend.js";
import { type HostTensor, scalarTensor } from "../backend/tensor.js";
import { MonotonicityError } from "../errors.js";
import { checkHostTensor } from "../backend/host-data.js";
import { checkParams } from "../energy/params.js";
import type { Unfolding } from "./schedule.js";
import { energyProgram, stepProgram, termOutput } from "./programs.js";
import type { EnergyRecord, UnfoldTrace } from "./records.js";
import { type UnfoldRunOptions, checkRunArguments, layerParams } from "./run-options.js";
import { layerSchedule, toleranceReached } from "./layer-schedule.js";
import { applyStepSizeBound, backoffStepSize, boundAppliesTo } from "./step-size-policy.js";
import { decideGuard } from "./guard-decision.js";

export type { EnergyRecord, LayerRecord, StepRecord, UnfoldTrace } from "./records.js";
export type { StepSizeBound, StepSizeContext } from "./step-size-policy.js";
export type { UnfoldRunOptions } from "./run-options.js";

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
    for (const { layer, paramSet, newParams, steps } of layerSchedule(unfolding)) {
      const params = resident[paramSet]!;
      if (newParams) current = await readEnergies(await energyExe.run({ state, ...params }));
      const start = current;
      for (const { step, index, scheduled } of steps) {
        let stepSize = scheduled;
        const rule = options.stepSizeBound;
        if (boundAppliesTo(rule, step.name)) {
          const context = { step, stepIndex: index, layer, scheduled, state: await state.read(), params: paramSets[paramSet]! };
          const bound = await rule.bound(context);
          const outcome = applyStepSizeBound({ mode: rule.mode, scheduled, bound, guardMode: guard.mode, layer, step: step.name });
          stepSize = outcome.stepSize;
          if (outcome.warning !== undefined) warn(outcome.warning);
        }
        let backoffs = 0;
        while (true) {
          const run = await stepExes[index]!.run({ state, ...params, stepSize: scalarTensor(stepSize, dtype) });
          const record = await readEnergies(run);
          const retryStepSize = backoffStepSize(stepSize, backoffs, guard);
          const decision = decideGuard({ before: current, after: record, guard, dtype, step, layer, stepSize, backoffs, retryStepSize });
          if (decision.action === "backOff") {
            run["state"]!.dispose();
            stepSize = decision.stepSize;
            backoffs++;
            continue;
          }
          if (decision.action === "throw") {
            run["state"]!.dispose();
            throw new MonotonicityError("runUnfolding", decision.message);
          }
          if (decision.action === "warn") warn(decision.message);
          state.dispose();
          state = run["state"]!;
          owned.push(state);
          current = record;
          trace.steps.push({ layer, step: step.name, stepSize, backoffs, increased: decision.increased, ...record });
          break;
        }
      }
      const rec = { layer, ...current };
      trace.layers.push(rec);
      options.onLayer?.(rec);
      if (toleranceReached(unfolding.tolerance, start.energy, rec.energy)) {
        trace.stoppedAfter = layer;
        break;
      }
    }
    return { state: await state.read(), trace };
  } finally {
    for (const t of owned) if (!t.disposed) t.dispose();
  }
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
