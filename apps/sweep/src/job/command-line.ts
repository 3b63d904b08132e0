import { join } from "node:path";
import { COMMAND_RULES } from "../spec/commands.js";
import type { SweepJob } from "../spec/expand.js";
import type { AxisValue, SweepSpec } from "../spec/schema.js";
import { JOB_FILES } from "./directory.js";

/** How a job starts: a new run, over the leftovers of an attempt that saved no checkpoint, or resuming one that did. */
export type StartMode = "fresh" | "overwrite" | "resume";

/** A job's command line after the `unfold` launcher, and the trainer config file it reads (train only). */
export interface JobCommandLine {
  /** Arguments for `unfold`, each its own argv entry: no shell ever sees them. */
  readonly argv: readonly string[];
  /** train: the config to write to the job's config.json before starting (not when resuming: the run has its own). */
  readonly config?: Record<string, unknown>;
}

/**
 * The settings of one job: the spec's base with the job's axis values and repeat seed set.
 * train: the trainer config object; the other commands: flag name -> value.
 */
export function jobSettings(spec: SweepSpec, job: SweepJob): Record<string, unknown> {
  const rule = COMMAND_RULES[spec.command];
  const settings = structuredClone(spec.base);
  const set = (target: { path?: string | undefined; flag?: string | undefined }, value: AxisValue): void => {
    if (rule.kind === "config") setPath(settings, target.path!.split("."), value);
    else settings[target.flag!] = value;
  };
  for (const [name, axis] of Object.entries(spec.axes)) set(axis, job.point[name]!);
  if (spec.seed) set(spec.seed, spec.seed.first + job.repeat);
  return settings;
}

/**
 * The command line of a job whose directory is `jobDir`. Outputs go inside the job directory
 * (the trainer's --out, bench's --out); every run ends with its --json line. Values come from a
 * validated spec and go in as separate arguments, so none can become a flag or a shell word.
 */
export function jobCommandLine(spec: SweepSpec, job: SweepJob, jobDir: string, mode: StartMode = "fresh"): JobCommandLine {
  const rule = COMMAND_RULES[spec.command];
  const out = rule.outFlag ? ["--" + rule.outFlag, join(jobDir, JOB_FILES.run)] : [];
  const threads = rule.threadsFlag ? ["--" + rule.threadsFlag, String(spec.threadsPerJob)] : [];
  if (rule.kind === "config") {
    if (mode === "resume") return { argv: [...rule.words, "--resume", ...out, ...threads, "--json"] };
    return { argv: [...rule.words, "--config", join(jobDir, JOB_FILES.config), ...out, ...threads, ...(mode === "overwrite" ? ["--overwrite"] : []), "--json"], config: jobSettings(spec, job) };
  }
  const flags: string[] = [];
  for (const [flag, value] of Object.entries(jobSettings(spec, job))) {
    // A switch set false is the flag left out; every other value is its own argument after the flag.
    if (value === false) continue;
    flags.push(`--${flag}`);
    if (value !== true) flags.push(String(value));
  }
  return { argv: [...rule.words, ...flags, ...out, ...threads, "--json"] };
}

/** Sets a value at a dotted path, making the objects on the way. */
function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}
