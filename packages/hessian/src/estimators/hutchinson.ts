import { Random, ShapeError, UnfoldError } from "@unfold/core";
import type { LinearOperator } from "../curvature/operator.js";
import { dot, meanAndError, rademacher } from "./vectors.js";

/** Options of the Hutchinson estimators: probe vectors and seed. */
export interface HutchinsonOptions {
  /** Probe vectors; each costs one product. */
  readonly samples: number;
  readonly seed?: number;
}

/** A Monte Carlo estimate with its standard error. */
export interface Estimate {
  readonly value: number;
  /** Standard error of the mean over the probes. */
  readonly stdError: number;
  readonly samples: number;
}

function checkSamples(op: string, samples: number): void {
  if (!Number.isInteger(samples) || samples < 1) throw new UnfoldError(op, `samples must be an integer >= 1, got ${samples}`);
}

/** tr(H) = E[v^T H v] over Rademacher v (Hutchinson). The operator must be square. */
export async function hutchinsonTrace(op: LinearOperator, options: HutchinsonOptions): Promise<Estimate> {
  checkSamples("hutchinsonTrace", options.samples);
  if (op.rows !== op.cols) throw new ShapeError("hutchinsonTrace", `the trace needs a square operator, got ${op.rows} x ${op.cols}`);
  const rng = new Random(options.seed ?? 0);
  const values: number[] = [];
  for (let s = 0; s < options.samples; s++) {
    const v = rademacher(rng, op.cols);
    values.push(dot(v, await op.apply(v)));
  }
  const { mean, stdError } = meanAndError(values);
  return { value: mean, stdError, samples: options.samples };
}

/**
 * ||H||_F^2 = E[||H v||^2] over Rademacher v, for any (also rectangular) block: E[v v^T] = I, so
 * E[v^T H^T H v] = tr(H^T H).
 */
export async function hutchinsonSquaredFrobenius(op: LinearOperator, options: HutchinsonOptions): Promise<Estimate> {
  checkSamples("hutchinsonSquaredFrobenius", options.samples);
  const rng = new Random(options.seed ?? 0);
  const values: number[] = [];
  for (let s = 0; s < options.samples; s++) {
    const hv = await op.apply(rademacher(rng, op.cols));
    values.push(dot(hv, hv));
  }
  const { mean, stdError } = meanAndError(values);
  return { value: mean, stdError, samples: options.samples };
}
