import {
  type Energy,
  type HostTensor,
  type Program,
  Random,
  type Tensor,
  defineEnergy,
  defineUnfolding,
  gradientStep,
  hostTensor,
  layerNorm,
  logsumexp,
  ops,
  softmax,
  unfoldedProgram,
} from "@unfold/core";

/**
 * Small energies, each written so that its gradient goes through one family of ops (and their
 * vector-Jacobian rules): the programs a gradient step derives by autodiff, for exporting with a
 * symbolic batch axis. The state is [batch, ROWS, COLS].
 */
export const ROWS = 4;
export const COLS = 5;

export interface OpFamily {
  readonly name: string;
  readonly energy: Energy;
}

const half = (t: Tensor): Tensor => ops.mul(ops.sum(ops.mul(t, t)), 0.5);

const family = (name: string, params: Record<string, readonly number[]>, value: (x: Tensor, p: Readonly<Record<string, Tensor>>) => Tensor): OpFamily => ({
  name,
  energy: defineEnergy({
    name,
    params: Object.fromEntries(Object.entries(params).map(([k, shape]) => [k, { shape }])),
    terms: [{ name: `${name} term`, value: (x: Tensor, p: Readonly<Record<string, Tensor>>) => value(x, p) }],
  }) as Energy,
});

export const OP_FAMILIES: readonly OpFamily[] = [
  family("square", {}, (x) => half(x)),
  // Sums over every axis but the batch: a mean's count stays the same at any batch size.
  family("sum and mean", {}, (x) => ops.sum(ops.mean(ops.mul(x, x), [1, 2])).add(ops.sum(ops.sum(x.tanh(), 2)))),
  family("softmax and logsumexp", { W: [COLS, 3] }, (x, p) => ops.sum(logsumexp(ops.matmul(x, p["W"]!), -1)).add(ops.sum(ops.mul(softmax(x, -1), x)))),
  family("layer norm", { g: [COLS], C: [ROWS, COLS] }, (x, p) => ops.sum(ops.mul(layerNorm(x, { gamma: p["g"]! }), p["C"]!)).add(half(x))),
  family("matmul with parameters", { W: [COLS, COLS], b: [1, COLS] }, (x, p) => half(ops.add(ops.matmul(x, p["W"]!), p["b"]!))),
  family("gather", {}, (x) => half(ops.gather(x, x.graph.constant([0, 2, 2, 4], [4], x.dtype), 2))),
  family("reshape and transpose", { V: [ROWS * COLS, 3] }, (x) => {
    const flat = ops.reshape(x, [x.shape[0]!, ROWS * COLS]);
    const gram = ops.matmul(ops.transpose(x, [0, 2, 1]), x);
    return half(flat).add(ops.mul(ops.sum(gram), 0.01));
  }),
  family("slice", {}, (x) => half(ops.slice(x, [0, 1, 2], [x.shape[0]!, 2, 3]))),
  family("concat", { V: [2 * COLS, 3] }, (x, p) => half(ops.matmul(ops.concat([x, x.tanh()], 2), p["V"]!))),
  family("max and abs", {}, (x) => ops.sum(ops.max(x, -1)).add(ops.sum(ops.abs(x))).add(ops.sum(ops.maximum(x, 0.25)))),
];

/** A two-layer gradient-descent unfolding of a family's energy, traced at `batch`. */
export function familyProgram(f: OpFamily, batch: number): Program {
  const unfolding = defineUnfolding({ energy: f.energy, steps: [gradientStep(f.energy, { stepSize: 0.05 })], layers: 2, tiedWeights: true });
  return unfoldedProgram(unfolding, [batch, ROWS, COLS], "float32");
}

/** Parameter values for a family (the same at every batch size) and a state of `batch` rows. */
export function familyFeeds(f: OpFamily, batch: number, seed = 7): { state: HostTensor; params: Record<string, HostTensor> } {
  const rng = new Random(seed);
  const params = Object.fromEntries(Object.entries(f.energy.params).map(([name, spec]) => {
    const size = spec.shape.reduce((a, d) => a * d, 1);
    return [name, hostTensor(Float32Array.from(rng.normals(size), (v) => 0.5 * v), spec.shape, "float32")];
  }));
  const size = batch * ROWS * COLS;
  const state = hostTensor(Float32Array.from(new Random(seed + batch).normals(size)), [batch, ROWS, COLS], "float32");
  return { state, params };
}
