import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningCommand } from "@unfold/testing";
import { TINY_TRAIN_BASE, trainSpec, writeSpec } from "../helpers/sweep.js";
import { type TestRedis, announceSkip, missingRedis, startTestRedis } from "./redis.js";
import { attemptsLogged, followOnQueue, results, scratchDir, startWorker, stopWorker, waitUntil } from "./sweep.js";

const skip = missingRedis();
if (skip) announceSkip(skip);

/** Periodic checkpoints only at step 1000 of 1200: any other checkpoint step was saved on a SIGTERM. */
const CHECKPOINT_EVERY = 1000;

/** The last step the job's trainer recorded in its metrics.jsonl (every step appends a line), or undefined before the first. */
function lastStep(sweepRoot: string): number | undefined {
  try {
    const lines = readFileSync(join(sweepRoot, "jobs", "j0000", "run", "metrics.jsonl"), "utf8").trim().split("\n");
    const steps = lines.map((l) => (JSON.parse(l) as { step?: number }).step).filter((x): x is number => typeof x === "number");
    return steps.at(-1);
  } catch {
    return undefined;
  }
}

const whoStarted = (workers: readonly RunningCommand[], attempt: number): RunningCommand | undefined =>
  workers.find((w) => w.output().stderr.includes(`j0000: started (attempt ${attempt})`));

describe.skipIf(skip !== undefined)("a worker lost mid-job", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis({ db: 2 });
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("SIGKILL: the job goes to another worker and resumes from its checkpoint; SIGTERM: the worker hands it back and a third resumes it", async () => {
    // One trainer job of 1200 steps (300 epochs of 4 batches).
    const spec = trainSpec({
      name: "lost-worker",
      base: { ...TINY_TRAIN_BASE, train: { ...TINY_TRAIN_BASE.train, epochs: 300, checkpointEvery: CHECKPOINT_EVERY } },
      axes: { lr: { path: "train.learningRate", values: [0.003] } },
      retries: 0,
    });
    const dir = scratchDir();
    const specPath = writeSpec(dir, spec);
    const root = join(dir, "shared");
    const sweepRoot = join(root, spec.name);
    // A silent worker loses its job after 2 s here (30 s by default).
    const workers = await Promise.all([0, 1, 2].map(() => startWorker(redis.url, root, ["--lock-timeout", "2"])));
    try {
      const following = followOnQueue(specPath, redis.url, sweepRoot);
      following.catch(() => undefined);

      // Attempt 1 trains a few steps; then its worker is killed without a word. Its trainer learns of it
      // (through the tether between them), saves a checkpoint and exits.
      const first = await waitUntil("the first attempt to start", () => whoStarted(workers, 1));
      await waitUntil("training steps", () => ((lastStep(sweepRoot) ?? 0) >= 20 ? true : undefined));
      first.child.kill("SIGKILL");
      expect((await first.exited).signal).toBe("SIGKILL");

      // Another worker takes it once the lock lapses, and resumes from that checkpoint: not a periodic one.
      const second = await waitUntil("a second attempt", () => whoStarted(workers, 2));
      expect(second).not.toBe(first);
      const resumeLine = (): string => readFileSync(join(sweepRoot, "jobs", "j0000", "output.log"), "utf8").split("\n").filter((l) => l.startsWith("--- ")).at(-1) ?? "";
      const resumedAt = Number(await waitUntil("the second attempt's resume line", () => /resuming step (\d+)/.exec(resumeLine())?.[1]));
      expect(resumedAt).toBeGreaterThanOrEqual(20);
      expect(resumedAt).toBeLessThan(CHECKPOINT_EVERY);
      await waitUntil("progress after the resume", () => ((lastStep(sweepRoot) ?? 0) > resumedAt ? true : undefined));

      // SIGTERM: the worker stops its trainer (which saves), hands the job back without using a retry, and exits 143.
      await stopWorker(second);
      expect((await second.exited).code).toBe(143);
      expect(second.output().stderr).toMatch(/j0000: worker stopped by SIGTERM; handed back to the queue/);
      const third = workers.find((w) => w !== first && w !== second)!;

      const { summary } = await following;
      expect(summary).toMatchObject({ jobs: 1, done: 1, failed: 0 });
      const [record] = results(sweepRoot, ["j0000"]);
      // Three starts: the killed one, the stopped one, the last; retries 0, yet nothing failed: neither a lost
      // worker nor a stopped one uses up the job's retries.
      expect(record).toMatchObject({ status: "done", attempts: 3 });
      expect(attemptsLogged(sweepRoot, "j0000")).toBe(3);
      expect(third.output().stderr).toMatch(/j0000: started \(attempt 3\)/);
      // The last attempt resumed from the checkpoint the stopped trainer saved, past where the second attempt started.
      expect(record!.resumedFromStep).toBeGreaterThan(resumedAt);
      const jsonl = readFileSync(join(sweepRoot, "results.jsonl"), "utf8");
      expect(JSON.parse(jsonl.trim())).toMatchObject({ id: "j0000", resumedFromStep: record!.resumedFromStep });
    } finally {
      await Promise.all(workers.map(stopWorker));
    }
  });
});
