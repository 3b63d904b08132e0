// The monotonicity guard's decision about one step as taken: did it raise what it promised to
// lower by more than the slack, and what does the guard's mode do about that. A pure function of
// the energies before and after, so every case of the table can be checked without a backend.
import type { DType } from "../dtype.js";
import type { EnergyRecord } from "./records.js";
import type { Unfolding } from "./schedule.js";
import type { Step } from "./steps.js";

/**
 * What the run does with a step it has just taken: keep it ('accept'), drop it and retry at a
 * smaller size ('backOff'), keep it and warn ('warn'), or drop it and fail ('throw').
 */
export type GuardAction = "accept" | "backOff" | "warn" | "throw";

/** What the guard is asked about one step as taken. */
export interface GuardInput {
  /** The energies before the step and after it. */
  readonly before: EnergyRecord;
  readonly after: EnergyRecord;
  readonly guard: Pick<Unfolding["guard"], "mode" | "watch" | "slack">;
  /** The run's dtype: it sets the default slack. */
  readonly dtype: DType;
  /** The step, its layer (1-based) and the size it was taken at after `backoffs` backoffs, for the message. */
  readonly step: Pick<Step, "name" | "terms">;
  readonly layer: number;
  readonly stepSize: number;
  readonly backoffs: number;
  /** The step size a backoff would retry at, or undefined when no backoff is left (see backoffStepSize). */
  readonly retryStepSize: number | undefined;
}

/** The guard's decision about one step. */
export type GuardDecision =
  | { readonly action: "accept"; readonly increased: boolean }
  | { readonly action: "backOff"; readonly increased: true; readonly stepSize: number }
  | { readonly action: "warn" | "throw"; readonly increased: true; readonly message: string };

/** The relative rise forgiven as rounding: the guard's own slack, else 1e-5 in float32 and 1e-10 in float64. */
export function guardSlack(slack: number | undefined, dtype: DType): number {
  return slack ?? (dtype === "float32" ? 1e-5 : 1e-10);
}

/** The energy the guard watches in a record: the total, or the sum of the step's own terms. */
export function watchedEnergy(record: EnergyRecord, watch: "terms" | "total", terms: readonly string[]): number {
  return watch === "total" ? record.energy : terms.reduce((acc, t) => acc + record.terms[t]!, 0);
}

/**
 * Decides about one step. A rise is recorded under every mode ('off' included); the mode decides
 * what to do about it: nothing, a warning, an error, or a backoff while any is left (a warning once
 * none is). A step with no terms under guard.watch 'terms' promises nothing and never rises.
 */
export function decideGuard(input: GuardInput): GuardDecision {
  const { guard, step } = input;
  const watching = guard.watch === "total" || step.terms.length > 0;
  const before = watchedEnergy(input.before, guard.watch, step.terms);
  const after = watchedEnergy(input.after, guard.watch, step.terms);
  // Written as "not at most" so a NaN energy (a step that left the energy's domain, or
  // overflowed) counts as a rise: every comparison with NaN is false, and `>` would
  // let a diverged state through the guard silently.
  const increased = watching && !(after - before <= guardSlack(guard.slack, input.dtype) * Math.max(1, Math.abs(before)));
  if (!increased || guard.mode === "off") return { action: "accept", increased };
  if (guard.mode === "backoff" && input.retryStepSize !== undefined) return { action: "backOff", increased, stepSize: input.retryStepSize };
  const watched = guard.watch === "total" ? "total energy" : `terms ${step.terms.join("+")}`;
  const message =
    `layer ${input.layer}, step '${step.name}': ${watched} ` +
    `rose from ${before} to ${after} at step size ${input.stepSize}` + (input.backoffs ? ` after ${input.backoffs} backoffs` : "");
  return { action: guard.mode === "throw" ? "throw" : "warn", increased, message };
}
