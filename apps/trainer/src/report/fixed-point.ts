import type { TrainingStep } from "@unfold/training";

/** A fixed-point model's per-step solver figures as metrics.jsonl fields. */
export interface FixedPointMetrics {
  /** Forward solver iterations to the fixed point. */
  readonly forwardIterations: number;
  /** The relative residual ||T(Y) - Y|| / ||Y|| where the forward solve stopped. */
  readonly residual: number;
  readonly converged: boolean;
  /** Adjoint-solve iterations (0 for the jfb and phantom gradients, which solve nothing). */
  readonly backwardIterations: number;
  /** The adjoint solve's relative residual; null for jfb and phantom. */
  readonly backwardResidual: number | null;
  readonly backwardConverged: boolean;
}

/** The solver figures of a fixed-point model's step, or undefined for an unrolled model's. */
export function fixedPointMetrics(step: TrainingStep): FixedPointMetrics | undefined {
  const f = step.fixedPoint;
  if (!f) return undefined;
  return {
    forwardIterations: f.forwardIterations,
    residual: f.residual,
    converged: f.converged,
    backwardIterations: f.backwardIterations,
    backwardResidual: f.backwardResidual,
    backwardConverged: f.backwardConverged,
  };
}
