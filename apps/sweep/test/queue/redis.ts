import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/**
 * Redis for the queue tests. Each test gets a server of its own: a redis-server this helper
 * starts on a free localhost port, its files in a temporary folder, stopped afterwards. Where
 * redis-server is not on PATH but UNFOLD_TEST_REDIS_URL names a server, tests that need no
 * restart use that one, each on its own database (flushed first). Without either the tests are
 * skipped with one line saying so, except under CI=true, where they fail: CI installs Redis
 * (scripts/install-redis.sh) and must not pass by skipping.
 */

const onPath = (() => {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const sharedUrl = process.env["UNFOLD_TEST_REDIS_URL"];

/** Whether these tests can have a Redis: a server they start themselves (`restartable`), or the shared one. */
export const redisAvailability = { any: onPath || sharedUrl !== undefined, restartable: onPath };

/** Why a test has no Redis, or undefined when it has one; throws under CI=true instead. */
export function missingRedis(needsRestart = false): string | undefined {
  const ok = needsRestart ? redisAvailability.restartable : redisAvailability.any;
  if (ok) return undefined;
  const why = needsRestart ? "redis-server is not on PATH (this test restarts its own)" : "redis-server is not on PATH and UNFOLD_TEST_REDIS_URL is unset";
  if (process.env["CI"] === "true") throw new Error(`queue tests need Redis in CI: ${why}; run scripts/install-redis.sh`);
  return why;
}

let announced = false;
/** Prints the one line that says the queue tests are skipped, once per test file. */
export function announceSkip(why: string): void {
  if (announced) return;
  announced = true;
  console.warn(`sweep queue tests skipped: ${why}; install Redis (bash scripts/install-redis.sh) to run them`);
}

/** A Redis for one test. */
export interface TestRedis {
  /** redis://127.0.0.1:PORT[/DB] */
  readonly url: string;
  /** Stops the server (a private one; SIGTERM, so it writes its append-only file) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder (a private one). */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  dispose(): Promise<void>;
}

export interface TestRedisOptions {
  /** Keep the data across a restart (append-only file, fsync always): a test that restarts Redis. */
  readonly persist?: boolean;
  /** Extra redis-server arguments (e.g. ["--requirepass", "..."]). */
  readonly args?: readonly string[];
  /** The database on the shared server, when that one is used (1..15, one per test). */
  readonly db: number;
  /** This test must have a server of its own (it restarts or configures it). */
  readonly private?: boolean;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function waitForPing(url: string, password?: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password ? { password } : {}) });
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`redis at ${url} did not answer in 30 s: ${(error as Error).message}`);
    } finally {
      redis.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A Redis for one test; see the module's comment. */
export async function startTestRedis(options: TestRedisOptions): Promise<TestRedis> {
  if (!onPath || (sharedUrl !== undefined && !options.private && !options.persist && !options.args)) {
    if (sharedUrl === undefined) throw new Error("no Redis: redis-server is not on PATH and UNFOLD_TEST_REDIS_URL is unset");
    const url = `${sharedUrl.replace(/\/\d+$/, "")}/${options.db}`;
    const redis = new Redis(url);
    await redis.flushdb();
    redis.disconnect();
    const unsupported = (): Promise<void> => Promise.reject(new Error("the shared UNFOLD_TEST_REDIS_URL server cannot be restarted by a test"));
    return { url, stop: unsupported, start: unsupported, dispose: () => Promise.resolve() };
  }
  const dir = mkdtempSync(join(tmpdir(), "unfold-redis-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const password = options.args?.[options.args.indexOf("--requirepass") + 1];
  const persistence = options.persist ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async (): Promise<void> => {
    const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...persistence, ...(options.args ?? [])], { stdio: "ignore" });
    child = proc;
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    await waitForPing(url, options.args?.includes("--requirepass") ? password : undefined);
  };
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    child = undefined;
  };
  await start();
  return {
    url,
    start,
    stop,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
