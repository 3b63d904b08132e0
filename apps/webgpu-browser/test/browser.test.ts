// The WebGPU backend in a real browser: the page (built here with Vite) runs conformance cases on
// navigator.gpu in headless Chromium, driven by playwright-core; every case must pass.
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PageReport } from "../src/report.js";
import { CHROMIUM, WEBGPU_FLAGS, chromiumAvailable } from "./chromium.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

/** A static server for the built page on localhost (a secure context: navigator.gpu needs one). */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(dir, path === "/" ? "index.html" : path);
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error("not a file");
        res.setHeader("content-type", TYPES[extname(file)] ?? "application/octet-stream");
        createReadStream(file).pipe(res);
      },
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe.runIf(chromiumAvailable())("WebGPU backend in headless Chromium", () => {
  let outDir: string;
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "unfold-webgpu-page-"));
    await build({ root, configFile: join(root, "vite.config.ts"), build: { outDir } });
    server = await serve(outDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: WEBGPU_FLAGS });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("runs the conformance subset on navigator.gpu, and every case passes", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://localhost:${port}/`);
    await page.waitForFunction(() => window.__unfoldConformance?.done === true, undefined, { timeout: 200_000, polling: 500 });
    const report = (await page.evaluate(() => window.__unfoldConformance)) as PageReport;
    expect(errors).toEqual([]);
    expect(report.error).toBeUndefined();
    expect(report.adapter).toBeTruthy();
    // Every default group ran, with many cases; none failed (the failures' messages show if any).
    expect(new Set(report.results.map((r) => r.group))).toEqual(new Set(["primitives", "composites", "fusion", "models", "resident", "feeds"]));
    expect(report.results.length).toBeGreaterThan(60);
    expect(report.results.filter((r) => !r.ok).map((r) => `${r.group}/${r.name}: ${r.error}`)).toEqual([]);
  });
});
