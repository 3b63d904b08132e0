// A term that declares its prox: sparse coding, E(z) = 1/2 ||y - z D^T||^2 + lambda ||z||_1,
// descended by ISTA (a gradient step on the fit, then the l1 term's soft threshold), with the
// guard watching the whole objective the step minimizes.
import { describe, expect, it } from "vitest";
import {
  MonotonicityError,
  Random,
  ReferenceBackend,
  type EnergyTerm,
  type Tensor,
  defineEnergy,
  defineUnfolding,
  gradientStep,
  hostTensor,
  ops,
  proximalStep,
  renameParams,
  runUnfolding,
  symmetricEigen,
} from "../src/index.js";

/** sign(v) max(|v| - t, 0): the prox of t ||.||_1. */
const softThreshold = (v: Tensor, t: Tensor): Tensor => ops.mul(ops.sign(v), ops.relu(ops.sub(ops.abs(v), t)));

/** The fit 1/2 ||y - z D^T||^2 of codes z [b, m] to signals y over a dictionary D [n, m]. */
const fit: EnergyTerm<"D" | "y"> = {
  name: "fit",
  value: (z, p) => {
    const r = ops.sub(ops.matmul(z, ops.swapLastAxes(p.D)), p.y);
    return ops.mul(ops.sum(ops.mul(r, r)), 0.5);
  },
};

/** lambda ||z||_1, written once: its value and its prox read the same parameter. */
const sparsity: EnergyTerm<"lambda"> = {
  name: "sparsity",
  value: (z, p) => ops.mul(ops.sum(ops.abs(z)), p.lambda),
  prox: (v, p, alpha) => softThreshold(v, ops.mul(p.lambda, alpha)),
};

function sparseCoding(n: number, m: number) {
  return defineEnergy({ name: "sparse-coding", params: { D: { shape: [n, m] }, y: { shape: [1, n] }, lambda: { shape: [] } }, terms: [fit, sparsity] });
}

const n = 4;
const m = 6;
const rng = new Random(7);
const D = rng.normals(n * m, 0.5);
const y = rng.normals(n);
const lambda = 0.3;
const params = { D: hostTensor(D, [n, m]), y: hostTensor(y, [1, n]), lambda: hostTensor([lambda], []) };
const z0 = hostTensor(rng.normals(m, 0.1), [1, m]);

/** The Lipschitz constant of the fit's gradient: lambda_max(D^T D). */
function lipschitz(): number {
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) for (let k = 0; k < n; k++) gram[i * m + j]! += D[k * m + i]! * D[k * m + j]!;
  return Math.max(...symmetricEigen(gram, m).values);
}

/** ISTA in plain JavaScript, the oracle. */
function istaJS(z: Float64Array, alpha: number, steps: number): Float64Array {
  let x = Float64Array.from(z);
  for (let s = 0; s < steps; s++) {
    const r = Array.from({ length: n }, (_, k) => x.reduce((acc, v, i) => acc + v * D[k * m + i]!, 0) - y[k]!);
    const grad = x.map((_, i) => r.reduce((acc, rk, k) => acc + rk * D[k * m + i]!, 0));
    x = x.map((v, i) => {
      const u = v - alpha * grad[i]!;
      return Math.sign(u) * Math.max(Math.abs(u) - alpha * lambda, 0);
    });
  }
  return x;
}

describe("proximalStep with a prox term", () => {
  const energy = sparseCoding(n, m);
  const backend = new ReferenceBackend();

  it("is ISTA: the step descends fit + sparsity, its terms are both, and the guard watches both", async () => {
    const alpha = 1 / lipschitz();
    const step = proximalStep(energy, { proxTerm: "sparsity", stepSize: alpha });
    expect([step.kind, step.name, step.terms]).toEqual(["proximal", "sparsity(gradient(fit))", ["fit", "sparsity"]]);
    const K = 40;
    const unfolding = defineUnfolding({ energy, steps: [step], layers: K, guard: { mode: "throw", watch: "terms" } });
    const { state, trace } = await runUnfolding(unfolding, backend, { state: z0, params });
    for (let l = 1; l <= K; l++) expect(trace.layers[l]!.energy).toBeLessThanOrEqual(trace.layers[l - 1]!.energy);
    const want = istaJS(z0.data as Float64Array, alpha, K);
    state.data.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    // The soft threshold sets codes to exactly zero: the point of the l1 term.
    expect(Array.from(state.data).filter((v) => v === 0).length).toBeGreaterThan(0);
  });

  it("a too-large step is caught on the total, which a guard watching only the smooth term misses", async () => {
    // One code, D = 1, y = 1, lambda = 1/2, from z = 0 at step size 3: the fit falls from 0.5 to
    // 0.125, but the l1 term rises from 0 to 0.75, so fit + sparsity rises to 0.875.
    const scalar = sparseCoding(1, 1);
    const one = { D: hostTensor([1], [1, 1]), y: hostTensor([1], [1, 1]), lambda: hostTensor([0.5], []) };
    const start = hostTensor([0], [1, 1]);
    const withTerm = proximalStep(scalar, { proxTerm: "sparsity", stepSize: 3 });
    const guarded = defineUnfolding({ energy: scalar, steps: [withTerm], layers: 1, guard: { mode: "throw", watch: "terms" } });
    const run = runUnfolding(guarded, backend, { state: start, params: one });
    await expect(run).rejects.toThrow(MonotonicityError);
    await expect(runUnfolding(guarded, backend, { state: start, params: one })).rejects.toThrow(
      "layer 1, step 'sparsity(gradient(fit))': terms fit+sparsity rose from 0.5 to 0.875 at step size 3",
    );

    // The same step with the threshold given as a prox function: lambda written a second time,
    // and the step's terms are the fit alone, so the rise goes unseen.
    const asFunction = proximalStep(scalar, { terms: ["fit"], stepSize: 3, prox: (v, _p, alpha) => softThreshold(v, ops.mul(alpha, 0.5)) });
    const blind = defineUnfolding({ energy: scalar, steps: [asFunction], layers: 1, guard: { mode: "throw", watch: "terms" } });
    const { trace } = await runUnfolding(blind, backend, { state: start, params: one });
    expect(trace.steps[0]!.increased).toBe(false);
    expect(trace.layers[1]!.energy).toBeCloseTo(0.875, 12);
  });

  it("with no smooth terms it is the prox alone, x <- prox(x)", async () => {
    const step = proximalStep(energy, { proxTerm: "sparsity", terms: [], stepSize: 0.5 });
    expect([step.name, step.terms]).toEqual(["prox(sparsity)", ["sparsity"]]);
    const { state } = await runUnfolding(defineUnfolding({ energy, steps: [step], layers: 1 }), backend, { state: z0, params });
    Array.from(z0.data).forEach((v, i) => expect(state.data[i]).toBeCloseTo(Math.sign(v) * Math.max(Math.abs(v) - 0.5 * lambda, 0), 14));
  });

  it("a gradient step differentiates a prox term only when its terms list it", async () => {
    expect(() => gradientStep(energy, { stepSize: 0.1 })).toThrow("term 'sparsity' of energy 'sparse-coding' declares a prox (it is not smooth)");
    // Listed explicitly: a subgradient step, asked for by name.
    const sub = gradientStep(energy, { stepSize: 0.01, terms: ["fit", "sparsity"] });
    expect(sub.terms).toEqual(["fit", "sparsity"]);
    const { trace } = await runUnfolding(defineUnfolding({ energy, steps: [sub], layers: 1 }), backend, { state: z0, params });
    expect(trace.layers[1]!.energy).toBeLessThan(trace.layers[0]!.energy);
  });

  it("a renamed term keeps its prox, reading the new parameter names", async () => {
    const renamed = defineEnergy({
      name: "renamed",
      params: { D: { shape: [n, m] }, y: { shape: [1, n] }, l1: { shape: [] } },
      terms: [fit, renameParams(sparsity, { lambda: "l1" })],
    });
    const alpha = 1 / lipschitz();
    const step = proximalStep(renamed, { proxTerm: "sparsity", stepSize: alpha });
    const { state } = await runUnfolding(defineUnfolding({ energy: renamed, steps: [step], layers: 5 }), backend, {
      state: z0,
      params: { D: params.D, y: params.y, l1: params.lambda },
    });
    const want = istaJS(z0.data as Float64Array, alpha, 5);
    state.data.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
  });
});
