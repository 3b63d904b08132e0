import { Random, energyProgram, interpret, relativeError, stepProgram } from "@unfold/core";
import { describe, expect, it } from "vitest";
import {
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
import { type Values, columns, evaluate, mapRows } from "./lagrangian-helpers.js";

const rows = 3;
const BETA = 1.7;
const GAIN = 1.3;
const EPS = 1e-2;
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const sum = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0);

function meanVariance(row: ArrayLike<number>): { mean: number; variance: number } {
  const mean = sum(row) / row.length;
  return { mean, variance: sum(Array.from(row, (v) => (v - mean) ** 2)) / row.length };
}

/** Each standard Lagrangian's activation and Legendre energy <x, g> - L(x), in closed form. */
const CLOSED_FORMS = {
  identity: { width: 4, g: (r: Float64Array) => r, energy: (r: Float64Array) => sum(r.map((v) => v * v)) / 2 },
  relu: { width: 4, g: (r: Float64Array) => r.map((v) => Math.max(v, 0)), energy: (r: Float64Array) => sum(r.map((v) => Math.max(v, 0) ** 2)) / 2 },
  softmax: {
    width: 4,
    g: (r: Float64Array) => {
      const m = Math.max(...r);
      const e = r.map((v) => Math.exp(BETA * (v - m)));
      return e.map((v) => v / sum(e));
    },
    // beta^-1 sum g log g: the negative entropy of the softmax, over beta.
    energy: (r: Float64Array) => sum(CLOSED_FORMS.softmax.g(r).map((p) => p * Math.log(p))) / BETA,
  },
  sigmoid: { width: 4, g: (r: Float64Array) => r.map(sigmoid), energy: (r: Float64Array) => sum(r.map(sigmoid).map((s) => s * Math.log(s) + (1 - s) * Math.log(1 - s))) },
  tanh: { width: 4, g: (r: Float64Array) => r.map(Math.tanh), energy: (r: Float64Array) => sum(r.map((v) => v * Math.tanh(v) - Math.log(Math.cosh(v)))) },
  layerNorm: {
    width: 5,
    g: (r: Float64Array, bias: Float64Array) => {
      const { mean, variance } = meanVariance(r);
      return r.map((v, i) => (GAIN * (v - mean)) / Math.sqrt(variance + EPS) + bias[i]!);
    },
    // <x, g> - L(x) = -gamma D eps (var + eps)^-1/2: the bias cancels, and so does all but eps.
    energy: (r: Float64Array) => (-GAIN * r.length * EPS) / Math.sqrt(meanVariance(r).variance + EPS),
  },
} as const;

describe("Lagrangian neuron layers", () => {
  const network = lagrangianNetwork({
    name: "every-lagrangian",
    layers: {
      identity: { width: 4, lagrangian: identityLagrangian() },
      relu: { width: 4, lagrangian: reluLagrangian() },
      softmax: { width: 4, lagrangian: softmaxLagrangian({ beta: BETA }) },
      sigmoid: { width: 4, lagrangian: sigmoidLagrangian() },
      tanh: { width: 4, lagrangian: tanhLagrangian() },
      layerNorm: { width: 5, lagrangian: layerNormLagrangian({ gain: "gain", bias: "bias", eps: EPS }) },
    },
    synapses: [],
  });
  const rng = new Random(7);
  const bias = rng.normals(5, 0.5);
  // Scale 3 puts units deep into both tails of sigmoid and tanh, and half of the ReLU units at 0.
  const x = rng.normals(rows * network.width, 3);
  const values: Values = { x, gain: Float64Array.from([GAIN]), bias };

  it("packs the layers along the last axis in the order listed", () => {
    expect(network.width).toBe(25);
    expect(network.layout.map((s) => [s.name, s.offset, s.width])).toEqual([
      ["identity", 0, 4],
      ["relu", 4, 4],
      ["softmax", 8, 4],
      ["sigmoid", 12, 4],
      ["tanh", 16, 4],
      ["layerNorm", 20, 5],
    ]);
  });

  it("each activation, derived by autodiff of the Lagrangian, is the closed-form one", () => {
    const out = evaluate(network.energy, [rows, network.width], values, (s, p) => network.activations(s, p));
    for (const slot of network.layout) {
      const form = CLOSED_FORMS[slot.name as keyof typeof CLOSED_FORMS];
      const expected = mapRows(columns(x, network.width, slot.offset, slot.width), slot.width, (r) => form.g(r, bias));
      expect(relativeError(out[slot.name]!, expected), slot.name).toBeLessThanOrEqual(1e-14);
    }
  });

  it("each neuron energy is the Legendre transform <x, g> - L(x) in its closed form", () => {
    const out = interpret(energyProgram(network.energy, [rows, network.width], "float64"), new Map([["state", x], ["gain", values["gain"]!], ["bias", bias]]));
    for (const slot of network.layout) {
      const form = CLOSED_FORMS[slot.name as keyof typeof CLOSED_FORMS];
      const expected = sum(mapRows(columns(x, network.width, slot.offset, slot.width), slot.width, (r) => [form.energy(r), ...new Array<number>(slot.width - 1).fill(0)]));
      // Legendre energies are differences of nearly equal sums (the layer-norm one most of all).
      expect(out.get(`term:neuron:${slot.name}`)![0]!, slot.name).toBeCloseTo(expected, 10);
    }
  });
});

describe("a network's dynamics", () => {
  // tanh a <-> relu b <-> softmax c, with a third synapse a <-> c and c's neuron energy left out.
  const widths = { a: 3, b: 4, c: 2 };
  const network = lagrangianNetwork({
    name: "three-layers",
    layers: {
      a: { width: widths.a, lagrangian: tanhLagrangian() },
      b: { width: widths.b, lagrangian: reluLagrangian() },
      c: { width: widths.c, lagrangian: softmaxLagrangian(), neuronEnergy: false },
    },
    synapses: [
      denseSynapse({ name: "ab", from: "a", to: "b", weight: "Wab" }),
      denseSynapse({ name: "bc", from: "b", to: "c", weight: "Wbc" }),
      denseSynapse({ name: "ac", from: "a", to: "c", weight: "Wac" }),
    ],
  });
  const rng = new Random(11);
  const W = { Wab: rng.normals(3 * 4, 0.7), Wbc: rng.normals(4 * 2, 0.7), Wac: rng.normals(3 * 2, 0.7) };
  const x = rng.normals(rows * network.width, 1.5);
  const offsets = { a: 0, b: 3, c: 7 };
  const alpha = 0.1;

  /** The synapse energy of one row as a function of the activations, with plain loops. */
  function synapseEnergy(g: Float64Array): number {
    const bilinear = (u: number, nu: number, v: number, nv: number, M: Float64Array): number => {
      let e = 0;
      for (let i = 0; i < nu; i++) for (let j = 0; j < nv; j++) e -= g[u + i]! * M[i * nv + j]! * g[v + j]!;
      return e;
    };
    return bilinear(0, 3, 3, 4, W.Wab) + bilinear(3, 4, 7, 2, W.Wbc) + bilinear(0, 3, 7, 2, W.Wac);
  }

  const stepOut = interpret(stepProgram(network.energy, lagrangianStep(network, { stepSize: alpha }), [rows, network.width], "float64"), new Map([["state", x], ["stepSize", Float64Array.from([alpha])], ...Object.entries(W)]));
  const direction = x.map((v, k) => (v - stepOut.get("state")![k]!) / alpha);
  const activations = evaluate(network.energy, [rows, network.width], { x, ...W }, (s, p) => network.activations(s, p));
  const g = new Float64Array(rows * network.width);
  for (const [l, o] of Object.entries(offsets)) {
    const w = widths[l as keyof typeof widths];
    for (let r = 0; r < rows; r++) for (let c = 0; c < w; c++) g[r * network.width + o + c] = activations[l]![r * w + c]!;
  }

  it("the step follows dE/dg = x (where the layer has a neuron energy) + dE_synapses/dg, against finite differences in g", () => {
    const h = 1e-6;
    const expected = new Float64Array(x.length);
    for (let r = 0; r < rows; r++) {
      const row = g.slice(r * network.width, (r + 1) * network.width);
      for (let k = 0; k < network.width; k++) {
        const up = Float64Array.from(row);
        const down = Float64Array.from(row);
        up[k]! += h;
        down[k]! -= h;
        const leak = k < offsets.c ? x[r * network.width + k]! : 0;
        expected[r * network.width + k] = leak + (synapseEnergy(up) - synapseEnergy(down)) / (2 * h);
      }
    }
    expect(relativeError(direction, expected)).toBeLessThanOrEqual(1e-8);
  });

  it("the step's direction v and the energy's gradient in x agree by the chain rule: dE/dx . u = v . (dg/dx u)", () => {
    const energyAt = (s: Float64Array): number => interpret(energyProgram(network.energy, [rows, network.width], "float64"), new Map([["state", s], ...Object.entries(W)])).get("energy")![0]!;
    const activationsAt = (s: Float64Array): Float64Array => {
      const out = evaluate(network.energy, [rows, network.width], { x: s, ...W }, (t, p) => network.activations(t, p));
      const packed = new Float64Array(s.length);
      for (const [l, o] of Object.entries(offsets)) {
        const w = widths[l as keyof typeof widths];
        for (let r = 0; r < rows; r++) for (let c = 0; c < w; c++) packed[r * network.width + o + c] = out[l]![r * w + c]!;
      }
      return packed;
    };
    const h = 1e-6;
    for (const seed of [1, 2, 3]) {
      const u = new Random(seed).normals(x.length, 1);
      const shifted = (sign: number): Float64Array => x.map((v, k) => v + sign * h * u[k]!);
      const dE = (energyAt(shifted(1)) - energyAt(shifted(-1))) / (2 * h);
      const gUp = activationsAt(shifted(1));
      const gDown = activationsAt(shifted(-1));
      const viaG = sum(direction.map((v, k) => (v * (gUp[k]! - gDown[k]!)) / (2 * h)));
      expect(Math.abs(dE - viaG)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(dE)));
    }
  });

  it("the step descends: 40 steps of 0.1 lower the energy at every step", () => {
    const program = stepProgram(network.energy, lagrangianStep(network, { stepSize: alpha }), [rows, network.width], "float64");
    let state = x;
    let energy = interpret(energyProgram(network.energy, [rows, network.width], "float64"), new Map([["state", x], ...Object.entries(W)])).get("energy")![0]!;
    for (let k = 0; k < 40; k++) {
      const out = interpret(program, new Map([["state", state], ["stepSize", Float64Array.from([alpha])], ...Object.entries(W)]));
      const next = out.get("energy")![0]!;
      expect(next).toBeLessThan(energy);
      energy = next;
      state = out.get("state")!;
    }
  });
});
