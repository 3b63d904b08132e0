// The WebGPU backend in a real browser: the page (built here with Vite) runs conformance cases on
// navigator.gpu in headless Chromium, driven by playwright-core; every case must pass.
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_GROUPS, ONNX_GROUPS, type PageReport } from "../src/report.js";
import { CHROMIUM, WEBGPU_FLAGS, chromiumAvailable } from "./chromium.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };
/** onnxruntime-web's runtime files (its .mjs and .wasm), which it fetches at run time. */
// The package exports no ./package.json; its main entry lives in dist/ beside the runtime files.
const ORT_DIST = dirname(createRequire(import.meta.url).resolve("onnxruntime-web"));

/**
 * A static server on localhost (a secure context: navigator.gpu needs one) for the built page,
 * with onnxruntime-web's runtime files under /ort/.
 */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = path.startsWith("/ort/") ? join(ORT_DIST, path.slice("/ort/".length)) : join(dir, path === "/" ? "index.html" : path);
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

  /** Loads the page with `query`, waits for its cases, and returns its report (page errors included). */
  async function runPage(query: string): Promise<{ report: PageReport; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://localhost:${port}/${query}`);
    await page.waitForFunction(() => window.__unfoldConformance?.done === true, undefined, { timeout: 200_000, polling: 500 });
    const report = (await page.evaluate(() => window.__unfoldConformance)) as PageReport;
    await page.close();
    return { report, errors };
  }

  it("runs the conformance subset on Unfold's WebGPU backend over navigator.gpu, and every case passes", async () => {
    const { report, errors } = await runPage("");
    expect(errors).toEqual([]);
    expect(report.error).toBeUndefined();
    expect(report.adapter).toBeTruthy();
    // Every default group ran, with many cases; none failed (the failures' messages show if any).
    expect(new Set(report.results.map((r) => r.group))).toEqual(new Set(DEFAULT_GROUPS));
    expect(report.results.length).toBeGreaterThan(60);
    expect(report.results.filter((r) => !r.ok).map((r) => `${r.group}/${r.name}: ${r.error}`)).toEqual([]);
  });

  it("runs Unfold's ONNX export on onnxruntime-web's WebGPU provider in the browser, and every case passes", async () => {
    const { report, errors } = await runPage("?backend=onnx");
    expect(errors).toEqual([]);
    expect(report.error).toBeUndefined();
    expect(new Set(report.results.map((r) => r.group))).toEqual(new Set(ONNX_GROUPS));
    expect(report.results.length).toBeGreaterThan(40);
    expect(report.results.filter((r) => !r.ok).map((r) => `${r.group}/${r.name}: ${r.error}`)).toEqual([]);
  });
});
