import { join } from "node:path";
import { type DType, type HostTensor, hostTensor } from "@unfold/core";
import type { z } from "zod";
import type { NamedTensor, EnergyProfile } from "@unfold/training";
import { type LoadedCheckpoint, loadCheckpoint, saveCheckpoint } from "../checkpoint/store.js";
import { TrainerConfig } from "../config/schema.js";
import { RUN_FILES } from "./run-directory.js";
import { saveOptionsFromEnvironment } from "./test-hooks.js";

/** The JSON half of a checkpoint: what a resumed run needs besides the tensors. */
export interface CheckpointState {
  readonly config: TrainerConfig;
  readonly step: number;
  readonly trainSeconds: number;
  /** The untrained model's energy profile, so the before/after figure survives a resume. */
  readonly energyBefore: EnergyProfile | undefined;
  readonly lastTestAccuracy: number | null;
}

/** A checkpoint that cannot be resumed from: the message names the file and the field. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
}

export const checkpointDir = (outDir: string): string => join(outDir, RUN_FILES.checkpoint);

function named(t: HostTensor): NamedTensor {
  return { data: t.dtype === "float32" ? Float32Array.from(t.data) : Float64Array.from(t.data), shape: [...t.shape] };
}

/** Parameters go to the weights file; everything else held (the moments m.*, v.*) to the optimizer file. */
export async function writeCheckpoint(
  dir: string,
  step: number,
  tensors: Readonly<Record<string, HostTensor>>,
  paramNames: readonly string[],
  state: CheckpointState,
): Promise<void> {
  const weights: Record<string, NamedTensor> = {};
  const optimizer: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(tensors)) (paramNames.includes(name) ? weights : optimizer)[name] = named(t);
  await saveCheckpoint(dir, { step, weights, optimizer, state }, saveOptionsFromEnvironment());
}

const describe = (value: unknown): string => (value === undefined ? "nothing" : JSON.stringify(value));
const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");

/**
 * Checks the state a manifest carries (what this trainer wrote: the run's config, its step,
 * time and energy profile) and returns it typed. Each error names the manifest and the field,
 * for a config as `field "state.config.model.dim": <what is wrong>`.
 */
export function parseCheckpointState(value: unknown, manifest: string, step: number): CheckpointState {
  const fail = (field: string, detail: string): never => {
    throw new CheckpointError(`${manifest}: field "${field}" ${detail}; the checkpoint cannot be resumed`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("state", `must be the trainer's state object {config, step, trainSeconds, ...}, got ${describe(value)}`);
  }
  const s = value as Record<string, unknown>;
  const parsed = TrainerConfig.safeParse(s["config"]);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(configField(issue), `${issueMessage(issue)}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : ""}`);
  }
  if (s["step"] !== step) fail("state.step", `is ${describe(s["step"])}, but the manifest's "step" is ${step}`);
  const seconds = s["trainSeconds"];
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) fail("state.trainSeconds", `must be a number of seconds >= 0, got ${describe(seconds)}`);
  const accuracy = s["lastTestAccuracy"];
  if (accuracy !== null && accuracy !== undefined && (typeof accuracy !== "number" || accuracy < 0 || accuracy > 1)) {
    fail("state.lastTestAccuracy", `must be null or a fraction in [0, 1], got ${describe(accuracy)}`);
  }
  const energy = s["energyBefore"];
  if (energy !== undefined && energy !== null) {
    const e = energy as Partial<Record<keyof EnergyProfile, unknown>>;
    const ok = typeof energy === "object" && Array.isArray(e.energies) && e.energies.every(isNumberArray) && isNumberArray(e.meanByLayer) && typeof e.increases === "number";
    if (!ok) fail("state.energyBefore", "must be an energy profile {energies: number[][], increases, meanByLayer: number[]} or null");
  }
  return {
    config: parsed.data,
    step,
    trainSeconds: seconds as number,
    energyBefore: energy === null || energy === undefined ? undefined : (energy as EnergyProfile),
    lastTestAccuracy: typeof accuracy === "number" ? accuracy : null,
  };
}

function configField(issue: z.core.$ZodIssue): string {
  const path = ["state", "config", ...issue.path.map(String)];
  if (issue.code === "unrecognized_keys") return issue.keys.map((k) => [...path, k].join(".")).join(", ");
  return path.join(".");
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return "is not a config field";
  return `is invalid: ${issue.message}`;
}

/** Reads the config a checkpoint was trained with (for --resume), checked as a new run's would be. */
export async function checkpointConfig(dir: string): Promise<TrainerConfig> {
  const checkpoint = await loadCheckpoint(dir);
  return parseCheckpointState(checkpoint.state, checkpoint.files.manifest, checkpoint.step).config;
}

/**
 * A checkpoint's tensors as host tensors of the run's dtype, after checking they are exactly the
 * parameters and moments the model declares, with the declared shapes.
 */
export async function restoreCheckpoint(
  dir: string,
  config: TrainerConfig,
  specs?: Readonly<Record<string, { readonly shape: readonly number[] }>>,
): Promise<{ step: number; params: Record<string, HostTensor>; moments: Record<string, HostTensor>; state: CheckpointState }> {
  const checkpoint: LoadedCheckpoint = await loadCheckpoint(dir);
  const state = parseCheckpointState(checkpoint.state, checkpoint.files.manifest, checkpoint.step);
  const dtype: DType = config.dtype;
  const host = (tensors: Record<string, NamedTensor>, file: string): Record<string, HostTensor> => {
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(tensors)) {
      if (t.data instanceof Int32Array) throw new CheckpointError(`${file}: tensor '${name}' is int32; expected floating point`);
      out[name] = hostTensor(t.data, t.shape, dtype);
    }
    return out;
  };
  const params = host(checkpoint.weights, checkpoint.files.weights);
  const moments = host(checkpoint.optimizer, checkpoint.files.optimizer);
  if (specs) {
    for (const [name, spec] of Object.entries(specs)) {
      const wanted = [
        [name, params, checkpoint.files.weights],
        [`m.${name}`, moments, checkpoint.files.optimizer],
        [`v.${name}`, moments, checkpoint.files.optimizer],
      ] as const;
      for (const [key, table, file] of wanted) {
        const t = table[key];
        if (!t) throw new CheckpointError(`${file}: no tensor '${key}', which the model needs`);
        if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
          throw new CheckpointError(`${file}: tensor '${key}' has shape [${t.shape.join(", ")}], but the model declares [${spec.shape.join(", ")}]`);
        }
      }
    }
  }
  return { step: checkpoint.step, params, moments, state };
}
