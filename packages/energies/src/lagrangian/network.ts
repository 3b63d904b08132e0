import { type Energy, type EnergyTerm, type Params, ShapeError, Tensor, UnfoldError, defineEnergy, describeValue, formatShape, gradients, ops } from "@unfold/core";
import { checkNetworkConfig } from "./check.js";
import type { Lagrangian } from "./lagrangians.js";
import type { Synapse } from "./synapses.js";

/** One neuron layer: its width (its slice of the state's last axis) and its Lagrangian. */
export interface NeuronLayer<N extends string = string> {
  readonly width: number;
  readonly lagrangian: Lagrangian<N>;
  /**
   * false leaves the layer's Legendre energy out of E, and so its x out of dE/dg, as the Energy
   * Transformer does. Descent holds either way (dE/dt = -(dE/dg)^T (dg/dx) (dE/dg) for any E of
   * the activations, with convex Lagrangians); with the term in, the fixed points are
   * x = -dE_synapses/dg. The term does not by itself bound E below: for an identity or ReLU layer it
   * is 1/2 ||g||^2, so identity layers joined by dense synapses give E = 1/2 g^T (I - W) g with W
   * the symmetric block matrix of the synapse weights, bounded below exactly when
   * lambda_max(W) <= 1 (for one synapse between two layers, ||W_12||_2 <= 1); for ReLU layers
   * (g >= 0) that condition suffices. Two identity layers of width 1 with W_12 = 2 give
   * E = 1/2 x1^2 + 1/2 x2^2 - 2 x1 x2, unbounded below along x1 = x2. Default true.
   */
  readonly neuronEnergy?: boolean;
}

/** What lagrangianNetwork takes: a name, the neuron layers by name, and the synapses between them. */
export interface LagrangianNetworkConfig<N extends string = string> {
  readonly name: string;
  /** The layers, packed along the state's last axis in the order listed. */
  readonly layers: Readonly<Record<string, NeuronLayer<N>>>;
  readonly synapses: readonly Synapse<N>[];
}

/** The parameter names a Lagrangian or a synapse declares (string when it does not say which). */
type DeclaredBy<T> = T extends { readonly params?: (...args: never[]) => infer S } ? Extract<keyof S, string> : never;

/**
 * The parameter names of a network's config: those of every layer's Lagrangian and every
 * synapse, so `lagrangianNetwork` types its energy (and the steps, unfoldings and feeds built on
 * it) with the names the factories were given.
 */
export type NetworkParam<C extends LagrangianNetworkConfig> =
  | { [K in keyof C["layers"]]: DeclaredBy<C["layers"][K]["lagrangian"]> }[keyof C["layers"]]
  | DeclaredBy<C["synapses"][number]>;

/** Where a layer sits in the packed state: units [offset, offset + width) of the last axis. */
export interface LayerSlot {
  readonly name: string;
  readonly offset: number;
  readonly width: number;
}

/**
 * A network of neuron layers and synapses as one core Energy. The state is one tensor
 * [..., width] whose last axis packs every layer's units in the order the layers are listed (so
 * layers share their leading axes: a batch, or a batch and tokens); each row descends on its own.
 * The energy's terms are the neuron energies `neuron:<layer>` and one term per synapse.
 */
export interface LagrangianNetwork<N extends string = string> {
  readonly energy: Energy<N>;
  readonly layout: readonly LayerSlot[];
  /** The size of the state's last axis: the sum of the layers' widths. */
  readonly width: number;
  /** Each layer's state x_l, its slice of the packed state. */
  states(x: Tensor): Record<string, Tensor>;
  /** Each layer's activation g_l = dL_l/dx_l, by autodiff of its Lagrangian. */
  activations(x: Tensor, params: Params<N>): Record<string, Tensor>;
  /**
   * dE/dg for each layer, the derivative of the energy in the activations with the states held
   * fixed: x_l (from the Legendre term <x_l, g_l>) plus what the synapses on layer l contribute.
   */
  energyGradients(x: Tensor, params: Params<N>): Record<string, Tensor>;
}

/** A Lagrangian's or a synapse's value: a scalar Tensor, since it is an energy summed over rows. */
function requireScalar(value: unknown, what: string): Tensor {
  if (!(value instanceof Tensor)) throw new UnfoldError("lagrangianNetwork", `${what} returned ${describeValue(value)}, not a Tensor`);
  if (value.size !== 1) throw new ShapeError("lagrangianNetwork", `${what} returned shape ${formatShape(value.shape)}, not a scalar (sum it over the rows)`);
  return value;
}

/** The term name of a layer's neuron (Legendre) energy. */
export const neuronTerm = (layer: string): string => `neuron:${layer}`;

/**
 * Builds a network's energy: one term per neuron layer (its Legendre energy, unless the layer
 * leaves it out) and one per synapse, each a function of the packed state x whose activations
 * come from autodiff of the Lagrangians. Its dynamics are lagrangianStep; the parameters are those
 * the Lagrangians and synapses declare, by the names they were given (one name declared twice
 * with one shape is one shared parameter). Checks the whole definition first.
 */
export function lagrangianNetwork<const C extends LagrangianNetworkConfig>(config: C): LagrangianNetwork<NetworkParam<C>> {
  // Past the signature the names have done their work: the network reads parameters by string.
  const { name, layers, synapses, layout, width, params } = checkNetworkConfig("lagrangianNetwork", config as LagrangianNetworkConfig);

  const states = (x: Tensor): Record<string, Tensor> => {
    if (x.rank < 1 || x.shape.at(-1) !== width) {
      const packs = layout.map((s) => `${s.name}: ${s.width}`).join(", ");
      throw new ShapeError("lagrangianNetwork", `network '${name}' needs a state [..., ${width}] (its layers ${packs} along the last axis), got [${x.shape.join(", ")}]`);
    }
    if (layout.length === 1) return { [layout[0]!.name]: x };
    const lead = x.shape.slice(0, -1);
    return Object.fromEntries(layout.map((s) => [s.name, ops.slice(x, [...lead.map(() => 0), s.offset], [...lead, s.width])]));
  };
  const lagrangian = (l: string, x: Tensor, p: Params): Tensor =>
    requireScalar(layers[l]!.lagrangian.value(x, p), `the ${layers[l]!.lagrangian.kind} Lagrangian of layer '${l}' of network '${name}'`);
  // g = dL/dx for each layer: the derivative is traced into the graph, so the activation is
  // whatever the Lagrangian implies, with nothing written by hand.
  const activation = (l: string, x: Tensor, p: Params): Tensor => gradients(lagrangian(l, x, p), [x])[0]!;
  const activationsOf = (xs: Record<string, Tensor>, p: Params): Record<string, Tensor> =>
    Object.fromEntries(layout.map(({ name: l }) => [l, activation(l, xs[l]!, p)]));
  const neuronEnergy = (l: string, x: Tensor, g: Tensor, p: Params): Tensor => ops.sub(ops.sum(ops.mul(x, g)), lagrangian(l, x, p));
  const synapseEnergy = (s: Synapse, gs: Record<string, Tensor>, p: Params): Tensor =>
    requireScalar(s.value(s.layers.map((l) => gs[l]!), p), `synapse '${s.name}' of network '${name}'`);
  const withNeuronEnergy = layout.filter((s) => layers[s.name]!.neuronEnergy !== false).map((s) => s.name);

  const terms: EnergyTerm[] = [
    ...withNeuronEnergy.map((l) => ({
      name: neuronTerm(l),
      value: (x: Tensor, p: Params) => {
        const xl = states(x)[l]!;
        return neuronEnergy(l, xl, activation(l, xl, p), p);
      },
    })),
    ...synapses.map((s) => ({
      name: s.name,
      value: (x: Tensor, p: Params) => {
        const xs = states(x);
        const gs = Object.fromEntries(s.layers.map((l) => [l, activation(l, xs[l]!, p)]));
        return synapseEnergy(s, gs, p);
      },
    })),
  ];
  const energy = defineEnergy({ name, terms, params }) as Energy as Energy<NetworkParam<C>>;

  return {
    energy,
    layout,
    width,
    states,
    activations: (x, p) => activationsOf(states(x), p as Params),
    energyGradients: (x, typed) => {
      const p = typed as Params;
      const xs = states(x);
      const gs = activationsOf(xs, p);
      // E(x, g) with x and g both in the graph: differentiating in g alone holds x fixed, so the
      // Legendre term gives x_l and L(x_l) gives nothing, as in tau dx/dt = -dE/dg.
      const parts = [...withNeuronEnergy.map((l) => neuronEnergy(l, xs[l]!, gs[l]!, p)), ...synapses.map((s) => synapseEnergy(s, gs, p))];
      const total = parts.slice(1).reduce((a, b) => ops.add(a, b), parts[0]!);
      const d = gradients(total, layout.map((s) => gs[s.name]!));
      return Object.fromEntries(layout.map((s, i) => [s.name, d[i]!]));
    },
  };
}
