import { Random, UnfoldError, input, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import {
  attentionEnergy,
  attentionEnergyValue,
  attentionMetric,
  factoredLogits,
  metricLogits,
  normalizeTokens,
  plainSoftmaxAttention,
  plainSoftmaxStep,
  softmaxBetaAttention,
} from "../src/index.js";
import { closedFormStepError, mmDescentTrials } from "../src/fidelity/index.js";
import { run, scalar } from "./helpers.js";

/** sum over heads and pairs i < j of -exp(-1/2 ||W_a (y_i - y_j)||^2), with plain loops. */
function pairwiseEnergy(Y: Float64Array, n: number, d: number, Wa: Float64Array, heads: number, rows: number): number {
  let total = 0;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let norm = 0;
        for (let r = 0; r < rows; r++) {
          let v = 0;
          for (let c = 0; c < d; c++) v += Wa[(h * rows + r) * d + c]! * (Y[i * d + c]! - Y[j * d + c]!);
          norm += v * v;
        }
        total -= Math.exp(-0.5 * norm);
      }
    }
  }
  return total;
}

describe("Yang attention energy", () => {
  it("equals its pairwise definition, for one and several heads and a batch of sequences", () => {
    const rng = new Random(7);
    for (const [batch, n, d, heads, rows] of [
      [1, 5, 3, 1, 3],
      [2, 6, 4, 3, 2],
      [3, 4, 2, 2, 5],
    ] as const) {
      const Y = rng.normals(batch * n * d, 0.7);
      const Wa = rng.normals(heads * rows * d, 0.6);
      const program = trace({ Y: input([batch, n, d]), Wa: input([heads, rows, d]) }, ({ Y: y, Wa: w }) => attentionEnergyValue(y, w));
      const expected = Array.from({ length: batch }, (_, b) => pairwiseEnergy(Y.subarray(b * n * d, (b + 1) * n * d), n, d, Wa, heads, rows)).reduce((a, c) => a + c, 0);
      const got = scalar(program, { Y, Wa }, "out");
      expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
    }
  });

  it("computes the same logits and q from the factor W_a as from the metric W_s = W_a^T W_a", () => {
    const rng = new Random(31);
    for (const [batch, n, d, heads, rows] of [
      [1, 5, 3, 1, 3],
      [2, 6, 4, 3, 2],
      [3, 4, 2, 2, 5],
    ] as const) {
      const Y = rng.normals(batch * n * d, 0.8);
      const Wa = rng.normals(heads * rows * d, 0.6);
      const program = trace({ Y: input([batch, n, d]), Wa: input([heads, rows, d]) }, ({ Y: y, Wa: w }) => {
        const factored = factoredLogits(y, w);
        const metric = metricLogits(y, attentionMetric(w));
        return { logitsF: factored.logits, qF: factored.q, logitsM: metric.logits, qM: metric.q };
      });
      const out = run(program, { Y, Wa });
      for (const [f, m] of [["logitsF", "logitsM"], ["qF", "qM"]] as const) {
        expect(out[f]!.length).toBe(out[m]!.length);
        let diff = 0;
        let norm = 0;
        out[f]!.forEach((v, i) => {
          diff += (v - out[m]![i]!) ** 2;
          norm += out[m]![i]! ** 2;
        });
        expect(Math.sqrt(diff / norm)).toBeLessThanOrEqual(1e-13);
      }
    }
  });

  it("declares a closed-form step equal to the preconditioned autodiff gradient step (rel. err. <= 1e-10)", () => {
    for (const [n, d] of [[3, 2], [8, 4], [15, 7], [20, 10]] as const) {
      for (const seed of [11, 12, 13]) {
        expect(closedFormStepError({ seed, n, d })).toBeLessThanOrEqual(1e-10);
        expect(closedFormStepError({ seed, n, d, tokenScale: 0.3 })).toBeLessThanOrEqual(1e-10);
      }
    }
  });

  it("2,000 random instances: the softmax_beta step never raises E_att; plain softmax does, and is counted", () => {
    const result = mmDescentTrials({ trials: 2000, seed: 2022 });
    console.info(
      `MM trials: ${result.trials}; softmax_beta increases ${result.mmIncreases} (worst relative rise ${result.worstMmRise}); ` +
        `plain softmax increases ${result.plainSoftmaxIncreases} (worst ${result.worstPlainRise})`,
    );
    expect(result.trials).toBe(2000);
    expect(result.mmIncreases).toBe(0);
    expect(result.worstMmRise).toBeLessThanOrEqual(1e-12);
    // The counter is live: plain softmax is not a descent step of E_att in general.
    expect(result.plainSoftmaxIncreases).toBeGreaterThan(0);
  });

  it("every damping in (0, 2) keeps the MM step a descent step", () => {
    const rng = new Random(3);
    for (let t = 0; t < 200; t++) {
      const n = rng.int(3, 12);
      const d = rng.int(2, 6);
      const alpha = 0.05 + 1.9 * rng.uniform();
      const energy = attentionEnergy({ dim: d });
      const program = trace({ Y: input([n, d]), Wa: input([1, d, d]) }, ({ Y: y, Wa: w }, graph) => {
        const next = energy.terms[0]!.closedForm!(y, { Wa: w }, graph.constant(alpha, [], "float64"));
        return { before: attentionEnergyValue(y, w), after: attentionEnergyValue(next, w) };
      });
      const out = run(program, { Y: rng.normals(n * d), Wa: rng.normals(d * d, 1.5 / Math.sqrt(d)) });
      expect(out["after"]![0]!).toBeLessThanOrEqual(out["before"]![0]! + 1e-12 * Math.abs(out["before"]![0]!));
    }
  });

  it("with equal W_s-norms, plain softmax attention is exactly the MM step", () => {
    const rng = new Random(5);
    const [n, d] = [7, 4];
    const program = trace({ Y: input([n, d]), Wa: input([1, d, d]) }, ({ Y: y, Wa: w }) => {
      const z = normalizeTokens(y, { Wa: w, radius: 1.3 });
      return { mm: softmaxBetaAttention(z, w), plain: plainSoftmaxAttention(z, w) };
    });
    const out = run(program, { Y: rng.normals(n * d), Wa: rng.normals(d * d, 0.8) });
    let diff = 0;
    let norm = 0;
    out["mm"]!.forEach((v, i) => ((diff += (v - out["plain"]![i]!) ** 2), (norm += v * v)));
    expect(Math.sqrt(diff / norm)).toBeLessThanOrEqual(1e-12);
    // And without normalization they differ.
    const raw = trace({ Y: input([n, d]), Wa: input([1, d, d]) }, ({ Y: y, Wa: w }) => ({ mm: softmaxBetaAttention(y, w), plain: plainSoftmaxAttention(y, w) }));
    const o2 = run(raw, { Y: rng.normals(n * d), Wa: rng.normals(d * d, 0.8) });
    expect(Math.max(...o2["mm"]!.map((v, i) => Math.abs(v - o2["plain"]![i]!)))).toBeGreaterThan(1e-6);
  });

  it("the plain-softmax step and the multi-head energy are sums and means of single heads", () => {
    const rng = new Random(9);
    const [n, d, heads] = [5, 3, 3];
    const Y = rng.normals(n * d);
    const Wa = rng.normals(heads * d * d, 0.7);
    const whole = trace({ Y: input([n, d]), Wa: input([heads, d, d]) }, ({ Y: y, Wa: w }) => ({ e: attentionEnergyValue(y, w), step: plainSoftmaxAttention(y, w) }));
    const all = run(whole, { Y, Wa });
    let e = 0;
    const mean = new Float64Array(n * d);
    for (let h = 0; h < heads; h++) {
      const one = trace({ Y: input([n, d]), Wa: input([1, d, d]) }, ({ Y: y, Wa: w }) => ({ e: attentionEnergyValue(y, w), step: plainSoftmaxAttention(y, w) }));
      const o = run(one, { Y, Wa: Wa.subarray(h * d * d, (h + 1) * d * d) });
      e += o["e"]![0]!;
      o["step"]!.forEach((v, i) => (mean[i]! += v / heads));
    }
    expect(Math.abs(all["e"]![0]! - e)).toBeLessThanOrEqual(1e-12 * Math.abs(e));
    all["step"]!.forEach((v, i) => expect(Math.abs(v - mean[i]!)).toBeLessThanOrEqual(1e-13));
    expect(plainSoftmaxStep(attentionEnergy({ dim: d })).terms).toEqual(["attention"]);
  });

  it("names the state shape it expects", () => {
    const energy = attentionEnergy({ dim: 4 });
    expect(() => trace({ Y: input([5, 3]), Wa: input([1, 4, 4]) }, ({ Y: y, Wa: w }) => energy.terms[0]!.value(y, { Wa: w }))).toThrow(
      /attention: state must have shape \[\.\.\., n, 4\], got \[5, 3\]/,
    );
    expect(() => attentionEnergy({ dim: 0 })).toThrow(UnfoldError);
    expect(() => attentionEnergy({ dim: 3, heads: 1.5 })).toThrow(/config\.heads must be an integer >= 1/);
  });
});
