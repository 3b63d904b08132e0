import type { FixedPointFigures, TrainingStep } from "@unfold/training";

/** A fixed-point model's per-step solver figures, as metrics.jsonl writes them (the session's own record). */
export type FixedPointMetrics = FixedPointFigures;

/** The solver figures of a fixed-point model's step, or undefined for an unrolled model's. */
export function fixedPointMetrics(step: TrainingStep): FixedPointMetrics | undefined {
  const f = step.fixedPoint;
  if (!f) return undefined;
  // Listed field by field: metrics.jsonl's keys keep this order whatever the session adds.
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
