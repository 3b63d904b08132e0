import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusCommand } from "../../src/commands/status.js";
import { QUEUE_NAME, queueJobId, queuedJobData } from "../../src/queue/payload.js";
import { expandSpec } from "../../src/spec/expand.js";
import { writeSpec } from "../helpers/sweep.js";
import { type TestRedis, announceSkip, missingRedis, startTestRedis } from "./redis.js";
import { attemptsLogged, followOnQueue, hessianSpec, results, scratchDir, startWorker, stopWorker, waitUntil } from "./sweep.js";

const skip = missingRedis();
if (skip) announceSkip(skip);

describe.skipIf(skip !== undefined)("jobs that fail and jobs that are refused", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis({ db: 3 });
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("a poisoned job stops after its retries with its error in the table; malformed payloads pushed onto the queue are refused before anything runs", async () => {
    const dir = scratchDir();
    const root = join(dir, "shared");
    const worker = await startWorker(redis.url, root);
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection });
    try {
      // Malformed jobs straight onto the queue, each with 3 attempts: none may run, none may be retried.
      const good = hessianSpec("innocent", { d: { flag: "d-model", values: [4] } });
      const [job] = expandSpec(good);
      const evil: [string, unknown][] = [
        ["evil-000000000000-j0000", { spec: { ...good, command: "sh -c" }, job: "j0000" }],
        ["evil-000000000001-j0000", { spec: { ...good, base: { ...good.base, plot: "/tmp/owned.svg" } }, job: "j0000" }],
        ["escape-000000000000-j0000", { spec: { ...good, name: "../../escape" }, job: "j0000" }],
        ["traversal", { spec: good, job: "../../../etc" }],
        ["argv", { ...queuedJobData(good, job!), argv: ["rm", "-rf", "/"] }],
        // A well-formed payload under an id that is not its job's: it would run under a name nobody enqueued.
        ["innocent-000000000000-j0000", queuedJobData(good, job!)],
      ];
      for (const [id, data] of evil) await queue.add("sweep-job", data, { jobId: id, attempts: 3 });
      for (const [id] of evil) {
        await waitUntil(`job ${id} refused`, () => (worker.output().stderr.includes(`${id}: refused: `) ? true : undefined));
      }
      for (const [id] of evil) {
        const bull = await queue.getJob(id);
        expect(await bull!.getState()).toBe("failed");
        expect(bull!.failedReason).toMatch(/^refused: queued job /);
        expect(bull!.attemptsStarted).toBe(1);
      }
      // Nothing ran and nothing was written: the worker's results root is still empty.
      expect(worker.output().stderr).not.toMatch(/: started \(attempt/);
      expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);

      // A deterministic failure (2 points: too few to fit a slope) beside a job that works; 1 retry.
      const spec = hessianSpec("poison", { points: { flag: "points", values: [1, 4] } }, { retries: 1 });
      const specPath = writeSpec(dir, spec);
      const sweepRoot = join(root, spec.name);
      let error: Error | undefined;
      await followOnQueue(specPath, redis.url, sweepRoot).catch((e: Error) => void (error = e));
      expect(error?.message).toMatch(/^1 of 2 jobs failed after their retries; their errors are in .*results\.md$/);
      const [poisoned, healthy] = results(sweepRoot, ["j0000", "j0001"]);
      expect(poisoned).toMatchObject({ status: "failed", attempts: 2 });
      expect(poisoned!.error).toMatch(/^exit 1: /);
      expect(healthy).toMatchObject({ status: "done", attempts: 1 });
      // Two attempts in its own log, no third.
      expect(attemptsLogged(sweepRoot, "j0000")).toBe(2);
      const table = readFileSync(join(sweepRoot, "results.md"), "utf8");
      expect(table).toContain(poisoned!.error!.replace(/\|/g, "\\|").slice(0, 40));
      expect((await queue.getJob(queueJobId(spec, "j0000")))!.attemptsStarted).toBe(2);

      // `sweep status` shows the refusals and the failure with their errors.
      const lines: string[] = [];
      await statusCommand(["--queue", redis.url], { out: (l) => void lines.push(l), progress: () => undefined });
      const text = lines.join("\n");
      expect(text).toMatch(/poison\s+0\s+0\s+0\s+1\s+1/);
      expect(text).toMatch(/\(not a sweep job\)\s+0\s+0\s+0\s+0\s+2/);
      expect(text).toMatch(/poison j0000 \(2 attempts\): exit 1: /);
      expect(text).toMatch(/evil j0000 \(1 attempt\): refused: queued job "evil-000000000000-j0000": spec: field command: must be one of/);
    } finally {
      await queue.close();
      connection.disconnect();
      await stopWorker(worker);
    }
  });
});
