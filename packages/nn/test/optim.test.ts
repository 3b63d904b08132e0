import { Graph, Random, type Tensor, UnfoldError, sizeOf } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { type AdamWOptions, type LearningRateSchedule, adamwUpdate, learningRateAt } from "../src/index.js";
import { relErr, run } from "./helpers.js";

const shapes: Record<string, number[]> = { W: [3, 4], b: [4], s: [] };
const decay: Record<string, boolean> = { W: true, b: false, s: true };
const names = Object.keys(shapes);

/** A program running one adamwUpdate on fed params, grads, moments, learning rate and step. */
function updateProgram(options: AdamWOptions) {
  const g = new Graph();
  const leaf = (kind: "input" | "param", prefix: string): Record<string, Tensor> =>
    Object.fromEntries(names.map((n) => [n, g.leaf(kind, `${prefix}${n}`, shapes[n]!)]));
  const state = {
    params: leaf("param", ""),
    grads: leaf("input", "g."),
    m: leaf("input", "m."),
    v: leaf("input", "v."),
    learningRate: g.leaf("input", "learningRate", []),
    step: g.leaf("input", "step", []),
    decay,
  };
  const next = adamwUpdate(state, options);
  const outputs: Record<string, Tensor> = { gradNorm: next.gradNorm };
  for (const n of names) Object.assign(outputs, { [`next.${n}`]: next.params[n]!, [`next.m.${n}`]: next.m[n]!, [`next.v.${n}`]: next.v[n]! });
  return g.toProgram(outputs);
}

interface Moments {
  p: Record<string, Float64Array>;
  m: Record<string, Float64Array>;
  v: Record<string, Float64Array>;
}

/** AdamW in plain JS, element by element (PyTorch's order: decay the weight, then the Adam step). */
function adamwReference(state: Moments, grads: Record<string, Float64Array>, lr: number, t: number, o: Required<Omit<AdamWOptions, "clipNorm">> & { clipNorm?: number }) {
  let sq = 0;
  for (const n of names) for (const x of grads[n]!) sq += x * x;
  const gradNorm = Math.sqrt(sq);
  const scale = o.clipNorm === undefined ? 1 : Math.min(1, o.clipNorm / (gradNorm + 1e-12));
  const next: Moments = { p: {}, m: {}, v: {} };
  for (const n of names) {
    const size = grads[n]!.length;
    next.p[n] = new Float64Array(size);
    next.m[n] = new Float64Array(size);
    next.v[n] = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const g = grads[n]![i]! * scale;
      const m = o.beta1 * state.m[n]![i]! + (1 - o.beta1) * g;
      const v = o.beta2 * state.v[n]![i]! + (1 - o.beta2) * g * g;
      const mHat = m / (1 - o.beta1 ** t);
      const vHat = v / (1 - o.beta2 ** t);
      let p = state.p[n]![i]!;
      if (decay[n]) p *= 1 - lr * o.weightDecay;
      next.p[n]![i] = p - (lr * mHat) / (Math.sqrt(vHat) + o.epsilon);
      next.m[n]![i] = m;
      next.v[n]![i] = v;
    }
  }
  return { next, gradNorm, scale };
}

describe("adamwUpdate", () => {
  const variants: { label: string; options: AdamWOptions; resolved: Required<Omit<AdamWOptions, "clipNorm">> & { clipNorm?: number } }[] = [
    {
      label: "clipping and decoupled decay",
      options: { beta1: 0.8, beta2: 0.95, epsilon: 1e-3, weightDecay: 0.3, clipNorm: 1 },
      resolved: { beta1: 0.8, beta2: 0.95, epsilon: 1e-3, weightDecay: 0.3, clipNorm: 1 },
    },
    { label: "defaults", options: {}, resolved: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 } },
  ];
  for (const { label, options, resolved } of variants) {
    it(`matches a plain-JS AdamW over 3 steps (${label})`, () => {
      const program = updateProgram(options);
      const rng = new Random(17);
      let state: Moments = { p: {}, m: {}, v: {} };
      for (const n of names) {
        const size = sizeOf(shapes[n]!);
        state.p[n] = rng.normals(size);
        state.m[n] = new Float64Array(size);
        state.v[n] = new Float64Array(size);
      }
      const learningRates = [0.1, 0.05, 0.02];
      // Step 2's gradients are small: with clipNorm 1, steps 1 and 3 clip and step 2 does not.
      const gradScales = [2, 0.05, 3];
      const scales: number[] = [];
      for (let t = 1; t <= 3; t++) {
        const grads = Object.fromEntries(names.map((n) => [n, rng.normals(sizeOf(shapes[n]!), gradScales[t - 1])]));
        const feeds: Record<string, ArrayLike<number>> = { learningRate: [learningRates[t - 1]!], step: [t] };
        for (const n of names) Object.assign(feeds, { [n]: state.p[n]!, [`g.${n}`]: grads[n]!, [`m.${n}`]: state.m[n]!, [`v.${n}`]: state.v[n]! });
        const out = run(program, feeds);
        const expected = adamwReference(state, grads, learningRates[t - 1]!, t, resolved);
        scales.push(expected.scale);
        expect(relErr(out["gradNorm"]!, [expected.gradNorm])).toBeLessThan(1e-12);
        for (const n of names) {
          expect(relErr(out[`next.${n}`]!, expected.next.p[n]!)).toBeLessThan(1e-12);
          expect(relErr(out[`next.m.${n}`]!, expected.next.m[n]!)).toBeLessThan(1e-12);
          expect(relErr(out[`next.v.${n}`]!, expected.next.v[n]!)).toBeLessThan(1e-12);
        }
        // Carry the program's own state, as a training loop does.
        state = { p: {}, m: {}, v: {} };
        for (const n of names) {
          state.p[n] = out[`next.${n}`]!;
          state.m[n] = out[`next.m.${n}`]!;
          state.v[n] = out[`next.v.${n}`]!;
        }
      }
      if (resolved.clipNorm !== undefined) {
        expect(scales[0]).toBeLessThan(1);
        expect(scales[1]).toBe(1);
        expect(scales[2]).toBeLessThan(1);
      }
    });
  }

  it("rejects inconsistent state and bad options, naming the field", () => {
    const g = new Graph();
    const W = g.leaf("param", "W", [2, 2]);
    const s = (name: string, shape: number[] = []): Tensor => g.leaf("input", name, shape);
    const base = { params: { W }, grads: { W: s("gW", [2, 2]) }, m: { W: s("mW", [2, 2]) }, v: { W: s("vW", [2, 2]) }, learningRate: s("lr"), step: s("t"), decay: { W: true } };
    expect(() => adamwUpdate(base)).not.toThrow();
    expect(() => adamwUpdate({ ...base, m: {} })).toThrow("adamwUpdate: state.m lacks W (params: W)");
    expect(() => adamwUpdate({ ...base, decay: { W: true, X: false } })).toThrow(/state.decay has unknown X/);
    expect(() => adamwUpdate({ ...base, v: { W: s("vW2", [2, 3]) } })).toThrow(/v.W 'vW2' \[2, 3\] does not match params.W 'W' \[2, 2\]/);
    expect(() => adamwUpdate({ ...base, learningRate: s("lr2", [2]) })).toThrow(/learningRate 'lr2' \[2\] must be a scalar/);
    expect(() => adamwUpdate(base, { beta1: 1 })).toThrow(/beta1 must be in \[0, 1\)/);
    expect(() => adamwUpdate(base, { clipNorm: 0 })).toThrow(/clipNorm must be > 0/);
    expect(() => adamwUpdate(base, { epsilon: -1 })).toThrow(UnfoldError);
    expect(() => adamwUpdate({ ...base, params: {}, grads: {}, m: {}, v: {}, decay: {} })).toThrow(/nothing to update/);
  });
});

describe("learningRateAt", () => {
  const peak = 1e-3;
  const schedule = (decay: LearningRateSchedule["decay"], extra: Partial<LearningRateSchedule> = {}): LearningRateSchedule => ({
    peak,
    warmupSteps: 10,
    totalSteps: 110,
    decay,
    floor: 0.1,
    ...extra,
  });
  const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThan(1e-15);

  it("warms up linearly from peak / warmupSteps to peak for every decay", () => {
    for (const decay of ["cosine", "linear", "constant"] as const) {
      close(learningRateAt(1, schedule(decay)), peak / 10);
      close(learningRateAt(5, schedule(decay)), peak / 2);
      close(learningRateAt(10, schedule(decay)), peak);
    }
  });

  it("decays to floor * peak at totalSteps and stays there", () => {
    // At a quarter of the decay, cosine and linear differ; at the end both reach the floor.
    close(learningRateAt(35, schedule("cosine")), peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI / 4))));
    close(learningRateAt(35, schedule("linear")), peak * (0.1 + 0.9 * 0.75));
    close(learningRateAt(60, schedule("cosine")), peak * 0.55);
    close(learningRateAt(60, schedule("linear")), peak * 0.55);
    close(learningRateAt(60, schedule("constant")), peak);
    for (const decay of ["cosine", "linear"] as const) {
      close(learningRateAt(110, schedule(decay)), peak * 0.1);
      close(learningRateAt(500, schedule(decay)), peak * 0.1);
      expect(learningRateAt(110, schedule(decay, { floor: undefined }))).toBe(0);
    }
    close(learningRateAt(110, schedule("constant")), peak);
  });

  it("works without warm-up and with warm-up to the very end", () => {
    close(learningRateAt(1, schedule("linear", { warmupSteps: 0, totalSteps: 4, floor: 0 })), peak * 0.75);
    close(learningRateAt(4, schedule("cosine", { warmupSteps: 4, totalSteps: 4 })), peak);
    close(learningRateAt(9, schedule("cosine", { warmupSteps: 4, totalSteps: 4 })), peak);
  });

  it("rejects bad schedules and steps with clear errors", () => {
    expect(() => learningRateAt(1, schedule("cosine", { peak: 0 }))).toThrow("learningRateAt: schedule.peak must be > 0, got 0");
    expect(() => learningRateAt(1, schedule("cosine", { warmupSteps: 200 }))).toThrow(/schedule.warmupSteps \(200\) exceeds schedule.totalSteps \(110\)/);
    expect(() => learningRateAt(1, schedule("cosine", { totalSteps: 0, warmupSteps: 0 }))).toThrow(/schedule.totalSteps must be an integer >= 1/);
    expect(() => learningRateAt(1, schedule("cosine", { warmupSteps: 2.5 }))).toThrow(/schedule.warmupSteps must be an integer/);
    expect(() => learningRateAt(1, schedule("exponential" as never))).toThrow(/schedule.decay must be one of cosine, linear, constant/);
    expect(() => learningRateAt(1, schedule("linear", { floor: 1.5 }))).toThrow(/schedule.floor must be in \[0, 1\]/);
    expect(() => learningRateAt(0, schedule("linear"))).toThrow(/step must be an integer >= 1, got 0/);
    expect(() => learningRateAt(2.5, schedule("linear"))).toThrow(UnfoldError);
  });
});
