import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { startCommand } from "@unfold/testing";
import { afterAll, describe, expect, it } from "vitest";
import { JOB_FILES, jobDirectory, readJobResult } from "../src/index.js";
import { TINY_TRAIN_BASE, tempDir, writeSpec } from "./helpers/sweep.js";

/**
 * SIGTERM to a real `unfold sweep run` process: the runner passes one SIGTERM to its running job
 * (the trainer saves a checkpoint), writes the results so far and exits 143. The deadline is a
 * budget for a busy machine, not a speed check: it catches a runner that ignores the signal.
 */

const SWEEP = fileURLToPath(new URL("../src/bin/sweep.ts", import.meta.url));
const scratch = tempDir();
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("unfold sweep run as a process", () => {
  it("SIGTERM: the job saves its checkpoint, the results so far are written, exit 143", async () => {
    // 64 digits in batches of 4, 50 epochs: 800 steps, far more than the test waits for.
    const spec = { name: "signalled", command: "train", base: { ...TINY_TRAIN_BASE, train: { epochs: 50, batchSize: 4, learningRate: 0.003, warmupSteps: 1 } }, axes: { seed: { path: "train.seed", values: [3] } }, metrics: ["testAccuracy"] };
    const out = join(scratch, "signalled");
    const metrics = join(jobDirectory(out, "j0000"), JOB_FILES.run, "metrics.jsonl");
    const run = startCommand(SWEEP, ["run", writeSpec(scratch, spec), "--out", out, "--json"], { timeoutMs: 180_000 });
    while (!existsSync(metrics) || readFileSync(metrics, "utf8").split('"loss"').length < 4) {
      if (run.child.exitCode !== null) throw new Error(`the sweep exited early:\n${run.output().stderr}`);
      await sleep(20);
    }
    run.child.kill("SIGTERM");
    const result = await run.exited;
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stderr).toBe(143);
    expect(result.stderr).toContain("SIGTERM: stopping; 1 running job sent SIGTERM");
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1)!)).toMatchObject({ jobs: 1, done: 0, pending: 1, interrupted: true });
    const saved = (JSON.parse(readFileSync(join(jobDirectory(out, "j0000"), JOB_FILES.run, "checkpoint", "checkpoint.json"), "utf8")) as { step: number }).step;
    expect(saved).toBeGreaterThanOrEqual(3);
    expect(readJobResult(out, "j0000")).toBeUndefined();
    expect(existsSync(join(out, "results.md"))).toBe(true);
    // The trainer saw one signal (a second would have made it quit without saving).
    expect(readFileSync(join(jobDirectory(out, "j0000"), JOB_FILES.log), "utf8")).toContain(`"stop":"SIGTERM","step":${saved}`);
  });
});
