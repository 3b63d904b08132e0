import { availableParallelism } from "node:os";
import { join } from "node:path";
import { integerFlag } from "@unfold/cli";
import type { ProgressStream } from "../embedded/progress.js";
import type { Launcher } from "../job/launcher.js";

/** What the sweep commands take besides their arguments: the tests' hooks, the bin's signals. */
export interface SweepCommandOptions {
  /** How jobs start `unfold` (default: defaultLauncher()). */
  readonly launcher?: Launcher;
  /** Where the live progress line goes (default: process.stderr). */
  readonly progressStream?: ProgressStream;
  /** Aborting (with the signal's name as the reason) stops the sweep: see listenForStopSignals. */
  readonly signal?: AbortSignal;
}

/** Where a sweep's results go without --out. */
export const defaultSweepRoot = (name: string): string => join("out", "sweeps", name);

/** The --out of a sweep and how messages name it. */
export function sweepRootFlag(value: string | boolean | undefined, name: string): { path: string; label: string } {
  if (value === undefined) return { path: defaultSweepRoot(name), label: `--out (default ${defaultSweepRoot(name)})` };
  if (typeof value !== "string" || value.trim() === "") throw new Error("--out needs a directory path");
  return { path: value, label: "--out" };
}

/** --workers, by default the cores divided by the threads one job uses (at least 1). */
export function workersFlag(value: string | boolean | undefined, threadsPerJob: number): number {
  return integerFlag("workers", value, Math.max(1, Math.floor(availableParallelism() / threadsPerJob)));
}

/**
 * Splits `SPEC [flags]`: the spec's path comes first. `command` names the command for the
 * message when it is missing.
 */
export function specAndFlags(args: readonly string[], command: string): { spec: string; flags: string[] } {
  const [first, ...rest] = args;
  if (first === undefined || first.startsWith("-")) throw new Error(`${command} needs the sweep spec first: unfold ${command} SPEC.json [flags] (see --help)`);
  return { spec: first, flags: rest };
}
