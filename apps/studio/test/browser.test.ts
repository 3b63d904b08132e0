// The studio in a real browser: the app (built here with Vite) served on localhost and driven in
// headless Chromium by playwright-core through its own controls. Each zoo energy's energy trace is
// checked against the same unfolding run in Node, on each backend; the step-size slider pushed
// past the curvature bound must show guard events; screenshots of each view are kept.
import { join } from "node:path";
import { ReferenceBackend, relativeError, runUnfolding, toFloat64 } from "@unfold/core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunReport } from "../src/report.js";
import { yangAttentionWeights } from "../src/attention.js";
import { unfoldingFor } from "../src/descent.js";
import { SCENES, sceneNamed } from "../src/scenes.js";
import { EDITOR_LAYERS, editorScene } from "../src/editor-scene.js";
import { DEFAULT_ENERGY_SOURCE, DEFAULT_EXAMPLE_SHAPE, compileEnergySource } from "../src/editor/index.js";
import { chromiumAvailable } from "./chromium.js";
import { SHOTS, type StudioApp, openStudioPage, startStudioApp } from "./studio-app.js";
import { nodeReferenceTrace, worstRelativeDifference } from "./reference.js";

/** float32 rounding over a few layers, as the energy suite allows it. */
const FLOAT32_TOLERANCE = 1e-4;
/** The backends that compute in float32, each checked against the float64 reference. */
const FLOAT32_BACKENDS = ["cpu", "webgpu", "onnx", "tfjs"] as const;
/** What each says it runs on (the page's WebGPU exists here, so ONNX takes its WebGPU provider). */
const ENGINES: Readonly<Record<(typeof FLOAT32_BACKENDS)[number], RegExp>> = {
  // Threaded where the page is cross-origin isolated (the test server sends the headers).
  cpu: /^WebAssembly (SIMD|scalar), (1 thread|\d+ threads)$/,
  webgpu: /^WebGPU/,
  onnx: /^onnxruntime-web 1\.\d+\.\d+, webgpu provider$/,
  tfjs: /^TensorFlow\.js wasm engine$/,
};

describe.runIf(chromiumAvailable())("Unfold Studio in headless Chromium", () => {
  let app: StudioApp | undefined;
  let browser: Browser;
  let page: Page;
  let url: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    app = await startStudioApp();
    ({ url, browser } = app);
    page = await openStudioPage(app, { viewport: { width: 1400, height: 900 }, ready: "window.__studio?.ready === true", errors: pageErrors });
    await settled(page);
  });

  afterAll(async () => {
    await app?.close();
  });

  /** Waits for the run the last control change started and returns its report (its error rethrown). */
  async function settled(p: Page): Promise<RunReport> {
    return p.evaluate(async () => {
      const api = window.__studio!;
      // A control change replaces `current`; wait until it stops changing.
      for (;;) {
        const current = api.current;
        const report = await current!;
        if (api.current === current) return report;
      }
    });
  }

  async function choose(select: "#energy" | "#backend", value: string): Promise<RunReport> {
    await page.selectOption(select, value);
    return settled(page);
  }

  it("shows each energy's trace (the zoo's and the point clouds) equal to Node's run of it, on the reference, CPU, WebGPU, ONNX and TensorFlow.js backends", async () => {
    const checked: string[] = [];
    for (const scene of SCENES) {
      await choose("#backend", "reference");
      const onReference = await choose("#energy", scene.name);
      expect(onReference.energy).toBe(scene.name);
      const want = await nodeReferenceTrace(scene.name, { layers: onReference.layerCount, ...(onReference.stepSize !== undefined ? { stepSize: onReference.stepSize } : {}) });
      expect(want.length).toBeGreaterThan(1);
      expect(worstRelativeDifference(onReference.layers, want)).toBeLessThanOrEqual(1e-5);
      expect(onReference.maxRelativeDifference).toBe(0);
      await page.screenshot({ path: join(SHOTS, `descent-${scene.name}-reference.png`), fullPage: true });
      for (const backend of FLOAT32_BACKENDS) {
        const report = await choose("#backend", backend);
        expect(report.backend).toBe(backend);
        expect(report.engine).toMatch(ENGINES[backend]);
        expect(report.energy).toBe(scene.name);
        const energies = report.layers.map((l) => l.energy);
        expect(energies.length).toBe(want.length);
        // The page's own figure (what it shows) and the test's, against Node's float64 run.
        expect(relativeError(energies, want.map((l) => l.energy))).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
        expect(report.maxRelativeDifference).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
        // Not zero: the numbers came from a float32 run, not from the float64 one again.
        expect(report.maxRelativeDifference).toBeGreaterThan(0);
        expect(await page.locator("#status").textContent()).toContain("max relative difference to the float64 reference");
        if (scene === SCENES[0]) await page.screenshot({ path: join(SHOTS, `descent-${scene.name}-${backend}.png`), fullPage: true });
        checked.push(`${scene.name}/${backend} (${report.engine}) ${report.ms.toFixed(0)} ms, rel diff ${report.maxRelativeDifference.toExponential(1)}`);
      }
    }
    console.log(`studio: ${checked.join("; ")}`);
    expect(checked.length).toBe(FLOAT32_BACKENDS.length * SCENES.length);
    expect(pageErrors).toEqual([]);
  });

  it("shows the Yang attention weights gamma after the last layer as Node computes them, and a note for energies without them", async () => {
    await choose("#backend", "reference");
    const report = await choose("#energy", "points-2d");
    const instance = sceneNamed("points-2d").build("float64");
    const { unfolding, params } = unfoldingFor(instance, { layers: report.layerCount, stepSize: report.stepSize! });
    const { state } = await runUnfolding(unfolding, new ReferenceBackend(), { state: instance.state, params });
    const want = yangAttentionWeights(toFloat64(state), state.shape, instance.params[0]!["Wa"]!);
    expect(report.attention!.tokens).toBe(want.tokens);
    expect(relativeError(report.attention!.last, want.weights)).toBeLessThanOrEqual(1e-9);
    // One figure per matrix (input, last layer), however heatmap.ts draws it.
    expect(await page.locator("#attention-chart > figure").count()).toBe(2);
    await page.screenshot({ path: join(SHOTS, "attention-points-2d.png"), fullPage: true });
    const without = await choose("#energy", "hopfield");
    expect(without.attention).toBeUndefined();
    expect(await page.locator("#attention-chart").textContent()).toContain("'hopfield' has no Yang attention term");
    expect(pageErrors).toEqual([]);
  });

  it("marks guard events and a rising energy once the step-size slider is pushed past the curvature bound", async () => {
    await choose("#backend", "reference");
    const safe = await choose("#energy", "lagrangian");
    expect(safe.bound).toBeDefined();
    expect(safe.stepSize!).toBeLessThan(safe.bound!.bound);
    expect(safe.guardEvents).toEqual([]);
    await page.screenshot({ path: join(SHOTS, "step-size-below-bound.png"), fullPage: true });
    // Keyboard, as a user without a mouse would: End puts the slider at its top, past the bound.
    await page.focus("#step-size");
    await page.keyboard.press("End");
    const past = await settled(page);
    expect(past.stepSize!).toBeGreaterThan(past.bound!.bound);
    expect(past.guardEvents.length).toBeGreaterThan(0);
    const energies = past.layers.map((l) => l.energy);
    expect(energies.some((e, i) => i > 0 && e > energies[i - 1]!)).toBe(true);
    expect(await page.locator("#guard-text").textContent()).toMatch(/raised their terms/);
    await expect.poll(() => page.locator("#step-size-value").getAttribute("class")).toContain("past-bound");
    await page.screenshot({ path: join(SHOTS, "step-size-past-bound.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("descends the energy written in the editor as Node does, marks a mistake at its line, and shares it as a link that asks before it runs", async () => {
    await choose("#backend", "reference");
    // The default source, run from the page's button: the same scene Node builds from the same text.
    await page.click("#editor-run");
    const run = await settled(page);
    expect(run.energy).toBe("editor");
    const compiled = compileEnergySource(DEFAULT_ENERGY_SOURCE, { exampleShape: DEFAULT_EXAMPLE_SHAPE });
    if (!compiled.ok) throw new Error(`the default source does not compile in Node: ${compiled.diagnostics[0]!.message}`);
    const instance = editorScene(compiled.energy, DEFAULT_EXAMPLE_SHAPE).build("float64");
    const { unfolding, params } = unfoldingFor(instance, { layers: run.layerCount, ...(run.stepSize !== undefined ? { stepSize: run.stepSize } : {}) });
    const { trace } = await runUnfolding(unfolding, new ReferenceBackend(), { state: instance.state, params });
    const want = trace.layers.map((l) => ({ layer: l.layer, energy: l.energy, terms: l.terms }));
    expect(want.length).toBe(EDITOR_LAYERS + 1);
    expect(worstRelativeDifference(run.layers, want)).toBeLessThanOrEqual(1e-5);
    await page.screenshot({ path: join(SHOTS, "editor-energy-descent.png"), fullPage: true });

    // A mistake typed over the source: marked at its line (23, the norm term) before any run, and
    // running it says so instead of descending.
    const mistaken = DEFAULT_ENERGY_SOURCE.replace("ops.mul(q, q)", "ops.mul(q, p.X)");
    await page.locator(".cm-content").focus();
    await page.keyboard.press("Control+a");
    await page.keyboard.insertText(mistaken);
    await page.locator(".cm-energy-error").first().waitFor({ timeout: 30_000 });
    expect(await page.locator(".cm-energy-diagnostics").textContent()).toMatch(/^line 23, column \d+ \(unfold\): mul: cannot broadcast/);
    await page.click("#editor-run");
    await expect.poll(() => page.locator("#editor-status").textContent()).toMatch(/1 mistake\(s\), marked at their lines; the first, line 23/);
    await page.screenshot({ path: join(SHOTS, "studio-editor-mistake.png"), fullPage: true });

    // Back to the default, shared as a link: a fresh page shows the code and runs nothing of it
    // until the prompt's button is pressed.
    await page.locator(".cm-content").focus();
    await page.keyboard.press("Control+a");
    await page.keyboard.insertText(DEFAULT_ENERGY_SOURCE);
    await page.click("#editor-run");
    expect((await settled(page)).energy).toBe("editor");
    await page.click("#editor-share");
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#v1\./);
    const link = await page.evaluate(() => location.href);
    const reader = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    reader.on("pageerror", (e) => errors.push(e.message));
    await reader.goto(link);
    await reader.waitForFunction(() => window.__studio?.ready === true, undefined, { timeout: 60_000 });
    const first = await settled(reader);
    expect(first.energy).not.toBe("editor");
    expect(await reader.locator("#shared-prompt").isVisible()).toBe(true);
    expect(await reader.locator("#shared-question").textContent()).toMatch(/run it\?/);
    expect(await reader.locator(".cm-content").textContent()).toContain("modern Hopfield energy");
    await reader.screenshot({ path: join(SHOTS, "shared-link-prompt.png"), fullPage: true });
    await reader.click("#shared-run");
    const shared = await settled(reader);
    expect(shared.energy).toBe("editor");
    expect(worstRelativeDifference(shared.layers, want.slice(0, shared.layers.length))).toBeLessThanOrEqual(1e-5);
    await reader.close();
    expect(errors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("steps 64 tokens in 16-D one layer per animation frame on the CPU backend and on WebGPU (figures printed, not asserted)", async () => {
    const figures: string[] = [];
    for (const backend of ["cpu", "webgpu"] as const) {
      const result = await page.evaluate(async (name) => window.__studioBench!(name, 120), backend);
      expect(result.backend).toBe(backend);
      expect(result.frames).toBe(120);
      // Figures, not requirements: only that they are numbers (a coarse clock may read 0 ms).
      expect(Number.isFinite(result.framesPerSecond) && result.framesPerSecond > 0).toBe(true);
      expect(Number.isFinite(result.msPerLayer) && result.msPerLayer >= 0).toBe(true);
      // Counted, not timed: one run of the unfolding maps once for the input's energy and once per
      // layer (both steps' energies and the tokens after it come back together).
      if (backend === "webgpu") expect(Math.round(result.deviceCalls!.readbacksPerLayer * 120)).toBe(121);
      const calls = result.deviceCalls ? `, ${result.deviceCalls.submitsPerLayer.toFixed(2)} submits and ${result.deviceCalls.readbacksPerLayer.toFixed(2)} readbacks per layer` : "";
      figures.push(`${backend} (${result.engine}): ${result.framesPerSecond.toFixed(1)} frames/s, ${result.msPerLayer.toFixed(2)} ms per layer computed, first (compiling) layer ${result.firstLayerMs.toFixed(0)} ms${calls}`);
    }
    console.log(`studio live descent, 64 tokens, d 16, one layer per frame: ${figures.join("; ")}`);
    await expect(page.evaluate(() => window.__studioBench!("cpu", 0))).rejects.toThrow("frames must be a positive integer, got 0");
    expect(pageErrors).toEqual([]);
  });

  it("lays out in one column on a phone and still runs where navigator.gpu is missing", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    phone.on("pageerror", (e) => errors.push(e.message));
    // A browser without WebGPU: the page must offer the other backends and run on them.
    await phone.addInitScript(() => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    await phone.goto(url);
    await phone.waitForFunction(() => window.__studio?.ready === true, undefined, { timeout: 60_000 });
    const first = await settled(phone);
    expect(first.backend).toBe("reference");
    expect(await phone.locator("#backend option[value=webgpu]").isDisabled()).toBe(true);
    await phone.selectOption("#backend", "cpu");
    const onCpu = await settled(phone);
    expect(onCpu.backend).toBe("cpu");
    expect(onCpu.maxRelativeDifference).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    // ONNX without navigator.gpu: onnxruntime-web's wasm provider instead of its WebGPU one.
    await phone.selectOption("#backend", "onnx");
    const onOnnx = await settled(phone);
    expect(onOnnx.engine).toMatch(/^onnxruntime-web 1\.\d+\.\d+, wasm provider$/);
    expect(onOnnx.maxRelativeDifference).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
    expect(onOnnx.maxRelativeDifference).toBeGreaterThan(0);
    // One column: the controls sit above the charts, not beside them.
    const controls = await phone.locator(".controls").boundingBox();
    const chart = await phone.locator("#energy-view").boundingBox();
    expect(chart!.y).toBeGreaterThanOrEqual(controls!.y + controls!.height);
    expect(chart!.width).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(SHOTS, "phone-no-webgpu.png"), fullPage: true });
    await phone.close();
    expect(errors).toEqual([]);
  });
});
