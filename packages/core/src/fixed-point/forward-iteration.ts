// Plain iteration Y_{k+1} = T(Y_k): today's unfolding run to a tolerance. The state stays on the
// device; each iteration reads back its scalars (residual, ||Y||^2, the energies) in one transfer.
import type { DeviceTensor } from "../backend/backend.js";
import type { EnergyRecord } from "../unfold/records.js";
import type { SolveContext } from "./forward-context.js";
import type { FixedPointResult } from "./forward-records.js";
import type { HostTensor } from "../backend/tensor.js";
import { compileOnce, signature } from "./compiled.js";
import { energyRecord, readScalars, type Scalars } from "./forward-read.js";
import { ITERATION_OUTPUTS, iterationProgram } from "./forward-programs.js";
import { relativeResidual } from "./forward-guard.js";
import { LAYER_MAP_OUTPUTS } from "./layer-map.js";

/** One evaluation of T at a resident state: T(Y) (resident, owned), and what was read. */
export interface LayerEvaluation {
  readonly next: DeviceTensor;
  /** G = T(Y) - Y (resident, owned) when asked for. */
  readonly residualTensor: DeviceTensor | undefined;
  readonly residualSq: number;
  readonly residual: number;
  /** The energies after each step of the layer; the last is the energy at T(Y). */
  readonly steps: readonly EnergyRecord[];
  readonly after: EnergyRecord;
  /** The scalars of the extra runs read in the same transfer, in order. */
  readonly extra: readonly Scalars[];
}

/**
 * Runs T once at `state` and reads its scalars, with those of `extra` runs (e.g. Anderson's Gram
 * row) that `beforeRead` starts from the fresh outputs, in the same transfer.
 */
export async function evaluateLayer(
  ctx: SolveContext,
  state: DeviceTensor,
  options: { readonly residual: boolean; readonly beforeRead?: (residual: DeviceTensor | undefined) => Promise<readonly Readonly<Record<string, DeviceTensor>>[]> },
): Promise<LayerEvaluation> {
  const key = `iteration:${options.residual ? "residual" : "plain"}:${signature(ctx.shape, ctx.dtype)}`;
  const exe = await compileOnce(ctx.backend, ctx.map, key, () => iterationProgram(ctx.map, ctx.shape, ctx.dtype, { residual: options.residual }));
  const outs = await exe.run({ state, ...ctx.params });
  const next = ctx.own(outs[LAYER_MAP_OUTPUTS.next]!);
  const residualTensor = options.residual ? ctx.own(outs[ITERATION_OUTPUTS.residual]!) : undefined;
  ctx.layerEvaluations++;
  const extraRuns = options.beforeRead ? await options.beforeRead(residualTensor) : [];
  const [scalars, ...extra] = await readScalars(ctx.backend, [outs, ...extraRuns], [LAYER_MAP_OUTPUTS.next, ITERATION_OUTPUTS.residual]);
  const residualSq = scalars!.get(LAYER_MAP_OUTPUTS.residualSq)!;
  const after = energyRecord(scalars!);
  const steps = ctx.map.steps.map((_, s) => (s < ctx.map.steps.length - 1 ? energyRecord(scalars!, `step${s}:`) : after));
  return { next, residualTensor, residualSq, residual: relativeResidual(residualSq, scalars!.get(LAYER_MAP_OUTPUTS.stateSq)!), steps, after, extra };
}

/** Plain iteration from `state` (resident, owned) whose energy is `start`. */
export async function iterate(ctx: SolveContext, state: DeviceTensor, start: EnergyRecord): Promise<FixedPointResult<HostTensor | DeviceTensor>> {
  let current = start;
  let y = state;
  for (let k = 1; k <= ctx.settings.maxIterations; k++) {
    const step = await evaluateLayer(ctx, y, { residual: false });
    const increased = ctx.guard(k, current, step.steps);
    ctx.release(y);
    y = step.next;
    const energyChange = step.after.energy - current.energy;
    ctx.record({ iteration: k, residual: step.residual, ...step.after, energyChange, layerEvaluations: ctx.layerEvaluations, increased });
    if (!Number.isFinite(step.residualSq) || !Number.isFinite(step.after.energy)) return ctx.finish(y, "nonFinite", ctx.nonFinite(k, step.residualSq, step.after.energy));
    if (ctx.stops(step.residual, current.energy, step.after.energy)) return ctx.finish(y, "tolerance", undefined);
    current = step.after;
  }
  return ctx.finish(y, "maxIterations", ctx.outOfIterations());
}
