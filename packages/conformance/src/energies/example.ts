import { type DType, type HostTensor, type ParamValues, type Shape, type Unfolding, type GuardOptions, hostTensor, layerParam, sizeOf } from "@unfold/core";
import type { ZooEntry, ZooExample } from "@unfold/energies/zoo";
import { ConformanceError } from "../compare.js";

/** What the energy suite does with a zoo example: run it widened, re-guarded, batched, as program feeds. */

/** The same host values in float64: what the reference interpreter is given for a float32 run. */
export function widen(tensor: HostTensor): HostTensor {
  return hostTensor(Float64Array.from(tensor.data), tensor.shape, "float64");
}

/** A parameter set, or one per layer, with every tensor widened to float64. */
export function widenParams(params: ParamValues | readonly ParamValues[]): ParamValues | ParamValues[] {
  const one = (set: ParamValues): ParamValues => Object.fromEntries(Object.entries(set).map(([name, t]) => [name, widen(t)]));
  return isParamList(params) ? params.map(one) : one(params);
}

function isParamList(params: ParamValues | readonly ParamValues[]): params is readonly ParamValues[] {
  return Array.isArray(params);
}

/**
 * The example's unfolding under another guard. An Unfolding is a plain validated record, so this
 * keeps its steps, schedule and tolerance and changes only what the suite decides: how a rise is
 * treated and what is watched.
 */
export function withGuard(unfolding: Unfolding, guard: Pick<GuardOptions, "mode" | "watch">): Unfolding {
  return { ...unfolding, guard: { ...unfolding.guard, mode: guard.mode, watch: guard.watch ?? unfolding.guard.watch } };
}

/**
 * The example's parameters as the feeds of its unfolded program: the set itself for tied weights,
 * `name.layer` for each layer's set when untied (core's layerParam).
 */
export function programParams(example: ZooExample): Record<string, HostTensor> {
  const { params } = example;
  if (!isParamList(params)) return { ...params };
  return Object.fromEntries(params.flatMap((set, layer) => Object.entries(set).map(([name, t]) => [layerParam(name, layer), t])));
}

/**
 * The example's state grown (or cut) to `batch` examples along its leading axis. Example b >= the
 * example's own batch B is example b mod B with its values in reverse order: distinct from every
 * traced example (so a model that mixes up batch rows shows it), yet built from the same values,
 * so it stays in the energy's domain (non-negative tokens stay non-negative, a token's mean and
 * spread are those of another token, norms are kept).
 */
export function batchedState(state: HostTensor, batch: number): HostTensor {
  const traced = state.shape[0]!;
  const row = sizeOf(state.shape.slice(1));
  const data = new Float64Array(batch * row);
  for (let b = 0; b < batch; b++) {
    const source = state.data.subarray((b % traced) * row, (b % traced + 1) * row);
    for (let i = 0; i < row; i++) data[b * row + i] = b < traced ? source[i]! : source[row - 1 - i]!;
  }
  return hostTensor(data, [batch, ...state.shape.slice(1)], state.dtype);
}

/** The example in `dtype`, checked to have a leading batch axis (what the export makes symbolic). */
export function exampleOf(entry: ZooEntry, dtype: DType): ZooExample & { readonly shape: Shape } {
  const example = entry.example(dtype);
  const shape = example.state.shape;
  if (shape.length < 1) throw new ConformanceError(`zoo entry '${entry.name}': the example state must have a leading batch axis, got shape []`);
  if (example.state.dtype !== dtype) throw new ConformanceError(`zoo entry '${entry.name}': example('${dtype}') gave a ${example.state.dtype} state`);
  return { ...example, shape };
}
