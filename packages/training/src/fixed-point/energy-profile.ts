// The energy figure of a fixed-point model: the map's energy against solver iteration, from Y_0
// to convergence, for a few test inputs, each solved on its own so that each stops where its own
// residual reaches the tolerance. See docs/fixed-points.md, section 6 ("The energy figure").
import { type Feeds, hostTensor } from "@unfold/core";
import type { EnergyProfile } from "../loop/energy.js";
import { stopPoint } from "../loop/stop.js";
import { type TaskData, inputShape } from "../task/task.js";
import type { FixedPointRunner } from "./runner.js";

/**
 * An EnergyProfile by solver iteration instead of by layer: energies[i][k] is the map's energy
 * (the Yang energy plus the anchor, for the Yang model) at input i's iterate after k solver
 * iterations, k = 0 the starting state. Input i's row ends at iterations[i]; shorter rows are
 * continued with their last value up to the longest, since the solver stopped there (the state
 * is at its fixed point within the tolerance), so every row has the same length.
 */
export interface FixedPointEnergyProfile extends EnergyProfile {
  /** The solver's iterations for each input: where its own residual reached `tol` (or maxIterations). */
  readonly iterations: number[];
  /** Whether each input's solve reached `tol`. */
  readonly converged: boolean[];
  /** The forward solve's relative-residual tolerance. */
  readonly tol: number;
}

/** Whether a profile is a fixed-point model's (by iteration) rather than an unrolled one's (by layer). */
export function isFixedPointProfile(profile: EnergyProfile): profile is FixedPointEnergyProfile {
  return Array.isArray((profile as Partial<FixedPointEnergyProfile>).iterations);
}

/**
 * Solves each of the test inputs `indices` on its own and records the energy at every iterate.
 * `increases` counts the (input, iteration) pairs where a step of the layer raised what it
 * promises to lower (the solver's guard test, recorded whatever the guard mode). With a
 * `signal`, it throws StopRequested between inputs once the signal is aborted.
 */
export async function fixedPointEnergyProfile(runner: FixedPointRunner, params: Feeds, task: TaskData, indices: ArrayLike<number>, signal?: AbortSignal): Promise<FixedPointEnergyProfile> {
  const rows: number[][] = [];
  const iterations: number[] = [];
  const converged: boolean[] = [];
  let increases = 0;
  for (let i = 0; i < indices.length; i++) {
    if (i > 0) await stopPoint(signal);
    const data = task.batch("test", [Number(indices[i])]);
    const { start, result } = await runner.profileInput(params, hostTensor(data.inputs, inputShape(task, 1), runner.dtype));
    rows.push([start, ...result.trace.map((r) => r.energy)]);
    iterations.push(result.iterations);
    converged.push(result.converged);
    increases += result.trace.filter((r) => r.increased).length;
  }
  return extendProfile({ energies: rows, increases, meanByLayer: [], iterations, converged, tol: runner.tolerance }, 0);
}

/**
 * The profile with every row continued with its last value to `length` iterates (at least its
 * longest row's), and meanByLayer recomputed: a solve that stopped stays at its fixed point.
 */
export function extendProfile(profile: FixedPointEnergyProfile, length: number): FixedPointEnergyProfile {
  const n = Math.max(1, length, ...profile.energies.map((row) => row.length));
  const energies = profile.energies.map((row) => [...row, ...new Array<number>(n - row.length).fill(row[row.length - 1]!)]);
  const meanByLayer = Array.from({ length: n }, (_, k) => energies.reduce((s, row) => s + row[k]!, 0) / Math.max(1, energies.length));
  return { ...profile, energies, meanByLayer };
}

/**
 * Two profiles of one run (before and after training) extended to the same number of iterates,
 * so that they compare iteration by iteration; anything else is returned as it is.
 */
export function alignProfiles(before: EnergyProfile | undefined, after: EnergyProfile | undefined): [EnergyProfile | undefined, EnergyProfile | undefined] {
  if (!before || !after || !isFixedPointProfile(before) || !isFixedPointProfile(after)) return [before, after];
  const length = Math.max(before.meanByLayer.length, after.meanByLayer.length);
  return [extendProfile(before, length), extendProfile(after, length)];
}
