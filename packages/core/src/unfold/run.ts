// runUnfolding: the orchestration of a run. It walks the schedule (layer-schedule.ts), takes each
// step at the size the step-size policy gives (step-size-policy.ts), asks the guard what to do
// about the result (guard-decision.ts), and owns everything on the device: the compiled programs,
// the resident state and parameters, and the readback of energies (readback.ts).
import { type Backend, type DeviceTensor, readTensors } from "../backend/backend.js";
import { type HostTensor, scalarTensor } from "../backend/tensor.js";
import { MonotonicityError } from "../errors.js";
import { checkHostTensor } from "../backend/host-data.js";
import { checkParams } from "../energy/params.js";
import type { Unfolding } from "./schedule.js";
import { energyProgram, stepProgram } from "./programs.js";
import type { EnergyRecord, StepRecord, UnfoldTrace } from "./records.js";
import { type RunOutputs, type RunRead, readRuns } from "./readback.js";
import type { Step } from "./steps.js";
import { type UnfoldRunOptions, checkRunArguments, layerParams } from "./run-options.js";
import { layerSchedule, toleranceReached } from "./layer-schedule.js";
import { applyStepSizeBound, backoffStepSize, boundAppliesTo } from "./step-size-policy.js";
import { decideGuard } from "./guard-decision.js";

export type { EnergyRecord, LayerRecord, StepRecord, UnfoldTrace } from "./records.js";
export type { StepSizeBound, StepSizeContext } from "./step-size-policy.js";
export type { UnfoldRunOptions } from "./run-options.js";

/**
 * Runs an unfolding layer by layer on a backend, keeping the state and parameters resident and
 * reading back only energies (and the state after each layer when `onLayerState` asks for it).
 * Records the energy trace per layer and per step, enforces the monotonicity guard, and stops
 * early on the tolerance.
 *
 * Reads are batched: each program run's energy and terms come back in one transfer, and under a
 * guard that never changes the run ('off', 'warn') and no step-size bound, a whole layer's reads
 * (its steps' energies and the state after it) share one.
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
  // Runs whose energies wait to be read with the rest of their layer: disposed if the run fails first.
  let pending: RunOutputs[] = [];
  const upload = async (t: HostTensor): Promise<DeviceTensor> => {
    const d = await backend.upload(t);
    owned.push(d);
    return d;
  };
  // A parameter tensor shared by several sets (untied sets made from one) is uploaded once.
  const uploadedParams = new Map<HostTensor, DeviceTensor>();
  const uploadParam = async (t: HostTensor): Promise<DeviceTensor> => {
    const known = uploadedParams.get(t) ?? (await upload(t));
    uploadedParams.set(t, known);
    return known;
  };
  const read = (runs: RunOutputs[]): Promise<RunRead[]> => readRuns(backend, runs);
  const trace: UnfoldTrace = { layers: [], steps: [], warnings: [], stoppedAfter: undefined };
  const warn = (message: string): void => {
    trace.warnings.push(message);
    options.onWarning?.(message);
  };
  const takeStep = (record: StepRecord): void => {
    trace.steps.push(record);
    options.onStep?.(record);
  };
  const wantStates = options.onLayerState !== undefined;
  // Neither mode ever drops a step, and without a bound nothing reads the state before a step,
  // so nothing needs a step's energies before the layer's last step has run.
  const deferReads = (guard.mode === "off" || guard.mode === "warn") && options.stepSizeBound === undefined;
  // The uploads sit inside the try: one failing (out of device memory) must not leak the others.
  try {
    const resident: Record<string, DeviceTensor>[] = [];
    for (const set of paramSets) {
      const entry: Record<string, DeviceTensor> = {};
      for (const [name, value] of Object.entries(set)) entry[name] = await uploadParam(value);
      resident.push(entry);
    }
    let state = await upload(options.state);
    let current = (await read([{ outs: await energyExe.run({ state, ...resident[0]! }), withState: false }]))[0]!.record;
    let hostState: HostTensor | undefined;
    const layer0 = { layer: 0, ...current };
    trace.layers.push(layer0);
    options.onLayer?.(layer0);
    await options.onLayerState?.(layer0, options.state);
    for (const { layer, paramSet, newParams, steps } of layerSchedule(unfolding)) {
      const params = resident[paramSet]!;
      // Parameters that are the very tensors of the last layer give the energy already read.
      const reread = newParams && Object.entries(params).some(([name, t]) => resident[paramSet - 1]![name] !== t);
      hostState = undefined;
      let start: EnergyRecord;
      if (deferReads) {
        const taken: { step: Step; stepSize: number }[] = [];
        if (reread) pending.push({ outs: await energyExe.run({ state, ...params }), withState: false });
        for (const [i, { step, index, scheduled }] of steps.entries()) {
          const run = await stepExes[index]!.run({ state, ...params, stepSize: scalarTensor(scheduled, dtype) });
          state.dispose();
          state = run["state"]!;
          owned.push(state);
          pending.push({ outs: run, withState: wantStates && i === steps.length - 1 });
          taken.push({ step, stepSize: scheduled });
        }
        const reads = await read(pending);
        pending = [];
        if (reread) current = reads.shift()!.record;
        start = current;
        taken.forEach(({ step, stepSize }, i) => {
          const { record, state: host } = reads[i]!;
          const retryStepSize = backoffStepSize(stepSize, 0, guard);
          const decision = decideGuard({ before: current, after: record, guard, dtype, step, layer, stepSize, backoffs: 0, retryStepSize });
          if (decision.action === "warn") warn(decision.message);
          current = record;
          hostState = host;
          takeStep({ layer, step: step.name, stepSize, backoffs: 0, increased: decision.increased, ...record });
        });
      } else {
        if (reread) current = (await read([{ outs: await energyExe.run({ state, ...params }), withState: false }]))[0]!.record;
        start = current;
        for (const [i, { step, index, scheduled }] of steps.entries()) {
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
            // The layer's last step brings the state back with its energies, when it is wanted.
            const { record, state: host } = (await read([{ outs: run, withState: wantStates && i === steps.length - 1 }]))[0]!;
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
            hostState = host;
            takeStep({ layer, step: step.name, stepSize, backoffs, increased: decision.increased, ...record });
            break;
          }
        }
      }
      const rec = { layer, ...current };
      trace.layers.push(rec);
      options.onLayer?.(rec);
      if (wantStates) {
        // A layer of no steps leaves the state as it was; read it here.
        hostState ??= (await readTensors(backend, [state]))[0]!;
        await options.onLayerState!(rec, hostState);
      }
      if (toleranceReached(unfolding.tolerance, start.energy, rec.energy)) {
        trace.stoppedAfter = layer;
        break;
      }
    }
    // The state after the last layer was read with its energies when the caller asked for states.
    return { state: hostState ?? (await state.read()), trace };
  } finally {
    for (const { outs } of pending) for (const t of Object.values(outs)) t.dispose();
    for (const t of owned) if (!t.disposed) t.dispose();
  }
}
