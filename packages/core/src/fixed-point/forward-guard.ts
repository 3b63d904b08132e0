// The stopping rules and the guard of the forward solvers, as pure functions of the numbers read
// back, so every case can be checked without a backend.
import type { DType } from "../dtype.js";
import type { Unfolding } from "../unfold/schedule.js";
import type { EnergyRecord } from "../unfold/records.js";
import type { Step } from "../unfold/steps.js";
import { decideGuard, guardSlack, watchedEnergy } from "../unfold/guard-decision.js";
import { toleranceReached } from "../unfold/layer-schedule.js";
import type { FixedPointStopRule } from "./forward-options.js";

/** ||T(Y) - Y|| / ||Y|| from the squared norms; 0 at an exact fixed point (Y = 0 included). */
export function relativeResidual(residualSq: number, stateSq: number): number {
  return residualSq === 0 ? 0 : Math.sqrt(residualSq / stateSq);
}

/**
 * Whether an iteration stops the solver: its relative residual is at most `tol` ('residual'), its
 * energy changed from `before` to `after` by at most `tol` of its magnitude (below magnitude 1, by
 * at most `tol`: 'energy', the test runUnfolding's tolerance makes), or both hold ('both').
 */
export function stopRuleHolds(rule: FixedPointStopRule, tol: number, residual: number, before: number, after: number): boolean {
  const residualHolds = residual <= tol;
  const energyHolds = toleranceReached(tol, before, after);
  if (rule === "residual") return residualHolds;
  if (rule === "energy") return energyHolds;
  return residualHolds && energyHolds;
}

/** What the guard is asked about one layer evaluation: the energies before it and after each step. */
export interface LayerGuardInput {
  readonly guard: Pick<Unfolding["guard"], "mode" | "watch" | "slack">;
  readonly dtype: DType;
  readonly steps: readonly Pick<Step, "name" | "terms">[];
  /** Each step's size, in step order. */
  readonly stepSizes: readonly number[];
  readonly iteration: number;
  readonly before: EnergyRecord;
  /** The energies after each step, in order. */
  readonly after: readonly EnergyRecord[];
}

/** The guard's verdict on one layer evaluation: whether any step rose, and the message of the first that did. */
export interface LayerGuardVerdict {
  readonly increased: boolean;
  /** Set when a step rose and the guard's mode is 'warn' or 'throw'. */
  readonly message: string | undefined;
}

/**
 * Runs runUnfolding's guard test (decideGuard) on every step of one layer evaluation. A backoff
 * never reaches here: the solvers run T at its own step sizes (see checkGuardMode).
 */
export function guardLayer(input: LayerGuardInput): LayerGuardVerdict {
  let before = input.before;
  let message: string | undefined;
  let increased = false;
  input.steps.forEach((step, s) => {
    const after = input.after[s]!;
    const stepSize = input.stepSizes[s]!;
    const decision = decideGuard({ before, after, guard: input.guard, dtype: input.dtype, step, layer: input.iteration, stepSize, backoffs: 0, retryStepSize: undefined });
    if (decision.increased && !increased) {
      increased = true;
      if (decision.action === "warn" || decision.action === "throw") {
        const watched = input.guard.watch === "total" ? "total energy" : `terms ${step.terms.join("+")}`;
        const from = watchedEnergy(before, input.guard.watch, step.terms);
        const to = watchedEnergy(after, input.guard.watch, step.terms);
        message = `iteration ${input.iteration}, step '${step.name}': ${watched} rose from ${from} to ${to} at step size ${stepSize}`;
      }
    }
    before = after;
  });
  return { increased, message };
}

/** Whether `after` is above `before` by more than the guard's slack (NaN counts as above): the Anderson safeguard's test. */
export function energyRose(before: number, after: number, slack: number | undefined, dtype: DType): boolean {
  return !(after - before <= guardSlack(slack, dtype) * Math.max(1, Math.abs(before)));
}
