import type { Backend, DType } from "@unfold/core";
import { ZOO, type ZooEntry } from "@unfold/energies/zoo";
import { checkZooAgreement, checkZooGuard } from "./check-unfolding.js";

/** One check the energy suite runs per zoo entry and dtype on a backend. */
export interface EnergyCheck {
  /** What it checks, as test names read. */
  readonly title: string;
  /** Runs the check of `entry` on `backend` in `dtype`: resolves when it passes, rejects with a ConformanceError saying what failed. */
  run(entry: ZooEntry, backend: Backend, dtype: DType): Promise<unknown>;
}

/** The suite's checks, in order: agreement with the reference, then the guard on each watch. */
export const ENERGY_CHECKS: readonly EnergyCheck[] = [
  { title: "final state, energy and terms by layer match the float64 reference", run: checkZooAgreement },
  { title: "a throwing guard watching the steps' terms raises nothing", run: (entry, backend, dtype) => checkZooGuard(entry, backend, dtype, "terms") },
  { title: "a throwing guard watching the total energy raises nothing", run: (entry, backend, dtype) => checkZooGuard(entry, backend, dtype, "total") },
];

/** The outcome of one check of one entry in one dtype, as `runEnergySuite` reports it. */
export interface EnergyCheckResult {
  readonly entry: string;
  readonly check: string;
  readonly dtype: DType;
  readonly ok: boolean;
  /** The failure's message, when the check failed. */
  readonly error?: string;
  readonly ms: number;
}

/** Options of `runEnergySuite`: which dtypes and energies it runs, and a callback for progress. */
export interface RunEnergySuiteOptions {
  /** The dtypes to run; by default float32 and, where the backend lists it, float64. */
  readonly dtypes?: readonly DType[];
  /** The energies; the zoo's list by default. */
  readonly entries?: readonly ZooEntry[];
  /** Called after each check, for progress. */
  readonly onResult?: (result: EnergyCheckResult) => void;
}

/** The dtypes the suite runs in on a backend that lists `claimed`. */
export const energySuiteDTypes = (claimed: readonly DType[]): DType[] => claimed.filter((d) => d === "float32" || d === "float64");

/**
 * Runs the energy suite on a backend outside vitest (a browser page, a script), one check after
 * another, and reports each; a failure does not stop the rest. The same checks
 * `describeEnergySuite` registers.
 */
export async function runEnergySuite(backend: Backend, options: RunEnergySuiteOptions = {}): Promise<EnergyCheckResult[]> {
  const results: EnergyCheckResult[] = [];
  for (const entry of options.entries ?? ZOO) {
    for (const dtype of options.dtypes ?? energySuiteDTypes(backend.dtypes)) {
      for (const check of ENERGY_CHECKS) {
        const start = performance.now();
        let error: string | undefined;
        try {
          await check.run(entry, backend, dtype);
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
        }
        const result: EnergyCheckResult = { entry: entry.name, check: check.title, dtype, ok: error === undefined, ...(error !== undefined ? { error } : {}), ms: performance.now() - start };
        results.push(result);
        options.onResult?.(result);
      }
    }
  }
  return results;
}
