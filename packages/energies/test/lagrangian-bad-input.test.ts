import { FeedError, ReferenceBackend, ShapeError, UnfoldError, defineUnfolding, energyProgram, hostTensor, ops, runUnfolding } from "@unfold/core";
import { describe, expect, it } from "vitest";
import {
  type LagrangianNetwork,
  type LagrangianNetworkConfig,
  type LayerNormLagrangianOptions,
  type Synapse,
  attentionSynapse,
  denseSynapse,
  hopfieldSynapse,
  identityLagrangian,
  lagrangianEnergyTransformer,
  lagrangianNetwork,
  lagrangianStep,
  layerNormLagrangian,
  softmaxLagrangian,
  tanhLagrangian,
} from "../src/index.js";
import { type BadInput, tryBadInput } from "@unfold/testing/bad-input";

// Each case makes one mistake with the Lagrangian network and asserts that it fails at once,
// naming the function, the network and the part (layer, synapse, parameter) and the value given.

const bad = <T>(value: unknown): T => value as T;
const ab = denseSynapse({ name: "ab", from: "a", to: "b", weight: "W" });
/** Two layers, a (3 units) and b (4 units), and one dense synapse. */
const config = (change: Partial<Record<keyof LagrangianNetworkConfig, unknown>> = {}): LagrangianNetworkConfig =>
  bad({ name: "net", layers: { a: { width: 3, lagrangian: tanhLagrangian() }, b: { width: 4, lagrangian: identityLagrangian() } }, synapses: [ab], ...change });
const withLayerA = (layer: unknown): LagrangianNetworkConfig => config({ layers: { a: layer, b: { width: 4, lagrangian: identityLagrangian() } } });
const network = () => lagrangianNetwork(config());
/** A scalar weight 's' on layer b, declared without a constraint. */
const scaleSynapse: Synapse<"s"> = { name: "scale", layers: ["b"], params: () => ({ s: { shape: [] } }), value: ([g], p) => ops.mul(ops.sum(g!), p.s) };

const cases: BadInput[] = [
  { name: "lagrangianNetwork without a config", call: () => lagrangianNetwork(bad<LagrangianNetworkConfig>(null)), error: UnfoldError, op: "lagrangianNetwork", mentions: ["config", "null"] },
  { name: "lagrangianNetwork with a misspelt field", call: () => lagrangianNetwork(config({ synapse: [] } as never)), error: UnfoldError, op: "lagrangianNetwork", mentions: ["'synapse'", "synapses"] },
  { name: "lagrangianNetwork with an empty name", call: () => lagrangianNetwork(config({ name: "" })), error: UnfoldError, op: "lagrangianNetwork", mentions: ["config.name", "''"] },
  { name: "layers given as an array", call: () => lagrangianNetwork(config({ layers: [] })), error: UnfoldError, op: "lagrangianNetwork", mentions: ["layers of network 'net'", "an array"] },
  { name: "no layers", call: () => lagrangianNetwork(config({ layers: {}, synapses: [] })), error: UnfoldError, op: "lagrangianNetwork", mentions: ["network 'net' has no layers"] },
  {
    name: "a layer of width 2.5",
    call: () => lagrangianNetwork(withLayerA({ width: 2.5, lagrangian: tanhLagrangian() })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["width of layer 'a' of network 'net'", "2.5"],
  },
  {
    name: "a layer with a misspelt field",
    call: () => lagrangianNetwork(withLayerA({ widht: 3, lagrangian: tanhLagrangian() })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["'widht'", "layer 'a' of network 'net'"],
  },
  {
    name: "a layer given the Lagrangian's factory instead of a Lagrangian",
    call: () => lagrangianNetwork(withLayerA({ width: 3, lagrangian: tanhLagrangian })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["lagrangian of layer 'a' of network 'net'", "a function"],
  },
  {
    name: "a Lagrangian without a value function",
    call: () => lagrangianNetwork(withLayerA({ width: 3, lagrangian: { kind: "mine", value: 1 } })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["lagrangian of layer 'a' of network 'net'", "'value'", "1"],
  },
  {
    name: "a layer's neuronEnergy given as a string",
    call: () => lagrangianNetwork(withLayerA({ width: 3, lagrangian: tanhLagrangian(), neuronEnergy: "no" })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["neuronEnergy of layer 'a' of network 'net'", "'no'"],
  },
  { name: "synapses given as an object", call: () => lagrangianNetwork(config({ synapses: { ab } })), error: UnfoldError, op: "lagrangianNetwork", mentions: ["synapses of network 'net'", "key ab"] },
  {
    name: "a synapse reading a misspelt layer",
    call: () => lagrangianNetwork(config({ synapses: [denseSynapse({ name: "ab", from: "a", to: "bb", weight: "W" })] })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["synapse 'ab' of network 'net'", "'bb'", "layers: a, b"],
  },
  {
    name: "a synapse reading no layer",
    call: () => lagrangianNetwork(config({ synapses: [{ ...ab, layers: [] }] })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["synapse 'ab' of network 'net'", "an array of 0 elements"],
  },
  { name: "two synapses of one name", call: () => lagrangianNetwork(config({ synapses: [ab, ab] })), error: UnfoldError, op: "lagrangianNetwork", mentions: ["two terms named 'ab'"] },
  {
    name: "a synapse named like a neuron term",
    call: () => lagrangianNetwork(config({ synapses: [{ ...ab, name: "neuron:a" }] })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["two terms named 'neuron:a'"],
  },
  {
    name: "one parameter name declared with two shapes",
    call: () => lagrangianNetwork(config({ synapses: [ab, denseSynapse({ name: "ba", from: "b", to: "a", weight: "W" })] })),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["parameter 'W'", "[3, 4] in synapse 'ab'", "[4, 3] in synapse 'ba'"],
  },
  {
    name: "one parameter name declared with two constraints",
    call: () =>
      lagrangianNetwork(
        config({
          layers: { a: { width: 3, lagrangian: layerNormLagrangian({ gain: "s", bias: "c" }) }, b: { width: 4, lagrangian: identityLagrangian() } },
          // A scalar weight that reuses the layer-norm gain's name but not its constraint.
          synapses: [ab, scaleSynapse],
        }),
      ),
    error: UnfoldError,
    op: "lagrangianNetwork",
    mentions: ["parameter 's'", "[] (nonNegative) in", "[] in synapse 'scale'"],
  },
  {
    name: "a state whose last axis is not the layers' widths",
    call: () => energyProgram(network().energy, [2, 6], "float64"),
    error: ShapeError,
    op: "lagrangianNetwork",
    mentions: ["network 'net'", "[..., 7]", "a: 3, b: 4", "[2, 6]"],
  },
  {
    name: "a Lagrangian that returns a vector",
    call: () => energyProgram(lagrangianNetwork(withLayerA({ width: 3, lagrangian: { kind: "unsummed", value: (x: never) => ops.mul(x, x) } })).energy, [2, 7], "float64"),
    error: ShapeError,
    op: "lagrangianNetwork",
    mentions: ["unsummed Lagrangian of layer 'a' of network 'net'", "[2, 3]", "not a scalar"],
  },
  {
    name: "a Lagrangian reading a parameter nobody declares",
    call: () => energyProgram(lagrangianNetwork(withLayerA({ width: 3, lagrangian: { kind: "mine", value: (_x: never, p: Record<string, never>) => p["scale"] } })).energy, [2, 7], "float64"),
    error: UnfoldError,
    op: "params",
    mentions: ["term 'neuron:a' of energy 'net'", "'scale'", "declared: W"],
  },
  {
    name: "a run missing a synapse's weight",
    call: () =>
      runUnfolding(defineUnfolding({ energy: network().energy, steps: [lagrangianStep(network())], layers: 1 }), new ReferenceBackend(), {
        state: hostTensor(new Float64Array(7), [1, 7]),
        params: bad({}),
      }),
    error: FeedError,
    op: "params",
    mentions: ["missing parameter 'W'", "[3, 4]", "energy 'net'"],
  },
  { name: "lagrangianStep on an energy", call: () => lagrangianStep(bad<LagrangianNetwork>(network().energy)), error: UnfoldError, op: "lagrangianStep", mentions: ["network", "lagrangianNetwork"] },
  { name: "lagrangianStep with step size 0", call: () => lagrangianStep(network(), { stepSize: 0 }), error: UnfoldError, op: "lagrangianStep", mentions: ["options.stepSize", "0"] },
  { name: "lagrangianStep with a misspelt option", call: () => lagrangianStep(network(), bad({ step: 0.1 })), error: UnfoldError, op: "lagrangianStep", mentions: ["'step'", "stepSize"] },
  { name: "softmaxLagrangian with a negative beta", call: () => softmaxLagrangian({ beta: -1 }), error: UnfoldError, op: "softmaxLagrangian", mentions: ["options.beta", "-1"] },
  { name: "layerNormLagrangian without a bias name", call: () => layerNormLagrangian(bad<LayerNormLagrangianOptions>({ gain: "g" })), error: UnfoldError, op: "layerNormLagrangian", mentions: ["options.bias", "undefined"] },
  { name: "layerNormLagrangian with a negative eps", call: () => layerNormLagrangian({ gain: "g", bias: "b", eps: -1 }), error: UnfoldError, op: "layerNormLagrangian", mentions: ["options.eps", "-1"] },
  { name: "denseSynapse without a weight name", call: () => denseSynapse(bad({ name: "s", from: "a", to: "b" })), error: UnfoldError, op: "denseSynapse", mentions: ["options.weight", "undefined"] },
  {
    name: "attentionSynapse with 0 heads",
    call: () => attentionSynapse({ name: "att", layer: "t", heads: 0, headDim: 2, query: "Wq", key: "Wk" }),
    error: UnfoldError,
    op: "attentionSynapse",
    mentions: ["options.heads", "0"],
  },
  { name: "hopfieldSynapse with 1.5 memories", call: () => hopfieldSynapse({ name: "hn", layer: "t", memories: 1.5, weight: "xi" }), error: UnfoldError, op: "hopfieldSynapse", mentions: ["options.memories", "1.5"] },
  {
    name: "the attention synapse on a single token",
    call: () => energyProgram(lagrangianEnergyTransformer({ dim: 4, heads: 1, headDim: 2, memories: 3 }).energy, [1, 4], "float64"),
    error: UnfoldError,
    op: "attentionSynapse",
    mentions: ["synapse 'attention'", "layer 'tokens'", "at least 2 tokens", "[1, 4]"],
  },
  {
    name: "lagrangianEnergyTransformer with a misspelt config field",
    call: () => lagrangianEnergyTransformer(bad({ dim: 4, heads: 1, headDim: 2, memory: 3 })),
    error: UnfoldError,
    op: "lagrangianEnergyTransformer",
    mentions: ["'memory'", "memories"],
  },
];

describe("Lagrangian network bad inputs", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    expect(await tryBadInput(c)).toEqual({ kind: "clear" });
  });
});
