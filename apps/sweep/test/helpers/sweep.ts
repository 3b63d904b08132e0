import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Launcher, type SweepSpec, type SweepSpecInput, sourceLauncher, validateSweepSpec } from "../../src/index.js";

/** `unfold` from its sources through tsx: the jobs of these tests run the real commands, no build needed. */
export const launcher: Launcher = sourceLauncher();

export const tempDir = (prefix = "unfold-sweep-"): string => mkdtempSync(join(tmpdir(), prefix));

/** A progress stream that drops everything. */
export const quiet = { write: () => true, isTTY: false };

/** A tiny trainer config (MNIST, 64 digits, 8 steps, one layer of width 8): a few seconds per job. */
export const TINY_TRAIN_BASE = {
  task: { kind: "mnist", train: 64, test: 16 },
  model: { kind: "yang", dim: 8, layers: 1, tied: false, head: "flatten" },
  train: { epochs: 2, batchSize: 16, learningRate: 0.003, warmupSteps: 1 },
  energyInputs: 2,
  onnx: false,
};

/** A validated trainer sweep over `axes`, with the tiny base (less the fields the axes set) and a per-repeat seed. */
export function trainSpec(overrides: Partial<SweepSpecInput> = {}): SweepSpec {
  const axes = overrides.axes ?? { lr: { path: "train.learningRate", values: [0.003] } };
  const base = structuredClone((overrides.base ?? TINY_TRAIN_BASE) as Record<string, unknown>);
  // The spec refuses a base value an axis replaces: take those out of the shared base.
  for (const axis of Object.values(axes)) {
    const path = axis.path!.split(".");
    let node = base;
    for (const key of path.slice(0, -1)) node = (node[key] ?? {}) as Record<string, unknown>;
    delete node[path.at(-1)!];
  }
  return validateSweepSpec(
    { name: "tiny-train", command: "train", seed: { path: "train.seed", first: 1 }, metrics: ["testAccuracy", "energyByLayer.0"], ...overrides, axes, base },
    "test spec",
  );
}

/** Writes a spec file and returns its path. */
export function writeSpec(dir: string, spec: unknown, name = "spec.json"): string {
  const path = join(dir, name);
  writeFileSync(path, typeof spec === "string" ? spec : `${JSON.stringify(spec, null, 2)}\n`);
  return path;
}
