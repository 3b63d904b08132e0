import { Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ResultRecord, readJobResult } from "../../src/job/result.js";
import { enqueueSweep } from "../../src/queue/enqueue.js";
import { followSweep } from "../../src/queue/follow.js";
import { QUEUE_NAME } from "../../src/queue/payload.js";
import { type TestRedis, announceSkip, missingRedis, startTestRedis } from "./redis.js";
import { hessianSpec, scratchDir } from "./sweep.js";

const skip = missingRedis();
if (skip) announceSkip(skip);

/**
 * The follower reads a job in more than one command (its state, its fields), and a worker may
 * finish the job between them: the more likely when both wait out a Redis restart and send
 * their queued commands at once. Here a worker finishes the job right after the follower's
 * first read of it, every time; the follower must still see a done job, not a failed one.
 */
describe.skipIf(skip !== undefined)("a job that ends while the follower reads it", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis({ db: 8 });
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("is collated as it ended (done), not as failed for want of a result", async () => {
    const spec = hessianSpec("follow-race", { points: { flag: "points", values: [4] } });
    const dir = scratchDir();
    const connections = [0, 1, 2].map(() => new Redis(redis.url, { maxRetriesPerRequest: null }));
    const queue = new Queue(QUEUE_NAME, { connection: connections[0]! });
    const events = new QueueEvents(QUEUE_NAME, { connection: connections[1]! });
    // A worker driven by hand: it takes the job and completes it exactly when the test says.
    const worker = new Worker(QUEUE_NAME, null, { connection: connections[2]! });
    try {
      await events.waitUntilReady();
      const enqueued = await enqueueSweep(queue, spec);
      const [{ job, queueId }] = enqueued.jobs as [(typeof enqueued.jobs)[number]];
      const record: ResultRecord = { id: job.id, point: job.point, repeat: job.repeat, status: "done", metrics: { "slopes.Q_outer": 1 }, attempts: 1, host: "race", durationMs: 5 };
      let finishedInBetween = false;
      const finishNow = async (): Promise<void> => {
        if (finishedInBetween) return;
        finishedInBetween = true;
        const taken = await worker.getNextJob("race-token", { block: false });
        expect(taken?.id).toBe(queueId);
        await taken!.moveToCompleted(record, "race-token", false);
      };
      // Each of the follower's reads of the job returns what it read, after the job has ended: the first one does.
      const racing = new Proxy(queue, {
        get(target, property, receiver) {
          if (property === "getJob" || property === "getJobState") {
            return async (id: string) => {
              const read = await (target[property] as (id: string) => Promise<unknown>).call(target, id);
              await finishNow();
              return read;
            };
          }
          return Reflect.get(target, property, receiver) as unknown;
        },
      });
      const warnings: string[] = [];
      const followed = await followSweep({ queue: racing, events, jobs: enqueued.jobs, dir, onWarning: (m) => void warnings.push(m) });
      expect(finishedInBetween).toBe(true);
      expect(warnings).toEqual([]);
      expect(followed.records.get(job.id)).toMatchObject({ status: "done", host: "race" });
      expect(readJobResult(dir, job.id)).toMatchObject({ status: "done", metrics: { "slopes.Q_outer": 1 } });
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
      for (const c of connections) c.disconnect();
    }
  });
});
