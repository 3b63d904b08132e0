// The forward solvers' reads: the scalar outputs of one or more program runs, in one transfer
// (readTensors, batched on a backend with readMany), turned into energy records. Tensors that
// stay on the device (the state, a residual) are named by the caller and never read.
import { type Backend, type DeviceTensor, readTensors } from "../backend/backend.js";
import { termOutput } from "../unfold/programs.js";
import type { EnergyRecord } from "../unfold/records.js";

/** The scalar outputs of some runs, by output name, one map per run. */
export type Scalars = ReadonlyMap<string, number>;

/**
 * Reads every output of `runs` except those named in `keep` (left resident, for the caller to
 * own) in one readTensors call, disposing what it read, and gives each run's scalars by name.
 */
export async function readScalars(backend: Backend, runs: readonly Readonly<Record<string, DeviceTensor>>[], keep: readonly string[]): Promise<Scalars[]> {
  const tensors: DeviceTensor[] = [];
  const layouts = runs.map((outs) => {
    const names = Object.keys(outs).filter((name) => !keep.includes(name));
    for (const name of names) tensors.push(outs[name]!);
    return names;
  });
  let hosts;
  try {
    hosts = await readTensors(backend, tensors);
  } finally {
    for (const t of tensors) t.dispose();
  }
  let at = 0;
  return layouts.map((names) => new Map(names.map((name) => [name, hosts[at++]!.data[0]!])));
}

/** The energy and terms among `scalars` whose names start with `prefix` (see energyOutputs). */
export function energyRecord(scalars: Scalars, prefix = ""): EnergyRecord {
  const termPrefix = `${prefix}${termOutput("")}`;
  const terms: Record<string, number> = {};
  for (const [name, value] of scalars) if (name.startsWith(termPrefix)) terms[name.slice(termPrefix.length)] = value;
  return { energy: scalars.get(`${prefix}energy`) ?? NaN, terms };
}
