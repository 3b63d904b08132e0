import { Random, ReferenceBackend, defineUnfolding, energyProgram, gradients, hostTensor, interpret, relativeError, runUnfolding, stepProgram, termValues, toFloat64 } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { HOPFIELD_MEMORY_LAYER, HOPFIELD_TERM, HOPFIELD_VISIBLE_LAYER, hopfieldEnergy, hopfieldNetwork, hopfieldNetworkState, hopfieldStep, lagrangianStep } from "../src/index.js";
import { columns, evaluate } from "./lagrangian-helpers.js";

// The modern Hopfield energy and the two-layer Lagrangian network built from the same X and beta:
// at the memory layer's equilibrium the two are one energy with one step, in float64.
const BATCH = 4;
const DIM = 6;
const MEMORIES = 5;
const BETA = 3;
const config = { dim: DIM, memories: MEMORIES, beta: BETA };
const WIDTH = DIM + MEMORIES;

function instance(seed: number) {
  const rng = new Random(seed);
  const X = rng.normals(MEMORIES * DIM, 1 / Math.sqrt(DIM));
  const q = rng.normals(BATCH * DIM, 1 / Math.sqrt(DIM));
  const state = toFloat64(hopfieldNetworkState(hostTensor(q, [BATCH, DIM]), hostTensor(X, [MEMORIES, DIM])));
  return { X, q, state };
}

/** X q for each query row, in plain loops. */
function recall(X: Float64Array, q: Float64Array): Float64Array {
  const out = new Float64Array(BATCH * MEMORIES);
  for (let b = 0; b < BATCH; b++) for (let m = 0; m < MEMORIES; m++) for (let k = 0; k < DIM; k++) out[b * MEMORIES + m]! += X[m * DIM + k]! * q[b * DIM + k]!;
  return out;
}

const network = hopfieldNetwork(config);
const hopfield = hopfieldEnergy(config);
const visible = (s: Float64Array): Float64Array => columns(s, WIDTH, 0, DIM);
const memory = (s: Float64Array): Float64Array => columns(s, WIDTH, DIM, MEMORIES);

/** One network step of size a from `state`: the next state and the network's energy there. */
function networkStep(state: Float64Array, X: Float64Array, a: number): { state: Float64Array; energy: number } {
  const out = interpret(stepProgram(network.energy, lagrangianStep(network, { stepSize: a }), [BATCH, WIDTH], "float64"), new Map([["state", state], ["stepSize", Float64Array.from([a])], ["X", X]]));
  return { state: out.get("state")!, energy: out.get("energy")![0]! };
}

/** One CCCP step of size a: the next queries and the Hopfield energy there. */
function cccpStep(q: Float64Array, X: Float64Array, a: number): { state: Float64Array; energy: number } {
  const out = interpret(stepProgram(hopfield, hopfieldStep(hopfield, { stepSize: a }), [BATCH, DIM], "float64"), new Map([["state", q], ["stepSize", Float64Array.from([a])], ["X", X]]));
  return { state: out.get("state")!, energy: out.get("energy")![0]! };
}

describe("the modern Hopfield energy as a two-layer Lagrangian network", () => {
  it("starts each query with its memory layer at equilibrium: rows [v, X v]", () => {
    const { X, q, state } = instance(1);
    expect(network.layout).toEqual([
      { name: HOPFIELD_VISIBLE_LAYER, offset: 0, width: DIM },
      { name: HOPFIELD_MEMORY_LAYER, offset: DIM, width: MEMORIES },
    ]);
    expect(visible(state)).toEqual(q);
    expect(relativeError(memory(state), recall(X, q))).toBeLessThanOrEqual(1e-15);
  });

  it("at h = X v has the Hopfield energy, and dE/dg_v is the Hopfield gradient v - X^T softmax(beta X v)", () => {
    for (const seed of [2, 3, 4]) {
      const { X, q, state } = instance(seed);
      const networkEnergy = interpret(energyProgram(network.energy, [BATCH, WIDTH], "float64"), new Map([["state", state], ["X", X]])).get("energy")![0]!;
      const hopfieldValue = interpret(energyProgram(hopfield, [BATCH, DIM], "float64"), new Map([["state", q], ["X", X]])).get("energy")![0]!;
      expect(Math.abs(networkEnergy - hopfieldValue)).toBeLessThanOrEqual(1e-14 * Math.abs(hopfieldValue));

      const dEdg = evaluate(network.energy, [BATCH, WIDTH], { x: state, X }, (x, p) => network.energyGradients(x, p as { X: typeof x }));
      const grad = evaluate(hopfield, [BATCH, DIM], { x: q, X }, (x, p) => ({ g: gradients(termValues(hopfield, x, p)[HOPFIELD_TERM]!, [x])[0]! }));
      expect(relativeError(dEdg[HOPFIELD_VISIBLE_LAYER]!, grad["g"]!)).toBeLessThanOrEqual(1e-13);
      // dE/dg_h = h - X v: zero at the equilibrium, up to rounding of X v.
      expect(Math.max(...dEdg[HOPFIELD_MEMORY_LAYER]!.map(Math.abs))).toBeLessThanOrEqual(1e-15);
    }
  });

  it("moves v by a step of size a from h = X v exactly as the CCCP step of size a does, and leaves h = X v", () => {
    const { X, q, state } = instance(5);
    for (const a of [0.25, 1, 1.75]) {
      const net = networkStep(state, X, a);
      const cccp = cccpStep(q, X, a);
      expect(relativeError(visible(net.state), cccp.state)).toBeLessThanOrEqual(1e-14);
      expect(relativeError(memory(net.state), memory(state))).toBeLessThanOrEqual(1e-15);
      // The network's energy after the step is no longer the Hopfield energy (h lags behind v), but at most it.
      expect(net.energy).toBeGreaterThanOrEqual(cccp.energy - 1e-14 * Math.abs(cccp.energy));
    }
  });

  it("at size 1 alternates: one step moves only v (to the CCCP target), the next only h (to X v); E falls at each", () => {
    const { X, q, state } = instance(6);
    const energyAt = (s: Float64Array) => interpret(energyProgram(network.energy, [BATCH, WIDTH], "float64"), new Map([["state", s], ["X", X]])).get("energy")![0]!;
    const first = networkStep(state, X, 1);
    const second = networkStep(first.state, X, 1);
    const cccp = cccpStep(q, X, 1);
    expect(relativeError(visible(first.state), cccp.state)).toBeLessThanOrEqual(1e-14);
    expect(relativeError(memory(first.state), memory(state))).toBeLessThanOrEqual(1e-15);
    expect(relativeError(visible(second.state), visible(first.state))).toBeLessThanOrEqual(1e-14);
    expect(relativeError(memory(second.state), recall(X, cccp.state))).toBeLessThanOrEqual(1e-14);
    expect(first.energy).toBeLessThan(energyAt(state));
    expect(second.energy).toBeLessThan(first.energy);
    // After the pair, h is back at equilibrium: the network's energy is the Hopfield energy of T(q).
    expect(Math.abs(second.energy - cccp.energy)).toBeLessThanOrEqual(1e-14 * Math.abs(cccp.energy));
  });

  it("needs the equilibrium start: from h = 0 the first step sends every query to the mean of the patterns", () => {
    const { X, q } = instance(7);
    const cold = new Float64Array(BATCH * WIDTH);
    for (let b = 0; b < BATCH; b++) cold.set(q.subarray(b * DIM, (b + 1) * DIM), b * WIDTH);
    const mean = Array.from({ length: DIM }, (_, k) => Array.from({ length: MEMORIES }, (_, m) => X[m * DIM + k]!).reduce((s, v) => s + v, 0) / MEMORIES);
    const step = visible(networkStep(cold, X, 1).state);
    for (let b = 0; b < BATCH; b++) expect(relativeError(step.subarray(b * DIM, (b + 1) * DIM), mean)).toBeLessThanOrEqual(1e-14);
  });

  it("unfolds K layers of two size-1 steps into K CCCP steps: the same queries and energies by layer, under a throwing guard", async () => {
    const { X, q, state } = instance(8);
    const layers = 4;
    const backend = new ReferenceBackend();
    const net = await runUnfolding(
      defineUnfolding({
        energy: network.energy,
        steps: [lagrangianStep(network, { stepSize: 1, name: "network-1" }), lagrangianStep(network, { stepSize: 1, name: "network-2" })],
        layers,
        guard: { mode: "throw", watch: "total" },
      }),
      backend,
      { state: hostTensor(state, [BATCH, WIDTH]), params: { X: hostTensor(X, [MEMORIES, DIM]) } },
    );
    const cccp = await runUnfolding(defineUnfolding({ energy: hopfield, steps: [hopfieldStep(hopfield)], layers, guard: { mode: "throw", watch: "total" } }), backend, {
      state: hostTensor(q, [BATCH, DIM]),
      params: { X: hostTensor(X, [MEMORIES, DIM]) },
    });
    expect(relativeError(visible(toFloat64(net.state)), toFloat64(cccp.state))).toBeLessThanOrEqual(1e-13);
    expect(net.trace.layers).toHaveLength(layers + 1);
    net.trace.layers.forEach((r, i) => expect(Math.abs(r.energy - cccp.trace.layers[i]!.energy)).toBeLessThanOrEqual(1e-13 * Math.abs(r.energy)));
    expect(net.trace.steps.filter((s) => s.increased)).toEqual([]);
    // Strictly down at the first layer's two steps (the queries are not yet fixed points).
    expect(net.trace.steps[0]!.energy).toBeLessThan(net.trace.layers[0]!.energy);
    expect(net.trace.steps[1]!.energy).toBeLessThan(net.trace.steps[0]!.energy);
  });
});

describe("hopfieldNetwork and hopfieldNetworkState refuse bad input, naming it", () => {
  const q = hostTensor(new Float64Array(2 * DIM), [2, DIM]);
  const X = hostTensor(new Float64Array(MEMORIES * DIM), [MEMORIES, DIM]);
  it.each([
    [() => hopfieldNetwork({ dim: 0, memories: 3 }), /hopfieldNetwork.*config\.dim.*0/],
    [() => hopfieldNetwork({ dim: 4, memories: 2.5 }), /hopfieldNetwork.*config\.memories.*2\.5/],
    [() => hopfieldNetwork({ dim: 4, memories: 3, beta: -1 }), /hopfieldNetwork.*config\.beta.*-1/],
    [() => hopfieldNetwork({ dim: 4, memories: 3, betta: 2 } as never), /hopfieldNetwork.*betta/],
    [() => hopfieldNetworkState(q, hostTensor(new Float64Array(MEMORIES * 4), [MEMORIES, 4])), /hopfieldNetworkState.*queries \[2, 6\].*patterns \[5, 4\]/],
    [() => hopfieldNetworkState(q, hostTensor(new Float64Array(MEMORIES * DIM), [1, MEMORIES, DIM])), /hopfieldNetworkState.*patterns \[1, 5, 6\]/],
    [() => hopfieldNetworkState({ shape: [2, DIM], data: [0] } as never, X), /hopfieldNetworkState.*queries must be a host tensor/],
    [() => hopfieldNetworkState(q, undefined as never), /hopfieldNetworkState.*patterns must be a host tensor.*undefined/],
  ])("case %#", (f, message) => {
    expect(f).toThrow(message);
  });
});
