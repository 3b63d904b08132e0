import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { rejectionOf } from "@unfold/testing";
import { afterAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { statusCommand } from "../../src/commands/status.js";
import { workerCommand } from "../../src/commands/worker.js";
import { hessianSpec } from "./sweep.js";
import { tempDir, writeSpec } from "../helpers/sweep.js";

/** The queue commands' refusals of what the user typed: each names the flag or value at fault. No Redis needed. */

const io = { out: () => undefined, progress: () => undefined };
const dir = tempDir();
const spec = writeSpec(dir, hessianSpec("bad-input", { points: { flag: "points", values: [4] } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A localhost port nothing listens on. */
const closedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe("sweep worker, status and run --queue refuse bad input", () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ["worker without --queue", () => workerCommand([], io), /^sweep worker needs --queue redis:\/\/HOST:PORT/],
    ["worker --concurrency 0", () => workerCommand(["--queue", "redis://127.0.0.1:1", "--concurrency", "0"], io), /^--concurrency must be an integer >= 1, got '0'/],
    ["worker --lock-timeout 0.1", () => workerCommand(["--queue", "redis://127.0.0.1:1", "--lock-timeout", "0.1"], io), /^--lock-timeout must be at least 0.5 seconds .* got '0.1'/],
    ["worker --lock-timeout soon", () => workerCommand(["--queue", "redis://127.0.0.1:1", "--lock-timeout", "soon"], io), /^--lock-timeout must be a positive number, got 'soon'/],
    ["worker --out ''", () => workerCommand(["--queue", "redis://127.0.0.1:1", "--out", ""], io), /^--out needs a directory path/],
    ["worker with an unknown flag", () => workerCommand(["--queue", "redis://127.0.0.1:1", "--workers", "2"], io), /^unknown flag --workers; valid flags: --queue, --out, --concurrency, --lock-timeout/],
    ["status without --queue", () => statusCommand(["growth-rate"], io), /^sweep status needs --queue redis:\/\/HOST:PORT/],
    ["status of a name no sweep can have", () => statusCommand(["Growth_Rate", "--queue", "redis://127.0.0.1:1"], io), /^sweep status: 'Growth_Rate' is not a sweep name/],
    ["run --queue with --workers", () => runCommand([spec, "--queue", "redis://127.0.0.1:1", "--workers", "2"], io), /^--workers: with --queue the jobs run on `unfold sweep worker` processes; give each worker --concurrency N/],
    ["run --detach with --out", () => runCommand([spec, "--queue", "redis://127.0.0.1:1", "--detach", "--out", "x"], io), /^--out: with --detach nothing is written here/],
    ["run --queue with a file URL", () => runCommand([spec, "--queue", "file:///tmp/q"], io), /^--queue: 'file:\/\/\/tmp\/q' is not a Redis URL \(file\)/],
  ];
  it.each(cases)("%s", async (_name, call, message) => {
    expect(await rejectionOf(call)).toMatch(message);
  });

  it("a Redis that is not there: one error naming the address, at once", async () => {
    const port = await closedPort();
    const message = await rejectionOf(() => statusCommand(["--queue", `redis://127.0.0.1:${port}`], io));
    expect(message).toMatch(new RegExp(`^--queue: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });
});
