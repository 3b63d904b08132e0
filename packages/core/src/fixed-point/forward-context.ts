// What every forward solver shares during one solve: the map, the backend and the resident
// parameters, the device tensors it owns (disposed at the end, whatever happens), the trace and
// its callbacks, the guard, and the stopping rule. The solvers (forward-iteration.ts, anderson.ts,
// line-search.ts) run their loops on it.
import type { Backend, DeviceTensor } from "../backend/backend.js";
import type { HostTensor } from "../backend/tensor.js";
import type { DType } from "../dtype.js";
import { MonotonicityError, UnfoldError } from "../errors.js";
import type { Shape } from "../shape.js";
import type { EnergyRecord } from "../unfold/records.js";
import type { Step } from "../unfold/steps.js";
import { energyProgram } from "../unfold/programs.js";
import { compileOnce, signature } from "./compiled.js";
import type { FixedPointOptions, SettledOptions } from "./forward-options.js";
import type { FixedPointRecord, FixedPointResult, FixedPointStop } from "./forward-records.js";
import { type LayerGuardVerdict, guardLayer, stopRuleHolds } from "./forward-guard.js";
import { energyRecord, readScalars } from "./forward-read.js";
import type { LayerMap } from "./layer-map.js";

/** The operation every forward-solver error names. */
export const SOLVE = "solveFixedPoint";

/** One solve's shared state. */
export class SolveContext {
  readonly trace: FixedPointRecord[] = [];
  readonly warnings: string[] = [];
  layerEvaluations = 0;
  energyEvaluations = 0;
  private readonly owned = new Set<DeviceTensor>();

  constructor(
    readonly map: LayerMap,
    readonly backend: Backend,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly params: Readonly<Record<string, DeviceTensor>>,
    readonly settings: SettledOptions,
    private readonly callbacks: Pick<FixedPointOptions, "onIteration" | "onWarning">,
  ) {}

  /** Takes a device tensor into the solve's keeping: disposed by disposeAll unless released first. */
  own<T extends DeviceTensor>(tensor: T): T {
    this.owned.add(tensor);
    return tensor;
  }

  /**
   * Disposes an owned tensor now (history that falls out of the window, a refused trial). A tensor
   * the solve does not own (the caller's resident starting state) is left alone.
   */
  release(tensor: DeviceTensor): void {
    if (this.owned.delete(tensor)) tensor.dispose();
  }

  /** Disposes everything still owned: the end of a solve, returned or thrown. */
  disposeAll(): void {
    for (const t of this.owned) t.dispose();
    this.owned.clear();
  }

  /** Uploads a host tensor, owned. */
  async upload(tensor: HostTensor): Promise<DeviceTensor> {
    return this.own(await this.backend.upload(tensor));
  }

  /** The energy and terms at a resident state (one run of the energy program, one read). */
  async energyAt(state: DeviceTensor): Promise<EnergyRecord> {
    const exe = await compileOnce(this.backend, this.map.energy, `energy:${signature(this.shape, this.dtype)}`, () => energyProgram(this.map.energy, this.shape, this.dtype));
    const outs = await exe.run({ state, ...this.params });
    this.energyEvaluations++;
    return energyRecord((await readScalars(this.backend, [outs], []))[0]!);
  }

  /** Whether the stopping rule holds for an iteration with this residual and energy change. */
  stops(residual: number, before: number, after: number): boolean {
    return stopRuleHolds(this.settings.stopOn, this.settings.tol, residual, before, after);
  }

  /**
   * The guard's verdict on one layer evaluation (or one accepted line-search step, as `steps`),
   * without acting on it: whether a step rose, and the message. See `act`.
   */
  verdict(
    iteration: number,
    before: EnergyRecord,
    after: readonly EnergyRecord[],
    steps: readonly Pick<Step, "name" | "terms">[] = this.map.steps,
    stepSizes: readonly number[] = this.map.stepSizes,
  ): LayerGuardVerdict {
    return guardLayer({ guard: this.map.unfolding.guard, dtype: this.dtype, steps, stepSizes, iteration, before, after });
  }

  /** Acts on a verdict as the unfolding's guard mode says: a warning under 'warn', a MonotonicityError under 'throw'. */
  act(verdict: LayerGuardVerdict): void {
    if (verdict.message === undefined) return;
    if (this.map.unfolding.guard.mode === "throw") throw new MonotonicityError(SOLVE, verdict.message);
    this.warnings.push(verdict.message);
    this.callbacks.onWarning?.(verdict.message);
  }

  /** The guard on one layer evaluation, acted on; returns whether any step rose. */
  guard(iteration: number, before: EnergyRecord, after: readonly EnergyRecord[], steps?: readonly Pick<Step, "name" | "terms">[], stepSizes?: readonly number[]): boolean {
    const verdict = this.verdict(iteration, before, after, steps, stepSizes);
    this.act(verdict);
    return verdict.increased;
  }

  /** Takes an iteration's record into the trace. */
  record(record: FixedPointRecord): void {
    this.trace.push(record);
    this.callbacks.onIteration?.(record);
  }

  /**
   * The result, with the final state read back (or, under `resident`, handed to the caller on the
   * device): converged when the stopping rule stopped it; else `reason` says why, and under
   * requireConvergence the solve throws it instead.
   */
  async finish(state: DeviceTensor, stoppedBy: FixedPointStop, reason: string | undefined): Promise<FixedPointResult<HostTensor | DeviceTensor>> {
    const converged = stoppedBy === "tolerance";
    const last = this.trace[this.trace.length - 1];
    if (!converged && this.settings.requireConvergence) throw new UnfoldError(SOLVE, `did not converge: ${reason ?? stoppedBy}`);
    return {
      state: this.settings.resident ? await this.handOver(state) : await state.read(),
      converged,
      stoppedBy,
      reason: converged ? undefined : reason,
      solver: this.settings.solver,
      iterations: this.trace.length,
      layerEvaluations: this.layerEvaluations,
      energyEvaluations: this.energyEvaluations,
      residual: last?.residual ?? NaN,
      energy: last?.energy ?? NaN,
      trace: this.trace,
      warnings: this.warnings,
    };
  }

  /**
   * The final state for the caller to own: taken out of the solve's keeping, so disposeAll spares
   * it. A state the solve does not own is the caller's own starting state (a line search that
   * stopped where it started): the caller gets a copy, so that disposing the result frees only it.
   */
  private async handOver(state: DeviceTensor): Promise<DeviceTensor> {
    if (this.owned.delete(state)) return state;
    return this.backend.upload(await state.read());
  }

  /** The reason of a solve that ran out of iterations, naming the rule, the tolerance and where it got to. */
  outOfIterations(): string {
    const last = this.trace[this.trace.length - 1]!;
    const { stopOn, tol, maxIterations } = this.settings;
    return `stopOn '${stopOn}' did not hold within maxIterations (${maxIterations}) at tol ${tol}: the last relative residual was ${last.residual} and the last energy change ${last.energyChange}`;
  }

  /** The reason of a solve whose residual or energy stopped being finite. */
  nonFinite(iteration: number, residualSq: number, energy: number): string {
    return `iteration ${iteration} gave a squared residual of ${residualSq} and an energy of ${energy}: the iteration diverged or left the energy's domain`;
  }
}
