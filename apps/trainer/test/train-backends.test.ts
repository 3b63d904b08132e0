import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type BackendName, type TrainRun, TrainerConfig, train } from "../src/index.js";
import { finished, skipWebGpu } from "./helpers/trainer.js";

// Every backend runs the same training-step program with parameters resident; their losses over
// a few steps must match the reference interpreter's (float32 both, from the same initial state).

function config(backend: BackendName): TrainerConfig {
  return TrainerConfig.parse({
    task: { kind: "mnist", train: 64, test: 16 },
    model: { kind: "yang", dim: 8, layers: 2, tied: false, head: "flatten" },
    train: { epochs: 2, batchSize: 16, learningRate: 0.003, warmupSteps: 1, seed: 5 },
    energyInputs: 2,
    onnx: false,
    backend,
    out: mkdtempSync(join(tmpdir(), `unfold-${backend}-`)),
  });
}

const quiet = { write: () => true, isTTY: false };
const skipGpu = await skipWebGpu("trainer webgpu test");

/**
 * The same backend stopped after step 3 (as Ctrl-C stops it: checkpoint saved) and resumed from
 * that checkpoint: its losses and final parameters must equal the whole run's bit for bit.
 */
async function expectExactResume(backend: BackendName, whole: TrainRun | undefined, dtype: "float32" | "float64" = "float32"): Promise<void> {
  const uninterrupted = whole ?? finished(await train({ ...config(backend), dtype }, { progressStream: quiet }));
  const c = { ...config(backend), dtype };
  const first = await train(c, { progressStream: quiet, stopAtStep: 3 });
  expect(first.interrupted).toBe(true);
  expect(first.step).toBe(3);
  const rest = finished(await train(c, { resume: true, progressStream: quiet }));
  expect([...first.losses, ...rest.losses]).toEqual(uninterrupted.losses);
  for (const [name, t] of Object.entries(uninterrupted.params)) expect(Array.from(rest.params[name]!.data), name).toEqual(Array.from(t.data));
}

describe("training on every backend", async () => {
  const reference = finished(await train(config("reference"), { progressStream: quiet }));
  // A software adapter (lavapipe) compiles every kernel of the training program through LLVM:
  // minutes, not seconds, the first time; later backends in the process find them compiled.
  const cases: { backend: BackendName; tolerance: number; skip?: boolean; timeout?: number }[] = [
    { backend: "cpu", tolerance: 1e-4 },
    { backend: "onnx", tolerance: 1e-4 },
    { backend: "tfjs", tolerance: 1e-4 },
    // In CI a missing adapter fails this test rather than skipping it.
    { backend: "webgpu", tolerance: 1e-4, skip: skipGpu, timeout: 600_000 },
  ];
  it("reference: a float32 run stopped at step 3 and resumed repeats the whole run bit for bit", () => expectExactResume("reference", reference));
  it("reference: a float64 run stopped at step 3 and resumed repeats the whole run bit for bit", () => expectExactResume("reference", undefined, "float64"));
  for (const { backend, tolerance, skip, timeout } of cases) {
    let whole: TrainRun | undefined;
    it.skipIf(skip)(`${backend}: the losses of 8 training steps match the reference interpreter's`, async () => {
      const run = finished(await train(config(backend), { progressStream: quiet }));
      whole = run;
      expect(run.losses).toHaveLength(reference.losses.length);
      run.losses.forEach((l, i) => {
        const want = reference.losses[i]!.loss;
        expect(Math.abs(l.loss - want) / Math.abs(want)).toBeLessThan(tolerance * (i + 1));
      });
      expect(Math.abs(run.test.accuracy - reference.test.accuracy)).toBeLessThanOrEqual(1 / 16);
      expect(run.energyAfter!.increases).toBe(0);
    }, timeout);
    it.skipIf(skip)(`${backend}: a run stopped at step 3 and resumed repeats the whole run bit for bit`, () => expectExactResume(backend, whole), timeout);
  }
  it("cpu: --threads 1 and 2 (TrainOptions.threads) train exactly as the default thread count does", async () => {
    const runs = [];
    for (const threads of [1, 2]) runs.push(finished(await train(config("cpu"), { progressStream: quiet, threads })));
    const byDefault = finished(await train(config("cpu"), { progressStream: quiet }));
    for (const run of runs) expect(run.losses).toEqual(byDefault.losses);
  });
});
