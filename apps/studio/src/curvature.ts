// The curvature bound drawn on the step-size slider: 2 / lambda_max of the Hessian (in the
// tokens) of the tunable step's terms, at the input tokens, by Lanczos in float64 (@unfold/hessian).
import { checkStepSizeByCurvature } from "@unfold/hessian";
import { type SceneInstance, tunableStep } from "./scenes.js";

export interface StepBound {
  /** The step the slider sets. */
  readonly step: string;
  /** Its kind: the bound speaks for gradient steps; closed-form and proximal steps descend by their own argument. */
  readonly kind: string;
  readonly lambdaMax: number;
  /** 2 / lambda_max: gradient steps below it descend at the input's curvature; Infinity when lambda_max <= 0. */
  readonly bound: number;
}

/** The bound for the scene's tunable step, or undefined when no step takes a size. */
export async function stepBound(instance: SceneInstance): Promise<StepBound | undefined> {
  const tunable = tunableStep(instance.unfolding);
  if (!tunable) return undefined;
  const { step } = tunable;
  const check = await checkStepSizeByCurvature(instance.unfolding.energy, instance.state, instance.params[0]!, step.stepSize, { terms: step.terms });
  return { step: step.name, kind: step.kind, lambdaMax: check.lambdaMax, bound: check.bound };
}
