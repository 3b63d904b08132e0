// The CPU backend's worker threads in a real browser: a small page of its own (cpu-threads-page/,
// built here with Vite) runs the backend with Web Workers where the page is cross-origin isolated.
// Served with the isolation headers, its threaded runs must equal one thread's and the float64
// reference's within float32 rounding, with chunks of every kind of round (products and softmax
// rows, loop kernels the pool shares, item rounds) run by the workers; served without them,
// asking for threads must fail with the reason, and leaving threads out must give one thread.
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ThreadsReport } from "./cpu-threads-page/report.js";
import { CHROMIUM, WEBGPU_FLAGS, chromiumAvailable } from "./chromium.js";
import { serveFolder } from "./serve.js";
import { STUDIO_ROOT } from "./studio-app.js";

const PAGE_ROOT = join(STUDIO_ROOT, "test", "cpu-threads-page");
/** float32 rounding against the float64 reference, as the backend's own item-round tests allow. */
const REFERENCE_TOLERANCE = 1e-4;
/** Threaded and single-thread runs use the same kernels on the same data: float32 rounding at most. */
const SINGLE_TOLERANCE = 1e-5;

describe.runIf(chromiumAvailable())("CPU backend threads in headless Chromium", () => {
  let outDir: string | undefined;
  const servers: Server[] = [];
  let browser: Browser | undefined;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "unfold-cpu-threads-"));
    await build({
      root: PAGE_ROOT,
      configFile: false,
      base: "./",
      logLevel: "error",
      resolve: { conditions: ["@unfold/source", "module", "browser", "development|production"] },
      build: { outDir, target: "es2022", emptyOutDir: true, reportCompressedSize: false },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: WEBGPU_FLAGS });
  });

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  /** Serves the built page (with or without the isolation headers), loads it and returns its report. */
  async function report(isolated: boolean): Promise<ThreadsReport> {
    const server = await serveFolder(outDir!, { isolated });
    servers.push(server);
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`http://localhost:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => window.__cpuThreads?.done === true, undefined, { timeout: 180_000, polling: 250 });
    const result = (await page.evaluate(() => window.__cpuThreads)) as ThreadsReport;
    await page.close();
    expect(errors).toEqual([]);
    return result;
  }

  it("runs products, shared loop kernels and item rounds on Web Workers in a cross-origin isolated page, as one thread computes them", async () => {
    const result = await report(true);
    expect(result.error).toBeUndefined();
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.threadsError).toBeUndefined();
    expect(result.threads).toBe(3);
    // Left out, threads is every core the browser reports (at least one).
    expect(result.defaultThreads).toBeGreaterThanOrEqual(1);
    const byName = Object.fromEntries(result.cases.map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(["matmul and softmax", "elementwise loop", "Yang forward (item rounds)"]);
    // Each program ran the kind of round it is here for.
    expect(byName["matmul and softmax"]!.steps).toContain("matmul");
    expect(byName["elementwise loop"]!.steps).not.toContain("matmul");
    expect(byName["Yang forward (item rounds)"]!.steps).toContain("items");
    for (const c of result.cases) {
      console.log(`cpu threads in the page, ${c.name}: ${c.onWorkers} of ${c.chunks} chunks on the workers; relative difference ${c.toSingle.toExponential(2)} to one thread, ${c.toReference.toExponential(2)} to the float64 reference`);
      expect(c.toSingle, c.name).toBeLessThanOrEqual(SINGLE_TOLERANCE);
      expect(c.toReference, c.name).toBeLessThanOrEqual(REFERENCE_TOLERANCE);
      // Counted by the pool, not timed: the workers took chunks of this program's rounds. The
      // loop program has no other rounds, so its count shows that shared loop kernels reached
      // the workers.
      expect(c.chunks, c.name).toBeGreaterThan(0);
      expect(c.onWorkers, c.name).toBeGreaterThan(0);
    }
  });

  it("refuses threads where the page is not cross-origin isolated, naming the option and the headers, and defaults to one thread there", async () => {
    const result = await report(false);
    expect(result.error).toBeUndefined();
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.threadsError).toBe(
      "cpu backend: threads: 3 needs worker threads that share the backend's memory, but the page is not cross-origin isolated, so it cannot share memory with Web Workers; serve it with the headers 'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp' (or ask for threads: 1, or leave threads out for as many as this page allows)",
    );
    expect(result.defaultThreads).toBe(1);
    expect(result.cases).toEqual([]);
  });
});
