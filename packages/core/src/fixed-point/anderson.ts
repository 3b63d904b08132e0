// Anderson acceleration (type II, the constrained form) with an energy safeguard. The last m
// iterates Y_i and residuals G_i = T(Y_i) - Y_i stay on the device; per iteration the host reads
// the layer's scalars with the Gram matrix's new row <G_k, G_i> (one transfer), solves the m x m
// problem in float64, and reads the mixed iterate's energy (a second transfer). See
// docs/fixed-points.md, section 2.
import { type HostTensor, scalarTensor } from "../backend/tensor.js";
import type { DeviceTensor } from "../backend/backend.js";
import type { EnergyRecord } from "../unfold/records.js";
import { ANDERSON_NAMES, gramRowProgram, mixProgram } from "./anderson-programs.js";
import { andersonWeights } from "./anderson-weights.js";
import type { SolveContext } from "./forward-context.js";
import { energyRose } from "./forward-guard.js";
import { energyRecord, readScalars } from "./forward-read.js";
import type { FixedPointResult } from "./forward-records.js";
import { evaluateLayer } from "./forward-iteration.js";
import { compileOnce, signature } from "./compiled.js";

/** One history entry: an iterate and its residual, both resident. */
interface Entry {
  readonly iterate: DeviceTensor;
  readonly residual: DeviceTensor;
}

/** A resident state and its energy. */
interface Point {
  readonly state: DeviceTensor;
  readonly record: EnergyRecord;
}

/** The window of past iterates and residuals, with their Gram matrix on the host. */
class History {
  readonly entries: Entry[] = [];
  // gram[i][j] = <G_i, G_j>, oldest first; one new row per iteration.
  readonly gram: number[][] = [];

  constructor(
    private readonly ctx: SolveContext,
    private readonly memory: number,
  ) {}

  /** The entries that stay in the window when a new one joins. */
  kept(): Entry[] {
    return this.entries.slice(Math.max(0, this.entries.length - this.memory + 1));
  }

  /** Adds the newest entry with its dots against kept() and its own squared norm, dropping the oldest beyond m. */
  push(entry: Entry, dots: readonly number[], selfDot: number): void {
    while (this.entries.length > dots.length) this.dropOldest();
    this.gram.forEach((row, i) => row.push(dots[i]!));
    this.gram.push([...dots, selfDot]);
    this.entries.push(entry);
  }

  /** Empties the window (a restart), disposing its tensors. */
  clear(): void {
    while (this.entries.length > 0) this.dropOldest();
  }

  private dropOldest(): void {
    const old = this.entries.shift()!;
    this.ctx.release(old.iterate);
    this.ctx.release(old.residual);
    this.gram.shift();
    for (const row of this.gram) row.shift();
  }
}

/**
 * Anderson acceleration from `state` (resident, owned) whose energy is `start`. With the safeguard,
 * a mixed iterate is refused for the plain step when its energy is above the plain step's, and
 * taken back when the layer then raises what it promises to lower from it: the iterate returns to
 * that plain step and the history restarts (the layer's promise holds for the states it makes,
 * e.g. inside a projection's set, which a mix may leave). Without it, the guard judges those rises.
 */
export async function anderson(ctx: SolveContext, state: DeviceTensor, start: EnergyRecord): Promise<FixedPointResult<HostTensor | DeviceTensor>> {
  const { memory, mixing, regularization, safeguard } = ctx.settings.anderson;
  const { dtype, shape, backend } = ctx;
  const history = new History(ctx, memory);
  let current = start;
  let y = state;
  // When y is an accepted mix (under the safeguard): the plain step it was preferred to, to return to.
  let fallback: Point | undefined;
  for (let k = 1; k <= ctx.settings.maxIterations; k++) {
    const kept = history.kept();
    const step = await evaluateLayer(ctx, y, {
      residual: true,
      beforeRead: async (g) => {
        if (kept.length === 0) return [];
        const row = await compileOnce(backend, undefined, `gramRow:${kept.length}:${signature(shape, dtype)}`, () => gramRowProgram(shape, dtype, kept.length));
        return [await row.run({ [ANDERSON_NAMES.residual]: g!, ...Object.fromEntries(kept.map((e, i) => [ANDERSON_NAMES.history(i), e.residual])) })];
      },
    });
    const verdict = ctx.verdict(k, current, step.steps);
    const energyChange = step.after.energy - current.energy;
    const base = { iteration: k, residual: step.residual, energyChange, increased: verdict.increased, plainEnergy: step.after.energy };
    if (fallback !== undefined && verdict.increased) {
      // The layer rose from the mix: take the mix back, restart from the plain step it displaced.
      for (const t of [step.next, step.residualTensor!, y]) ctx.release(t);
      history.clear();
      ({ state: y, record: current } = fallback);
      fallback = undefined;
      ctx.record({ ...base, ...current, layerEvaluations: ctx.layerEvaluations, history: 0, safeguarded: true });
      continue;
    }
    ctx.act(verdict);
    if (fallback !== undefined) ctx.release(fallback.state);
    fallback = undefined;
    const nonFinite = !Number.isFinite(step.residualSq) || !Number.isFinite(step.after.energy);
    if (nonFinite || ctx.stops(step.residual, current.energy, step.after.energy)) {
      ctx.record({ ...base, ...step.after, layerEvaluations: ctx.layerEvaluations, history: 0, safeguarded: false });
      return nonFinite ? ctx.finish(step.next, "nonFinite", ctx.nonFinite(k, step.residualSq, step.after.energy)) : ctx.finish(step.next, "tolerance", undefined);
    }
    const dots = kept.map((_, i) => step.extra[0]!.get(ANDERSON_NAMES.dot(i))!);
    history.push({ iterate: y, residual: step.residualTensor! }, dots, step.residualSq);

    const mixed = await mix(ctx, history.entries, andersonWeights(history.gram, regularization), mixing);
    // The safeguard: a mixed iterate above the plain step's energy (or not finite) gives way to T(Y_k).
    const refused = safeguard && energyRose(step.after.energy, mixed.record.energy, ctx.map.unfolding.guard.slack, dtype);
    if (refused) {
      ctx.release(mixed.state);
      ({ state: y, record: current } = { state: step.next, record: step.after });
    } else {
      if (safeguard) fallback = { state: step.next, record: step.after };
      else ctx.release(step.next);
      ({ state: y, record: current } = mixed);
    }
    ctx.record({ ...base, ...current, layerEvaluations: ctx.layerEvaluations, history: history.entries.length, safeguarded: refused });
  }
  return ctx.finish(y, "maxIterations", ctx.outOfIterations());
}

/** Runs the mix sum_i alpha_i (Y_i + beta G_i) on the device and reads its energy. */
async function mix(ctx: SolveContext, entries: readonly Entry[], alpha: Float64Array, mixing: number): Promise<Point> {
  const { backend, dtype, shape } = ctx;
  const exe = await compileOnce(backend, ctx.map.energy, `mix:${entries.length}:${signature(shape, dtype)}`, () => mixProgram(ctx.map.energy, shape, dtype, entries.length));
  const feeds: Record<string, DeviceTensor | HostTensor> = { ...ctx.params, [ANDERSON_NAMES.mixing]: scalarTensor(mixing, dtype) };
  entries.forEach((e, i) => {
    feeds[ANDERSON_NAMES.iterate(i)] = e.iterate;
    feeds[ANDERSON_NAMES.history(i)] = e.residual;
    feeds[ANDERSON_NAMES.weight(i)] = scalarTensor(alpha[i]!, dtype);
  });
  const outs = await exe.run(feeds);
  const state = ctx.own(outs[ANDERSON_NAMES.state]!);
  const record = energyRecord((await readScalars(backend, [outs], [ANDERSON_NAMES.state]))[0]!);
  ctx.energyEvaluations++;
  return { state, record };
}
