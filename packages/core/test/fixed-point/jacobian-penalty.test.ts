// The Hutchinson estimate of ||dT/dY||_F^2 against the exact value from the dense Jacobian: exact
// with the basis vectors as probes, and within a few standard errors with Gaussian probes; its
// gradient in the parameters (a double backward) against central differences.
import { describe, expect, it } from "vitest";
import {
  type Energy,
  Graph,
  JACOBIAN_PENALTY_OUTPUT,
  applyLayer,
  defineEnergy,
  defineUnfolding,
  differentiate,
  gaussianProbes,
  gradientStep,
  hostTensor,
  jacobian,
  jacobianFrobeniusEstimate,
  jacobianPenaltyProgram,
  layerMap,
  paramLeaves,
  runToHost,
  toFloat64,
} from "../../src/index.js";
import { backend, d, n, problem } from "../unfold/fixtures.js";

// A non-linear energy, so that J_Y depends on the state and on both parameters:
// E(Y) = 1/2 <Y, A Y> + sum(log cosh(Y - B)) (A not constrained, so central differences may
// perturb one entry).
const curved: Energy = defineEnergy({
  name: "curved",
  params: { A: { shape: [n, n] }, B: { shape: [n, d] } },
  terms: [
    { name: "quadratic", value: (x, p) => x.mul(p["A"]!.matmul(x)).sum().mul(0.5) },
    {
      name: "logcosh",
      value: (x, p) => {
        const z = x.sub(p["B"]!);
        return z.exp().add(z.neg().exp()).mul(0.5).log().sum();
      },
    },
  ],
});

const map = layerMap(defineUnfolding({ energy: curved, steps: [gradientStep(curved, { stepSize: 0.2 })], layers: 1 }));
const p = problem(21);
const size = n * d;

async function exactFrobenius(): Promise<number> {
  const graph = new Graph();
  const state = graph.leaf("input", "state", [n, d], "float64");
  const params = paramLeaves(curved, graph, "float64");
  const j = jacobian((y) => applyLayer(map, y, params))(state);
  const outs = await runToHost(await backend.compile(graph.toProgram({ f: j.mul(j).sum() })), { state: p.state, ...p.params });
  return outs["f"]!.data[0]!;
}

async function estimate(probes: (graph: Graph) => ReturnType<typeof gaussianProbes>): Promise<number> {
  const graph = new Graph();
  const state = graph.leaf("input", "state", [n, d], "float64");
  const params = paramLeaves(curved, graph, "float64");
  const outs = await runToHost(await backend.compile(graph.toProgram({ f: jacobianFrobeniusEstimate(map, state, params, probes(graph)) })), { state: p.state, ...p.params });
  return outs["f"]!.data[0]!;
}

describe("Jacobian regularisation", () => {
  it("is exact with the basis vectors as probes (times their count)", async () => {
    const exact = await exactFrobenius();
    const basis = (graph: Graph) =>
      Array.from({ length: size }, (_, k) => {
        const e = new Float64Array(size);
        e[k] = 1;
        return graph.constant(e, [n, d], "float64");
      });
    expect(Math.abs(size * (await estimate(basis)) - exact) / exact).toBeLessThan(1e-12);
  });

  it("is unbiased with Gaussian probes: the mean of many is within 4 standard errors of the exact value", async () => {
    const exact = await exactFrobenius();
    const samples: number[] = [];
    for (let seed = 0; seed < 200; seed++) samples.push(await estimate((graph) => gaussianProbes(graph, [n, d], "float64", { probes: 1, seed })));
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples.length - 1));
    const stdError = sd / Math.sqrt(samples.length);
    expect(Math.abs(mean - exact)).toBeLessThan(4 * stdError);
    // And it is an estimate, not a constant: the probes matter.
    expect(sd).toBeGreaterThan(0);
    console.log(`||J||_F^2 exact ${exact.toFixed(4)}, Hutchinson mean of 200 one-probe estimates ${mean.toFixed(4)} +- ${stdError.toFixed(4)}`);
  });

  it("the same seed gives the same estimate, and its gradient in the parameters matches central differences", async () => {
    const program = jacobianPenaltyProgram(map, [n, d], "float64", { probes: 3, seed: 4 });
    const again = await runToHost(await backend.compile(jacobianPenaltyProgram(map, [n, d], "float64", { probes: 3, seed: 4 })), { state: p.state, ...p.params });
    const withGrad = await runToHost(await backend.compile(differentiate(program, { of: JACOBIAN_PENALTY_OUTPUT })), { state: p.state, ...p.params });
    expect(withGrad[JACOBIAN_PENALTY_OUTPUT]!.data[0]).toBe(again[JACOBIAN_PENALTY_OUTPUT]!.data[0]);
    const executable = await backend.compile(program);
    const penalty = async (A: Float64Array, B: Float64Array) =>
      (await runToHost(executable, { state: p.state, A: hostTensor(A, [n, n]), B: hostTensor(B, [n, d]) }))[JACOBIAN_PENALTY_OUTPUT]!.data[0]!;
    const h = 1e-5;
    for (const name of ["A", "B"] as const) {
      const grad = toFloat64(withGrad[`grad_${name}`]!);
      expect(Math.max(...grad.map(Math.abs))).toBeGreaterThan(1e-3);
      for (const k of [0, 5, 10]) {
        const shifted = (delta: number) => {
          const v = Float64Array.from(name === "A" ? p.A : p.B);
          v[k]! += delta;
          return v;
        };
        const fd =
          name === "A" ? ((await penalty(shifted(h), p.B)) - (await penalty(shifted(-h), p.B))) / (2 * h) : ((await penalty(p.A, shifted(h))) - (await penalty(p.A, shifted(-h)))) / (2 * h);
        expect(Math.abs(grad[k]! - fd), `${name}[${k}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it("refuses probes it cannot use, naming them", () => {
    const graph = new Graph();
    const state = graph.leaf("input", "state", [n, d], "float64");
    const params = paramLeaves(curved, graph, "float64");
    expect(() => jacobianFrobeniusEstimate(map, state, params, [])).toThrow("jacobianFrobeniusEstimate: probes must be a non-empty array of Tensors (see gaussianProbes)");
    expect(() => jacobianFrobeniusEstimate(map, state, params, [graph.constant(1, [d, n], "float64")])).toThrow(
      "jacobianFrobeniusEstimate: probes[0] has shape [3, 4], the state [4, 3]",
    );
    expect(() => jacobianFrobeniusEstimate(map, state, params, [new Graph().constant(1, [n, d], "float64")])).toThrow("jacobianFrobeniusEstimate: probes[0] must be a Tensor of the state's graph");
    expect(() => gaussianProbes(graph, [n, d], "float64", { probes: 0, seed: 1 })).toThrow("gaussianProbes: probes must be an integer >= 1, got 0");
    expect(() => gaussianProbes(graph, [n, d], "float64", { probes: 2, seed: -1 })).toThrow("gaussianProbes: seed must be an integer >= 0, got -1");
    expect(() => gaussianProbes(graph, [n, d], "float64", { probes: 2 } as never)).toThrow("gaussianProbes: seed must be an integer >= 0, got undefined");
  });
});
