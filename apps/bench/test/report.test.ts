import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { BenchRow } from "../src/runner.js";
import { MAD_TO_SIGMA, compareRuns, formatComparison, parseBenchJson } from "../src/report/compare.js";
import { markdownReport } from "../src/report/markdown.js";
import { RATIO_Y_LABEL, ratioCharts, writeCharts } from "../src/report/charts.js";

/** A row that ran, with a MAD giving it relative noise `noise` (as a standard deviation). */
function ran(fields: Partial<BenchRow> & Pick<BenchRow, "engine"> & { medianMs: number }, noise = 0.001): BenchRow {
  const m = fields.medianMs;
  return {
    workload: "unfold-forward",
    size: "tiny",
    minMs: m * 0.99,
    maxMs: m * 1.01,
    madMs: (noise * m) / MAD_TO_SIGMA,
    runs: 5,
    gflops: 1,
    relErr: 1e-7,
    ratioVsBestPeer: null,
    heapMB: 1,
    poolMB: null,
    ...fields,
  };
}

function notRun(engine: string, note: string, fields: Partial<BenchRow> = {}): BenchRow {
  return { workload: "unfold-forward", size: "tiny", engine, medianMs: null, minMs: null, maxMs: null, madMs: null, runs: 0, gflops: null, relErr: null, ratioVsBestPeer: null, heapMB: null, poolMB: null, note, ...fields };
}

/** The one entry of comparing a single row before and after. */
function compareOne(before: BenchRow, after: BenchRow, options?: { floor?: number; sigmas?: number }) {
  const c = compareRuns([before], [after], options);
  expect(c.entries).toHaveLength(1);
  return c.entries[0]!;
}

describe("compareRuns: the noise model", () => {
  it("flags a 10% slowdown of a quiet row as a regression, at the 5% floor", () => {
    const e = compareOne(ran({ engine: "e", medianMs: 100 }), ran({ engine: "e", medianMs: 110 }));
    expect(e.change).toBeCloseTo(0.1, 12);
    expect(e.threshold).toBe(0.05);
    expect(e.verdict).toBe("regression");
  });

  it("calls the same slowdown unchanged when both runs have 8% relative noise (threshold 3 * sqrt(2) * 8%)", () => {
    const e = compareOne(ran({ engine: "e", medianMs: 100 }, 0.08), ran({ engine: "e", medianMs: 110 }, 0.08));
    expect(e.threshold).toBeCloseTo(3 * Math.SQRT2 * 0.08, 10);
    expect(e.verdict).toBe("unchanged");
    // Fewer sigmas make the same change a regression.
    expect(compareOne(ran({ engine: "e", medianMs: 100 }, 0.08), ran({ engine: "e", medianMs: 110 }, 0.08), { sigmas: 0.5 }).verdict).toBe("regression");
  });

  it("flags a 40% speed-up as an improvement", () => {
    const e = compareOne(ran({ engine: "e", medianMs: 100 }), ran({ engine: "e", medianMs: 60 }));
    expect(e.change).toBeCloseTo(-0.4, 12);
    expect(e.verdict).toBe("improvement");
  });

  it("applies the floor when the MAD is 0, and a larger floor when asked", () => {
    const zero = (medianMs: number): BenchRow => ran({ engine: "e", medianMs }, 0);
    expect(compareOne(zero(100), zero(104)).threshold).toBe(0.05);
    expect(compareOne(zero(100), zero(104)).verdict).toBe("unchanged");
    expect(compareOne(zero(100), zero(106)).verdict).toBe("regression");
    expect(compareOne(zero(100), zero(106), { floor: 0.1 }).verdict).toBe("unchanged");
    expect(compareOne(zero(100), zero(106), { floor: 0.1 }).threshold).toBe(0.1);
  });

  it("is symmetric in ratio terms: 4.9% shorter is an improvement, 4.9% longer is not a regression", () => {
    const zero = (medianMs: number): BenchRow => ran({ engine: "e", medianMs }, 0);
    // The improvement bound of a 5% threshold is 1 / 1.05 - 1 = -4.76%.
    expect(compareOne(zero(100), zero(95.1)).verdict).toBe("improvement");
    expect(compareOne(zero(100), zero(104.9)).verdict).toBe("unchanged");
    expect(compareOne(zero(100), zero(95.3)).verdict).toBe("unchanged");
  });

  it("falls back to the half-range (max - min) / (2 median) when madMs is missing", () => {
    // r = 20 / 200 = 0.1 in both runs, so the threshold is 3 * sqrt(0.02) = 42.4%.
    const before = { ...ran({ engine: "e", medianMs: 100, minMs: 90, maxMs: 110 }), madMs: null };
    const after = { ...ran({ engine: "e", medianMs: 130, minMs: 117, maxMs: 143 }), madMs: null };
    const e = compareOne(before, after);
    expect(e.threshold).toBeCloseTo(3 * Math.sqrt(0.02), 10);
    expect(e.verdict).toBe("unchanged");
    // With the MAD present the range is ignored: a quiet MAD makes the same 30% a regression.
    expect(compareOne(ran({ engine: "e", medianMs: 100, minMs: 90, maxMs: 110 }), ran({ engine: "e", medianMs: 130, minMs: 117, maxMs: 143 })).verdict).toBe("regression");
  });

  it("rejects a negative floor or sigmas", () => {
    const r = ran({ engine: "e", medianMs: 1 });
    expect(() => compareRuns([r], [r], { floor: -0.1 })).toThrow(/floor/);
    expect(() => compareRuns([r], [r], { sigmas: Number.NaN })).toThrow(/sigmas/);
  });
});

describe("compareRuns: matching rows", () => {
  const before = [
    ran({ engine: "same", medianMs: 10 }),
    ran({ engine: "broke", medianMs: 10 }),
    ran({ engine: "gone", medianMs: 10 }),
    notRun("fixed", "unsupported: no kernel"),
    notRun("never", "unsupported: no kernel"),
    ran({ engine: "same", medianMs: 20, size: "big" }),
  ];
  const after = [
    ran({ engine: "same", medianMs: 10.1 }),
    notRun("broke", "failed: out of memory"),
    ran({ engine: "fixed", medianMs: 12 }),
    notRun("never", "unsupported: still none"),
    ran({ engine: "new", medianMs: 5 }),
    ran({ engine: "same", medianMs: 30, size: "big" }),
  ];

  it("matches by (workload, size, engine) and says what happened to the rest", () => {
    const c = compareRuns(before, after);
    const verdicts = c.entries.map((e) => `${e.size}/${e.engine}: ${e.verdict}`);
    // After's order, then the rows only the before run had.
    expect(verdicts).toEqual(["tiny/same: unchanged", "tiny/broke: stopped", "tiny/fixed: started", "tiny/never: not-run", "tiny/new: added", "big/same: regression", "tiny/gone: removed"]);
    const find = (engine: string) => c.entries.find((e) => e.engine === engine && e.size === "tiny")!;
    expect(find("broke")).toMatchObject({ beforeMs: 10, afterMs: null, change: null, threshold: null, note: "failed: out of memory" });
    expect(find("fixed")).toMatchObject({ beforeMs: null, afterMs: 12, change: null });
    expect(find("new")).toMatchObject({ beforeMs: null, afterMs: 5 });
    expect(find("gone")).toMatchObject({ beforeMs: 10, afterMs: null });
    expect(c.regressions).toBe(1);
    expect(c.improvements).toBe(0);
  });

  it("does not match rows of another workload or size", () => {
    const c = compareRuns([ran({ engine: "e", medianMs: 10, workload: "matmul" })], [ran({ engine: "e", medianMs: 10 })]);
    expect(c.entries.map((e) => e.verdict)).toEqual(["added", "removed"]);
  });

  it("refuses a run with two rows under one key", () => {
    const r = ran({ engine: "e", medianMs: 10 });
    expect(() => compareRuns([r, r], [r])).toThrow(/before run has two rows for unfold-forward tiny e/);
  });

  it("formats an aligned table that marks regressions, then the summary line", () => {
    const c = compareRuns(
      [ran({ engine: "slow", medianMs: 100 }), ran({ engine: "fast", medianMs: 100 }), ran({ engine: "steady", medianMs: 100 })],
      [ran({ engine: "slow", medianMs: 120 }), ran({ engine: "fast", medianMs: 50 }), ran({ engine: "steady", medianMs: 101 })],
    );
    const text = formatComparison(c);
    const lines = text.split("\n");
    expect(lines.at(-1)).toBe("1 regression, 1 improvement, 1 unchanged (beyond max(5%, 3 sigma) of the measured noise)");
    const flagged = lines.filter((l) => l.includes("REGRESSION"));
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toContain("slow");
    expect(flagged[0]).toContain("+20.0%");
    // Right-aligned numbers: the header's "after ms" ends where every row's after figure ends.
    const end = lines[0]!.indexOf("after ms") + "after ms".length;
    for (const [engine, after] of [["slow", "120.00"], ["fast", "50.00"], ["steady", "101.00"]] as const) {
      const row = lines.find((l) => l.includes(engine))!;
      expect(row.indexOf(after, row.indexOf(engine)) + after.length).toBe(end);
    }
  });

  it("counts the rows it could not compare in the summary", () => {
    const text = formatComparison(compareRuns(before, after));
    expect(text.split("\n").at(-1)).toBe("1 regression, 0 improvements, 1 unchanged (beyond max(5%, 3 sigma) of the measured noise); 1 stopped, 1 started, 1 added, 1 removed, 1 not-run");
  });
});

describe("parseBenchJson", () => {
  const rows = [ran({ engine: "tfjs-wasm", medianMs: 12 }), notRun("ort-wasm", "unsupported: no grad")];

  it("takes the last JSON line with rows from a whole stdout, after progress lines", () => {
    const stale = JSON.stringify({ rows: [ran({ engine: "stale", medianMs: 1 })] });
    const stdout = ["[bench] unfold-forward tiny: float64 reference ...", stale, "[bench] done", '{"not": "rows"}', JSON.stringify({ rows }), "", ""].join("\n");
    expect(parseBenchJson(stdout, "run.txt")).toEqual(rows);
  });

  it("reads a file holding just the object, pretty-printed", () => {
    expect(parseBenchJson(JSON.stringify({ rows }, null, 2), "run.json")).toEqual(rows);
  });

  it("reads older rows without madMs and runs as unknown", () => {
    const old = rows.map(({ madMs: _mad, runs: _runs, ...rest }) => rest);
    const parsed = parseBenchJson(JSON.stringify({ rows: old }), "old.json");
    expect(parsed[0]!.madMs).toBeNull();
    expect(parsed[0]!.runs).toBeNaN();
    expect(parsed[1]!.runs).toBe(0);
    expect(parsed[1]!.note).toBe("unsupported: no grad");
    // And the comparison then uses the min/max bound: r = (1.01 - 0.99) / 2 = 1%.
    expect(compareRuns(parsed, parsed).entries[0]!.threshold).toBe(0.05);
  });

  it("names the source and what is wrong", () => {
    expect(() => parseBenchJson("", "a.json")).toThrow(/^a\.json: is empty/);
    expect(() => parseBenchJson("[bench] starting\nSegmentation fault", "b.txt")).toThrow(/^b\.txt: not JSON/);
    expect(() => parseBenchJson('{"results": []}', "c.json")).toThrow(/^c\.json: the JSON object has no "rows" array/);
    expect(() => parseBenchJson('progress\n{"rows": 3}', "d.txt")).toThrow(/^d\.txt: no JSON line holds an object with a "rows" array/);
    const without = (field: string): string => JSON.stringify({ rows: [rows[0], Object.fromEntries(Object.entries(rows[0]!).filter(([k]) => k !== field))] });
    for (const field of ["workload", "size", "engine", "medianMs"]) {
      expect(() => parseBenchJson(without(field), "e.json")).toThrow(new RegExp(`^e\\.json: rows\\[1\\].* has no "${field}"`));
    }
    expect(() => parseBenchJson(JSON.stringify({ rows: [{ ...rows[0], medianMs: "12" }] }), "f.json")).toThrow(/^f\.json: rows\[0\] \(unfold-forward tiny tfjs-wasm\): "medianMs" is string/);
    expect(() => parseBenchJson(JSON.stringify({ rows: [{ ...rows[0], workload: "sorting" }] }), "g.json")).toThrow(/^g\.json: rows\[0\]: unknown workload "sorting"/);
    expect(() => parseBenchJson(JSON.stringify({ rows: [7] }), "h.json")).toThrow(/^h\.json: rows\[0\] is number, not an object/);
  });
});

describe("markdownReport", () => {
  const rows: BenchRow[] = [
    ran({ workload: "matmul", size: "6x5x7", engine: "unfold-cpu", medianMs: 12.3456, minMs: 12, maxMs: 13.5, madMs: 0.0123, gflops: 3.21, relErr: 1.1e-6, ratioVsBestPeer: 1.6612, heapMB: 0.25, poolMB: 3.0625 }),
    ran({ workload: "matmul", size: "6x5x7", engine: "tfjs-wasm", medianMs: 20.5, ratioVsBestPeer: 1 }),
    notRun("ort-wasm", "failed: a | b", { workload: "matmul", size: "6x5x7" }),
    ran({ workload: "unfold-forward", size: "tiny", engine: "unfold-cpu", medianMs: 0.0123456, ratioVsBestPeer: 0.05 }),
  ];
  const comparison = compareRuns(
    rows.map((r) => (r.medianMs === null ? r : { ...r, medianMs: r.medianMs / 2 })),
    rows,
  );
  const report = markdownReport({
    rows,
    work: [{ workload: "matmul", size: "6x5x7", flops: 420 }],
    engines: ["unfold-cpu: Unfold's WebAssembly backend"],
    comparison,
    charts: ["charts/ratio-matmul.svg"],
  });
  const section = (heading: string): string => {
    const start = report.indexOf(`\n## ${heading}\n`);
    expect(start, heading).toBeGreaterThanOrEqual(0);
    const next = report.indexOf("\n## ", start + 1);
    return report.slice(start, next < 0 ? undefined : next);
  };

  it("has one table per workload with the columns and formatted figures", () => {
    expect(report.startsWith("# Benchmark results\n")).toBe(true);
    const matmul = section("matmul");
    expect(matmul).toContain("| size | engine | median ms | min | max | MAD | GFLOP/s | relErr | vs best peer | heap MB | pool MB | note |");
    expect(matmul).toContain("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    expect(matmul).toContain("| 6x5x7 | unfold-cpu | 12.35 | 12.00 | 13.50 | 0.0123 | 3.21 | 1.1e-6 | 1.66x | 0.3 | 3.1 |  |");
    expect(matmul).toContain("| 6x5x7 | ort-wasm | - | - | - | - | - | - | - | - | - | failed: a \\| b |");
    expect(matmul).not.toContain("tiny");
    const forward = section("unfold-forward");
    expect(forward).toContain("| tiny | unfold-cpu | 0.0123 |");
    expect(forward).toContain("| 0.0500x |");
    // Every table row has the header's number of cells (an escaped pipe does not split one).
    for (const line of matmul.split("\n").filter((l) => l.startsWith("|"))) expect(line.split(/(?<!\\)\|/).length).toBe(14);
  });

  it("lists the counted work, the engines, the comparison and the charts", () => {
    expect(section("Counted work")).toContain("| matmul | 6x5x7 | 4.20e-7 |");
    expect(section("Engines")).toContain("- unfold-cpu: Unfold's WebAssembly backend");
    const compared = section("Comparison with the earlier run");
    expect(compared).toContain("3 regressions, 0 improvements, 0 unchanged (beyond max(5%, 3 sigma) of the measured noise); 1 not-run.");
    expect(compared).toContain("| matmul | 6x5x7 | unfold-cpu | 6.17 | 12.35 | +100.0% | 5.0% | **regression** |  |");
    expect(compared).toContain("| not-run | failed: a \\| b |");
    expect(section("Charts")).toContain("![ratio-matmul](charts/ratio-matmul.svg)");
  });

  it("explains its columns, with the tolerance, and its duration, when given them", () => {
    expect(report).not.toContain("## Columns");
    const explained = markdownReport({ rows, tolerance: 1e-3, elapsedSeconds: 61.4 });
    expect(explained).toContain("The run took 61 s.");
    expect(explained).toMatch(/## Columns\n\n- MAD: /);
    expect(explained).toContain("a peer whose relErr is above 0.001 is no baseline");
    expect(explained).toMatch(/- heap MB: .*lower bound on the peak/);
    expect(explained).toMatch(/- pool MB: .*onnxruntime-web's threaded memory is in neither column/);
  });

  it("is deterministic, with a date only when one is given", () => {
    expect(markdownReport({ rows })).toBe(markdownReport({ rows }));
    expect(markdownReport({ rows })).not.toMatch(/Generated/);
    expect(markdownReport({ rows, title: "Nightly", generatedAt: "2025-01-02" })).toMatch(/^# Nightly\n\nGenerated 2025-01-02\.\n/);
    expect(markdownReport({ rows })).not.toContain("## Comparison");
  });
});

describe("ratioCharts and writeCharts", () => {
  const rows: BenchRow[] = [
    ran({ workload: "unfold-forward", size: "tiny", engine: "unfold-cpu", medianMs: 1, ratioVsBestPeer: 2.5 }),
    ran({ workload: "unfold-forward", size: "tiny", engine: "tfjs-wasm", medianMs: 2, ratioVsBestPeer: 1 }),
    notRun("unfold-reference", "skipped: --quick"),
    ran({ workload: "unfold-forward", size: "small", engine: "unfold-cpu", medianMs: 10, ratioVsBestPeer: 0.08 }),
    notRun("tfjs-wasm", "failed: oom", { size: "small" }),
    ran({ workload: "train-step", size: "tiny", engine: "unfold-cpu", medianMs: 3 }),
    ran({ workload: "matmul", size: "6x5x7", engine: "unfold-cpu", medianMs: 3, ratioVsBestPeer: 20 }),
  ];

  it("draws one log-scale bar chart per workload with ratios, leaving out missing bars", () => {
    const charts = ratioCharts(rows);
    // train-step has no ratio anywhere: no chart.
    expect(charts.map((c) => c.name)).toEqual(["ratio-unfold-forward.svg", "ratio-matmul.svg"]);
    const forward = charts[0]!.svg;
    expect(forward.startsWith("<svg")).toBe(true);
    expect(forward.trimEnd().endsWith("</svg>")).toBe(true);
    expect(forward).toContain("unfold-forward");
    expect(forward).toContain(RATIO_Y_LABEL);
    expect(forward).toContain(">unfold-cpu<");
    expect(forward).toContain(">tfjs-wasm<");
    expect(forward).toContain(">small<");
    // The skipped reference has no ratio, so no legend entry; tfjs-wasm's failed row has no bar.
    expect(forward).not.toContain("unfold-reference");
    expect(forward.match(/class="bar"/g)).toHaveLength(3);
    // The baseline at 1 lies inside the axis (0.08x .. 2.5x), so it is drawn.
    expect(forward).toContain('class="baseline"');
    // An engine keeps its color from chart to chart.
    const color = (svg: string): string | undefined => svg.match(/class="bar"[^>]*fill="([^"]+)"/)?.[1];
    expect(color(charts[1]!.svg)).toBe(color(forward));
  });

  describe("writeCharts", () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it("writes each chart into a directory it creates and returns the paths", async () => {
      dir = await mkdtemp(join(tmpdir(), "bench-report-"));
      const out = join(dir, "nested", "charts");
      const charts = ratioCharts(rows);
      const paths = await writeCharts(out, charts);
      expect(paths).toEqual(charts.map((c) => join(out, c.name)));
      // Only the charts: no temporary file left behind.
      expect((await readdir(out)).sort()).toEqual(charts.map((c) => c.name).sort());
      for (const [i, path] of paths.entries()) expect(await readFile(path, "utf8")).toBe(charts[i]!.svg);
    });

    it("refuses a name that is not a plain file name, writing nothing", async () => {
      dir = await mkdtemp(join(tmpdir(), "bench-report-"));
      const out = join(dir, "charts");
      await expect(writeCharts(out, [{ name: "ok.svg", svg: "<svg/>" }, { name: "../escape.svg", svg: "<svg/>" }])).rejects.toThrow(/"\.\.\/escape\.svg" must be a plain file name/);
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
