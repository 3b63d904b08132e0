// A small classifier whose depth is a fixed point, in the three parts exportFixedPointModel takes,
// and its in-framework logits on the ReferenceBackend (not a test file). Inputs x [batch, tokens,
// dim] -> X = ReLU(x W_in) -> the fixed point of a tied Yang layer anchored at X (softmax
// attention MM step, then the ReLU projected step on the feed-forward and anchor terms) ->
// logits = sum over tokens of Y* W_out.
import {
  type DType,
  type Energy,
  Graph,
  type HostTensor,
  type LayerMap,
  type Program,
  Random,
  ReferenceBackend,
  closedFormStep,
  defineEnergy,
  defineUnfolding,
  hostTensor,
  interpret,
  layerMap,
  ops,
  proximalStep,
  solveFixedPoint,
  sumEnergies,
} from "@unfold/core";
import { ATTENTION_TERM, FEED_FORWARD_TERM, initYangParams, yangEnergy } from "@unfold/energies";

export const TOKENS = 3;
export const DIM = 4;
export const CLASSES = 3;
const ANCHOR = 1;

/** (ANCHOR / 2) ||Y - X||^2 on states of `shape`: what ties the fixed point to the input. */
function anchorEnergy(shape: readonly number[]): Energy<"X"> {
  return defineEnergy({
    name: "anchor",
    params: { X: { shape } },
    terms: [{ name: "anchor", value: (y, p) => ops.mul(ops.sum(ops.mul(ops.sub(y, p.X), ops.sub(y, p.X))), ANCHOR / 2) }],
  });
}

/** The layer map at `batch` examples (the anchor X has the state's shape). */
export function anchoredYangMap(batch: number): LayerMap {
  const energy = sumEnergies("yang-anchored", [yangEnergy({ dim: DIM }), anchorEnergy([batch, TOKENS, DIM])]);
  const steps = [
    closedFormStep(energy, ATTENTION_TERM, { stepSize: 0.5, name: "attention" }),
    proximalStep(energy, { terms: [FEED_FORWARD_TERM, "anchor"], stepSize: 0.5, prox: (point) => ops.relu(point), proxName: "relu", name: "feedForward" }),
  ];
  return layerMap(defineUnfolding({ energy, steps, layers: 1, tiedWeights: true, guard: { mode: "off" } }));
}

/** The trained parameters' shapes. */
const SPECS: Record<string, number[]> = { "embed.W": [DIM, DIM], "layer.Wa": [1, DIM, DIM], "layer.Wf": [DIM, DIM], "layer.b": [DIM], "head.W": [DIM, CLASSES] };

/** inputs x, trained parameters -> the map's parameters (Wa, Wf, b, X). */
export function prologueProgram(batch: number, dtype: DType): Program {
  const graph = new Graph();
  const x = graph.leaf("input", "x", [batch, TOKENS, DIM], dtype);
  const p = Object.fromEntries(Object.entries(SPECS).map(([name, shape]) => [name, graph.leaf("param", name, shape, dtype)]));
  return graph.toProgram({ Wa: p["layer.Wa"]!, Wf: p["layer.Wf"]!, b: p["layer.b"]!, X: ops.relu(ops.matmul(x, p["embed.W"]!)) });
}

/** The fixed point (feed `state`), the head's weight -> logits [batch, classes]. */
export function epilogueProgram(batch: number, dtype: DType): Program {
  const graph = new Graph();
  const state = graph.leaf("input", "state", [batch, TOKENS, DIM], dtype);
  const w = graph.leaf("param", "head.W", SPECS["head.W"]!, dtype);
  return graph.toProgram({ logits: ops.sum(ops.matmul(state, w), 1) });
}

/** Seeded trained parameters: Yang's initial weights (a contraction with the anchor), a random embedding and head. */
export function trainedParams(dtype: DType, seed = 7): Record<string, HostTensor> {
  const yang = initYangParams({ dim: DIM }, { seed, dtype });
  const rng = new Random(seed + 1);
  const random = (shape: number[]): HostTensor => hostTensor(Float64Array.from(rng.normals(shape.reduce((a, b) => a * b, 1), 1 / Math.sqrt(DIM))), shape, dtype);
  return { "embed.W": random(SPECS["embed.W"]!), "layer.Wa": yang.Wa, "layer.Wf": yang.Wf, "layer.b": yang.b, "head.W": random(SPECS["head.W"]!) };
}

/** Inputs for `batch` examples, from a seed. */
export function inputs(batch: number, dtype: DType, seed: number): HostTensor {
  const rng = new Random(seed);
  return hostTensor(Float64Array.from(rng.normals(batch * TOKENS * DIM)), [batch, TOKENS, DIM], dtype);
}

/** What the in-framework model computes on a batch, and how its solve went. */
export interface InFrameworkModel {
  readonly logits: Float64Array;
  readonly state: Float64Array;
  readonly iterations: number;
  readonly residual: number;
  /** The relative residual of each iteration. */
  readonly residuals: readonly number[];
}

/** The in-framework model: prologue, core's solveFixedPoint (plain iteration) and the epilogue, in float64 on the ReferenceBackend. */
export async function inFrameworkLogits(x: HostTensor, params: Record<string, HostTensor>, tol: number, maxIterations: number): Promise<InFrameworkModel> {
  const batch = x.shape[0]!;
  const f64 = (t: HostTensor): Float64Array => Float64Array.from(t.data);
  const feeds = new Map(Object.entries({ x, ...params }).map(([name, t]) => [name, f64(t)]));
  const theta = interpret(prologueProgram(batch, "float64"), feeds);
  const shapes = { Wa: [1, DIM, DIM], Wf: [DIM, DIM], b: [DIM], X: [batch, TOKENS, DIM] };
  const mapParams = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, hostTensor(theta.get(name)!, shape, "float64")]));
  const result = await solveFixedPoint(anchoredYangMap(batch), new ReferenceBackend(), { state: mapParams["X"]!, params: mapParams, solver: "iteration", tol, maxIterations });
  const out = interpret(epilogueProgram(batch, "float64"), new Map([["state", Float64Array.from(result.state.data)], ["head.W", f64(params["head.W"]!)]]));
  return { logits: out.get("logits")!, state: Float64Array.from(result.state.data), iterations: result.iterations, residual: result.residual, residuals: result.trace.map((r) => r.residual) };
}
