// The line search for pure energy descent: the layer is one gradient step on the whole energy,
// Y - alpha d(Y), and the search takes Y - t d(Y) with t backtracked until the energy falls enough
// (Armijo). The state and direction stay on the device; the host reads the slope and the residual
// once per iteration and one energy per trial. See docs/fixed-points.md, section 2.
import type { DeviceTensor } from "../backend/backend.js";
import { type HostTensor, scalarTensor } from "../backend/tensor.js";
import { compileOnce, signature } from "./compiled.js";
import { UnfoldError } from "../errors.js";
import type { EnergyRecord } from "../unfold/records.js";
import { SOLVE, type SolveContext } from "./forward-context.js";
import { relativeResidual } from "./forward-guard.js";
import { guardSlack } from "../unfold/guard-decision.js";
import { energyRecord, readScalars } from "./forward-read.js";
import type { FixedPointResult } from "./forward-records.js";
import { LINE_SEARCH_NAMES, directionProgram, trialProgram } from "./line-search-programs.js";
import { LAYER_MAP_OUTPUTS, type LayerMap } from "./layer-map.js";

/**
 * Refuses a map the line search cannot search along: its layer must be one gradient step on every
 * term of the energy, so that T's fixed points are where the step's direction vanishes and a
 * shorter or longer step along it still descends the same energy.
 */
export function checkLineSearchMap(map: LayerMap): void {
  const { steps, energy } = map;
  const all = energy.terms.map((t) => t.name);
  const describe = steps.map((s) => `'${s.name}' (${s.kind})`).join(", ");
  const refuse = (why: string): never => {
    throw new UnfoldError(SOLVE, `solver 'line-search' is for pure energy descent, a layer of one gradient step on every term of the energy, but the layer of energy '${energy.name}' ${why}; use solver 'iteration' or 'anderson'`);
  };
  if (steps.length !== 1) refuse(`has ${steps.length} steps (${describe})`);
  const step = steps[0]!;
  if (step.kind !== "gradient") refuse(`is step ${describe}, not a gradient step`);
  const missing = all.filter((t) => !step.terms.includes(t));
  if (missing.length > 0) refuse(`descends ${step.terms.join(", ")} and not ${missing.join(", ")}`);
}

/** The line search from `state` (resident, owned) whose energy is `start`. */
export async function lineSearch(ctx: SolveContext, state: DeviceTensor, start: EnergyRecord): Promise<FixedPointResult<HostTensor | DeviceTensor>> {
  const { backend, shape, dtype, map } = ctx;
  const { initialStepSize, shrink, grow, sufficientDecrease, maxBacktracks } = ctx.settings.lineSearch;
  const alpha = map.stepSizes[0]!;
  const directionExe = await compileOnce(backend, map, `direction:${signature(shape, dtype)}`, () => directionProgram(map, shape, dtype));
  const trialExe = await compileOnce(backend, map.energy, `trial:${signature(shape, dtype)}`, () => trialProgram(map.energy, shape, dtype));
  let current = start;
  let y = state;
  let stepSize = initialStepSize ?? alpha;
  for (let k = 1; k <= ctx.settings.maxIterations; k++) {
    const outs = await directionExe.run({ state: y, ...ctx.params });
    const direction = ctx.own(outs[LINE_SEARCH_NAMES.direction]!);
    ctx.layerEvaluations++;
    const scalars = (await readScalars(backend, [outs], [LINE_SEARCH_NAMES.direction]))[0]!;
    const residualSq = scalars.get(LAYER_MAP_OUTPUTS.residualSq)!;
    const slope = scalars.get(LINE_SEARCH_NAMES.slope)!;
    const residual = relativeResidual(residualSq, scalars.get(LAYER_MAP_OUTPUTS.stateSq)!);
    if (!Number.isFinite(residualSq) || !Number.isFinite(slope)) return ctx.finish(y, "nonFinite", ctx.nonFinite(k, residualSq, current.energy));
    if (residualSq === 0) {
      // An exact fixed point: no direction to search along, and nothing left to do.
      ctx.record({ iteration: k, residual, ...current, energyChange: 0, layerEvaluations: ctx.layerEvaluations, increased: false, stepSize: 0, backtracks: 0 });
      return ctx.finish(y, "tolerance", undefined);
    }
    if (!(slope > 0)) {
      return ctx.finish(y, "lineSearch", `iteration ${k}: the layer's direction is no descent direction of energy '${map.energy.name}' (its slope <grad E, Y - T(Y)> is ${slope})`);
    }
    // Where the last accepted step promises a decrease below the energy's rounding (the guard's
    // slack), comparing energies cannot judge step sizes: the search keeps that size (validated
    // while the energy could tell) instead of growing it, and takes it unless the energy rises
    // beyond the rounding; shrinking it to nothing would stall the solve short of the tolerance.
    const rounding = guardSlack(map.unfolding.guard.slack, dtype) * Math.max(1, Math.abs(current.energy));
    if (k > 1 && (stepSize / alpha) * slope > rounding) stepSize *= grow;
    let backtracks = 0;
    let accepted: { state: DeviceTensor; record: EnergyRecord } | undefined;
    while (accepted === undefined) {
      const scale = stepSize / alpha;
      const trial = await trialExe.run({ state: y, [LINE_SEARCH_NAMES.direction]: direction, [LINE_SEARCH_NAMES.scale]: scalarTensor(scale, dtype), ...ctx.params });
      const trialState = ctx.own(trial[LINE_SEARCH_NAMES.state]!);
      const record = energyRecord((await readScalars(backend, [trial], [LINE_SEARCH_NAMES.state]))[0]!);
      ctx.energyEvaluations++;
      // Armijo: E(Y - s D) <= E(Y) - c s <grad E(Y), D>, written as "not above" so NaN is refused;
      // or, for a step whose promised decrease is below the rounding, no rise beyond it.
      const armijo = record.energy <= current.energy - sufficientDecrease * scale * slope;
      const belowRounding = scale * slope <= rounding && record.energy <= current.energy + rounding;
      if (armijo || belowRounding) {
        accepted = { state: trialState, record };
        break;
      }
      ctx.release(trialState);
      if (backtracks === maxBacktracks) {
        const reason = `iteration ${k}: no step size down to ${stepSize} lowered the energy enough from ${current.energy} (Armijo, sufficientDecrease ${sufficientDecrease}) after ${maxBacktracks} backtracks; the relative residual was ${residual}`;
        return ctx.finish(y, "lineSearch", reason);
      }
      stepSize *= shrink;
      backtracks++;
    }
    const step = { name: map.steps[0]!.name, terms: map.energy.terms.map((t) => t.name) };
    const increased = ctx.guard(k, current, [accepted.record], [step], [stepSize]);
    ctx.release(direction);
    ctx.release(y);
    y = accepted.state;
    const energyChange = accepted.record.energy - current.energy;
    ctx.record({ iteration: k, residual, ...accepted.record, energyChange, layerEvaluations: ctx.layerEvaluations, increased, stepSize, backtracks });
    if (ctx.stops(residual, current.energy, accepted.record.energy)) return ctx.finish(y, "tolerance", undefined);
    current = accepted.record;
  }
  return ctx.finish(y, "maxIterations", ctx.outOfIterations());
}
