import { type Backend, type DeviceTensor, type Executable, ReferenceBackend } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { SOAK_BACKENDS, SOAK_TOLERANCE, type SoakFigures, soakCommand, soakLives, soakProgram } from "../src/index.js";
import { captureIO } from "@unfold/testing";

/** The reference backend, except that from life `from` on its output 'y' comes back with one element off by 0.5. */
function faultyBackends(from: number): () => Backend {
  let life = 0;
  return () => {
    life++;
    const inner = new ReferenceBackend();
    if (life < from) return inner;
    const wrong = (t: DeviceTensor): DeviceTensor => ({
      ...t,
      backend: t.backend,
      shape: t.shape,
      dtype: t.dtype,
      disposed: t.disposed,
      dispose: () => t.dispose(),
      read: async () => {
        const host = await t.read();
        const data = Float32Array.from(host.data);
        data[3]! += 0.5;
        return { ...host, data };
      },
    });
    return {
      name: inner.name,
      dtypes: inner.dtypes,
      upload: (tensor) => inner.upload(tensor),
      dispose: () => inner.dispose(),
      compile: async (program, options) => {
        const executable = await inner.compile(program, options);
        const faulty: Executable = {
          program: executable.program,
          run: async (feeds) => {
            const outputs = await executable.run(feeds);
            return { ...outputs, y: wrong(outputs["y"]!) };
          },
        };
        return faulty;
      },
    };
  };
}

const KEYS = [
  "backend",
  "pid",
  "status",
  "lives",
  "warmupLives",
  "rssAfterWarmupMB",
  "rssEndMB",
  "rssGrowthMB",
  "heapGrowthMB",
  "externalGrowthMB",
  "peakRssMB",
  "msPerLife",
  "maxRelErr",
];

interface SoakJson {
  backends: SoakFigures[];
  lives: number;
  warmupLives: number;
  maxRssGrowthMB: number;
  elapsedSeconds: number;
}

describe("soakLives", () => {
  it("lives every life on a sound backend, checking each result against the float64 reference", async () => {
    const progressed: string[] = [];
    const figures = await soakLives({ backend: "reference", create: () => new ReferenceBackend(), program: soakProgram(), lives: 4, warmupLives: 2, onProgress: (m) => progressed.push(m) });
    expect(figures).toMatchObject({ backend: "reference", status: "ok", lives: 4, warmupLives: 2, pid: process.pid });
    expect(figures.maxRelErr).toBeLessThan(SOAK_TOLERANCE);
    for (const key of ["rssAfterWarmupMB", "rssEndMB", "rssGrowthMB", "heapGrowthMB", "externalGrowthMB", "msPerLife"] as const) expect(Number.isFinite(figures[key])).toBe(true);
    expect(progressed).toEqual([
      expect.stringMatching(/^reference: 1\/4 lives, RSS [\d.]+ MB, heap [\d.]+ MB$/),
      expect.stringMatching(/^reference: 2\/4 lives \(warm-up done\), RSS [\d.]+ MB, heap [\d.]+ MB$/),
      expect.stringMatching(/^reference: 3\/4 lives, RSS [\d.]+ MB, heap [\d.]+ MB$/),
      expect.stringMatching(/^reference: 4\/4 lives, RSS [\d.]+ MB, heap [\d.]+ MB$/),
    ]);
  });

  it("fails the result check when the backend returns wrong data, naming the life and the output", async () => {
    const figures = await soakLives({ backend: "reference", create: faultyBackends(3), program: soakProgram(), lives: 5, warmupLives: 1 });
    expect(figures.status).toBe("failed");
    expect(figures.lives).toBe(2);
    expect(figures.reason).toMatch(/^result check failed at life 3: output 'y' is \d\.\d\de-\d+ from the float64 reference \(tolerance 0\.0001\)$/);
  });
});

describe("pnpm bench soak", () => {
  it("runs each backend in a child process of its own and prints one JSON object on its last line", async () => {
    const io = captureIO();
    await soakCommand(["--backend", "reference,cpu", "--lives", "6", "--warmup-lives", "2", "--json"], io);
    const result = JSON.parse(io.lines.at(-1)!) as SoakJson;
    expect(Object.keys(result)).toEqual(["backends", "lives", "warmupLives", "maxRssGrowthMB", "elapsedSeconds"]);
    expect(result).toMatchObject({ lives: 6, warmupLives: 2, maxRssGrowthMB: 50 });
    expect(result.backends.map((b) => b.backend)).toEqual(["reference", "cpu"]);
    for (const b of result.backends) {
      expect(Object.keys(b)).toEqual(KEYS);
      expect(b).toMatchObject({ status: "ok", lives: 6, warmupLives: 2 });
      expect(b.maxRelErr).toBeLessThan(SOAK_TOLERANCE);
      expect(b.rssEndMB!).toBeGreaterThan(0);
      expect(b.rssGrowthMB).toBeCloseTo(b.rssEndMB! - b.rssAfterWarmupMB!, 0);
    }
    // Two processes, neither of them this one.
    const pids = result.backends.map((b) => b.pid);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(process.pid);
    // The children's progress and verdicts come through, one backend after the other.
    const verdicts = io.progressed.filter((m) => / ok: RSS /.test(m));
    expect(verdicts).toEqual([expect.stringMatching(/^\[soak\] reference: ok: /), expect.stringMatching(/^\[soak\] cpu: ok: /)]);
    expect(io.progressed).toContainEqual(expect.stringMatching(/^\[soak\] cpu: 6\/6 lives, RSS [\d.]+ MB/));
  });

  it("prints the table, and a wrong result makes the command fail after printing", async () => {
    const io = captureIO();
    const run = soakCommand(["--in-process", "--backend", "reference", "--lives", "4", "--warmup-lives", "1"], io, { factories: { reference: faultyBackends(2) } });
    await expect(run).rejects.toThrow(/^soak: reference result check failed at life 2: output 'y'/);
    const text = io.lines.join("\n");
    expect(text).toMatch(/^backend\s+status\s+lives\s+RSS after warm-up MB\s+RSS at end MB\s+RSS growth MB\s+heap growth MB/);
    expect(text).toMatch(/^reference\s+FAILED\s+1\s/m);
    expect(text).toContain("  reference: result check failed at life 2");
  });

  it("fails a backend whose RSS grows past --max-rss-growth-mb", async () => {
    // A backend that keeps 4 MB alive for good each life: a leak the soak must see.
    const kept: Buffer[] = [];
    const leaky = (): Backend => {
      kept.push(Buffer.alloc(4 * 1024 * 1024, 1));
      return new ReferenceBackend();
    };
    const io = captureIO();
    const run = soakCommand(["--in-process", "--backend", "reference", "--lives", "12", "--warmup-lives", "2", "--max-rss-growth-mb", "20", "--json"], io, { factories: { reference: leaky } });
    await expect(run).rejects.toThrow(/^soak: reference grew RSS by \d+(\.\d)? MB over 10 lives after the warm-up \(limit 20 MB\)$/);
    const [figures] = (JSON.parse(io.lines.at(-1)!) as SoakJson).backends;
    expect(figures!.status).toBe("leak");
    expect(figures!.rssGrowthMB!).toBeGreaterThan(20);
    expect(figures!.externalGrowthMB!).toBeGreaterThan(35);
    expect(kept).toHaveLength(12);
  });

  it("reports webgpu without an adapter as unavailable, and fails only when --backend names it", async () => {
    const reference = (): Backend => new ReferenceBackend();
    const noAdapter = (): Backend => {
      throw new Error("webgpu backend: no WebGPU adapter (in this test)");
    };
    const factories = { reference, cpu: reference, onnx: reference, tfjs: reference, webgpu: noAdapter };
    const io = captureIO();
    await soakCommand(["--in-process", "--lives", "2", "--warmup-lives", "1", "--json"], io, { factories });
    const { backends } = JSON.parse(io.lines.at(-1)!) as SoakJson;
    expect(backends.map((b) => [b.backend, b.status])).toEqual(SOAK_BACKENDS.map((b) => [b, b === "webgpu" ? "unavailable" : "ok"]));
    expect(backends.at(-1)!.reason).toContain("no WebGPU adapter");
    await expect(soakCommand(["--in-process", "--backend", "webgpu", "--lives", "2", "--warmup-lives", "1"], captureIO(), { factories })).rejects.toThrow(
      /^soak: webgpu webgpu backend: no WebGPU adapter/,
    );
  });
});
