import { type DType, type HostTensor, type Program, Random, defineUnfolding, hostTensor, interpret, relativeError, unfoldedProgram } from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "@unfold/energies";
import onnxProto from "onnx-proto";

export const { onnx } = onnxProto;

/** A small tied Yang unfolding and its feeds: a real program with inputs and parameters. */
export function yangForward(layers: number, shape: [number, number, number], dtype: DType, seed = 1): { program: Program; state: HostTensor; params: Record<string, HostTensor>; terms: string[] } {
  const dim = shape[2];
  const energy = yangEnergy({ dim });
  const params = initYangParams({ dim }, { seed, dtype });
  const steps = yangLayerSteps(energy, { feedForwardStepSize: safeFeedForwardStepSize(params, dim) });
  const program = unfoldedProgram(defineUnfolding({ energy, steps, layers, tiedWeights: true }), shape, dtype);
  const rng = new Random(seed + 100);
  const size = shape[0] * shape[1] * shape[2];
  const state = hostTensor(Float64Array.from({ length: size }, () => Math.abs(rng.normal())), shape, dtype);
  return { program, state, params, terms: energy.terms.map((t) => t.name) };
}

/** The float64 reference outputs on the same host data. */
export function reference(program: Program, feeds: Readonly<Record<string, HostTensor>>): Map<string, Float64Array> {
  return interpret(program, new Map(Object.entries(feeds).map(([k, t]) => [k, Float64Array.from(t.data)])));
}

export const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => relativeError(Array.from(a), Array.from(b));
