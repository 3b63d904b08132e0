// The reads of a run: what runUnfolding brings back to the host is each program run's energy and
// term outputs and, when the caller asks for it, the state. They come back together, through
// readTensors, so a backend that batches reads (Backend.readMany) makes one transfer for several
// outputs of several runs: on a GPU every transfer is a copy, a submit and a map round trip.
import { type Backend, type DeviceTensor, readTensors } from "../backend/backend.js";
import type { HostTensor } from "../backend/tensor.js";
import { termOutput } from "./programs.js";
import type { EnergyRecord } from "./records.js";

/** The outputs of one run of the energy program or a step program, to be read. */
export interface RunOutputs {
  readonly outs: Readonly<Record<string, DeviceTensor>>;
  /** Whether to read the run's `state` output too (it stays on the backend either way). */
  readonly withState: boolean;
}

/** What reading one run gives: its energies, and its state when it was asked for. */
export interface RunRead {
  readonly record: EnergyRecord;
  readonly state: HostTensor | undefined;
}

const TERM = termOutput("");

/**
 * Reads every run's energy and term outputs (and the state of the runs that ask for it) in one
 * readTensors call, in order, and disposes the energy and term outputs, read or not; `state`
 * outputs are left to the caller.
 */
export async function readRuns(backend: Backend, runs: readonly RunOutputs[]): Promise<RunRead[]> {
  const tensors: DeviceTensor[] = [];
  const layouts = runs.map(({ outs, withState }) => {
    const names = Object.keys(outs).filter((name) => name !== "state" || withState);
    for (const name of names) tensors.push(outs[name]!);
    return names;
  });
  let hosts: HostTensor[];
  try {
    hosts = await readTensors(backend, tensors);
  } finally {
    for (const { outs } of runs) for (const [name, t] of Object.entries(outs)) if (name !== "state") t.dispose();
  }
  let at = 0;
  return layouts.map((names) => {
    const terms: Record<string, number> = {};
    let energy = NaN;
    let state: HostTensor | undefined;
    for (const name of names) {
      const host = hosts[at++]!;
      if (name === "state") state = host;
      else if (name === "energy") energy = host.data[0]!;
      else if (name.startsWith(TERM)) terms[name.slice(TERM.length)] = host.data[0]!;
    }
    return { record: { energy, terms }, state };
  });
}
