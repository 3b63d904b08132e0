import { join } from "node:path";
import { type DType, type HostTensor, hostTensor } from "@unfold/core";
import type { NamedTensor } from "../checkpoint/safetensors.js";
import { loadCheckpoint, saveCheckpoint } from "../checkpoint/store.js";
import type { TrainerConfig } from "../config/schema.js";
import type { EnergyProfile } from "./energy.js";

/** The JSON half of a checkpoint: what a resumed run needs besides the tensors. */
export interface CheckpointState {
  readonly config: TrainerConfig;
  readonly step: number;
  readonly trainSeconds: number;
  /** The untrained model's energy profile, so the before/after figure survives a resume. */
  readonly energyBefore: EnergyProfile | undefined;
  readonly lastTestAccuracy: number | null;
}

export const checkpointDir = (outDir: string): string => join(outDir, "checkpoint");

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
  await saveCheckpoint(dir, { step, weights, optimizer, state });
}

/** Reads the config a checkpoint was trained with (for --resume). */
export async function checkpointConfig(dir: string): Promise<TrainerConfig> {
  const checkpoint = await loadCheckpoint(dir);
  return (checkpoint.state as CheckpointState).config;
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
  const checkpoint = await loadCheckpoint(dir);
  const dtype: DType = config.dtype;
  const host = (tensors: Record<string, NamedTensor>, what: string): Record<string, HostTensor> => {
    const out: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(tensors)) {
      if (t.data instanceof Int32Array) throw new Error(`${dir}: ${what} tensor '${name}' is int32; expected floating point`);
      out[name] = hostTensor(t.data, t.shape, dtype);
    }
    return out;
  };
  const params = host(checkpoint.weights, "weights");
  const moments = host(checkpoint.optimizer, "optimizer");
  if (specs) {
    for (const [name, spec] of Object.entries(specs)) {
      for (const [key, table] of [[name, params], [`m.${name}`, moments], [`v.${name}`, moments]] as const) {
        const t = table[key];
        if (!t) throw new Error(`${dir}: checkpoint has no tensor '${key}', which the model needs`);
        if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
          throw new Error(`${dir}: tensor '${key}' has shape [${t.shape.join(", ")}], but the model declares [${spec.shape.join(", ")}]`);
        }
      }
    }
  }
  return { step: checkpoint.step, params, moments, state: checkpoint.state as CheckpointState };
}
