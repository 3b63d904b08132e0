import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { runCommand, startCommand } from "@unfold/testing";
import { describe, expect, it } from "vitest";
import { TRAIN_SCRIPT, checkpointStep, metricSteps, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

/**
 * One writer per output directory, between real processes: a second `pnpm train` into the
 * directory of a running one is refused naming the directory and the owner (before the lock,
 * two runs deleted each other's temp checkpoint files and mixed their metrics), and once the
 * owner is SIGKILLed its lock is taken over with a message.
 */

describe("the output directory's lock", () => {
  it("refuses a second run while the first runs, and is taken over once the first was SIGKILLed", async () => {
    const dir = tempDir("unfold-lock-");
    const out = join(dir, "run");
    const endless = writeConfigFile(dir, tinyConfigJson({ train: { epochs: 25_000, evalEvery: 1 } }), "endless.json");
    const short = writeConfigFile(dir, tinyConfigJson({ train: { epochs: 1 } }), "short.json");

    const first = startCommand(TRAIN_SCRIPT, ["--config", endless, "--out", out], { timeoutMs: 300_000, env: { CI: "true" } });
    // Past the first epoch: a checkpoint exists, so a second run could have resumed or overwritten it.
    await first.waitFor(/step 6: test accuracy/);
    const pid = first.child.pid!;
    const owner = new RegExp(`^error: --out: '${out}' is in use by pid ${pid} on host ${hostname()} \\(unfold train --config ${endless} --out ${out}, since [^)]+\\); wait for it, stop it, or choose another --out$`, "m");
    const seconds = await Promise.all([["--config", short, "--out", out, "--overwrite"], ["--resume", "--out", out]].map((args) => runCommand(TRAIN_SCRIPT, args, { timeoutMs: 120_000 })));
    for (const second of seconds) {
      expect(second.code, second.stderr).toBe(1);
      expect(second.stderr).toMatch(owner);
    }

    first.child.kill("SIGKILL");
    await first.exited;
    expect(existsSync(join(out, ".unfold.lock"))).toBe(true);
    // The first run's records were never mixed with another's.
    const steps = metricSteps(out);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    expect(checkpointStep(out)).toBeGreaterThanOrEqual(4);

    const third = await runCommand(TRAIN_SCRIPT, ["--config", short, "--out", out, "--overwrite"], { timeoutMs: 120_000 });
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toContain(`--out: took over the lock on '${out}' left by pid ${pid} on host ${hostname()}`);
    expect(third.stderr).toContain("which is no longer running");
    expect(metricSteps(out)).toEqual([1, 2, 3, 4]);
    expect(existsSync(join(out, ".unfold.lock"))).toBe(false);
  });

  it("stops a run whose lock was taken over, at its next save, rather than writing over the new owner's files", async () => {
    const dir = tempDir("unfold-lock-lost-");
    const out = join(dir, "run");
    const endless = writeConfigFile(dir, tinyConfigJson({ train: { epochs: 25_000, checkpointEvery: 1 } }), "endless.json");
    const run = startCommand(TRAIN_SCRIPT, ["--config", endless, "--out", out], { timeoutMs: 300_000, env: { CI: "true" } });
    while (!existsSync(join(out, "metrics.jsonl")) || metricSteps(out).length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    // Another process (this one, alive) now holds the lock, as a takeover by mistake would leave it.
    const usurper = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: "usurper" });
    writeFileSync(join(out, ".unfold.lock"), usurper);
    const result = await run.exited;
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: lost the lock on '${out}': it is now held by pid ${process.pid} on host ${hostname()} \\(usurper, since`, "m"));
    // The new owner's lock stays as it was.
    expect(readFileSync(join(out, ".unfold.lock"), "utf8")).toBe(usurper);
  });
});
