// Training in the page, in headless Chromium: the trainer's quick config on the CPU backend runs
// 50 steps and its loss falls; pause and resume continue the same run; the ONNX model the page
// downloads (with its checksum and the predict sample) names the Unfold version the trainer's
// exports name, runs under `pnpm train predict` in Node and predicts the page's own digits as the
// page does.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspectOnnx } from "@unfold/backend-onnx";
import { unfoldVersion } from "@unfold/backend-onnx/node";
import { runCommand } from "@unfold/testing";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainingApi } from "../src/train/report.js";
import { DIGITS_FILE } from "../src/train/digits-file.js";
import { chromiumAvailable } from "./chromium.js";
import { SHOTS, STUDIO_ROOT, type StudioApp, openStudioPage, startStudioApp } from "./studio-app.js";

const TRAIN_BIN = fileURLToPath(new URL("../../trainer/src/bin/train.ts", import.meta.url));
/** A generous cap for a wait on the page: a busy 2-core machine, not a speed requirement. */
const WAIT = { timeout: 180_000 };

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

describe.runIf(chromiumAvailable())("training in the page, in headless Chromium", () => {
  let outDir: string;
  let downloads: string;
  let app: StudioApp | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  const training = (): Promise<TrainingApi> => page.evaluate(() => JSON.parse(JSON.stringify(window.__studioTraining)) as TrainingApi);

  beforeAll(async () => {
    downloads = await mkdtemp(join(tmpdir(), "unfold-studio-downloads-"));
    app = await startStudioApp();
    ({ outDir } = app);
    page = await openStudioPage(app, { viewport: { width: 1400, height: 900 }, acceptDownloads: true, ready: "window.__studioTraining?.ready === true", errors: pageErrors, timeout: WAIT.timeout });
  });

  afterAll(async () => {
    await app?.close();
    if (downloads) await rm(downloads, { recursive: true, force: true });
  });

  it("ships the digits as one static file of the build", async () => {
    const bytes = await readFile(join(outDir, DIGITS_FILE));
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("UDIG");
    console.info(`studio: ${DIGITS_FILE} in the build: ${bytes.length} bytes`);
  });

  it("refuses to train on the reference interpreter, saying which backend to pick", async () => {
    await page.selectOption("#backend", "reference");
    await page.click("#train-start");
    await page.waitForFunction(() => window.__studioTraining?.state === "error", undefined, WAIT);
    expect(await page.textContent("#train-status")).toMatch(/^error: backend 'reference': the float64 reference interpreter is too slow .*pick the CPU, WebGPU, ONNX or TensorFlow\.js backend/);
  });

  it("trains 50 steps on the CPU backend with the loss falling; pause and resume continue the same run", async () => {
    await page.selectOption("#backend", "cpu");
    await page.click("#train-start");
    await page.waitForFunction(() => (window.__studioTraining?.points.length ?? 0) >= 20, undefined, WAIT);
    await page.click("#train-pause");
    await page.waitForFunction(() => window.__studioTraining?.state === "paused", undefined, WAIT);
    const paused = await training();
    expect(paused.backend).toBe("cpu");
    expect(paused.engine).toMatch(/^WebAssembly/);
    const pausedAt = paused.points.length;
    expect(paused.runs).toBe(1);
    expect(pausedAt).toBeGreaterThanOrEqual(20);
    expect(pausedAt).toBeLessThan(paused.totalSteps);
    // Paused means stopped: the step count holds while the page sits paused.
    await page.waitForTimeout(500);
    expect((await training()).points.length).toBe(pausedAt);
    expect(await page.isDisabled("#train-resume")).toBe(false);

    await page.click("#train-resume");
    await page.waitForFunction((n) => (window.__studioTraining?.points.length ?? 0) >= n, Math.max(50, pausedAt + 10), WAIT);
    await page.click("#train-pause");
    await page.waitForFunction(() => window.__studioTraining?.state === "paused", undefined, WAIT);
    const run = await training();
    // One run: no new run at the resume (a restart with the same seed would repeat the same
    // losses, so the count of runs tells them apart), steps 1, 2, 3, ... and the steps before the
    // pause kept as they were.
    expect(run.runs).toBe(1);
    expect(run.points.slice(0, pausedAt)).toEqual(paused.points);
    expect(run.points.map((p) => p.step)).toEqual(Array.from({ length: run.points.length }, (_, i) => i + 1));
    const losses = run.points.slice(0, 50).map((p) => p.loss);
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(40, 50));
    console.info(`studio: in-page training on ${run.engine}: loss ${first.toFixed(3)} (steps 1-10) -> ${last.toFixed(3)} (steps 41-50); ${run.stepsPerSecond!.toFixed(1)} steps/s over ${run.points.length} steps; test accuracy ${run.testBefore!.accuracy} -> ${run.testAfter!.accuracy}`);
    expect(last).toBeLessThan(first);
    expect(run.testAfter!.accuracy).toBeGreaterThan(run.testBefore!.accuracy);
    expect(run.energyBefore).toHaveLength(5);
    await page.locator("#training-view").screenshot({ path: join(SHOTS, "training-paused.png") });
    expect(pageErrors).toEqual([]);
  });

  /** Clicks a download button and saves the file under its suggested name. */
  async function download(button: string): Promise<string> {
    const [file] = await Promise.all([page.waitForEvent("download", WAIT), page.click(button)]);
    const path = join(downloads, file.suggestedFilename());
    await file.saveAs(path);
    return path;
  }

  it("downloads an ONNX model that `pnpm train predict` checks and runs, predicting the page's digits as the page does", async () => {
    const onnx = await download("#train-download-onnx");
    const checksum = await download("#train-download-checksum");
    const sample = await download("#train-download-sample");
    const checkpoint = await download("#train-download-checkpoint");
    expect([onnx, checksum, sample, checkpoint].map((p) => p.slice(downloads.length + 1))).toEqual(["model.onnx", "model.onnx.sha256", "predict-sample.jsonl", "model.safetensors"]);
    // The page's model names the Unfold version the trainer's exports name (the trainer calls
    // unfoldVersion()), in the metadata and as the producer's version.
    const inspected = inspectOnnx(new Uint8Array(await readFile(onnx)));
    expect(inspected.metadata["unfold.version"]).toBe(unfoldVersion());
    expect(inspected.producer.endsWith(` ${unfoldVersion()}`)).toBe(true);
    expect(inspected.metadata["unfold.steps"]).toBe("4");
    const result = await runCommand(TRAIN_BIN, ["predict", "--onnx", onnx, "--input", sample, "--json"], { cwd: STUDIO_ROOT, timeoutMs: 120_000 });
    expect(result.timedOut).toBe(false);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout.trimEnd().split("\n").at(-1)!) as { count: number; accuracy: number; predictions: number[] };
    const page_ = (await training()).testAfter!;
    const agree = summary.predictions.filter((p, i) => p === page_.predictions[i]).length;
    console.info(`studio: predict on the page's model: ${summary.count} digits, accuracy ${summary.accuracy}; ${agree} of ${summary.count} predictions equal to the page's`);
    expect(summary.count).toBe(100);
    // float32 on WebAssembly in the page and onnxruntime in Node round differently: a near tie
    // may flip, nothing more.
    expect(agree).toBeGreaterThanOrEqual(98);
    const pageAccuracy = page_.predictions.slice(0, 100).filter((p, i) => p === summary.predictions[i]).length;
    expect(pageAccuracy).toBe(agree);
  });

  it("finishes the run on resume: test accuracy up, the energy by layer profiled before and after", async () => {
    await page.click("#train-resume");
    await page.waitForFunction(() => window.__studioTraining?.state === "done", undefined, WAIT);
    const run = await training();
    expect(run.points).toHaveLength(run.totalSteps);
    expect(run.energyBefore).toHaveLength(5);
    expect(run.energyAfter).toHaveLength(5);
    // The trained model descends its energy: the mean energy falls layer by layer.
    for (let t = 1; t < 5; t++) expect(run.energyAfter![t]).toBeLessThan(run.energyAfter![t - 1]!);
    expect(await page.locator("#train-energy-before svg").count()).toBeGreaterThan(0);
    expect(await page.locator("#train-energy-after svg").count()).toBeGreaterThan(0);
    console.info(`studio: the page's run of ${run.totalSteps} steps: test accuracy ${run.testBefore!.accuracy} -> ${run.testAfter!.accuracy}, ${run.stepsPerSecond!.toFixed(1)} steps/s, energy by layer ${run.energyAfter!.map((e) => e.toFixed(2)).join(" ")}, ${run.energyIncreases} increases`);
    await page.locator("#training-view").screenshot({ path: join(SHOTS, "training-done.png") });
    expect(pageErrors).toEqual([]);
  });
});
