// The curvature view in a real browser: the app built with Vite, served on localhost and driven in
// headless Chromium. The page's Hessian blocks and growth curves must be Node's (float64, the same
// closed form on the same tokens) to 1e-9; the data-scale slider, moved from the keyboard, must
// move the marked point to Node's norms at the new scale. Screenshots of the view are kept.
import { join } from "node:path";
import { relativeError } from "@unfold/core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hessianBlocks } from "../src/curvature-view/blocks.js";
import { GROWTH_SERIES, growthCurves, growthPoint } from "../src/curvature-view/growth.js";
import { sceneAttentionInstance } from "../src/curvature-view/instance.js";
import type { CurvatureReport } from "../src/curvature-view/report.js";
import { SCENES, sceneNamed } from "../src/scenes.js";
import { chromiumAvailable } from "./chromium.js";
import { SHOTS, type StudioApp, openStudioPage, startStudioApp } from "./studio-app.js";


/** Waits for the page's descent run and then the curvature view's update to stop changing; returns the view's report. */
async function curvatureSettled(page: Page): Promise<CurvatureReport> {
  return page.evaluate(async () => {
    const studio = window.__studio!;
    for (;;) {
      const run = studio.current;
      await run?.catch(() => undefined);
      const current = studio.curvature!.current;
      const report = await current!;
      if (studio.current === run && studio.curvature!.current === current) return report;
    }
  });
}

function expectGrowthEqual(got: CurvatureReport["growth"], want: ReturnType<typeof growthCurves>): void {
  expect(relativeError(got.sigmas, want.sigmas)).toBeLessThanOrEqual(1e-12);
  for (const s of GROWTH_SERIES) {
    expect(relativeError(got.norms[s], want.norms[s])).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(got.slopes[s]! - want.slopes[s]!)).toBeLessThanOrEqual(1e-9);
  }
}

describe.runIf(chromiumAvailable())("the curvature view in headless Chromium", () => {
  let app: StudioApp | undefined;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    app = await startStudioApp();
    browser = app.browser;
    page = await openStudioPage(app, { viewport: { width: 1400, height: 900 }, ready: "window.__studio?.ready === true && window.__studio.curvature !== undefined", errors: pageErrors });
    await curvatureSettled(page);
  });

  afterAll(async () => {
    await app?.close();
  });

  it("draws the chosen scene's Hessian blocks with Node's values (float64, to 1e-9) and its growth curves as Node computes them", async () => {
    await page.selectOption("#energy", "hopfield");
    const report = await curvatureSettled(page);
    expect(report.scene).toBe("hopfield");
    const state = sceneNamed("hopfield").build("float64").state;
    const want = hessianBlocks(sceneAttentionInstance(state, "hopfield", report.sigma));
    expect(report.blocks.map((b) => b.name)).toEqual(want.map((b) => b.name));
    for (const [k, b] of report.blocks.entries()) {
      expect([b.rows, b.cols]).toEqual([want[k]!.rows, want[k]!.cols]);
      expect(relativeError(b.values, want[k]!.values)).toBeLessThanOrEqual(1e-9);
    }
    expectGrowthEqual(report.growth, growthCurves(state, "hopfield"));
    // One Plot figure (raster image and legend) per block, and the growth plot's svg.
    expect(await page.locator("#curvature-blocks > figure").count()).toBe(6);
    expect(await page.locator("#curvature-blocks g[aria-label=raster] image").count()).toBe(6);
    expect(await page.locator("#curvature-growth svg").count()).toBeGreaterThan(0);
    expect(await page.locator("#curvature-growth").textContent()).toContain(`Q_outer: slope ${report.growth.slopes.Q_outer!.toFixed(2)} (predicted 6)`);
    console.log(`curvature view: hopfield (${report.tokens} x ${report.width}) blocks and growth curves in ${report.ms.toFixed(0)} ms in the page`);
    await page.locator("#curvature-view").screenshot({ path: join(SHOTS, "curvature-hopfield.png") });
    // The time of a scene change on every scene (reported, not asserted: the machine may be busy).
    const times: string[] = [];
    for (const scene of SCENES) {
      await page.selectOption("#energy", scene.name);
      const each = await curvatureSettled(page);
      expect(each.scene).toBe(scene.name);
      expect(each.blocks.every((b) => b.values.every(Number.isFinite))).toBe(true);
      // The widest scene: its 324 x 324 blocks are drawn pooled.
      if (scene.name === "lagrangian") await page.locator("#curvature-view").screenshot({ path: join(SHOTS, "curvature-lagrangian-pooled.png") });
      times.push(`${scene.name} (${each.tokens} x ${each.width}) ${each.ms.toFixed(0)} ms`);
    }
    console.log(`curvature view, blocks and growth curves per scene in the page: ${times.join(", ")}`);
    expect(pageErrors).toEqual([]);
  });

  it("moves the marked point of the growth plot to Node's norms when the data-scale slider moves", async () => {
    await page.selectOption("#energy", "points-3d");
    const before = await curvatureSettled(page);
    expect(before.scene).toBe("points-3d");
    // Keyboard, as a user without a mouse would: Home puts the slider at its smallest scale.
    await page.focus("#data-scale");
    await page.keyboard.press("Home");
    const after = await curvatureSettled(page);
    expect(after.sigma).toBeLessThan(before.sigma);
    expect(after.sigma).toBeCloseTo(1e-2, 12);
    const state = sceneNamed("points-3d").build("float64").state;
    const point = growthPoint(state, "points-3d", after.sigma);
    expect(after.growth.current.sigma).toBe(after.sigma);
    for (const s of GROWTH_SERIES) {
      expect(Math.abs(after.growth.current.norms[s] - point[s]) / point[s]).toBeLessThanOrEqual(1e-9);
      expect(after.growth.current.norms[s]).not.toBe(before.growth.current.norms[s]);
    }
    // The blocks follow the slider too.
    const want = hessianBlocks(sceneAttentionInstance(state, "points-3d", after.sigma));
    for (const [k, b] of after.blocks.entries()) expect(relativeError(b.values, want[k]!.values)).toBeLessThanOrEqual(1e-9);
    expect(await page.locator("#data-scale-value").textContent()).toBe("0.0100");
    await page.locator("#curvature-view").screenshot({ path: join(SHOTS, "curvature-points-3d-sigma-0.01.png") });
    // Three steps up from the keyboard: sigma 10^-1.7, still Node's.
    for (let k = 0; k < 3; k++) await page.keyboard.press("ArrowRight");
    const stepped = await curvatureSettled(page);
    expect(stepped.sigma).toBeCloseTo(10 ** -1.7, 12);
    const next = growthPoint(state, "points-3d", stepped.sigma);
    for (const s of GROWTH_SERIES) expect(Math.abs(stepped.growth.current.norms[s] - next[s]) / next[s]).toBeLessThanOrEqual(1e-9);
    console.log(`curvature view: a slider step (blocks and the marked point) in ${stepped.ms.toFixed(0)} ms in the page`);
    expect(pageErrors).toEqual([]);
  });

  it("draws the attention weights with the same Plot heatmap, keeping the report's numbers", async () => {
    await page.selectOption("#energy", "points-2d");
    await curvatureSettled(page);
    const attention = await page.evaluate(() => window.__studio!.last!.attention);
    expect(attention!.tokens).toBe(24);
    expect(await page.locator("#attention-chart > figure").count()).toBe(2);
    expect(await page.locator("#attention-chart g[aria-label=raster] image").count()).toBe(2);
    expect(await page.locator("#attention-chart").textContent()).toContain("gamma");
    await page.locator("#attention-view").screenshot({ path: join(SHOTS, "attention-points-2d-plot.png") });
    await page.screenshot({ path: join(SHOTS, "curvature-full-page.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("fits a phone's width: the blocks and the growth plot shrink to the view", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    phone.on("pageerror", (e) => errors.push(e.message));
    await phone.goto(page.url());
    await phone.waitForFunction(() => window.__studio?.ready === true && window.__studio.curvature !== undefined, undefined, { timeout: 60_000 });
    await curvatureSettled(phone);
    const view = (await phone.locator("#curvature-view").boundingBox())!;
    expect(view.width).toBeLessThanOrEqual(390);
    for (const selector of ["#curvature-growth svg", "#curvature-blocks > figure"]) {
      const box = (await phone.locator(selector).first().boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(view.x + view.width + 0.5);
    }
    await phone.locator("#curvature-view").screenshot({ path: join(SHOTS, "curvature-phone.png") });
    await phone.close();
    expect(errors).toEqual([]);
  });
});
