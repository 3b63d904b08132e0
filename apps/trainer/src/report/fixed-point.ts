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
  /** model.fixedPoint.jacobianPenalty's estimate of ||dT/dY||_F^2 at the fixed point (unweighted); absent without a penalty. */
  readonly jacobianPenalty?: number;
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
    ...(f.jacobianPenalty !== undefined ? { jacobianPenalty: f.jacobianPenalty } : {}),
  };
}

/** The solver figures the progress line shows: forward and backward iterations, the residual, and the Jacobian penalty (`jac`) when set. */
export function fixedPointProgressFields(metrics: FixedPointMetrics): Record<string, number> {
  return {
    fwd: metrics.forwardIterations,
    bwd: metrics.backwardIterations,
    residual: metrics.residual,
    ...(metrics.jacobianPenalty !== undefined ? { jac: metrics.jacobianPenalty } : {}),
  };
}
