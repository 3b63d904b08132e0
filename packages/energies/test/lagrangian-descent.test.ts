import { type Energy, Random, energyProgram, interpret, ops, stepProgram } from "@unfold/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Lagrangian,
  type NeuronLayer,
  type Synapse,
  denseSynapse,
  identityLagrangian,
  lagrangianNetwork,
  lagrangianStep,
  layerNormLagrangian,
  reluLagrangian,
  sigmoidLagrangian,
  softmaxLagrangian,
  tanhLagrangian,
} from "../src/index.js";

// Every standard Lagrangian is convex (layer norm with a gain >= 0), so every network of them
// descends for small enough steps. fast-check draws the networks.
const KINDS = ["identity", "relu", "softmax", "sigmoid", "tanh", "layerNorm"] as const;
type Kind = (typeof KINDS)[number];

function lagrangianOf(kind: Kind, layer: string): Lagrangian {
  switch (kind) {
    case "identity":
      return identityLagrangian();
    case "relu":
      return reluLagrangian();
    case "softmax":
      return softmaxLagrangian({ beta: 1.5 });
    case "sigmoid":
      return sigmoidLagrangian();
    case "tanh":
      return tanhLagrangian();
    case "layerNorm":
      return layerNormLagrangian({ gain: `${layer}.gain`, bias: `${layer}.bias` });
  }
}

interface Drawn {
  readonly kinds: readonly Kind[];
  readonly widths: readonly number[];
  readonly closeLoop: boolean;
  readonly leaveOutNeuron: number;
  readonly seed: number;
}

/** Layers l0..lk, a dense synapse between neighbours (and between the ends when closeLoop). */
function build({ kinds, widths, closeLoop, leaveOutNeuron }: Drawn) {
  const names = kinds.map((_, i) => `l${i}`);
  const layers: Record<string, NeuronLayer> = Object.fromEntries(
    names.map((n, i) => [n, { width: widths[i]!, lagrangian: lagrangianOf(kinds[i]!, n), neuronEnergy: i !== leaveOutNeuron }]),
  );
  const synapses: Synapse[] = names.slice(1).map((n, i) => denseSynapse({ name: `${names[i]}-${n}`, from: names[i]!, to: n, weight: `W${i}` }));
  if (closeLoop && names.length > 2) synapses.push(denseSynapse({ name: "loop", from: names[0]!, to: names.at(-1)!, weight: "Wloop" }));
  return lagrangianNetwork({ name: "drawn", layers, synapses });
}

function randomParams(energy: Energy, rng: Random): Record<string, Float64Array> {
  return Object.fromEntries(
    Object.entries(energy.params).map(([name, spec]) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (name.endsWith(".gain")) return [name, rng.uniforms(1, 0, 2)];
      return [name, rng.normals(size, name.endsWith(".bias") ? 0.3 : 1 / Math.sqrt(spec.shape[0] ?? 1))];
    }),
  );
}

const drawn = fc.record({
  kinds: fc.array(fc.constantFrom(...KINDS), { minLength: 2, maxLength: 3 }),
  widths: fc.array(fc.integer({ min: 2, max: 5 }), { minLength: 3, maxLength: 3 }),
  closeLoop: fc.boolean(),
  leaveOutNeuron: fc.integer({ min: -1, max: 2 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe("descent by construction", () => {
  it("on random networks of 2-3 convex layers, 30 steps of 0.05 never raise the energy", () => {
    const rows = 2;
    const steps = 30;
    const alpha = 0.05;
    fc.assert(
      fc.property(drawn, (d) => {
        const network = build(d);
        const rng = new Random(d.seed);
        const params = randomParams(network.energy, rng);
        const shape = [rows, network.width];
        const program = stepProgram(network.energy, lagrangianStep(network, { stepSize: alpha }), shape, "float64");
        let state = rng.normals(rows * network.width, 1.5);
        const first = interpret(energyProgram(network.energy, shape, "float64"), new Map([["state", state], ...Object.entries(params)])).get("energy")![0]!;
        let energy = first;
        for (let k = 0; k < steps; k++) {
          const out = interpret(program, new Map([["state", state], ["stepSize", Float64Array.from([alpha])], ...Object.entries(params)]));
          const next = out.get("energy")![0]!;
          // Rounding only: a rise beyond 1e-12 of the energy's size is a rise.
          expect(next, `step ${k} of ${JSON.stringify(d)}`).toBeLessThanOrEqual(energy + 1e-12 * Math.max(1, Math.abs(energy)));
          energy = next;
          state = out.get("state")!;
        }
        expect(energy, `the energy moved: ${JSON.stringify(d)}`).toBeLessThan(first);
      }),
      { numRuns: 40, seed: 18 },
    );
  });

  it("needs the convexity: with a concave Lagrangian (L = -1/2 ||x||^2, whose Jacobian is -I) one small step raises the energy", () => {
    const concave: Lagrangian = { kind: "concave", value: (x) => ops.mul(ops.sum(ops.mul(x, x)), -0.5) };
    const network = lagrangianNetwork({
      name: "concave",
      layers: { a: { width: 3, lagrangian: concave }, b: { width: 2, lagrangian: tanhLagrangian() } },
      synapses: [denseSynapse({ name: "ab", from: "a", to: "b", weight: "W" })],
    });
    const rng = new Random(5);
    const feeds = new Map([["state", rng.normals(2 * 5, 1)], ["W", rng.normals(6, 0.5)]]);
    const before = interpret(energyProgram(network.energy, [2, 5], "float64"), feeds).get("energy")![0]!;
    const after = interpret(stepProgram(network.energy, lagrangianStep(network, { stepSize: 0.01 }), [2, 5], "float64"), new Map([...feeds, ["stepSize", Float64Array.from([0.01])]])).get("energy")![0]!;
    expect(after).toBeGreaterThan(before);
  });

  it("needs the layer-norm gain >= 0: with gain -1 (L concave, its Jacobian negative semidefinite) one small step raises the energy, with gain 1 it lowers it", () => {
    const network = lagrangianNetwork({
      name: "layer-norm",
      // Both layers read one gain, so with gain -1 every layer's Jacobian is negative semidefinite.
      layers: { a: { width: 4, lagrangian: layerNormLagrangian({ gain: "gain", bias: "biasA" }) }, b: { width: 3, lagrangian: layerNormLagrangian({ gain: "gain", bias: "biasB" }) } },
      synapses: [denseSynapse({ name: "ab", from: "a", to: "b", weight: "W" })],
    });
    const rng = new Random(6);
    const shape = [2, network.width];
    const base = new Map([["state", rng.normals(2 * network.width, 1)], ["W", rng.normals(12, 0.5)], ["biasA", rng.normals(4, 0.3)], ["biasB", rng.normals(3, 0.3)], ["stepSize", Float64Array.from([0.01])]]);
    const change = (gain: number): number => {
      const feeds = new Map([...base, ["gain", Float64Array.from([gain])]]);
      const before = interpret(energyProgram(network.energy, shape, "float64"), feeds).get("energy")![0]!;
      return interpret(stepProgram(network.energy, lagrangianStep(network, { stepSize: 0.01 }), shape, "float64"), feeds).get("energy")![0]! - before;
    };
    expect(change(-1)).toBeGreaterThan(0);
    expect(change(1)).toBeLessThan(0);
  });
});

describe("boundedness (descent does not bound the energy below)", () => {
  const identityPair = (a: number, b: number) =>
    lagrangianNetwork({
      name: "identity-pair",
      layers: { x1: { width: a, lagrangian: identityLagrangian() }, x2: { width: b, lagrangian: identityLagrangian() } },
      synapses: [denseSynapse({ name: "w", from: "x1", to: "x2", weight: "W" })],
    });

  it("two identity layers of width 1 with W = 2: E = 1/2 x1^2 + 1/2 x2^2 - 2 x1 x2 = -t^2 along x1 = x2 = t, unbounded below", () => {
    const network = identityPair(1, 1);
    const points = [1, 10, 1000];
    const state = Float64Array.from(points.flatMap((t) => [t, t]));
    const program = energyProgram(network.energy, [1, 2], "float64");
    points.forEach((t, i) => {
      const energy = interpret(program, new Map([["state", state.subarray(2 * i, 2 * i + 2)], ["W", Float64Array.from([2])]])).get("energy")![0]!;
      expect(energy).toBeCloseTo(-t * t, 6);
    });
  });

  it("with ||W||_2 <= 1 (here 0.95) the same network, widths 3 and 2, has E = 1/2 g^T (I - W) g >= 0 on random states", () => {
    const network = identityPair(3, 2);
    const rng = new Random(7);
    // W = 0.95 u v^T + 0.5 (0.95) u' v'^T with orthonormal pairs: singular values 0.95 and 0.475.
    const u = [1, 0, 0];
    const u2 = [0, Math.SQRT1_2, Math.SQRT1_2];
    const v = [0.6, 0.8];
    const v2 = [0.8, -0.6];
    const W = Float64Array.from({ length: 6 }, (_, k) => 0.95 * u[Math.floor(k / 2)]! * v[k % 2]! + 0.475 * u2[Math.floor(k / 2)]! * v2[k % 2]!);
    const rows = 200;
    const states = rng.normals(rows * network.width, 3);
    // Along the top singular pair, x1 = u and x2 = v, E = 1/2 + 1/2 - 0.95 = 0.05.
    states.set([...u, ...v], 0);
    const program = energyProgram(network.energy, [1, network.width], "float64");
    let least = Infinity;
    for (let r = 0; r < rows; r++) {
      const energy = interpret(program, new Map([["state", states.subarray(r * network.width, (r + 1) * network.width)], ["W", W]])).get("energy")![0]!;
      least = Math.min(least, energy);
    }
    expect(least).toBeGreaterThanOrEqual(0);
    expect(least).toBeCloseTo(0.05, 12);
  });
});
