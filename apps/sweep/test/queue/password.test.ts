import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rejectionOf } from "@unfold/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { statusCommand } from "../../src/commands/status.js";
import { PASSWORD_ENV } from "../../src/queue/connection.js";
import { writeSpec } from "../helpers/sweep.js";
import { type TestRedis, announceSkip, missingRedis, startTestRedis } from "./redis.js";
import { followOnQueue, hessianSpec, scratchDir, startWorker, stopWorker } from "./sweep.js";

const skip = missingRedis(true);
if (skip) announceSkip(skip);

const SECRET = "pw-7f3c9a1e-never-shown";

describe.skipIf(skip !== undefined)("a Redis with a password", () => {
  let redis: TestRedis;
  const saved = process.env[PASSWORD_ENV];
  beforeAll(async () => {
    redis = await startTestRedis({ db: 6, private: true, args: ["--requirepass", SECRET] });
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[PASSWORD_ENV];
    else process.env[PASSWORD_ENV] = saved;
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  const io = (into: string[]) => ({ out: (l: string) => void into.push(l), progress: (m: string) => void into.push(m) });
  const port = (): string => new URL(redis.url).port;

  it("runs a sweep with the password from UNFOLD_REDIS_PASSWORD and never prints it", async () => {
    const spec = hessianSpec("locked", { points: { flag: "points", values: [4] } });
    const dir = scratchDir();
    const specPath = writeSpec(dir, spec);
    const root = join(dir, "shared");
    const worker = await startWorker(redis.url, root, [], { [PASSWORD_ENV]: SECRET });
    process.env[PASSWORD_ENV] = SECRET;
    const printed: string[] = [];
    try {
      const detached: string[] = [];
      await runCommand([specPath, "--queue", redis.url, "--detach", "--json"], io(detached), {});
      expect(detached.join("\n")).toContain(`redis://:***@127.0.0.1:${port()}`);
      printed.push(...detached);
      const { lines, progressed, summary } = await followOnQueue(specPath, redis.url, join(root, spec.name));
      expect(summary).toMatchObject({ done: 1, failed: 0 });
      printed.push(...lines, ...progressed);
      await statusCommand(["--queue", redis.url], io(printed));
      await statusCommand(["--queue", redis.url, "--json"], io(printed));
    } finally {
      await stopWorker(worker);
    }
    printed.push(worker.output().stdout, worker.output().stderr);
    const everything = [...printed, readFileSync(join(root, spec.name, "results.jsonl"), "utf8"), readFileSync(join(root, spec.name, "jobs", "j0000", "output.log"), "utf8")].join("\n");
    expect(everything).toContain(`:***@127.0.0.1:${port()}`);
    expect(everything).not.toContain(SECRET);
  });

  // Bad input: a wrong or missing password is one clear error naming the address, without the password.
  it("refuses a wrong password at once, without printing it", async () => {
    process.env[PASSWORD_ENV] = "wrong-password-also-secret";
    const message = await rejectionOf(() => statusCommand(["--queue", redis.url], io([])));
    expect(message).toMatch(new RegExp(`^--queue: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port()}: WRONGPASS`));
    expect(message).not.toContain("wrong-password-also-secret");
  });

  it("says a password is needed when none is given", async () => {
    delete process.env[PASSWORD_ENV];
    const message = await rejectionOf(() => statusCommand(["--queue", redis.url], io([])));
    expect(message).toMatch(new RegExp(`^--queue: cannot reach Redis at redis://127\\.0\\.0\\.1:${port()}: NOAUTH`));
  });
});
