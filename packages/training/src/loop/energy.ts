import { type DType, type Executable, type Feeds, hostTensor } from "@unfold/core";
import { type TaskData, inputShape } from "../task/task.js";
import { INPUT, energyAfter, energyBefore } from "./programs.js";
import { stopPoint } from "./stop.js";

/** The energy of each of a set of inputs at every layer boundary, and how often a layer raised it. */
export interface EnergyProfile {
  /** energies[i][t] = E(Y^t) for input i, t = 0..K (untied: E_t(Y^t), each layer's own energy; the last is E_(K-1)(Y^K)). */
  readonly energies: number[][];
  /** (input, layer) pairs where E_l(Y^(l+1)) > E_l(Y^l) beyond rounding: what descent says never happens. */
  readonly increases: number;
  /** Mean of E(Y^t) over the inputs, t = 0..K. */
  readonly meanByLayer: number[];
}

/** Relative rise tolerated as rounding, as core's monotonicity guard does. */
export const energySlack = (dtype: DType): number => (dtype === "float32" ? 1e-5 : 1e-10);

/**
 * Runs the batch-1 energy-trace program on each input (test split). With a `signal`, it yields
 * between inputs and throws StopRequested once the signal is aborted.
 */
export async function energyProfile(
  executable: Executable,
  params: Feeds,
  task: TaskData,
  indices: ArrayLike<number>,
  layers: number,
  dtype: DType,
  signal?: AbortSignal,
): Promise<EnergyProfile> {
  const energies: number[][] = [];
  let increases = 0;
  const slack = energySlack(dtype);
  for (let i = 0; i < indices.length; i++) {
    if (i > 0) await stopPoint(signal);
    const data = task.batch("test", [Number(indices[i])]);
    const outs = await executable.run({ ...params, [INPUT]: hostTensor(data.inputs, inputShape(task, 1), dtype) });
    const value = async (name: string): Promise<number> => (await outs[name]!.read()).data[0]!;
    const row: number[] = [];
    for (let l = 0; l < layers; l++) {
      const before = await value(energyBefore(l));
      const after = await value(energyAfter(l));
      row.push(before);
      if (after > before + slack * Math.max(1, Math.abs(before))) increases++;
      if (l === layers - 1) row.push(after);
    }
    for (const t of Object.values(outs)) t.dispose();
    energies.push(row);
  }
  const meanByLayer = Array.from({ length: layers + 1 }, (_, t) => energies.reduce((s, row) => s + row[t]!, 0) / Math.max(1, energies.length));
  return { energies, increases, meanByLayer };
}

/** E(Y^t) - min_t E(Y^t) per input: the paper's energy figure plots these. */
export function aboveMinimum(energies: readonly (readonly number[])[]): number[][] {
  return energies.map((row) => {
    const min = Math.min(...row);
    return row.map((e) => e - min);
  });
}
