// The MNIST scene and the damping and tied-weights controls in a real browser: the page's trace
// for a test digit's patches equals Node's run of the same digit (from @unfold/datasets), and
// moving the damping slider or the tied toggle from the keyboard changes the trace exactly as
// Node's unfolding with those settings does. Screenshots of the MNIST scene are kept.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DescentSettings } from "../src/descent-settings.js";
import { EDITOR_SCENE, editorScene } from "../src/editor-scene.js";
import { DEFAULT_ENERGY_SOURCE, DEFAULT_EXAMPLE_SHAPE, type Share, compileEnergySource, encodeShare } from "../src/editor/index.js";
import type { LayerEnergy } from "../src/descent.js";
import type { RunReport } from "../src/report.js";
import { chromiumAvailable } from "./chromium.js";
import { pageMnistScene, pageTestDigit } from "./page-digits.js";
import { nodeReferenceTrace, worstRelativeDifference } from "./reference.js";
import { SHOTS, type StudioApp, openStudioPage, startStudioApp } from "./studio-app.js";

/** The bound for the page's trace against Node's. */
const TOLERANCE = 1e-5;

/** The settings a run report says the page ran with. */
function settingsOf(report: RunReport): DescentSettings {
  return {
    layers: report.layerCount,
    tied: report.tied,
    ...(report.stepSize !== undefined ? { stepSize: report.stepSize } : {}),
    ...(report.damping !== undefined ? { damping: report.damping } : {}),
  };
}

describe.runIf(chromiumAvailable())("MNIST tokens, damping and tied weights in headless Chromium", () => {
  let app: StudioApp | undefined;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    app = await startStudioApp();
    browser = app.browser;
    page = await openStudioPage(app, { viewport: { width: 1400, height: 1000 }, ready: "window.__studio?.ready === true", errors: pageErrors });
    await settled();
  });

  afterAll(async () => {
    await app?.close();
  });

  /** The report of the run the last control change started, once no newer one replaced it (its error rethrown). */
  async function settled(): Promise<RunReport> {
    return page.evaluate(async () => {
      const api = window.__studio!;
      for (;;) {
        const current = api.current;
        const report = await current!;
        if (api.current === current) return report;
      }
    });
  }

  /** Node's trace of the page's digit under the report's settings, and how far the page's is from it. */
  async function againstNode(report: RunReport): Promise<{ want: LayerEnergy[]; difference: number }> {
    const want = await nodeReferenceTrace(pageMnistScene(report.digit!.index), settingsOf(report));
    return { want, difference: worstRelativeDifference(report.layers, want) };
  }

  it("descends a test digit's 64 patches exactly as Node does, and another digit picked by number", async () => {
    await page.selectOption("#backend", "reference");
    await page.selectOption("#energy", "mnist");
    const first = await settled();
    expect(first.energy).toBe("mnist");
    expect(first.digit).toEqual({ index: 0, label: pageTestDigit(0).label });
    expect(first.tied).toBe(true);
    expect(first.damping).toBe(0.5);
    const { want, difference } = await againstNode(first);
    expect(want.length).toBe(first.layerCount + 1);
    expect(difference).toBeLessThanOrEqual(TOLERANCE);
    expect(await page.locator("#digit-control").isVisible()).toBe(true);
    expect(await page.locator("#digit-label").textContent()).toBe(`a ${pageTestDigit(0).label}`);
    // The patches put back together, at the input and after the last layer.
    expect(await page.locator("#digit-chart > figure").count()).toBe(2);
    expect(await page.locator("#digit-chart").textContent()).toContain(`the patches after layer ${first.layerCount}`);
    await page.screenshot({ path: join(SHOTS, "tokens-mnist-digit-0.png"), fullPage: true });
    await page.locator("#projection-view").screenshot({ path: join(SHOTS, "tokens-mnist-projection.png") });

    await page.fill("#digit", "7");
    await page.press("#digit", "Tab");
    const seventh = await settled();
    expect(seventh.digit).toEqual({ index: 7, label: pageTestDigit(7).label });
    expect((await againstNode(seventh)).difference).toBeLessThanOrEqual(TOLERANCE);
    expect(worstRelativeDifference(seventh.layers, first.layers)).toBeGreaterThan(1e-3);
    expect(await page.locator("#digit-label").textContent()).toBe(`a ${pageTestDigit(7).label}`);
    await page.screenshot({ path: join(SHOTS, "tokens-mnist-digit-7.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("refuses a digit number that is not a test digit, naming it, and runs the next good one", async () => {
    await page.fill("#digit", "600");
    await page.press("#digit", "Tab");
    const error = await page.evaluate(async () => window.__studio!.current!.then(() => "no error", (e: unknown) => (e instanceof Error ? e.message : String(e))));
    expect(error).toBe("MNIST test digit: '600' is not one of the 500 test digits (a whole number from 0 to 499)");
    await expect.poll(() => page.locator("#status").textContent()).toBe(`error: ${error}`);
    await page.fill("#digit", "7");
    await page.press("#digit", "Tab");
    expect((await settled()).digit!.index).toBe(7);
    expect(pageErrors).toEqual([]);
  });

  it("moves the attention step's damping and unties the weights from the keyboard, each trace Node's with those settings", async () => {
    const before = await settled();
    expect(before.digit!.index).toBe(7);
    // End: the slider's top, 1.99, just inside (0, 2).
    await page.focus("#damping");
    await page.keyboard.press("End");
    const damped = await settled();
    expect(damped.damping).toBe(1.99);
    expect(damped.tied).toBe(true);
    expect((await againstNode(damped)).difference).toBeLessThanOrEqual(TOLERANCE);
    expect(worstRelativeDifference(damped.layers, before.layers)).toBeGreaterThan(1e-3);
    expect(await page.locator("#damping-value").textContent()).toBe("1.99");

    // Space on the focused checkbox: untied, one seeded set per layer.
    await page.focus("#tied");
    await page.keyboard.press("Space");
    const untied = await settled();
    expect(untied.tied).toBe(false);
    expect(untied.damping).toBe(1.99);
    expect((await againstNode(untied)).difference).toBeLessThanOrEqual(TOLERANCE);
    expect(worstRelativeDifference(untied.layers, damped.layers)).toBeGreaterThan(1e-3);
    await page.screenshot({ path: join(SHOTS, "tokens-mnist-damped-untied.png"), fullPage: true });

    // The CPU backend (float32) gives the same run to float32's rounding.
    await page.selectOption("#backend", "cpu");
    const onCpu = await settled();
    expect(onCpu.tied).toBe(false);
    expect(worstRelativeDifference(onCpu.layers, (await againstNode(onCpu)).want)).toBeLessThanOrEqual(1e-4);
    await page.selectOption("#backend", "reference");
    await settled();
    expect(pageErrors).toEqual([]);
  });

  it("disables damping and untying, saying why, for a scene without the attention step or with one parameter set", async () => {
    const hopfield = await (async () => {
      await page.selectOption("#energy", "hopfield");
      return settled();
    })();
    expect(hopfield.damping).toBeUndefined();
    expect(hopfield.tied).toBe(true);
    expect(await page.locator("#damping").isDisabled()).toBe(true);
    expect(await page.locator("#damping-note").textContent()).toBe("'hopfield' has no attention majorize-minimize step to damp.");
    expect(await page.locator("#tied").isDisabled()).toBe(true);
    expect(await page.locator("#tied-note").textContent()).toMatch(/^Tied only: this example has one parameter set/);
    expect(await page.locator("#digit-control").isHidden()).toBe(true);
    expect(await page.locator("#digit-chart > figure").count()).toBe(0);
    // The zoo's Yang example is untied (three sets) and can be tied from the toggle.
    await page.selectOption("#energy", "yang");
    const yang = await settled();
    expect(yang.tied).toBe(false);
    await page.focus("#tied");
    await page.keyboard.press("Space");
    const tied = await settled();
    expect(tied.tied).toBe(true);
    expect(worstRelativeDifference(tied.layers, await nodeReferenceTrace("yang", settingsOf(tied)))).toBeLessThanOrEqual(TOLERANCE);
    expect(worstRelativeDifference(tied.layers, yang.layers)).toBeGreaterThan(1e-6);
    expect(pageErrors).toEqual([]);
  });

  /** Opens the page at a link carrying the default energy with `settings`; presses the prompt's button where the link reads. */
  async function openLink(settings: Share["settings"]): Promise<{ reader: Page; outcome: RunReport | string }> {
    const fragment = await encodeShare({ source: DEFAULT_ENERGY_SOURCE, settings });
    const reader = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    reader.on("pageerror", (e) => pageErrors.push(e.message));
    await reader.goto(`${app!.url}#${fragment}`);
    await reader.waitForFunction(() => window.__studio?.ready === true, undefined, { timeout: 60_000 });
    await reader.evaluate(() => window.__studio!.current);
    if (await reader.locator("#shared-prompt").isHidden()) return { reader, outcome: (await reader.locator("#editor-status").textContent()) ?? "" };
    await reader.click("#shared-run");
    const outcome = await reader.evaluate(async () => {
      const api = window.__studio!;
      for (;;) {
        const current = api.current!;
        const result = await current.then((r): RunReport | string => r, (e: unknown) => `error: ${e instanceof Error ? e.message : String(e)}`);
        if (api.current === current) return result;
      }
    });
    return { reader, outcome };
  }

  it("opens a link's step size, layers and tied setting on the editor's energy, and says why it will not run a setting the energy cannot take", async () => {
    const { reader, outcome } = await openLink({ layers: 5, stepSize: 0.25, tied: true });
    if (typeof outcome === "string") throw new Error(`the link did not run: ${outcome}`);
    expect(outcome).toMatchObject({ energy: EDITOR_SCENE, layerCount: 5, stepSize: 0.25, tied: true, damping: undefined });
    const compiled = compileEnergySource(DEFAULT_ENERGY_SOURCE, { exampleShape: DEFAULT_EXAMPLE_SHAPE });
    if (!compiled.ok) throw new Error(`the default source does not compile in Node: ${compiled.diagnostics[0]!.message}`);
    const want = await nodeReferenceTrace(editorScene(compiled.energy, DEFAULT_EXAMPLE_SHAPE), settingsOf(outcome));
    expect(worstRelativeDifference(outcome.layers, want)).toBeLessThanOrEqual(TOLERANCE);
    expect(Number(await reader.inputValue("#step-size"))).toBe(0.25);
    await reader.close();

    const refusals: [Share["settings"], string][] = [
      [{ layers: 3, damping: 1.2 }, "error: damping 1.2: 'editor' has no attention majorize-minimize step to damp."],
      [{ layers: 3, tied: false }, "error: tied false (untied weights): Tied only: this example has one parameter set and draws no more, so it cannot give each layer its own."],
      [{ layers: 30 }, "error: layers 30: the page runs at most 24 layers"],
      [{ layers: 3, tied: "no" }, 'The link\'s energy could not be read: share link: setting tied must be true or false, got "no"'],
    ];
    for (const [settings, message] of refusals) {
      const refused = await openLink(settings);
      expect(refused.outcome).toBe(message);
      if (message.startsWith("error: ")) expect(await refused.reader.locator("#editor-status").textContent()).toBe(message);
      await refused.reader.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
