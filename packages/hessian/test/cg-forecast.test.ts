// The CG forecast of an implicit gradient's adjoint solve: Lanczos on the energy's Hessian at the
// fixed point gives kappa, and the actual CG iteration count stays within the residual bound
// (a theorem when kappa is exact, as it is with Lanczos run to the full size). The standard
// forecast and the actual count are printed side by side, not asserted equal.
import {
  LAYER_MAP_OUTPUTS,
  Random,
  ReferenceBackend,
  defineEnergy,
  defineUnfolding,
  gradientStep,
  hostTensor,
  implicitGradient,
  layerMap,
  layerMapProgram,
  ops,
  runToHost,
  solve,
  symmetricEigen,
} from "@unfold/core";
import { describe, expect, it } from "vitest";
import { cgForecast, cgIterationBound } from "../src/index.js";

const backend = new ReferenceBackend();

/** A = Q diag(eigenvalues) Q^T with a random orthogonal Q, exactly symmetric. */
function spd(eigenvalues: readonly number[], seed: number): Float64Array {
  const n = eigenvalues.length;
  const g = new Random(seed).normals(n * n);
  const q = symmetricEigen(Float64Array.from(g, (_, k) => (g[k]! + g[(k % n) * n + Math.floor(k / n)]!) / 2), n).vectors;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += q[i * n + k]! * eigenvalues[k]! * q[j * n + k]!;
    a[i * n + j] = a[j * n + i] = s;
  }
  return a;
}

// E(Y) = 1/2 <Y, A Y> - <B, Y> on Y of shape [n, 1]: H = A, Y* = A^{-1} B.
const n = 80;
const quadratic = defineEnergy({
  name: "quadratic",
  params: { A: { shape: [n, n] }, B: { shape: [n, 1] } },
  terms: [
    { name: "quadratic", value: (y, p) => ops.mul(ops.sum(ops.mul(y, ops.matmul(p.A!, y))), 0.5) },
    { name: "linear", value: (y, p) => ops.neg(ops.sum(ops.mul(y, p.B!))) },
  ],
});

// A modern Hopfield energy, E(q) = -1/beta logsumexp(beta X q) + 1/2 ||q||^2 per query: curved,
// with its fixed point found by iterating the gradient step.
const [memories, dim, queries, beta] = [6, 8, 3, 4];
const hopfield = defineEnergy({
  name: "hopfield",
  params: { X: { shape: [memories, dim] } },
  terms: [
    {
      name: "energy",
      value: (q, p) => {
        const scores = ops.mul(ops.matmul(q, ops.transpose(p.X!)), beta);
        const top = ops.max(scores, [1], true);
        const lse = ops.add(ops.log(ops.sum(ops.exp(ops.sub(scores, top)), [1], true)), top);
        return ops.add(ops.mul(ops.sum(lse), -1 / beta), ops.mul(ops.sum(ops.mul(q, q)), 0.5));
      },
    },
  ],
});

async function actualCg(map: ReturnType<typeof layerMap>, state: ReturnType<typeof hostTensor>, params: Record<string, ReturnType<typeof hostTensor>>, tol: number): Promise<number> {
  const cotangent = hostTensor(new Random(2).normals(state.data.length), state.shape);
  const result = await implicitGradient(map, backend, { state, params, cotangent, adjoint: { solver: "cg", tol, maxIterations: 1000, requireConvergence: true } });
  return result.adjoint!.iterations;
}

describe("cgForecast", () => {
  it("on a quadratic of kappa 25: exact kappa, and CG stays within the residual bound", async () => {
    const eigenvalues = Array.from({ length: n }, (_, i) => 1 + (24 * i) / (n - 1));
    const A = spd(eigenvalues, 3);
    const B = new Random(4).normals(n);
    const params = { A: hostTensor(A, [n, n]), B: hostTensor(B, [n, 1]) };
    const map = layerMap(defineUnfolding({ energy: quadratic, steps: [gradientStep(quadratic, { stepSize: 0.05 })], layers: 1 }));
    const state = hostTensor(solve(A, B, n, 1), [n, 1]);
    for (const tol of [1e-4, 1e-8, 1e-12]) {
      const forecast = await cgForecast(map, state, params, { tol, iterations: n, backend });
      expect(forecast.conditionNumber).toBeCloseTo(25, 8);
      const actual = await actualCg(map, state, params, tol);
      expect(actual).toBeLessThanOrEqual(forecast.guaranteedIterations);
      console.log(`quadratic kappa ${forecast.conditionNumber.toFixed(2)}, tol ${tol}: CG predicted ${forecast.predictedIterations}, guaranteed ${forecast.guaranteedIterations}, actual ${actual}`);
    }
  });

  it("on a Hopfield energy at its fixed point: kappa from Lanczos, CG within the residual bound", async () => {
    const X = hostTensor(new Random(18).normals(memories * dim, 1 / Math.sqrt(dim)), [memories, dim]);
    const params = { X };
    const map = layerMap(defineUnfolding({ energy: hopfield, steps: [gradientStep(hopfield, { stepSize: 0.5 })], layers: 1 }));
    // The fixed point by iterating the layer (a contraction here).
    let state = hostTensor(new Random(19).normals(queries * dim, 1 / Math.sqrt(dim)), [queries, dim]);
    const step = await backend.compile(layerMapProgram(map, state.shape, "float64"));
    for (let k = 0; k < 5000; k++) {
      const outs = await runToHost(step, { state, X });
      state = outs[LAYER_MAP_OUTPUTS.next]!;
      if (outs[LAYER_MAP_OUTPUTS.residualSq]!.data[0]! < 1e-30) break;
    }
    const tol = 1e-10;
    const forecast = await cgForecast(map, state, params, { tol, iterations: queries * dim, backend });
    expect(forecast.lambdaMin).toBeGreaterThan(0);
    const actual = await actualCg(map, state, params, tol);
    expect(actual).toBeLessThanOrEqual(forecast.guaranteedIterations);
    console.log(
      `hopfield: lambda ${forecast.lambdaMin.toFixed(4)}..${forecast.lambdaMax.toFixed(4)}, kappa ${forecast.conditionNumber.toFixed(2)}, tol ${tol}: CG predicted ${forecast.predictedIterations}, guaranteed ${forecast.guaranteedIterations}, actual ${actual}`,
    );
  });

  it("the bound is sqrt(kappa)/2 ln(2/tol), and bad inputs are refused by name", async () => {
    expect(cgIterationBound(100, 2e-8)).toBe(Math.ceil(5 * Math.log(1e8)));
    expect(cgIterationBound(1, 1e-8)).toBe(Math.ceil(0.5 * Math.log(2e8)));
    expect(cgIterationBound(Infinity, 1e-8)).toBe(Infinity);
    expect(() => cgIterationBound(0.5, 1e-8)).toThrow("cgIterationBound: conditionNumber must be a number >= 1 (lambda_max / lambda_min), got 0.5");
    expect(() => cgIterationBound(10, 0)).toThrow("cgIterationBound: tol must be a positive finite number, got 0");
    const state = hostTensor(new Float64Array(n), [n, 1]);
    const params = { A: hostTensor(spd(Array(n).fill(1), 1), [n, n]), B: hostTensor(new Float64Array(n), [n, 1]) };
    const twoSteps = layerMap(
      defineUnfolding({ energy: quadratic, steps: [gradientStep(quadratic, { stepSize: 0.1, name: "a" }), gradientStep(quadratic, { stepSize: 0.1, name: "b" })], layers: 1 }),
    );
    await expect(cgForecast(twoSteps, state, params)).rejects.toThrow("cgForecast: CG applies when T is one plain gradient step, but the layer has 2 steps ('a', 'b')");
    const map = layerMap(defineUnfolding({ energy: quadratic, steps: [gradientStep(quadratic, { stepSize: 0.1 })], layers: 1 }));
    await expect(cgForecast(map, state, params, { tol: -1 })).rejects.toThrow("cgForecast: tol must be a positive finite number, got -1");
    await expect(cgForecast(map, state, params, { steps: 3 } as never)).rejects.toThrow("cgForecast: unknown option 'steps' in options (known: tol, backend, iterations, seed)");
  });
});
