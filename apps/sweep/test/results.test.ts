import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ResultRecord, collectResults, expandSpec, jobDirectory, recordSweepSpec, validateSweepSpec, writeJobResult, writeResults } from "../src/index.js";
import { tempDir } from "./helpers/sweep.js";

const scratch = tempDir();
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const spec = validateSweepSpec(
  {
    name: "table",
    command: "train",
    axes: { lr: { path: "train.learningRate", values: [0.001, 0.01] }, head: { path: "model.head", values: ["flatten", "mean"] } },
    repeats: 2,
    seed: { path: "train.seed" },
    metrics: ["testAccuracy", "energyByLayer.0"],
    retries: 1,
  },
  "s",
);
const jobs = expandSpec(spec);

/** Results for the first `count` jobs: job j0005 failed; the rest done with made-up metrics. */
function records(count: number, host = "here"): ResultRecord[] {
  return jobs.slice(0, count).map((job): ResultRecord =>
    job.id === "j0005"
      ? { id: job.id, point: job.point, repeat: job.repeat, status: "failed", metrics: {}, attempts: 2, host, durationMs: 5, error: "exit 1: field model.dim | bad\nvalue" }
      : { id: job.id, point: job.point, repeat: job.repeat, status: "done", metrics: { testAccuracy: 0.25 + job.index / 100, "energyByLayer.0": -1000.123456789 * (job.repeat + 1) }, attempts: 1, host, durationMs: 100 + job.index },
  );
}

describe("writeResults", () => {
  it("results.md: a row per job sorted by id, axes, repeat, status, attempts, metrics to 6 digits, the error; pending jobs listed", async () => {
    const root = join(scratch, "md");
    mkdirSync(root);
    const written = await writeResults(root, spec, records(6).reverse());
    expect(readFileSync(written.markdown, "utf8")).toBe(
      [
        "# Sweep table",
        "",
        "`unfold train`, 8 jobs: 5 done, 1 failed, 2 pending.",
        "",
        "| id | lr | head | repeat | status | attempts | testAccuracy | energyByLayer.0 | error |",
        "| --- | ---: | --- | ---: | --- | ---: | ---: | ---: | --- |",
        "| j0000 | 0.001 | flatten | 0 | done | 1 | 0.25 | -1000.12 |  |",
        "| j0001 | 0.001 | flatten | 1 | done | 1 | 0.26 | -2000.25 |  |",
        "| j0002 | 0.001 | mean | 0 | done | 1 | 0.27 | -1000.12 |  |",
        "| j0003 | 0.001 | mean | 1 | done | 1 | 0.28 | -2000.25 |  |",
        "| j0004 | 0.01 | flatten | 0 | done | 1 | 0.29 | -1000.12 |  |",
        "| j0005 | 0.01 | flatten | 1 | failed | 2 |  |  | exit 1: field model.dim \\| bad value |",
        "| j0006 | 0.01 | mean | 0 | pending | 0 |  |  |  |",
        "| j0007 | 0.01 | mean | 1 | pending | 0 |  |  |  |",
        "",
      ].join("\n"),
    );
    const lines = readFileSync(written.jsonl, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l["id"], l["status"]])).toEqual(jobs.map((j) => [j.id, j.index < 5 ? "done" : j.index === 5 ? "failed" : "pending"]));
    // Every field of a result, host and duration included.
    expect(lines[0]).toEqual(records(1)[0]);
  });

  it("the tables leave host and duration out: two runs on different machines give the same bytes", async () => {
    const a = join(scratch, "a");
    const b = join(scratch, "b");
    mkdirSync(a);
    mkdirSync(b);
    const fromA = await writeResults(a, spec, records(8, "machine-a"));
    const fromB = await writeResults(b, spec, records(8, "machine-b").map((r) => ({ ...r, durationMs: r.durationMs * 3 })));
    expect(readFileSync(fromA.markdown, "utf8")).toBe(readFileSync(fromB.markdown, "utf8"));
    for (const plot of fromA.plots) expect(readFileSync(plot, "utf8")).toBe(readFileSync(join(b, "plots", plot.split("/").at(-1)!), "utf8"));
    expect(readFileSync(fromA.jsonl, "utf8")).not.toBe(readFileSync(fromB.jsonl, "utf8"));
  });

  it("plots/<metric>-vs-<axis>.svg for each metric and axis: SVG with the means and every run's point", async () => {
    const root = join(scratch, "plots");
    mkdirSync(root);
    const { plots } = await writeResults(root, spec, records(8));
    expect(readdirSync(join(root, "plots")).sort()).toEqual(["energyByLayer.0-vs-head.svg", "energyByLayer.0-vs-lr.svg", "testAccuracy-vs-head.svg", "testAccuracy-vs-lr.svg"]);
    expect(plots).toHaveLength(4);
    const svg = readFileSync(join(root, "plots", "testAccuracy-vs-lr.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("testAccuracy against lr");
    // lr is numeric: a line per head (2 means each, dotted) and a lone dot per done run (7).
    expect(svg.match(/class="marker"/g)).toHaveLength(2 * 2 + 7);
    // head is a word: bars of the means, one per head and lr.
    const bars = readFileSync(join(root, "plots", "testAccuracy-vs-head.svg"), "utf8");
    expect(bars).toContain("testAccuracy against head");
    expect(bars).toContain("lr=0.001");
  });
});

describe("collectResults", () => {
  it("reads every job's result.json under the root; jobs without one are pending", async () => {
    const root = join(scratch, "collect");
    mkdirSync(root);
    await recordSweepSpec(root, spec, "--out");
    for (const r of records(3)) await writeJobResult(root, r);
    const collected = collectResults(root);
    expect([collected.done, collected.failed, collected.pending]).toEqual([3, 0, 5]);
    expect(collected.rows.map((r) => r.status)).toEqual(["done", "done", "done", "pending", "pending", "pending", "pending", "pending"]);
  });

  it("a damaged result file is named, with how to run the job again", async () => {
    const root = join(scratch, "damaged");
    mkdirSync(root);
    await recordSweepSpec(root, spec, "--out");
    mkdirSync(jobDirectory(root, "j0001"), { recursive: true });
    const path = join(jobDirectory(root, "j0001"), "result.json");
    writeFileSync(path, "{");
    expect(() => collectResults(root)).toThrow(`${path}: not valid JSON; remove it to run job j0001 again`);
    writeFileSync(path, JSON.stringify({ ...records(2)[1], attempts: 0 }));
    expect(() => collectResults(root)).toThrow(`${path}: field attempts:`);
  });

  it("a root holds one sweep: recording another spec there is refused, naming the folder", async () => {
    const root = join(scratch, "one-sweep");
    mkdirSync(root);
    await recordSweepSpec(root, spec, "--out");
    await expect(recordSweepSpec(root, { ...spec, retries: 0 }, "--out")).rejects.toThrow(`--out: '${root}' holds the sweep 'table' of another spec`);
    await expect(recordSweepSpec(root, spec, "--out")).resolves.toBeUndefined();
  });
});
