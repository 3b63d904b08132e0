// Training in the page on each backend the Backend menu offers, in headless Chromium. The CPU
// backend's first steps are the yardstick: WebGPU, ONNX and TensorFlow.js each start a run of the
// trainer's quick config from the same seed on the same batches, so their first loss equals the
// CPU backend's within float32 rounding (the same model, the same data); each then takes 50
// steps, counted 1, 2, 3, ..., with the loss falling. The steps per second each reaches are
// printed (a busy machine's figures: reported, never asserted).
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackendName } from "../src/backends.js";
import type { TrainingApi } from "../src/train/report.js";
import { chromiumAvailable } from "./chromium.js";
import { SHOTS, type StudioApp, openStudioPage, startStudioApp } from "./studio-app.js";

/** A generous cap for a wait on the page: a busy 2-core machine, not a speed requirement. */
const WAIT = { timeout: 180_000 };
/** Steps each backend trains: enough for the quick config's loss to fall clearly from its start. */
const STEPS = 50;
/**
 * How far a first loss (about 2.3) may stray from the CPU backend's: float32 programs that sum
 * in another order differ by a few units in the last place of their sums, about 1e-7 relative.
 */
const FIRST_LOSS_TOLERANCE = 1e-5;

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/** Steps per second after the first step (a backend's first run of a program sets it up: allocations, pipelines). */
function steadyRate(run: TrainingApi): number {
  const [first, last] = [run.points[0]!, run.points.at(-1)!];
  return (last.step - first.step) / (last.seconds - first.seconds);
}

/** What each backend trains on, in the status line's words. */
const ENGINES: Readonly<Record<"cpu" | "webgpu" | "onnx" | "tfjs", RegExp>> = {
  cpu: /^WebAssembly/,
  webgpu: /^WebGPU/,
  // Training on ONNX takes onnxruntime's wasm provider even where the page has WebGPU.
  onnx: /^onnxruntime-web .*, wasm provider/,
  tfjs: /^TensorFlow\.js wasm engine/,
};

describe.runIf(chromiumAvailable())("training in the page on every backend, in headless Chromium", () => {
  let app: StudioApp | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let cpu: TrainingApi | undefined;

  const training = (): Promise<TrainingApi> => page.evaluate(() => JSON.parse(JSON.stringify(window.__studioTraining)) as TrainingApi);

  /** Picks `backend`, starts a new run, lets it take at least `steps` steps and pauses it; returns what the page recorded. */
  async function trainOn(backend: BackendName, steps: number): Promise<TrainingApi> {
    await page.selectOption("#backend", backend);
    // Picking a backend also runs the descent view on it; onnxruntime-web runs one model at a
    // time in a page, so the run starts once that descent is over.
    await page.waitForFunction((b) => window.__studio?.last?.backend === b || window.__studio?.error !== undefined, backend, WAIT);
    await page.evaluate(() => window.__studio?.current?.then(() => undefined, () => undefined));
    await page.click("#train-start");
    await page.waitForFunction((n) => (window.__studioTraining?.points.length ?? 0) >= n || window.__studioTraining?.state === "error", steps, WAIT);
    const sofar = await training();
    if (sofar.state === "error") throw new Error(`training on ${backend} failed in the page: ${sofar.error}`);
    await page.click("#train-pause");
    await page.waitForFunction(() => window.__studioTraining?.state === "paused", undefined, WAIT);
    await page.locator("#training-view").screenshot({ path: join(SHOTS, `training-${backend}.png`) });
    return training();
  }

  beforeAll(async () => {
    app = await startStudioApp();
    page = await openStudioPage(app, { viewport: { width: 1400, height: 900 }, ready: "window.__studioTraining?.ready === true", errors: pageErrors, timeout: WAIT.timeout });
  });

  afterAll(async () => {
    await app?.close();
  });

  it("trains the quick config on the CPU backend: the first losses the other backends must match", async () => {
    cpu = await trainOn("cpu", STEPS);
    expect(cpu.backend).toBe("cpu");
    expect(cpu.engine).toMatch(ENGINES.cpu);
    expect(cpu.points.length).toBeGreaterThanOrEqual(STEPS);
    console.info(`studio: in-page training on ${cpu.engine}: ${cpu.stepsPerSecond!.toFixed(1)} steps/s over ${cpu.points.length} steps (${steadyRate(cpu).toFixed(1)} after the first); first loss ${cpu.points[0]!.loss}`);
  });

  for (const backend of ["webgpu", "onnx", "tfjs"] as const) {
    it(`trains ${STEPS} steps on ${backend}, starting from the CPU backend's first loss, the loss falling`, async () => {
      expect(cpu, "the CPU run above sets the first loss").toBeDefined();
      const runsBefore = (await training()).runs;
      const run = await trainOn(backend, STEPS);
      expect(run.error).toBeUndefined();
      expect(run.backend).toBe(backend);
      expect(run.engine).toMatch(ENGINES[backend]);
      // A new run (Train while paused starts one), the same plan as the CPU backend's.
      expect(run.runs).toBe(runsBefore + 1);
      expect(run.totalSteps).toBe(cpu!.totalSteps);
      expect(run.points.map((p) => p.step)).toEqual(Array.from({ length: run.points.length }, (_, i) => i + 1));
      expect(run.points.length).toBeGreaterThanOrEqual(STEPS);
      expect(run.points.length).toBeLessThan(run.totalSteps);
      // The same seed, initial parameters and first batch as the CPU run: the same loss.
      const first = run.points[0]!.loss;
      const cpuFirst = cpu!.points[0]!.loss;
      expect(Math.abs(first - cpuFirst) / cpuFirst).toBeLessThanOrEqual(FIRST_LOSS_TOLERANCE);
      const losses = run.points.slice(0, STEPS).map((p) => p.loss);
      const start = mean(losses.slice(0, 10));
      const end = mean(losses.slice(STEPS - 10, STEPS));
      const drift = Math.max(...losses.map((l, i) => Math.abs(l - cpu!.points[i]!.loss)));
      console.info(
        `studio: in-page training on ${run.engine}: ${run.stepsPerSecond!.toFixed(2)} steps/s over ${run.points.length} steps (${steadyRate(run).toFixed(2)} after the first); ` +
          `first loss ${first} (CPU ${cpuFirst}); loss ${start.toFixed(3)} (steps 1-10) -> ${end.toFixed(3)} (steps ${STEPS - 9}-${STEPS}); ` +
          `largest difference to the CPU run's loss over ${STEPS} steps ${drift.toExponential(2)}`,
      );
      expect(end).toBeLessThan(start);
      expect(run.energyBefore).toHaveLength(5);
      expect(pageErrors).toEqual([]);
    });
  }
});
