import { Random, closedFormStep, gradientStep, interpret, inverse, ops, relativeError, trace, input } from "@unfold/core";
import { ATTENTION_TERM, attentionEnergy, attentionMetric, metricLogits } from "../yang/attention.js";
import { metricFromWa, randomWa } from "./setup.js";

/**
 * The attention term's declared closed-form (softmax_beta MM) step against the autodiff
 * gradient step preconditioned by W_s^{-1} / sum_j gamma_ij, in float64: relative error of
 * the two next states. They are the same step, so this is rounding only.
 */
export function closedFormStepError(options: { seed: number; n: number; d: number; tokenScale?: number }): number {
  const { n, d } = options;
  const rng = new Random(options.seed);
  const Y = rng.normals(n * d, options.tokenScale ?? 1);
  const Wa = randomWa(rng, d, 0.5);
  const WsInverse = inverse(metricFromWa(Wa.data, d, d), d);
  const energy = attentionEnergy({ dim: d });
  const closed = closedFormStep(energy, ATTENTION_TERM);
  const preconditioned = gradientStep(energy, {
    terms: [ATTENTION_TERM],
    stepSize: 1,
    preconditioner: (g, state, p) => {
      // s_i = sum_j gamma_ij, gamma_ii = 1 included: the MM weights at the current state.
      const { logits, q } = metricLogits(state, attentionMetric(p["Wa"]!));
      const gamma = ops.exp(ops.sub(logits, ops.mul(ops.add(q, ops.swapLastAxes(q)), 0.5)));
      const s = ops.reshape(ops.sum(gamma, -1, true), [n, 1]);
      return ops.div(ops.matmul(g, g.graph.constant(WsInverse, [d, d], g.dtype)), s);
    },
  });
  const program = trace({ Y: input([n, d]), Wa: input([1, d, d]) }, ({ Y: state, Wa: wa }, graph) => {
    const stepSize = graph.constant(1, [], "float64");
    return { closed: closed.apply(state, { Wa: wa }, stepSize), preconditioned: preconditioned.apply(state, { Wa: wa }, stepSize) };
  });
  const out = interpret(program, new Map([["Y", Y], ["Wa", Float64Array.from(Wa.data)]]));
  return relativeError(out.get("closed")!, out.get("preconditioned")!);
}
