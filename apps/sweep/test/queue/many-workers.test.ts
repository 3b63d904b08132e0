import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningCommand } from "@unfold/testing";
import { statusCommand } from "../../src/commands/status.js";
import { expandSpec } from "../../src/spec/expand.js";
import { writeSpec } from "../helpers/sweep.js";
import { type TestRedis, announceSkip, missingRedis, startTestRedis } from "./redis.js";
import { attemptsLogged, followOnQueue, hessianSpec, jobDirs, results, scratchDir, startWorker, stopWorker } from "./sweep.js";

const skip = missingRedis();
if (skip) announceSkip(skip);

describe.skipIf(skip !== undefined)("a sweep across several workers", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis({ db: 1 });
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("runs a 12-job sweep on 3 workers, each job exactly once, and collates it like `sweep run` does", async () => {
    // 2 widths x 3 point counts x 2 sample counts = 12 jobs.
    const spec = hessianSpec("twelve", { d: { flag: "d-model", values: [4, 8] }, points: { flag: "points", values: [4, 5, 6] }, samples: { flag: "samples", values: [1, 2] } });
    const dir = scratchDir();
    const specPath = writeSpec(dir, spec);
    const root = join(dir, "shared");
    const workers: RunningCommand[] = await Promise.all([0, 1, 2].map(() => startWorker(redis.url, root)));
    try {
      const started = performance.now();
      const { summary } = await followOnQueue(specPath, redis.url, join(root, spec.name));
      const seconds = (performance.now() - started) / 1000;
      expect(summary).toMatchObject({ jobs: 12, done: 12, failed: 0, pending: 0 });
      const sweepRoot = join(root, spec.name);
      const ids = expandSpec(spec).map((j) => j.id);
      expect(jobDirs(sweepRoot)).toEqual(ids);
      // Exactly once: one attempt in each job's own log, one "started" line per job over all workers' logs.
      expect(ids.map((id) => attemptsLogged(sweepRoot, id))).toEqual(ids.map(() => 1));
      expect(results(sweepRoot, ids).map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ["done", 1]));
      const starts = workers.flatMap((w) => [...w.output().stderr.matchAll(/^twelve (j\d{4}): started/gm)].map((m) => m[1]!));
      expect(starts.sort()).toEqual(ids);
      const perWorker = workers.map((w) => [...w.output().stderr.matchAll(/: started/g)].length);
      console.info(`12-job sweep on 3 workers: ${seconds.toFixed(1)} s; jobs per worker ${perWorker.join(", ")}; overhead ${JSON.stringify(summary.overhead)}`);

      // The queue agrees: 12 completed, none failed.
      const lines: string[] = [];
      await statusCommand(["twelve", "--queue", redis.url, "--json"], { out: (l) => void lines.push(l), progress: () => undefined });
      const status = JSON.parse(lines.at(-1)!) as { sweeps: { sweep: string; counts: Record<string, number> }[] };
      expect(status.sweeps).toEqual([{ sweep: "twelve", counts: { waiting: 0, active: 0, delayed: 0, completed: 12, failed: 0 }, failed: [] }]);

      // Following the same sweep again adds nothing and runs nothing: the queue ids are the spec's.
      const again = await followOnQueue(specPath, redis.url, join(dir, "again"));
      expect(again.summary).toMatchObject({ jobs: 12, done: 12 });
      expect(again.progressed.join("\n")).toMatch(/0 added, 12 already on the queue/);
      expect(ids.map((id) => attemptsLogged(sweepRoot, id))).toEqual(ids.map(() => 1));
    } finally {
      await Promise.all(workers.map(stopWorker));
    }
    // SIGTERM with no job running: each worker leaves with 143.
    for (const w of workers) expect((await w.exited).code).toBe(143);
  });
});
