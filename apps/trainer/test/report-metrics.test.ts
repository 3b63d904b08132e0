import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openMetrics, readMetrics } from "../src/report/metrics.js";

const dir = mkdtempSync(join(tmpdir(), "unfold-metrics-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(path: string, steps: readonly number[], options?: { resumeFromStep?: number }): Promise<void> {
  const metrics = openMetrics(path, options);
  for (const step of steps) metrics.write({ step, loss: 1 / step, split: "train" });
  await metrics.close();
}

describe("metrics JSONL", () => {
  it("writes one JSON object per line and reads them back", async () => {
    const path = join(dir, "fresh", "run", "metrics.jsonl");
    const metrics = openMetrics(path);
    metrics.write({ step: 1, loss: 0.5, accuracy: 0.75 });
    // Each record is on disk as soon as write returns.
    expect(readFileSync(path, "utf8")).toBe('{"step":1,"loss":0.5,"accuracy":0.75}\n');
    metrics.write({ step: 2, loss: Number.NaN, note: "diverged" });
    await metrics.close();
    await metrics.close();
    expect(readMetrics(path)).toEqual([
      { step: 1, loss: 0.5, accuracy: 0.75 },
      { step: 2, loss: null, note: "diverged" },
    ]);
    expect(() => metrics.write({ step: 3 })).toThrow(/write after close/);
  });

  it("starts a fresh run's file empty", async () => {
    const path = join(dir, "again.jsonl");
    await run(path, [1, 2, 3]);
    await run(path, [1]);
    expect(readMetrics(path).map((r) => r.step)).toEqual([1]);
  });

  it("keeps the steps up to the checkpoint on resume and drops the later ones, before any new write", async () => {
    const path = join(dir, "resume", "metrics.jsonl");
    await run(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const metrics = openMetrics(path, { resumeFromStep: 6 });
    expect(readMetrics(path).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const step of [7, 8]) metrics.write({ step, loss: 1 / step, split: "train" });
    await metrics.close();
    const steps = readMetrics(path).map((r) => r.step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(steps).size).toBe(steps.length);
    // Kept lines are the original text, and no temporary file is left behind.
    expect(readFileSync(path, "utf8").split("\n")[0]).toBe('{"step":1,"loss":1,"split":"train"}');
    expect(readdirSync(join(dir, "resume"))).toEqual(["metrics.jsonl"]);
  });

  it("resumes from step 0 or with no file yet", async () => {
    const path = join(dir, "zero.jsonl");
    await run(path, [1, 2]);
    await run(path, [], { resumeFromStep: 0 });
    expect(readMetrics(path)).toEqual([]);
    const missing = join(dir, "new", "metrics.jsonl");
    await run(missing, [5], { resumeFromStep: 4 });
    expect(readMetrics(missing).map((r) => r.step)).toEqual([5]);
  });

  it("drops a last line torn by a killed process", async () => {
    const path = join(dir, "torn.jsonl");
    await run(path, [1, 2, 3]);
    appendFileSync(path, '{"step":4,"lo');
    expect(readMetrics(path).map((r) => r.step)).toEqual([1, 2, 3]);
    await run(path, [3], { resumeFromStep: 2 });
    expect(readFileSync(path, "utf8")).not.toContain('"lo\n');
    expect(readMetrics(path).map((r) => r.step)).toEqual([1, 2, 3]);
  });

  it("names the file and line of a bad record", async () => {
    const path = join(dir, "bad.jsonl");
    writeFileSync(path, '{"step":1}\n{"step":2,\n{"step":3}\n');
    expect(() => readMetrics(path)).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: not valid JSON`));
    writeFileSync(path, '{"step":1}\n\n{"loss":2}\n');
    expect(() => readMetrics(path)).toThrow(/bad\.jsonl:3: a metrics record must be a JSON object with a numeric "step"/);
    writeFileSync(path, '[1]\n');
    expect(() => readMetrics(path)).toThrow(/:1: a metrics record/);
    // A resume refuses to rewrite a corrupt file rather than silently losing records.
    writeFileSync(path, '{"step":1}\nnot json\n{"step":2}\n');
    expect(() => openMetrics(path, { resumeFromStep: 5 })).toThrow(/bad\.jsonl:2: not valid JSON/);
    expect(readFileSync(path, "utf8")).toBe('{"step":1}\nnot json\n{"step":2}\n');
  });

  it("refuses records without a usable step", async () => {
    const path = join(dir, "steps.jsonl");
    const metrics = openMetrics(path);
    expect(() => metrics.write({ step: Number.NaN })).toThrow(/finite numeric step, got NaN/);
    expect(() => metrics.write({ step: "3" } as unknown as { step: number })).toThrow(/finite numeric step/);
    await metrics.close();
    expect(existsSync(path)).toBe(true);
    expect(readMetrics(path)).toEqual([]);
    expect(() => openMetrics(path, { resumeFromStep: Number.NaN })).toThrow(/resumeFromStep must be a finite number/);
  });
});
