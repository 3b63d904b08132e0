import { interpret, relativeError } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { TRAIN_PARAMS, lossProgram, programTask, trainProblem, trainProgram } from "../src/index.js";
import { TINY_BATCH } from "./helpers.js";

const problem = trainProblem(TINY_BATCH);
const { adam } = problem;
const lossOf = lossProgram(problem, "float64");

function baseFeeds(): Map<string, Float64Array> {
  const feeds = new Map<string, Float64Array>([
    ["state", problem.inputs.state.data.slice()],
    ["labels", problem.inputs.labels.data.slice()],
  ]);
  for (const p of TRAIN_PARAMS) feeds.set(p, problem.inputs[p].data.slice());
  return feeds;
}

function loss(feeds: Map<string, Float64Array>): number {
  return interpret(lossOf, feeds).get("loss")![0]!;
}

// Step 1 from zero moments: m' = (1 - beta1) g, so the program's gradient is m'/(1 - beta1).
const task = programTask(problem, "float64");
const step1 = interpret(trainProgram(problem, "float64"), new Map(Object.entries(task.feeds).map(([n, t]) => [n, Float64Array.from(t.data)])));

describe("the train-step program (float64, batch 2 x 6 tokens x d 4, 12 layers)", () => {
  it.each(TRAIN_PARAMS)("its gradient with respect to %s matches central finite differences", (p) => {
    const grad = step1.get(`m.${p}`)!.map((m) => m / (1 - adam.beta1));
    // Entries of dL/dWa are near 1e-4 here: h = 1e-5 keeps rounding (eps |L| / h) well below that.
    const h = 1e-5;
    const numeric = new Float64Array(grad.length);
    for (let i = 0; i < grad.length; i++) {
      const plus = baseFeeds();
      const minus = baseFeeds();
      plus.get(p)![i]! += h;
      minus.get(p)![i]! -= h;
      numeric[i] = (loss(plus) - loss(minus)) / (2 * h);
    }
    expect(Math.max(...numeric.map(Math.abs))).toBeGreaterThan(1e-6);
    expect(relativeError(grad, numeric)).toBeLessThan(1e-6);
  });

  it("reports the loss before the step", () => {
    expect(step1.get("loss")![0]).toBeCloseTo(loss(baseFeeds()), 12);
  });

  it("applies Adam: v = (1 - beta2) g^2 and p' = p - lr m_hat / (sqrt(v_hat) + eps)", () => {
    for (const p of TRAIN_PARAMS) {
      const m = step1.get(`m.${p}`)!;
      const g = m.map((x) => x / (1 - adam.beta1));
      const v = step1.get(`v.${p}`)!;
      expect(relativeError(v, g.map((x) => (1 - adam.beta2) * x * x))).toBeLessThan(1e-12);
      const c1 = 1 - adam.beta1;
      const c2 = 1 - adam.beta2;
      const expected = problem.inputs[p].data.map((x, i) => x - (adam.learningRate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + adam.epsilon));
      expect(relativeError(step1.get(`new.${p}`)!, expected)).toBeLessThan(1e-12);
    }
  });

  it("keeps W_f = (M + M^T)/2 symmetric: the gradient and update of M are symmetric", () => {
    const d = TINY_BATCH.dim;
    const M = step1.get("new.M")!;
    const gM = step1.get("m.M")!;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        expect(M[i * d + j]).toBeCloseTo(M[j * d + i]!, 14);
        expect(gM[i * d + j]).toBeCloseTo(gM[j * d + i]!, 14);
      }
    }
  });

  it("uses the step count's bias corrections at later steps", () => {
    const feeds = task.stepFeeds!(3);
    expect(feeds["correction1"]!.data[0]).toBeCloseTo(1 - adam.beta1 ** 3, 15);
    expect(feeds["correction2"]!.data[0]).toBeCloseTo(1 - adam.beta2 ** 3, 15);
  });
});
