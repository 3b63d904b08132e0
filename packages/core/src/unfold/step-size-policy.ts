// The step size a step is finally taken at: the schedule's size, bounded from outside (a
// StepSizeBound, e.g. from the energy's curvature), then shrunk by the guard's backoffs. Pure
// functions; runUnfolding consults the bound and runs the steps.
import type { HostTensor } from "../backend/tensor.js";
import type { ParamValues } from "../energy/params.js";
import { UnfoldError } from "../errors.js";
import type { GuardMode, Unfolding } from "./schedule.js";
import type { Step } from "./steps.js";

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

/** Whether a bound is consulted before the step named `step`: its steps list it, or it lists none. */
export function boundAppliesTo(rule: StepSizeBound | undefined, step: string): rule is StepSizeBound {
  return rule !== undefined && (!rule.steps || rule.steps.includes(step));
}

/** A bound's answer for one step, and what the run was going to do. */
export interface BoundQuestion {
  readonly mode: StepSizeBound["mode"];
  readonly scheduled: number;
  readonly bound: number;
  readonly guardMode: GuardMode;
  /** Where, for the messages: the layer (1-based) and the step's name. */
  readonly layer: number;
  readonly step: string;
}

/** The step size after a bound, and the warning when a checked bound was exceeded. */
export interface BoundOutcome {
  readonly stepSize: number;
  readonly warning: string | undefined;
}

/**
 * Applies a bound to the scheduled size: 'limit' takes the smaller of the two; 'check' keeps the
 * scheduled size and warns when it exceeds the bound, or throws under a throw guard. A bound that
 * is not a positive number (zero, negative, NaN) is an error whatever the mode: it is never
 * clamped or ignored.
 */
export function applyStepSizeBound(q: BoundQuestion): BoundOutcome {
  if (!(q.bound > 0)) throw new UnfoldError("runUnfolding", `stepSizeBound returned ${q.bound} for layer ${q.layer}, step '${q.step}'; a bound must be a positive number`);
  if (q.mode === "limit") return { stepSize: Math.min(q.scheduled, q.bound), warning: undefined };
  if (!(q.scheduled > q.bound)) return { stepSize: q.scheduled, warning: undefined };
  const message = `layer ${q.layer}, step '${q.step}': step size ${q.scheduled} exceeds the bound ${q.bound}`;
  if (q.guardMode === "throw") throw new UnfoldError("runUnfolding", message);
  return { stepSize: q.scheduled, warning: message };
}

/**
 * The step size a backoff retries at after `backoffs` backoffs at `stepSize`: the size times the
 * guard's backoffFactor, or undefined once guard.maxBackoffs have been spent.
 */
export function backoffStepSize(stepSize: number, backoffs: number, guard: Pick<Unfolding["guard"], "backoffFactor" | "maxBackoffs">): number | undefined {
  return backoffs < guard.maxBackoffs ? stepSize * guard.backoffFactor : undefined;
}
