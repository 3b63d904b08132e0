// A fixed-point step's solver figures as metrics.jsonl fields and progress-line fields: the Jacobian
// penalty appears when the step reports one (model.fixedPoint.jacobianPenalty) and not otherwise.
import type { TrainingStep } from "@unfold/training";
import { describe, expect, it } from "vitest";
import { fixedPointMetrics, fixedPointProgressFields } from "../src/report/fixed-point.js";

const solver = { forwardIterations: 12, residual: 3e-7, converged: true, backwardIterations: 8, backwardResidual: 4e-9, backwardConverged: true };
const step = (fixedPoint?: TrainingStep["fixedPoint"]): TrainingStep => ({
  step: 3,
  epoch: 1,
  loss: 0.9,
  accuracy: 0.5,
  correct: 4,
  labelled: 8,
  learningRate: 0.01,
  gradNorm: 1.2,
  ...(fixedPoint ? { fixedPoint } : {}),
});

describe("fixed-point metrics and progress fields", () => {
  it("carry the Jacobian penalty's estimate when the step has one", () => {
    const metrics = fixedPointMetrics(step({ ...solver, jacobianPenalty: 0.42 }))!;
    expect(metrics).toEqual({ ...solver, jacobianPenalty: 0.42 });
    expect(fixedPointProgressFields(metrics)).toEqual({ fwd: 12, bwd: 8, residual: 3e-7, jac: 0.42 });
  });

  it("leave it out without a penalty, and give nothing for an unrolled step", () => {
    const metrics = fixedPointMetrics(step(solver))!;
    expect(metrics).toEqual(solver);
    expect(metrics).not.toHaveProperty("jacobianPenalty");
    expect(fixedPointProgressFields(metrics)).toEqual({ fwd: 12, bwd: 8, residual: 3e-7 });
    expect(fixedPointMetrics(step())).toBeUndefined();
  });
});
