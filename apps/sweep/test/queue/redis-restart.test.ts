import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandSpec } from "../../src/spec/expand.js";
import { writeSpec } from "../helpers/sweep.js";
import { type TestRedis, announceSkip, missingRedis, startTestRedis } from "./redis.js";
import { attemptsLogged, followOnQueue, hessianSpec, results, scratchDir, startWorker, stopWorker, waitUntil } from "./sweep.js";

const skip = missingRedis(true);
if (skip) announceSkip(skip);

describe.skipIf(skip !== undefined)("Redis restarted mid-sweep", () => {
  const servers: TestRedis[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((r) => r.dispose()));
  });

  // With its append-only file on (what a sweep that should outlive a restart runs on), the queue
  // comes back as it was; without, it comes back empty and the follower queues the lost jobs again.
  it.each([
    ["with its data kept", true],
    ["with its data lost", false],
  ])("%s: the worker and the follower reconnect and the sweep finishes, each job run once", async (_name, persist) => {
    const redis = await startTestRedis({ db: 4, private: true, persist });
    servers.push(redis);
    const spec = hessianSpec(persist ? "restart-kept" : "restart-lost", { points: { flag: "points", values: [4, 5, 6, 7] } });
    const dir = scratchDir();
    const specPath = writeSpec(dir, spec);
    const root = join(dir, "shared");
    const sweepRoot = join(root, spec.name);
    const worker = await startWorker(redis.url, root);
    try {
      const following = followOnQueue(specPath, redis.url, sweepRoot);
      following.catch(() => undefined);
      // Once the first job has ended, Redis goes away for a second and comes back.
      await waitUntil("the first result", () => (existsSync(join(sweepRoot, "jobs", "j0000", "result.json")) ? true : undefined));
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1000));
      await redis.start();

      const { summary, progressed } = await following;
      expect(summary).toMatchObject({ jobs: 4, done: 4, failed: 0, pending: 0 });
      const ids = expandSpec(spec).map((j) => j.id);
      expect(results(sweepRoot, ids).map((r) => r.status)).toEqual(["done", "done", "done", "done"]);
      expect(ids.map((id) => attemptsLogged(sweepRoot, id))).toEqual([1, 1, 1, 1]);
      // Both sides saw the outage and carried on.
      expect(progressed.join("\n")).toMatch(/queue: .*\(reconnecting\)/);
      if (!persist) expect(progressed.join("\n")).toMatch(/is no longer on the queue \(Redis lost its data\?\); queuing it again/);
      expect(worker.output().stderr).toMatch(/queue: .*\(reconnecting\)[\s\S]*queue: connected again to redis:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await stopWorker(worker);
    }
  });
});
