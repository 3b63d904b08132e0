import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Graph, interpret, symmetricEigen } from "@unfold/core";
import { boundedSpectrumWeight } from "@unfold/energies";
import { countParams, initParams } from "@unfold/nn";
import { describe, expect, it } from "vitest";
import { ModelConfig, TrainerConfig, buildModel, buildTask, energyTraceProgram, logitsProgram } from "../src/index.js";
import { stepSizes } from "@unfold/training";
import { readPredictInputs } from "../src/predict/inputs.js";

const task = buildTask(TrainerConfig.parse({ task: { kind: "mnist", train: 20, test: 10 } }).task);

function feeds(model: ReturnType<typeof buildModel>, count: number, seed = 1): Map<string, Float64Array> {
  const params = initParams(model.specs, { seed, dtype: "float64" });
  const map = new Map<string, Float64Array>(Object.entries(params).map(([n, t]) => [n, Float64Array.from(t.data)]));
  map.set("inputs", task.batch("test", Int32Array.from({ length: count }, (_, i) => i)).inputs);
  return map;
}

describe("trainer models", () => {
  for (const kind of ["yang", "energy-transformer", "transformer"] as const) {
    it(`${kind}: logits of the right shape, finite, and depending on the input`, () => {
      const model = buildModel(ModelConfig.parse({ kind, dim: 8, layers: 2, ...(kind === "transformer" ? { heads: 2, mlpDim: 16 } : {}), ...(kind === "energy-transformer" ? { heads: 2, headDim: 4, memories: 6 } : {}) }), task);
      const out = interpret(logitsProgram(model, task, 3, "float64"), feeds(model, 3)).get("logits")!;
      expect(out).toHaveLength(3 * 10);
      expect(out.every(Number.isFinite)).toBe(true);
      expect(out.slice(0, 10)).not.toEqual(out.slice(10, 20));
      expect(countParams(model.specs)).toBeGreaterThan(0);
    });
  }

  it("yang: every layer lowers its own energy at initialization, tied or untied, in float64", () => {
    for (const tied of [true, false]) {
      const model = buildModel(ModelConfig.parse({ kind: "yang", dim: 8, layers: 4, tied }), task);
      const program = energyTraceProgram(model, task, "float64")!;
      for (let i = 0; i < 5; i++) {
        const f = feeds(model, 1, i + 2);
        f.set("inputs", task.batch("test", [i]).inputs);
        const out = interpret(program, f);
        for (let l = 0; l < 4; l++) {
          expect(out.get(`energy.after.${l}`)![0]!).toBeLessThanOrEqual(out.get(`energy.before.${l}`)![0]! + 1e-10);
          if (tied && l < 3) expect(out.get(`energy.after.${l}`)![0]).toBeCloseTo(out.get(`energy.before.${l + 1}`)![0]!, 12);
        }
      }
    }
  });

  it("yang: learned step sizes stay inside their descent bounds for any parameter value", () => {
    const config = ModelConfig.parse({ kind: "yang", dim: 4, layers: 1 });
    const model = buildModel(config, task);
    expect(Object.keys(model.specs)).toEqual(expect.arrayContaining(["steps.attention", "steps.feedForward"]));
    // W_f from an arbitrarily large M still has its spectrum inside (-0.95, 0.95).
    const g = new Graph();
    const M = g.leaf("input", "M", [4, 4], "float64");
    const W = interpret(g.toProgram({ W: boundedSpectrumWeight(M, 0.95) }), new Map([["M", Float64Array.from({ length: 16 }, (_, i) => 1e3 * Math.sin(i + 1))]])).get("W")!;
    expect(Math.max(...symmetricEigen(W, 4).values.map(Math.abs))).toBeLessThan(0.95);
    // Any theta maps into (0, bound): evaluate the traced step size at extreme logits.
    const sizes = stepSizes("feedForward", { layers: 2, bound: 2 / 1.95, learned: true, fraction: 0.1 });
    const g2 = new Graph();
    const theta = g2.leaf("param", "steps.feedForward", [2], "float64");
    const program = g2.toProgram({ a0: sizes.at(0, { "steps.feedForward": theta }, theta), a1: sizes.at(1, { "steps.feedForward": theta }, theta) });
    const out = interpret(program, new Map([["steps.feedForward", Float64Array.from([-30, 30])]]));
    expect(out.get("a0")![0]).toBeGreaterThan(0);
    expect(out.get("a1")![0]).toBeLessThanOrEqual(2 / 1.95);
    expect(out.get("a1")![0]).toBeGreaterThan(1);
    // The initial value is the configured fraction of the bound.
    const init = initParams(sizes.specs, { seed: 0, dtype: "float64" })["steps.feedForward"]!.data[0]!;
    expect(1 / (1 + Math.exp(-init))).toBeCloseTo(0.1, 12);
  });

  it("refuses a non-causal model on a next-token task", () => {
    const addition = buildTask(TrainerConfig.parse({ task: { kind: "addition", train: 20, test: 10 } }).task);
    expect(() => buildModel(ModelConfig.parse({ kind: "transformer" }), addition)).toThrow(/next-token prediction: set model.causal to true/);
    expect(() => buildModel(ModelConfig.parse({ kind: "energy-transformer" }), addition)).toThrow(/needs a causal model/);
    expect(() => buildModel(ModelConfig.parse({ kind: "yang", causal: true }), addition)).not.toThrow();
  });
});

describe("predict inputs", () => {
  const card = { model: "yang", task: "mnist", input: { kind: "features", tokens: 2, features: 3 }, target: { kind: "class", classes: 10 } } as const;
  const file = (text: string): string => {
    const path = join(mkdtempSync(join(tmpdir(), "unfold-predict-")), "in.jsonl");
    writeFileSync(path, text);
    return path;
  };

  it("reads nested or flat inputs with optional labels", () => {
    const examples = readPredictInputs(file('{"input": [[1,2,3],[4,5,6]], "label": 3}\n\n{"input": [1,2,3,4,5,6]}\n'), card);
    expect(examples.map((e) => e.line)).toEqual([1, 3]);
    expect(Array.from(examples[1]!.input)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(examples[0]!.label).toBe(3);
  });

  it("names the line and field of a malformed input", () => {
    expect(() => readPredictInputs(file('{"input": [1,2,3]}\n'), card)).toThrow(/line 1: field "input" has 3 values; the model takes 6 \(2 x 3\)/);
    expect(() => readPredictInputs(file('{"input": [1,2,3,4,5,6]}\n{"inputs": []}\n'), card)).toThrow(/line 2: field "input" is missing/);
    expect(() => readPredictInputs(file('{"input": [1,2,3,4,5,"x"]}\n'), card)).toThrow(/line 1: field "input\[5\]" must be a number or an array of numbers, got "x"/);
    expect(() => readPredictInputs(file("not json\n"), card)).toThrow(/line 1: not valid JSON/);
    expect(() => readPredictInputs(file("\n"), card)).toThrow(/no examples/);
  });
});

describe("the mnist-97 configs", () => {
  it("give the baseline about the parameter budget of the unfolded model (within 5%)", async () => {
    const { loadConfig } = await import("../src/index.js");
    const yang = loadConfig({ config: "mnist-97" });
    const baseline = loadConfig({ config: "mnist-97-baseline" });
    const data = buildTask(yang.task);
    const a = countParams(buildModel(yang.model, data).specs);
    const b = countParams(buildModel(baseline.model, data).specs);
    expect(Math.abs(b - a) / a).toBeLessThan(0.05);
    // Same data and training schedule: only the model differs.
    expect(baseline.task).toEqual(yang.task);
    expect(baseline.train).toEqual(yang.train);
  });
});
