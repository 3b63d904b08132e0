import { type Backend, type DType } from "@unfold/core";
import { ZOO, type ZooEntry } from "@unfold/energies/zoo";
import { afterAll, beforeAll, describe, it } from "vitest";
import { ConformanceError } from "../compare.js";
import { ENERGY_CHECKS, energySuiteDTypes } from "./run-suite.js";
import { type ExportTarget, checkZooExport } from "./check-export.js";

/** A backend to hold to the energy suite. */
export interface EnergySuiteTarget {
  readonly name: string;
  /** A fresh backend; the suite disposes it in afterAll (and a throwaway one, asked for its dtypes, at once). */
  create(): Backend | Promise<Backend>;
  /** The dtypes to run in; by default float32 and, where the backend lists it, float64. */
  readonly dtypes?: readonly DType[];
  /** The energies; the zoo's list by default (a test may hold the suite to other entries). */
  readonly entries?: readonly ZooEntry[];
}

async function claimedDTypes(target: EnergySuiteTarget): Promise<readonly DType[]> {
  const probe = await target.create();
  try {
    return [...probe.dtypes];
  } finally {
    await probe.dispose();
  }
}

/**
 * Registers the energy suite for a backend with vitest: for every zoo energy and dtype, its
 * example's unfolding run with runUnfolding (compiled poisoned) against the float64 reference
 * interpreter (final state, energy and every term by layer), and the same run under a throwing
 * guard watching the steps' terms and the total energy. Joining the zoo's list is all a new
 * energy does to be run here.
 */
export function describeEnergySuite(target: EnergySuiteTarget): void {
  describe(`energy suite: ${target.name}`, async () => {
    const claimed = await claimedDTypes(target);
    const dtypes = target.dtypes ?? energySuiteDTypes(claimed);
    const unclaimed = dtypes.filter((d) => !claimed.includes(d));
    if (unclaimed.length > 0) throw new ConformanceError(`target '${target.name}' asks for ${unclaimed.join(", ")}, which the backend does not list in dtypes [${claimed.join(", ")}]`);
    if (!dtypes.includes("float32")) throw new ConformanceError(`target '${target.name}': the energy suite runs in float32, which the backend does not list in dtypes [${claimed.join(", ")}]`);

    let backend: Backend | undefined;
    beforeAll(async () => {
      backend = await target.create();
    });
    afterAll(async () => {
      await backend?.dispose();
      backend = undefined;
    });
    const current = (): Backend => {
      if (!backend) throw new ConformanceError(`target '${target.name}': no backend (create() failed or the suite was disposed)`);
      return backend;
    };

    for (const entry of target.entries ?? ZOO) {
      describe(entry.name, () => {
        for (const dtype of dtypes) {
          for (const check of ENERGY_CHECKS) {
            it(`${dtype}: ${check.title}`, async () => {
              await check.run(entry, current(), dtype);
            });
          }
        }
      });
    }
  });
}

/**
 * Registers the export check: every zoo energy's float32 unfolded program exported with a
 * symbolic batch axis, once with its parameters baked in and once with them as graph inputs, and
 * each file run at the traced batch size and another against the float64 reference.
 */
export function describeEnergyExport(target: ExportTarget, entries: readonly ZooEntry[] = ZOO): void {
  describe(`energy export: ${target.name}`, () => {
    for (const entry of entries) {
      describe(entry.name, () => {
        for (const bakeParams of [true, false]) {
          it(`exports with a symbolic batch axis, ${bakeParams ? "parameters baked in" : "parameters as graph inputs"}, and runs at two batch sizes`, async () => {
            await checkZooExport(entry, target, { bakeParams });
          });
        }
      });
    }
  });
}
