import { UnfoldError } from "@unfold/core";
import { requireFinite, requireInRange, requireInteger } from "./check.js";

/** A learning-rate schedule: linear warm-up to the peak, then cosine, linear or constant. */
export interface LearningRateSchedule {
  readonly peak: number;
  /** Steps of linear warm-up, from peak / warmupSteps at step 1 to peak at step warmupSteps; 0 for none. */
  readonly warmupSteps: number;
  readonly totalSteps: number;
  /** The shape after warm-up, from peak to floor * peak at totalSteps. */
  readonly decay: "cosine" | "linear" | "constant";
  /** The fraction of peak reached at totalSteps; 0 by default (ignored by "constant"). */
  readonly floor?: number;
}

const DECAYS = ["cosine", "linear", "constant"] as const;

/** Checks a schedule's fields, naming `op` and the field in an error. */
export function checkSchedule(schedule: LearningRateSchedule, op = "learningRateAt"): void {
  if (typeof schedule !== "object" || schedule === null) throw new UnfoldError(op, "schedule must be a LearningRateSchedule");
  if (!(requireFinite(op, "schedule.peak", schedule.peak) > 0)) throw new UnfoldError(op, `schedule.peak must be > 0, got ${schedule.peak}`);
  requireInteger(op, "schedule.totalSteps", schedule.totalSteps, 1);
  requireInteger(op, "schedule.warmupSteps", schedule.warmupSteps, 0);
  if (schedule.warmupSteps > schedule.totalSteps) {
    throw new UnfoldError(op, `schedule.warmupSteps (${schedule.warmupSteps}) exceeds schedule.totalSteps (${schedule.totalSteps})`);
  }
  if (!DECAYS.includes(schedule.decay)) {
    throw new UnfoldError(op, `schedule.decay must be one of ${DECAYS.join(", ")}, got ${JSON.stringify(schedule.decay)}`);
  }
  if (schedule.floor !== undefined) requireInRange(op, "schedule.floor", schedule.floor, 0, 1, true);
}

/**
 * The learning rate at a 1-based step: linear warm-up to the peak at step warmupSteps, then the
 * decay, reaching floor * peak exactly at totalSteps. A step past totalSteps keeps the final rate,
 * so a loop that runs a little long does not fall off the schedule.
 */
export function learningRateAt(step: number, schedule: LearningRateSchedule): number {
  checkSchedule(schedule);
  requireInteger("learningRateAt", "step", step, 1);
  const { peak, warmupSteps, totalSteps } = schedule;
  const at = Math.min(step, totalSteps);
  if (at <= warmupSteps) return (peak * at) / warmupSteps;
  if (schedule.decay === "constant") return peak;
  const floor = schedule.floor ?? 0;
  const progress = (at - warmupSteps) / (totalSteps - warmupSteps);
  const shape = schedule.decay === "cosine" ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return peak * (floor + (1 - floor) * shape);
}
