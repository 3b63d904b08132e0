import { type EnergyProfile, type FixedPointEnergyProfile, type FixedPointFigures, type TrainingStep, isFixedPointProfile } from "@unfold/training";

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

/** Mean, minimum and maximum of a fixed-point energy profile's iteration counts, and how many inputs converged. */
function describeIterations(profile: FixedPointEnergyProfile): string {
  const n = profile.iterations.length;
  const mean = profile.iterations.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const converged = profile.converged.filter(Boolean).length;
  return `mean ${mean.toFixed(1)} (min ${Math.min(...profile.iterations)}, max ${Math.max(...profile.iterations)}), ${converged} of ${n} converged`;
}

/**
 * The lines a fixed-point run prints about its energy figure: the solver iterations the profiled
 * test inputs took to reach the tolerance, before and after training. None for an unrolled run.
 */
export function fixedPointEnergyLines(before: EnergyProfile | undefined, after: EnergyProfile | undefined): string[] {
  const profile = after ?? before;
  if (!profile || !isFixedPointProfile(profile)) return [];
  const lines = [`iterations to convergence (tol ${profile.tol}) over ${profile.iterations.length} test inputs, each solved alone:`];
  if (before && isFixedPointProfile(before)) lines.push(`  before training: ${describeIterations(before)}`);
  if (after && isFixedPointProfile(after)) lines.push(`  after training:  ${describeIterations(after)}`);
  return lines;
}
