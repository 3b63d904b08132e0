import { readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { captureIO, startCommand } from "@unfold/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepMain } from "../../src/commands/main.js";
import { quiet, tempDir } from "../helpers/sweep.js";
import { type TestRedis, announceSkip, missingRedis, startTestRedis } from "./redis.js";
import { SWEEP_BIN, stopWorker } from "./sweep.js";

/**
 * The README's "Across machines" commands run as written against a test Redis: its address in
 * place of redis://127.0.0.1:6379, and the results under a scratch folder instead of out/sweeps.
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const readme = readFileSync(join(repo, "README.md"), "utf8");
const start = readme.indexOf("\n### Across machines (BullMQ + Redis)\n");
const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
const commands = [...section.matchAll(/```bash\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1]!.split("\n"))
  .map((line) => line.replace(/#.*$/, "").trim())
  .filter((line) => line.startsWith("pnpm sweep "));
const README_URL = "redis://127.0.0.1:6379";

const skip = missingRedis();
if (skip) announceSkip(skip);

describe("the README's sweep across machines", () => {
  it("shows a worker, the growth-rate sweep on the queue and its status", () => {
    expect(start).toBeGreaterThan(0);
    expect(commands.map((c) => c.split(" ")[2])).toEqual(["worker", "run", "status"]);
    expect(commands[1]).toContain("apps/sweep/examples/growth-rate.json");
    for (const c of commands) expect(c).toContain(`--queue ${README_URL}`);
  });

  describe.skipIf(skip !== undefined)("run against a test Redis", () => {
    let redis: TestRedis;
    const scratch = tempDir("unfold-sweep-readme-queue-");
    beforeAll(async () => {
      redis = await startTestRedis({ db: 7 });
    });
    afterAll(async () => {
      await redis?.dispose();
      rmSync(scratch, { recursive: true, force: true });
    });
    const argsOf = (line: string): string[] => line.split(/\s+/).slice(2).map((a) => (a === README_URL ? redis.url : a.endsWith(".json") ? join(repo, a) : a));

    it("runs the growth-rate grid through a worker and collates it", async () => {
      const [workerLine, runLine, statusLine] = commands;
      const worker = startCommand(SWEEP_BIN, [...argsOf(workerLine!), "--out", scratch], { timeoutMs: 600_000 });
      try {
        await worker.waitFor(/waiting for jobs/);
        const run = captureIO();
        await sweepMain([...argsOf(runLine!), "--out", join(scratch, "growth-rate"), "--json"], run, { progressStream: quiet });
        expect(JSON.parse(run.lines.at(-1)!)).toMatchObject({ sweep: "growth-rate", jobs: 3, done: 3, failed: 0 });
        const status = captureIO();
        await sweepMain(argsOf(statusLine!), status);
        expect(status.lines.join("\n")).toMatch(/growth-rate\s+0\s+0\s+0\s+3\s+0/);
      } finally {
        await stopWorker(worker);
      }
    });
  });
});
