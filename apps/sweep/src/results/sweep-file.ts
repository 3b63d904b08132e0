import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "@unfold/files";
import { parseSweepSpec } from "../spec/load.js";
import type { SweepSpec } from "../spec/schema.js";

/** The spec a sweep root was started with, kept so `sweep results` and a resumed run know the sweep. */
export const SWEEP_FILE = "sweep.json";

/** The spec as stored: validated and with its defaults filled in, so two forms of one spec compare equal. */
const canonical = (spec: SweepSpec): string => `${JSON.stringify(spec, null, 2)}\n`;

/**
 * Records the spec in the sweep root, or checks it against the one recorded there: a root holds
 * one sweep, and running a different spec into it is refused rather than mixing two sweeps' jobs.
 */
export async function recordSweepSpec(sweepRoot: string, spec: SweepSpec, label: string): Promise<void> {
  const stored = readSweepSpec(sweepRoot);
  if (stored === undefined) return writeFileAtomic(join(sweepRoot, SWEEP_FILE), canonical(spec));
  if (canonical(stored) !== canonical(spec)) {
    throw new Error(`${label}: '${sweepRoot}' holds the sweep '${stored.name}' of another spec (${join(sweepRoot, SWEEP_FILE)}); give a new --out, or remove that folder to start over`);
  }
}

/** The spec recorded in a sweep root, or undefined when it has none. */
export function readSweepSpec(sweepRoot: string): SweepSpec | undefined {
  const path = join(sweepRoot, SWEEP_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw new Error(`${path}: cannot read the sweep's spec: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseSweepSpec(text, path);
}
