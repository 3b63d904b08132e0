import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { quiet, writeSpec } from "../helpers/sweep.js";
import { type TestRedis, announceSkip, missingRedis, startTestRedis } from "./redis.js";
import { followOnQueue, hessianSpec, scratchDir, startWorker, stopWorker } from "./sweep.js";

const skip = missingRedis();
if (skip) announceSkip(skip);

/** results.jsonl without the fields that differ between machines and runs (host, wall time). */
const comparableRows = (dir: string): unknown[] =>
  readFileSync(join(dir, "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const { host: _host, durationMs: _duration, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return rest;
    });

describe.skipIf(skip !== undefined)("one sweep, embedded and distributed", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis({ db: 5 });
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("gives a byte-identical results table and the same records (seeded)", async () => {
    const spec = hessianSpec("same-results", { d: { flag: "d-model", values: [4, 8] }, points: { flag: "points", values: [4, 5] } });
    const dir = scratchDir();
    const specPath = writeSpec(dir, spec);

    const embedded = join(dir, "embedded");
    await runCommand([specPath, "--out", embedded, "--workers", "2"], { out: () => undefined, progress: () => undefined }, { progressStream: quiet });

    const root = join(dir, "shared");
    const workers = await Promise.all([0, 1].map(() => startWorker(redis.url, root)));
    try {
      await followOnQueue(specPath, redis.url, join(root, spec.name));
    } finally {
      await Promise.all(workers.map(stopWorker));
    }
    const distributed = join(root, spec.name);

    const table = readFileSync(join(embedded, "results.md"), "utf8");
    expect(table.split("\n").filter((l) => /^\| j\d{4} /.test(l))).toHaveLength(4);
    expect(readFileSync(join(distributed, "results.md"), "utf8")).toBe(table);
    expect(comparableRows(distributed)).toEqual(comparableRows(embedded));
  });
});
