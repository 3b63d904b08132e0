import { Graph, Random, ShapeError, UnfoldError, input, trace } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { type TransformerConfig, countParams, initParams, transformerEncoder, transformerSpecs } from "../src/index.js";
import { gradientError, normals, relErr, run } from "./helpers.js";
import { encoderRef } from "./reference.js";

const rng = new Random(21);

/** Parameters perturbed away from the initializer's ones and zeros, so gains and biases matter. */
function randomParams(config: TransformerConfig, seed: number): Record<string, Float64Array> {
  const init = initParams(transformerSpecs(config), { seed });
  const noise = new Random(seed + 1);
  return Object.fromEntries(Object.entries(init).map(([n, t]) => [n, Float64Array.from(t.data, (v) => v + 0.2 * noise.normal())]));
}

function encoderProgram(config: TransformerConfig, shape: number[]) {
  const specs = transformerSpecs(config);
  const leaves = { x: input(shape), ...Object.fromEntries(Object.entries(specs).map(([n, s]) => [n, { shape: s.shape, kind: "param" as const }])) };
  return trace(leaves, (t) => transformerEncoder(t.x, t as never, config));
}

describe("transformerSpecs", () => {
  it("declares each layer's parameters, or one shared set when tied", () => {
    const config = { dim: 8, heads: 2, mlpDim: 16, layers: 3 };
    const specs = transformerSpecs(config);
    expect(Object.keys(specs).filter((n) => n.startsWith("layer1.")).sort()).toEqual(
      ["W1", "W2", "Wk", "Wo", "Wq", "Wv", "b1", "b2", "bk", "bo", "bq", "bv", "ln1.bias", "ln1.gain", "ln2.bias", "ln2.gain"].map((n) => `layer1.${n}`).sort(),
    );
    const perLayer = 4 * (8 * 8 + 8) + 2 * 8 * 2 + (8 * 16 + 16) + (16 * 8 + 8);
    expect(countParams(specs)).toBe(3 * perLayer);
    const tied = transformerSpecs({ ...config, tied: true });
    expect(countParams(tied)).toBe(perLayer);
    expect(Object.keys(tied).every((n) => n.startsWith("shared."))).toBe(true);
    expect(specs["layer0.ln1.gain"]!.init).toEqual({ kind: "ones" });
    expect(specs["layer2.W1"]!.shape).toEqual([8, 16]);
  });

  it("rejects bad configs", () => {
    expect(() => transformerSpecs({ dim: 10, heads: 3, mlpDim: 4, layers: 1 })).toThrow(/config.dim 10 does not split into config.heads 3/);
    expect(() => transformerSpecs({ dim: 8, heads: 2, mlpDim: 4, layers: 0 })).toThrow(/config.layers must be an integer >= 1/);
    expect(() => transformerSpecs({ dim: 8, heads: 2, mlpDim: 4, layers: 1, activation: "swish" as never })).toThrow(UnfoldError);
  });
});

describe("transformerEncoder", () => {
  const cases: TransformerConfig[] = [
    { dim: 6, heads: 2, mlpDim: 10, layers: 2 },
    { dim: 6, heads: 3, mlpDim: 5, layers: 2, causal: true, activation: "gelu" },
    { dim: 4, heads: 1, mlpDim: 8, layers: 3, tied: true },
  ];
  for (const config of cases) {
    it(`matches a plain-loop reference: ${JSON.stringify(config)}`, () => {
      const [B, T] = [2, 5];
      const x = normals(rng, [B, T, config.dim]);
      const params = randomParams(config, 5);
      const y = run(encoderProgram(config, [B, T, config.dim]), { x, ...params })["out"]!;
      const expected = encoderRef(x, B, T, { causal: false, tied: false, activation: "relu", ...config }, params);
      expect(relErr(y, expected)).toBeLessThan(1e-12);
    });
  }

  it("has gradients matching finite differences for x and every parameter", () => {
    const config: TransformerConfig = { dim: 4, heads: 2, mlpDim: 6, layers: 2, causal: true, activation: "gelu" };
    const params = randomParams(config, 8);
    const specs = transformerSpecs(config);
    const leaves = {
      x: { shape: [2, 3, 4], data: normals(rng, [2, 3, 4]) },
      ...Object.fromEntries(Object.entries(specs).map(([n, s]) => [n, { shape: s.shape, data: params[n]! }])),
    };
    expect(gradientError(leaves, (t) => transformerEncoder(t["x"]!, t, config))).toBeLessThan(1e-6);
  });

  it("finds missing or misshapen parameters by name", () => {
    const config = { dim: 4, heads: 2, mlpDim: 6, layers: 2 };
    const g = new Graph();
    const x = g.leaf("input", "x", [3, 4]);
    const specs = transformerSpecs(config);
    const params = Object.fromEntries(Object.entries(specs).map(([n, s]) => [n, g.leaf("param", n, s.shape)]));
    expect(transformerEncoder(x, params, config).shape).toEqual([3, 4]);
    const { "layer1.W2": _dropped, ...rest } = params;
    expect(() => transformerEncoder(x, rest, config)).toThrow("transformerEncoder: params lacks 'layer1.W2' (see transformerSpecs)");
    expect(() => transformerEncoder(x, { ...params, "layer0.b1": g.leaf("param", "wrong", [5]) }, config)).toThrow(/layer0.b1 'wrong' \[5\] should be \[6\]/);
    expect(() => transformerEncoder(g.leaf("input", "y", [3, 5]), params, config)).toThrow(ShapeError);
  });
});
