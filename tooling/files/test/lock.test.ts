import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand, startCommand } from "@unfold/testing";
import { describe, expect, it } from "vitest";
import { LOCK_FILE, lockDirectory, readLock } from "../src/index.js";

const temp = (): string => mkdtempSync(join(tmpdir(), "unfold-lock-"));
const holder = fileURLToPath(new URL("./fixtures/hold-lock.ts", import.meta.url));

describe("output directory locks", () => {
  it("give one writer the directory and name the owner to a second", () => {
    const dir = temp();
    const lock = lockDirectory(dir, { label: "--out", command: "pnpm train" });
    expect(readLock(dir)).toMatchObject({ pid: process.pid, host: hostname(), command: "pnpm train" });
    expect(() => lockDirectory(dir, { label: "--out" })).toThrow(
      new RegExp(`^--out: '${dir}' is in use by pid ${process.pid} on host ${hostname()} \\(pnpm train, since .*\\); wait for it, stop it, or choose another --out$`),
    );
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lock.release(); // idempotent
    lockDirectory(dir, { label: "--out" }).release();
  });

  it("never remove a lock that is no longer its own", () => {
    const dir = temp();
    const lock = lockDirectory(dir, { label: "--out" });
    const other = JSON.stringify({ pid: 1, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" });
    writeFileSync(join(dir, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe(other);
  });

  it("go with their process's exit, and a SIGKILLed owner's lock is taken over with a message", async () => {
    const dir = temp();
    const done = await runCommand(holder, [dir, "exit"], { timeoutMs: 60_000 });
    expect(done.stdout).toContain("locked");
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const running = startCommand(holder, [dir], { timeoutMs: 60_000 });
    await running.waitFor(/locked/);
    const pid = running.child.pid!;
    expect(() => lockDirectory(dir, { label: "--out" })).toThrow(`is in use by pid ${pid}`);
    running.child.kill("SIGKILL");
    await running.exited;
    const messages: string[] = [];
    const lock = lockDirectory(dir, { label: "--out", onReclaim: (m) => messages.push(m) });
    expect(messages).toEqual([expect.stringMatching(new RegExp(`^--out: took over the lock on '${dir}' left by pid ${pid} on host .*, which is no longer running$`))]);
    expect(readLock(dir)?.pid).toBe(process.pid);
    lock.release();
  });

  it("let exactly one of several processes take over a stale lock at once, and say so to the rest", async () => {
    const dir = temp();
    const dead = spawnSync("true").pid;
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" }));
    const go = join(temp(), "go");
    const racers = Array.from({ length: 4 }, () => startCommand(holder, [dir, "race", go], { timeoutMs: 120_000 }));
    await Promise.all(racers.map((r) => r.waitFor(/ready/)));
    writeFileSync(go, "");
    // Every racer has tried (and the winner still holds the lock) before the winner lets go.
    await Promise.all(racers.map((r) => r.waitFor(/^(locked|refused: .*)$/m)));
    writeFileSync(`${go}.done`, "");
    const outcomes = (await Promise.all(racers.map((r) => r.exited))).map((r) => r.stdout.replace("ready\n", "").replace("locked\n", "").trim());
    expect(outcomes.filter((o) => o === "verified"), outcomes.join("\n")).toHaveLength(1);
    // The others were refused, naming the winner: none took the lock only to lose it.
    for (const o of outcomes.filter((o) => o !== "verified")) expect(o).toMatch(/^refused: --out: '.*' is in use by pid \d+ on host .*race fixture/);
  });

  it("never take over a lock that a competitor made live after the stale one was found", () => {
    const dir = temp();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: spawnSync("true").pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" }));
    // The competitor (this process, standing in for another) reclaims first, between our look and our move.
    let competitor: ReturnType<typeof lockDirectory> | undefined;
    const attempt = (): ReturnType<typeof lockDirectory> =>
      lockDirectory(dir, {
        label: "--out",
        command: "late",
        beforeTakeover: () => {
          if (competitor) return;
          rmSync(join(dir, LOCK_FILE));
          competitor = lockDirectory(dir, { label: "--out", command: "competitor" });
        },
      });
    expect(attempt).toThrow(/is in use by pid \d+ on host .* \(competitor, since/);
    expect(competitor).toBeDefined();
    competitor!.verify(); // still the competitor's
    expect(readdirSync(dir)).toEqual([LOCK_FILE]); // nothing left aside
    competitor!.release();
  });

  it("verify a lock that is still held, and refuse one taken over", () => {
    const dir = temp();
    const lock = lockDirectory(dir, { label: "--out" });
    lock.verify();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" }));
    expect(() => lock.verify()).toThrow(`lost the lock on '${dir}': it is now held by pid 1 on host ${hostname()}`);
  });

  it("treat a reused pid as dead, and refuse a lock from another host or an unreadable one", () => {
    const dir = temp();
    // This process's pid with another start time: a reused pid, so the lock is stale.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: "x", processStart: 1 }));
    const messages: string[] = [];
    if (process.platform === "linux") {
      lockDirectory(dir, { label: "--out", onReclaim: (m) => messages.push(m) }).release();
      expect(messages).toHaveLength(1);
    } else {
      // Without /proc the start time cannot be read: a live pid is taken for the owner.
      expect(() => lockDirectory(dir, { label: "--out" })).toThrow("is in use by");
    }

    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 7, host: "elsewhere", startedAt: "2026-01-01T00:00:00.000Z" }));
    expect(() => lockDirectory(dir, { label: "--out" })).toThrow(`which cannot be checked from this host; if that run is gone, remove '${join(dir, LOCK_FILE)}'`);
    writeFileSync(join(dir, LOCK_FILE), "garbage");
    expect(() => lockDirectory(dir, { label: "--out" })).toThrow("is locked by an unreadable lock file");
  });
});
