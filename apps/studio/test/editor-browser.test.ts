// The energy editor in a real browser: a page that mounts only mountEnergyEditor (built here
// with Vite from a harness written at test time, served on localhost) is driven from the
// keyboard in headless Chromium: a mistake typed into a term shows at its line, Mod-Enter runs,
// undo clears the mark, and Tab moves focus through the editor rather than being kept in it.
// TypeScript checks in a Web Worker: the page's animation frames go on while it checks, a burst
// of edits shows only the last one's type errors, and a worker that fails is one diagnostic.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, chromiumAvailable } from "./chromium.js";
import { DEFAULT_ENERGY_SOURCE, encodeShare } from "../src/editor/index.js";
import { serveFolder } from "./serve.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SHOTS = process.env["UNFOLD_ARTIFACTS"] ? join(process.env["UNFOLD_ARTIFACTS"], "studio") : join(root, "test-results");

const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>energy editor</title></head>
<body><button id="before">before</button><div id="editor"></div><button id="after">after</button>
<script type="module" src="./main.ts"></script></body></html>`;

// "?worker=throws" gives the editor a worker whose script throws as it starts, "?worker=missing"
// one whose script is not there (404); otherwise it makes its own, the studio's.
const MAIN = `import { DEFAULT_ENERGY_SOURCE, DEFAULT_EXAMPLE_SHAPE, mountEnergyEditor, sharedEnergyState } from ${JSON.stringify(join(root, "src/editor/index.ts"))};
import { createTypeCheckClient, workerPort } from ${JSON.stringify(join(root, "src/editor/type-check-client.ts"))};
const now = () => performance.timeOrigin + performance.now();
const frameTimes = [];
const tick = () => { frameTimes.push(now()); requestAnimationFrame(tick); };
requestAnimationFrame(tick);
const brokenWorkers = {
  throws: () => new Worker(URL.createObjectURL(new Blob(["throw new Error('no compiler in this worker');"], { type: "text/javascript" }))),
  missing: () => new Worker("./no-such-type-check-worker.js"),
};
const broken = brokenWorkers[new URLSearchParams(location.search).get("worker")];
window.shared = await sharedEnergyState(location.hash);
const runs = [];
const changes = [];
const types = [];
const timings = [];
const mountedAt = now();
const editor = mountEnergyEditor(document.getElementById("editor"), {
  initial: DEFAULT_ENERGY_SOURCE,
  compile: { exampleShape: DEFAULT_EXAMPLE_SHAPE },
  debounceMs: 50,
  ...(broken ? { typeChecker: createTypeCheckClient(workerPort(broken)) } : {}),
  onChange: (result) => changes.push(result.ok),
  onRun: (result, source) => runs.push({ ok: result.ok, length: source.length }),
  onTypes: (diagnostics, timing) => {
    types.push(diagnostics.map((d) => d.line + ":" + d.column + " " + d.message));
    timings.push({ ...timing, shownAt: now() });
  },
});
window.harness = { editor, runs, changes, types, timings, frameTimes, mountedAt };
`;

interface Harness {
  editor: { view: { state: { doc: { toString(): string } }; dispatch(spec: unknown): void }; setSource(source: string): void; diagnostics(): { line: number; column: number; kind: string }[] };
  runs: { ok: boolean }[];
  changes: boolean[];
  types: string[][];
  /** Each type check shown: where it ran and when (epoch ms), absent fields for "unavailable". */
  timings: { where?: string; loadMs?: number; checkMs?: number; checkStartedAt?: number; checkEndedAt?: number; shownAt: number }[];
  /** The time of every animation frame since the page loaded (epoch ms). */
  frameTimes: number[];
  mountedAt: number;
}
declare global {
  interface Window {
    harness?: Harness;
    shared?: { status: string; source?: string; settings?: unknown; run?: (options?: unknown) => { ok: boolean } };
    sharedRuns?: number;
  }
}

describe.runIf(chromiumAvailable())("the energy editor in headless Chromium", () => {
  let dir: string;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let url: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "unfold-editor-"));
    await writeFile(join(dir, "index.html"), HTML);
    await writeFile(join(dir, "main.ts"), MAIN);
    const outDir = join(dir, "dist");
    await build({ root: dir, configFile: false, logLevel: "error", base: "./", resolve: { conditions: ["@unfold/source", "module", "browser", "development|production"] }, build: { outDir, target: "es2022", reportCompressedSize: false } });
    server = await serveFolder(outDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    url = `http://localhost:${(server.address() as AddressInfo).port}/`;
    await page.goto(url);
    await page.waitForFunction(() => window.harness !== undefined, undefined, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("opens on the default energy with no mistakes, labelled, with line numbers", async () => {
    expect(await page.evaluate(() => window.harness!.changes)).toEqual([true]);
    expect(await page.locator(".cm-content").getAttribute("aria-label")).toBe("Energy source (TypeScript)");
    expect(await page.locator(".cm-lineNumbers .cm-gutterElement").count()).toBeGreaterThan(20);
    expect(await page.locator(".cm-energy-diagnostics").isHidden()).toBe(true);
    // TypeScript and the Unfold sources load on the first check, and find nothing wrong.
    await page.waitForFunction(() => window.harness!.types.length > 0, undefined, { timeout: 60_000 });
    expect(await page.evaluate(() => window.harness!.types)).toEqual([[]]);
  });

  it("the first check ran in the worker, and the page's animation frames went on while it loaded the compiler and checked", async () => {
    const { timing, mountedAt, frameTimes } = await page.evaluate(() => ({ timing: window.harness!.timings[0]!, mountedAt: window.harness!.mountedAt, frameTimes: window.harness!.frameTimes }));
    expect(timing.where).toBe("worker");
    const { checkStartedAt, checkEndedAt, loadMs, checkMs, shownAt } = timing as Required<typeof timing>;
    const between = (from: number, to: number) => frameTimes.filter((t) => t >= from && t <= to);
    // A check on the page's thread is one synchronous call: no frame could fall inside it.
    const duringCheck = between(checkStartedAt, checkEndedAt);
    const pending = between(mountedAt, shownAt);
    // Frames can only be counted inside a window that spans several of them: on a fast machine a
    // check may end within one frame, so the count is asserted only for a check of a quarter
    // second or more (here it takes 0.6-0.8 s). Where it ran is asserted whatever the speed.
    if (checkEndedAt - checkStartedAt >= 250) expect(duringCheck.length).toBeGreaterThan(0);
    // Up to the first frame after the answer showed, so a frame held back by the check counts.
    const framesToNext = [...pending, ...frameTimes.filter((t) => t > shownAt).slice(0, 1)];
    const gaps = framesToNext.slice(1).map((t, i) => t - framesToNext[i]!);
    console.log(
      `first type check (in the ${timing.where}): asked at mount, shown ${(shownAt - mountedAt).toFixed(0)} ms later (${loadMs.toFixed(0)} ms loading the checker once its script ran, ${checkMs.toFixed(0)} ms checking); ` +
        `page frames meanwhile: ${pending.length} (${duringCheck.length} during the check itself), longest gap between frames ${Math.max(0, ...gaps).toFixed(0)} ms`,
    );
  });

  it("a burst of edits shows only the last source's type errors: answers for the earlier ones are dropped", async () => {
    const before = await page.evaluate(() => window.harness!.types.length);
    // Three sources in a row, each asked of the checker at once (setSource does not wait for the
    // debounce); each misspells the parameter differently.
    await page.evaluate(() => {
      const { editor } = window.harness!;
      const original = editor.view.state.doc.toString();
      for (const name of ["Xa", "Xb", "Xc"]) editor.setSource(original.replace("swapLastAxes(p.X)", `swapLastAxes(p.${name})`));
    });
    await page.waitForFunction((n) => window.harness!.types.length > n, before, { timeout: 60_000 });
    // The answer for "Xc" is asked after the others' (one check at a time): once it shows, theirs have come and gone.
    const shown = await page.evaluate((n) => window.harness!.types.slice(n), before);
    expect(shown).toEqual([[expect.stringContaining("21:65 Property 'Xc' does not exist on type 'Params<\"X\">'")]]);
    const panel = (await page.locator(".cm-energy-diagnostics").textContent()) ?? "";
    expect(panel).toContain("'Xc'");
    expect(panel).not.toMatch(/'Xa'|'Xb'/);
    await page.screenshot({ path: join(SHOTS, "editor-type-error-burst.png") });
    await page.evaluate((source) => window.harness!.editor.setSource(source), DEFAULT_ENERGY_SOURCE);
    await page.waitForFunction(() => document.querySelectorAll(".cm-energy-error").length === 0, undefined, { timeout: 60_000 });
  });

  it("a shape mistake typed into the term is marked at its line and listed in words; Mod-Enter runs; undo clears it", async () => {
    // Put the cursor on the second q of `ops.mul(q, q)` (line 23) and type over it from the keyboard.
    await page.evaluate(() => {
      const { view } = window.harness!.editor;
      const at = view.state.doc.toString().indexOf("ops.mul(q, q)") + "ops.mul(q, ".length;
      view.dispatch({ selection: { anchor: at, head: at + 1 } });
    });
    await page.locator(".cm-content").focus();
    await page.keyboard.type("p.X");
    await page.locator(".cm-energy-error").first().waitFor({ timeout: 30_000 });

    expect(await page.evaluate(() => window.harness!.editor.diagnostics().map(({ line, column, kind }) => ({ line, column, kind })))).toEqual([{ line: 23, column: 42, kind: "unfold" }]);
    expect(await page.locator(".cm-energy-error").textContent()).toBe("mul");
    expect(await page.locator(".cm-energy-error-line").textContent()).toContain("ops.mul(q, p.X)");
    const panel = page.locator(".cm-energy-diagnostics");
    expect(await panel.getAttribute("aria-live")).toBe("polite");
    expect(await panel.textContent()).toMatch(/^line 23, column 42 \(unfold\): mul: cannot broadcast 'state' \[3, 8\] with 'X' \[6, 8\]/);
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "editor-mistake.png") });

    await page.keyboard.press("Control+Enter");
    expect(await page.evaluate(() => window.harness!.runs.map((r) => r.ok))).toEqual([false]);

    await page.keyboard.press("Control+z");
    await page.locator(".cm-energy-error").waitFor({ state: "detached", timeout: 30_000 });
    await page.keyboard.press("Control+Enter");
    expect(await page.evaluate(() => window.harness!.runs.map((r) => r.ok))).toEqual([false, true]);
    expect(await panel.isHidden()).toBe(true);
  });

  it("a misspelt parameter is both a type error and Unfold's trace error, each at its place", async () => {
    const typesBefore = await page.evaluate(() => window.harness!.types.length);
    await page.evaluate(() => {
      const { view } = window.harness!.editor;
      const at = view.state.doc.toString().indexOf("swapLastAxes(p.X)") + "swapLastAxes(p.X".length;
      view.dispatch({ selection: { anchor: at } });
    });
    await page.locator(".cm-content").focus();
    await page.keyboard.type("x");
    await page.waitForFunction((n) => window.harness!.types.length > n, typesBefore, { timeout: 60_000 });
    const shown = await page.evaluate(() => window.harness!.editor.diagnostics().map(({ line, column, kind }) => ({ line, column, kind })));
    expect(shown).toEqual([
      { line: 21, column: 65, kind: "unfold" }, // the read of p.Xx, which the parameter guard refuses
      { line: 21, column: 65, kind: "type" },
    ]);
    expect(await page.evaluate(() => window.harness!.types.at(-1))).toEqual([expect.stringContaining("21:65 Property 'Xx' does not exist on type 'Params<\"X\">'")]);
    await page.screenshot({ path: join(SHOTS, "editor-type-error.png") });
    await page.keyboard.press("Control+z");
    await page.waitForFunction(() => document.querySelectorAll(".cm-energy-error").length === 0, undefined, { timeout: 60_000 });
  });

  it("a shared link (made in Node, read by the page's DecompressionStream) shows its source and runs only when asked", async () => {
    expect(await page.evaluate(() => window.shared)).toEqual({ status: "none" });
    const source = `(globalThis as { sharedRuns?: number }).sharedRuns = 1;\n${DEFAULT_ENERGY_SOURCE}`;
    const fragment = await encodeShare({ source, settings: { layers: 5, stepSize: 0.25 } });
    const shared = await browser.newPage();
    try {
      await shared.goto(`${url}#${fragment}`);
      await shared.waitForFunction(() => window.harness !== undefined, undefined, { timeout: 60_000 });
      expect(await shared.evaluate(() => ({ status: window.shared!.status, source: window.shared!.source, settings: window.shared!.settings, ran: window.sharedRuns }))).toEqual({
        status: "pending",
        source,
        settings: { layers: 5, stepSize: 0.25 },
        ran: undefined,
      });
      expect(await shared.evaluate(() => window.shared!.run!({ exampleShape: [3, 8] }).ok)).toBe(true);
      expect(await shared.evaluate(() => window.sharedRuns)).toBe(1);
    } finally {
      await shared.close();
    }
  });

  for (const [kind, reason] of [
    ["throws", /^1:1 type checking is unavailable: the type-check worker failed before its first answer: Uncaught Error: no compiler in this worker \(blob:http:\/\/localhost:\d+\/[\w-]+:1\)$/],
    ["missing", /^1:1 type checking is unavailable: the type-check worker failed before its first answer: its script could not be loaded or run$/],
  ] as const) {
    it(`a type-check worker that ${kind === "throws" ? "throws as it starts" : "is not there"} is one diagnostic saying why; Unfold's own errors still show`, async () => {
      const broken = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      const errors: string[] = [];
      broken.on("pageerror", (e) => errors.push(e.message));
      try {
        await broken.goto(`${url}?worker=${kind}`);
        await broken.waitForFunction(() => window.harness?.types.length, undefined, { timeout: 60_000 });
        const types = await broken.evaluate(() => window.harness!.types);
        expect(types).toHaveLength(1);
        expect(types[0]).toHaveLength(1);
        expect(types[0]![0]).toMatch(reason);
        expect(await broken.evaluate(() => window.harness!.editor.diagnostics().map(({ line, kind }) => ({ line, kind })))).toEqual([{ line: 1, kind: "type" }]);
        if (kind === "throws") await broken.screenshot({ path: join(SHOTS, "editor-type-check-unavailable.png") });

        // A shape mistake is still Unfold's diagnostic at its line, beside the one about types.
        const changesBefore = await broken.evaluate(() => window.harness!.changes.length);
        await broken.evaluate(() => {
          const { editor } = window.harness!;
          editor.setSource(editor.view.state.doc.toString().replace("ops.mul(q, q)", "ops.mul(q, p.X)"));
        });
        await broken.waitForFunction((n) => window.harness!.changes.length > n && window.harness!.types.length > 1, changesBefore, { timeout: 60_000 });
        expect(await broken.evaluate(() => window.harness!.editor.diagnostics().map(({ line, kind }) => ({ line, kind })))).toEqual([
          { line: 23, kind: "unfold" },
          { line: 1, kind: "type" },
        ]);
        expect(await broken.evaluate(() => window.harness!.types.at(-1))).toEqual(types[0]);
        expect(errors).toEqual([]);
      } finally {
        await broken.close();
      }
    });
  }

  it("Tab moves focus into and out of the editor (Escape first, CodeMirror's rule), so the page stays keyboard navigable", async () => {
    await page.locator("#before").focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Energy source (TypeScript)");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("after");
    expect(pageErrors).toEqual([]);
  });
});
