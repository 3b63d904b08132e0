// The anchored Energy Transformer's energy is the one its step descends: grad V(x) = J d(x), with
// d = dE/dg + lambda (x - X) the step's direction and J = dg/dx the LayerNorm's (symmetric)
// Jacobian, so along the flow dV/dt = -d^T J d <= 0. Checked by autodiff at a random state.
import { Graph, type HostTensor, Random, ReferenceBackend, activated, applyLayer, gradients, hostTensor, ops, paramLeaves, relativeError, runToHost, termValues, totalOf } from "@unfold/core";
import { energyTransformerEnergy } from "@unfold/energies";
import { describe, expect, it } from "vitest";
import { ModelConfig, buildModel } from "../src/index.js";
import { tinyTask } from "./fixed-point-fixture.js";

const [BATCH, TOKENS, DIM] = [2, 3, 4];
const SIZES = { dim: DIM, heads: 1, headDim: 2, memories: 4 };

describe("the anchored Energy Transformer's energy", () => {
  it("has the gradient J (dE/dg + lambda (x - X)): the step's direction seen through the LayerNorm", async () => {
    const lambda = 1.5;
    const stepSize = 0.1;
    const model = buildModel(ModelConfig.parse({ kind: "energy-transformer", ...SIZES, stepSize, fixedPoint: { anchor: lambda } }), tinyTask(4, 4));
    const map = model.fixedPoint!.map(BATCH);
    const rng = new Random(4);
    const shape = [BATCH, TOKENS, DIM];
    const size = BATCH * TOKENS * DIM;
    const params: Record<string, HostTensor> = {
      Wq: hostTensor(rng.normals(2 * DIM, 0.5), [1, 2, DIM]),
      Wk: hostTensor(rng.normals(2 * DIM, 0.5), [1, 2, DIM]),
      xi: hostTensor(rng.normals(4 * DIM, 0.5), [4, DIM]),
      lnGain: hostTensor([1.3], []),
      lnBias: hostTensor(rng.normals(DIM, 0.1), [DIM]),
      X: hostTensor(rng.normals(size), shape),
    };
    const state = hostTensor(rng.normals(size, 2), shape);
    const backend = new ReferenceBackend();
    try {
      // The step's direction d = (x - T(x)) / alpha, then grad V and J d (J symmetric: J d = grad_x <g(x), d>).
      const graph = new Graph();
      const x = graph.leaf("input", "x", shape, "float64");
      const p = paramLeaves(map.energy, graph, "float64");
      const direction = ops.div(ops.sub(x, applyLayer(map, x, p)), stepSize);
      const d = (await runToHost(await backend.compile(graph.toProgram({ d: direction })), { ...params, x: state }))["d"]!;

      const second = new Graph();
      const y = second.leaf("input", "x", shape, "float64");
      const q = paramLeaves(map.energy, second, "float64");
      const fixed = second.leaf("input", "d", shape, "float64");
      const [gradV] = gradients(totalOf(termValues(map.energy, y, q)), [y]);
      const g = activated(energyTransformerEnergy(SIZES), y, q);
      const [jd] = gradients(ops.sum(ops.mul(g, fixed)), [y]);
      const out = await runToHost(await backend.compile(second.toProgram({ gradV: gradV!, jd: jd! })), { ...params, x: state, d });
      const error = relativeError(out["gradV"]!.data, out["jd"]!.data);
      console.log(`anchored ET: grad V against J d, relative error ${error.toExponential(2)}`);
      expect(error).toBeLessThan(1e-10);
      // And d itself is not grad V (the step is no plain gradient step in x).
      expect(relativeError(out["gradV"]!.data, d.data)).toBeGreaterThan(1e-2);
    } finally {
      await backend.dispose();
    }
  });
});
