import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type BenchCommandOptions, type BenchRow, benchCommand } from "../src/index.js";
import { TINY, TINY_BATCH, TINY_MATMUL } from "./helpers.js";
import { captureIO } from "@unfold/testing";

// Tiny sizes injected: the float64 reference is instant and every engine runs in milliseconds.
const tiny: BenchCommandOptions = { sizes: [TINY, { ...TINY_BATCH, quick: false }], matmul: TINY_MATMUL };
const ENGINES = ["unfold-reference", "unfold-cpu", "unfold-onnx", "unfold-tfjs", "unfold-webgpu", "tfjs-cpu", "tfjs-wasm", "tfjs-webgpu", "ort-wasm", "jax-js"];
const PEERS = ["tfjs-cpu", "tfjs-wasm", "tfjs-webgpu", "ort-wasm", "jax-js"];
const KEYS = ["workload", "size", "engine", "medianMs", "minMs", "maxMs", "madMs", "runs", "gflops", "relErr", "ratioVsBestPeer", "heapMB", "poolMB"];
/** Engines that count memory the heap figure cannot see (pool MB). */
const POOLED = ["unfold-cpu", "unfold-webgpu", "unfold-tfjs", "tfjs-cpu", "tfjs-wasm", "tfjs-webgpu"];
/** TensorFlow.js's gradient of exp treats exp's output as a constant, so its tf.grad of tf.grad misses a term. */
const WRONG_HVP = ["tfjs-cpu", "tfjs-wasm", "tfjs-webgpu"];

async function json(argv: string[]): Promise<{ rows: BenchRow[]; elapsedSeconds: number; progressed: string[] }> {
  const io = captureIO();
  await benchCommand([...argv, "--json"], io, tiny);
  return { ...(JSON.parse(io.lines.at(-1)!) as { rows: BenchRow[]; elapsedSeconds: number }), progressed: io.progressed };
}

/** The quick set's workloads, each with the size it runs at here (matmul has one fixed shape). */
const QUICK_WORKLOADS = [
  ["matmul", "6x5x7"],
  ["descent-step", "tiny"],
  ["unfold-forward", "tiny"],
  ["train-step", "tiny"],
  ["energy-and-gradient", "tiny"],
  ["hvp", "tiny"],
] as const;
/** Workloads on which every peer runs (ort-wasm has no training step and no autodiff). */
const ALL_PEERS = ["matmul", "descent-step", "unfold-forward", "energy-and-gradient"];
/**
 * One workload of the quick set with every engine took 2.6-11 s here with other work on the
 * machine (train-step and matmul, which loads every engine's runtime, the longest) and up to 23 s
 * with two more busy loops on its 2 cores: the 180 s budget is 8x that. The whole quick set as one
 * case took 30 s to over 240 s, depending on the load, and timed out.
 */
const WORKLOAD_BUDGET_MS = 180_000;

describe("pnpm bench --quick --json, one workload at a time", () => {
  for (const [workload, size] of QUICK_WORKLOADS) {
    it(`${workload}: one JSON object on the last line, a row for every engine`, { timeout: WORKLOAD_BUDGET_MS }, async () => {
      const { rows, elapsedSeconds, progressed } = await json(["--quick", "--workload", workload]);
      // The run says how long it took, in the JSON and in its progress.
      expect(elapsedSeconds).toBeGreaterThan(0);
      expect(progressed).toContain(`[bench] done in ${elapsedSeconds.toFixed(1)} s`);
      expect(progressed.some((m) => m.includes("float64 reference"))).toBe(true);
      // The quick size only, every engine in report order.
      expect(rows.map((r) => [r.workload, r.size, r.engine])).toEqual(ENGINES.map((e) => [workload, size, e]));
      for (const row of rows) checkRow(row);
      const find = (e: string): BenchRow => rows.find((r) => r.engine === e)!;
      // The WebGPU engines need an adapter: CI installs a software driver, so there they must run;
      // elsewhere they may be unavailable, which their rows then say.
      const webgpu = find("unfold-webgpu").note === undefined;
      if (process.env["CI"]) expect(webgpu, find("unfold-webgpu").note).toBe(true);
      if (!webgpu) for (const e of ["unfold-webgpu", "tfjs-webgpu"]) expect(find(e).note).toMatch(/^unavailable: .*WebGPU adapter/);
      const ran = (e: string): boolean => webgpu || !e.includes("webgpu");
      // --quick keeps the reference's row but does not time it.
      expect(find("unfold-reference").note).toMatch(/^skipped: /);
      if (workload === "train-step") {
        expect(find("ort-wasm").note).toMatch(/^unsupported: /);
        expect(find("tfjs-wasm").relErr).not.toBeNull();
      }
      if (workload === "hvp") expect(find("ort-wasm").note).toMatch(/^unsupported: .*no autodiff/);
      if (ALL_PEERS.includes(workload)) {
        for (const e of PEERS.filter(ran)) expect(find(e).relErr).not.toBeNull();
        // The fastest peer's ratio is exactly 1; no peer is above it.
        expect(Math.max(...PEERS.filter(ran).map((e) => find(e).ratioVsBestPeer!))).toBe(1);
      }
      // Unfold's ONNX, TensorFlow.js and WebGPU backends run every workload, the training step
      // included (it is one more program to them), and are compared with the peers, not counted among them.
      for (const e of ["unfold-onnx", "unfold-tfjs", "unfold-webgpu"].filter(ran)) {
        expect(find(e).relErr).not.toBeNull();
        expect(find(e).ratioVsBestPeer).toBeGreaterThan(0);
      }
    });
  }
});

/** What every row of a quick run holds: its keys, finite figures, and a note wherever it did not run. */
function checkRow(row: BenchRow): void {
  expect(Object.keys(row).filter((k) => k !== "note")).toEqual(KEYS);
  for (const k of KEYS.slice(3)) {
    const v = row[k as keyof BenchRow];
    expect(v === null || (typeof v === "number" && Number.isFinite(v))).toBe(true);
  }
  if (row.medianMs === null) {
    expect(row.note).toMatch(/^(skipped|unavailable|unsupported): /);
    expect([row.minMs, row.maxMs, row.madMs, row.gflops, row.relErr, row.ratioVsBestPeer]).toEqual([null, null, null, null, null, null]);
    expect(row.runs).toBe(0);
    return;
  }
  // --quick: two timed runs per row; the spread of two runs is half their distance.
  expect(row.runs).toBe(2);
  expect(row.madMs).toBeCloseTo((row.maxMs! - row.minMs!) / 2, 9);
  expect(row.minMs!).toBeLessThanOrEqual(row.medianMs);
  expect(row.medianMs).toBeLessThanOrEqual(row.maxMs!);
  expect(row.gflops).toBeGreaterThan(0);
  expect(row.ratioVsBestPeer).toBeGreaterThan(0);
  if (row.workload === "hvp" && WRONG_HVP.includes(row.engine)) {
    // Wrong, and said to be: relErr near 0.2 here, far beyond float32 rounding.
    expect(row.relErr).toBeGreaterThan(1e-2);
    expect(row.note).toBe("relErr above 0.001 (so no engine's baseline)");
  } else {
    expect(row.relErr).toBeLessThan(1e-3);
    expect(row.note).toBeUndefined();
  }
  expect(typeof row.heapMB).toBe("number");
  if (POOLED.includes(row.engine)) expect(row.poolMB).toBeGreaterThan(0);
  else expect(row.poolMB).toBeNull();
}

describe("pnpm bench --quick --json", () => {
  it("runs the quick set's workloads in order, at the quick size, with the engines it is given", async () => {
    // Every workload, two cheap engines: the order and the sizes of a whole quick run.
    const { rows } = await json(["--quick", "--engine", "tfjs-cpu,tfjs-wasm"]);
    expect(rows.map((r) => `${r.workload}/${r.size}/${r.engine}`)).toEqual(QUICK_WORKLOADS.flatMap(([w, size]) => ["tfjs-cpu", "tfjs-wasm"].map((e) => `${w}/${size}/${e}`)));
  });

  it("filters by workload, size and engine, and times the reference unless told not to", async () => {
    const { rows } = await json(["--workload", "unfold-forward,matmul", "--size", "tiny2", "--engine", "unfold-reference,tfjs-cpu", "--repeats", "2", "--warmup", "0"]);
    expect(rows.map((r) => [r.workload, r.size, r.engine])).toEqual([
      ["matmul", "6x5x7", "unfold-reference"],
      ["matmul", "6x5x7", "tfjs-cpu"],
      ["unfold-forward", "tiny2", "unfold-reference"],
      ["unfold-forward", "tiny2", "tfjs-cpu"],
    ]);
    const reference = rows[2]!;
    expect(reference.medianMs).not.toBeNull();
    expect(reference.relErr).toBeLessThan(1e-12);
    // The only peer is the best peer.
    expect(rows[3]!.ratioVsBestPeer).toBe(1);
    const skipped = await json(["--workload", "matmul", "--engine", "unfold-reference", "--skip-reference"]);
    expect(skipped.rows).toEqual([expect.objectContaining({ engine: "unfold-reference", medianMs: null, note: expect.stringMatching(/^skipped/) })]);
    // Without a peer in the run there is nothing to compare with.
    expect(skipped.rows[0]!.ratioVsBestPeer).toBeNull();
  });
});

describe("pnpm bench (table)", () => {
  it("prints a table with every column and the counted work", async () => {
    const io = captureIO();
    await benchCommand(["--quick", "--workload", "matmul", "--engine", "tfjs-cpu,ort-wasm"], io, tiny);
    const text = io.lines.join("\n");
    expect(text).toMatch(/workload\s+size\s+engine\s+median ms\s+min ms\s+max ms\s+MAD ms\s+GFLOP\/s\s+relErr\s+vs best peer\s+heap MB\s+pool MB\s+note/);
    // A tiny product can take under 0.01 ms: the table then prints it in scientific notation.
    expect(text).toMatch(/^matmul\s+6x5x7\s+tfjs-cpu\s+(\d+\.\d\d|\d\.\de-\d+)\s/m);
    // ort-wasm's row: a ratio, its heap figure, and no pool figure (its memory is all in the heap's).
    expect(text, text).toMatch(/^matmul\s+6x5x7\s+ort-wasm\s+.*\dx\s+\S+\s+-(\s.*)?$/m);
    expect(text).toContain(`matmul 6x5x7: ${((2 * 6 * 5 * 7) / 1e9).toExponential(2)} GFLOP`);
  });
});

describe("sizes run on request", () => {
  it("leaves a size marked onRequest out of the default set and runs it when --size names it", async () => {
    const sizes = { ...tiny, sizes: [TINY, { ...TINY_BATCH, name: "big", onRequest: true }] };
    const argv = ["--workload", "unfold-forward", "--engine", "tfjs-cpu", "--repeats", "1", "--warmup", "0", "--json"];
    const byDefault = captureIO();
    await benchCommand(argv, byDefault, sizes);
    expect((JSON.parse(byDefault.lines.at(-1)!) as { rows: BenchRow[] }).rows.map((r) => r.size)).toEqual(["tiny"]);
    const named = captureIO();
    await benchCommand([...argv, "--size", "tiny,big"], named, sizes);
    expect((JSON.parse(named.lines.at(-1)!) as { rows: BenchRow[] }).rows.map((r) => r.size)).toEqual(["tiny", "big"]);
  });
});

describe("a custom size", () => {
  it("runs the shape --batch --tokens --dim --layers describe, the rest taken from the first size", async () => {
    const io = captureIO();
    await benchCommand(["--workload", "unfold-forward", "--engine", "unfold-reference,tfjs-cpu", "--tokens", "6", "--layers", "3", "--repeats", "1", "--warmup", "0"], io, tiny);
    const text = io.lines.join("\n");
    const name = `custom b${TINY.batch} t6 d${TINY.dim} L3`;
    expect(text).toMatch(new RegExp(`^unfold-forward\\s+${name}\\s+tfjs-cpu\\s`, "m"));
    expect(text).toContain(`unfold-forward ${name} (batch ${TINY.batch} x 6 tokens x d ${TINY.dim}, 3 layers)`);
    const { rows } = await json(["--workload", "unfold-forward", "--engine", "unfold-reference,tfjs-cpu", "--size", "tiny", "--batch", "2", "--dim", "4", "--repeats", "1", "--warmup", "0"]);
    // Beside the sizes --size names; the peer agrees with the reference on the custom shape too.
    expect(rows.map((r) => r.size)).toEqual(["tiny", "tiny", `custom b2 t${TINY.tokens} d4 L12`, `custom b2 t${TINY.tokens} d4 L12`]);
    expect(rows[3]!.relErr).toBeLessThan(1e-5);
    await expect(benchCommand(["--dim", "0"], captureIO(), tiny)).rejects.toThrow("--dim must be an integer >= 1, got '0'");
  });
});

describe("--compare and --out", () => {
  it("compares with an earlier --json run, flags changes beyond the noise, and writes the report and charts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "unfold-bench-"));
    try {
      const argv = ["--workload", "matmul", "--engine", "tfjs-cpu,ort-wasm", "--repeats", "3", "--warmup", "0"];
      const first = captureIO();
      await benchCommand([...argv, "--json"], first, tiny);
      // An earlier run in which ort-wasm took a hundredth of the time: now a regression, however noisy.
      const before = JSON.parse(first.lines.at(-1)!) as { rows: BenchRow[] };
      const faster = before.rows.map((r) => (r.engine === "ort-wasm" ? { ...r, medianMs: r.medianMs! / 100, minMs: r.minMs! / 100, maxMs: r.maxMs! / 100, madMs: 0 } : r));
      const earlier = join(dir, "earlier.txt");
      await writeFile(earlier, ["[bench] progress line", JSON.stringify({ rows: faster })].join("\n"));
      const io = captureIO();
      await benchCommand([...argv, "--json", "--compare", earlier, "--out", join(dir, "report")], io, tiny);
      const result = JSON.parse(io.lines.at(-1)!) as { rows: BenchRow[]; comparison: { entries: { engine: string; verdict: string }[]; regressions: number } };
      expect(result.comparison.entries.find((e) => e.engine === "ort-wasm")!.verdict).toBe("regression");
      expect(result.comparison.regressions).toBeGreaterThanOrEqual(1);
      const report = await readFile(join(dir, "report", "report.md"), "utf8");
      expect(report).toContain("ort-wasm");
      expect(report).toMatch(/regression/);
      expect(report).toContain("ratio-matmul.svg");
      expect((await readFile(join(dir, "report", "ratio-matmul.svg"), "utf8")).startsWith("<svg")).toBe(true);
      const table = captureIO();
      await benchCommand([...argv, "--compare", earlier], table, tiny);
      expect(table.lines.join("\n")).toContain(`Compared with ${earlier}:`);
      await expect(benchCommand([...argv, "--compare", join(dir, "missing.json")], captureIO(), tiny)).rejects.toThrow(/--compare: cannot read .*missing\.json/);
      await writeFile(join(dir, "bad.json"), "not json");
      await expect(benchCommand([...argv, "--compare", join(dir, "bad.json")], captureIO(), tiny)).rejects.toThrow(/bad\.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("bad flags", () => {
  it("names the flag and the valid values", async () => {
    await expect(benchCommand(["--engine", "tfjs-gpu"], captureIO(), tiny)).rejects.toThrow(
      "--engine: unknown value 'tfjs-gpu'; valid values: unfold-reference, unfold-cpu, unfold-onnx, unfold-tfjs, unfold-webgpu, tfjs-cpu, tfjs-wasm, tfjs-webgpu, ort-wasm, jax-js",
    );
    await expect(benchCommand(["--workload", "matmul,conv"], captureIO(), tiny)).rejects.toThrow(
      "--workload: unknown value 'conv'; valid values: matmul, descent-step, unfold-forward, train-step, energy-and-gradient, hvp, hessian-block",
    );
    await expect(benchCommand(["--size", "large,huge"], captureIO(), tiny)).rejects.toThrow("--size: unknown values 'large', 'huge'; valid values: tiny, tiny2");
    await expect(benchCommand(["--size", ""], captureIO(), tiny)).rejects.toThrow(/--size needs a comma-separated list/);
    await expect(benchCommand(["--repeats", "0"], captureIO(), tiny)).rejects.toThrow("--repeats must be an integer >= 1, got '0'");
    await expect(benchCommand(["--warmup", "-1"], captureIO(), tiny)).rejects.toThrow(/--warmup/);
    await expect(benchCommand(["--budget", "0.5"], captureIO(), tiny)).rejects.toThrow("--budget must be an integer >= 1, got '0.5'");
    await expect(benchCommand(["--bogus"], captureIO(), tiny)).rejects.toThrow(/bogus/);
  });

  it("prints usage with --help", async () => {
    const io = captureIO();
    await benchCommand(["--help"], io, tiny);
    const text = io.lines.join("\n");
    expect(text).toMatch(/^usage: unfold bench/);
    expect(text).toContain("Unfold: unfold-reference, unfold-cpu, unfold-onnx, unfold-tfjs, unfold-webgpu");
    expect(text).toContain("peers:  tfjs-cpu, tfjs-wasm, tfjs-webgpu, ort-wasm, jax-js");
    expect(text).toContain("unfold bench scaling");
    expect(text).toContain("unfold bench fidelity");
    expect(text).toContain("unfold bench soak");
  });
});

describe("the hessian-block workload", () => {
  it("times H_QQ in closed form against its assembly from Hessian-vector products: two rows per size, the speed-up as the ratio", async () => {
    const io = captureIO();
    await benchCommand(["--workload", "hessian-block", "--size", "tiny", "--repeats", "2", "--json"], io, { ...tiny, hessianBlockSizes: { tiny: 3 } });
    const { rows } = JSON.parse(io.lines.at(-1)!) as { rows: BenchRow[] };
    expect(rows.map((r) => [r.workload, r.size, r.engine])).toEqual([
      ["hessian-block", "d3", "closed-form"],
      ["hessian-block", "d3", "hvp-assembly (unfold-cpu)"],
    ]);
    const [closed, assembly] = rows as [BenchRow, BenchRow];
    // The two methods agree on the block; the assembly is the baseline.
    expect(closed.relErr).toBeLessThan(1e-10);
    expect(assembly.ratioVsBestPeer).toBe(1);
    expect(closed.ratioVsBestPeer).toBeCloseTo(assembly.medianMs! / closed.medianMs!, 10);
    for (const r of rows) {
      expect(r.minMs!).toBeLessThanOrEqual(r.medianMs!);
      expect(r.medianMs!).toBeLessThanOrEqual(r.maxMs!);
      expect(r.gflops).toBeNull();
    }
    expect(io.progressed.some((m) => m.includes("9 Hessian-vector products"))).toBe(true);
  });
});
