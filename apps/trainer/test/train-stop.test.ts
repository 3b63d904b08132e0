import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type RunningCommand, startCommand } from "@unfold/testing";
import { describe, expect, it } from "vitest";
import type { BackendName } from "../src/index.js";
import { TRAIN_SCRIPT, checkpointStep, metricSteps, skipWebGpu, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

/**
 * Ctrl-C and SIGTERM on a real `pnpm train` process, on every backend: the first signal stops
 * after the current step, saves a checkpoint and exits 130 (SIGTERM: 143) without the final
 * evaluation, plots or export; --resume continues from that checkpoint; a second signal quits
 * at once. The time from signal to exit is printed, not asserted: the deadline only catches a
 * run that ignores the signal (before the fix, a CPU run went on to the end of its epoch and an
 * ONNX or TF.js run to the end of training, exiting 0).
 */

// Far more steps than a test waits for: a run that ignores the signal hits the deadline.
const ENDLESS = { epochs: 25_000 };
const DEADLINE_MS = 300_000;

/**
 * Every backend. WebGPU on a software adapter compiles each kernel through LLVM (minutes in a
 * fresh process), so there the run compiles as few as it can: no energy profile, no evaluation
 * mid-run, and the test waits for the periodic progress line (at least every 10 s) instead.
 */
const BACKENDS: { backend: BackendName; webgpu?: boolean }[] = [{ backend: "cpu" }, { backend: "reference" }, { backend: "onnx" }, { backend: "tfjs" }, { backend: "webgpu", webgpu: true }];
const skipGpu = await skipWebGpu("trainer WebGPU stop test");

/** Sends `signal` and waits for the exit; returns the result and the signal-to-exit time. */
async function stop(run: RunningCommand, signal: NodeJS.Signals): Promise<Awaited<RunningCommand["exited"]> & { latencyMs: number }> {
  const sent = performance.now();
  run.child.kill(signal);
  const result = await run.exited;
  return { ...result, latencyMs: performance.now() - sent };
}

const leftovers = (out: string): string[] => readdirSync(out).filter((n) => n.startsWith(".unfold") || n.startsWith(".tmp-"));

describe("stopping a training run with a signal", () => {
  for (const { backend, webgpu } of BACKENDS) {
    it.skipIf(webgpu && skipGpu)(
      `${backend}: SIGINT saves and exits 130 within a step, --resume continues from there, SIGTERM exits 143`,
      async () => {
        const dir = tempDir(`unfold-stop-${backend}-`);
        const out = join(dir, "run");
        // No periodic checkpoint: its file writes would give a loop that never yields a way to notice the signal anyway.
        // On WebGPU the baseline Transformer: it has no energy profile to compile kernels for.
        const model = webgpu ? { model: { kind: "transformer", dim: 8, layers: 1, heads: 2, mlpDim: 8 } } : {};
        const config = writeConfigFile(dir, tinyConfigJson({ backend, ...model, train: { ...ENDLESS, evalEvery: webgpu ? 1_000_000 : 1, checkpointEvery: 1_000_000 } }));
        // A line each step (an evaluation), or on WebGPU the periodic progress line (at least every 10 s).
        const progressed = (after: number): RegExp => (webgpu ? /step \d+\/\d+/ : new RegExp(`step ${after + 1}: test accuracy`));

        const first = startCommand(TRAIN_SCRIPT, ["--config", config, "--out", out], { timeoutMs: DEADLINE_MS, env: { CI: "true" } });
        await first.waitFor(progressed(2));
        const stopped = await stop(first, "SIGINT");
        expect(stopped.timedOut, stopped.stderr).toBe(false);
        expect(stopped.code, stopped.stderr).toBe(130);
        expect(stopped.stderr).toContain("SIGINT: stopping after the current step to save a checkpoint (Ctrl-C again quits at once, without saving)");
        const step = checkpointStep(out);
        expect(stopped.stdout).toContain(`stopped (SIGINT) at step ${step}/100000`);
        expect(stopped.stdout).toContain(`continue with: pnpm train --resume --out ${out}`);
        // Nothing of the finished-run path: no final evaluation line, no plots.
        expect(stopped.stderr).not.toContain("done at step");
        expect(existsSync(join(out, "loss.svg"))).toBe(false);
        // The lock went with the process; no temp file stayed.
        expect(leftovers(out)).toEqual([]);
        console.log(`${backend}: SIGINT to exit ${stopped.latencyMs.toFixed(0)} ms (stopped at step ${step})`);

        const resumed = startCommand(TRAIN_SCRIPT, ["--resume", "--out", out], { timeoutMs: DEADLINE_MS, env: { CI: "true" } });
        await resumed.waitFor(progressed(step + 1));
        const terminated = await stop(resumed, "SIGTERM");
        expect(terminated.timedOut, terminated.stderr).toBe(false);
        expect(terminated.code, terminated.stderr).toBe(143);
        expect(terminated.stderr).toContain("(resumed)");
        expect(terminated.stderr).toContain("SIGTERM: stopping after the current step to save a checkpoint");
        const later = checkpointStep(out);
        expect(later).toBeGreaterThan(step);
        // Continued from the checkpoint: every step once, none repeated or skipped.
        expect(metricSteps(out)).toEqual(Array.from({ length: later }, (_, i) => i + 1));
        expect(leftovers(out)).toEqual([]);
        console.log(`${backend}: SIGTERM to exit ${terminated.latencyMs.toFixed(0)} ms (stopped at step ${later})`);
      },
      webgpu ? 600_000 : DEADLINE_MS,
    );
  }

  it("a second SIGINT quits at once, even mid-save; --resume then takes over the lock and says the run never completed a checkpoint", async () => {
    const dir = tempDir("unfold-stop-twice-");
    const out = join(dir, "run");
    // Wide enough that its save takes a good fraction of a second (about 10 MB of checkpoint):
    // the second signal lands while the first stop is still saving.
    const config = writeConfigFile(dir, tinyConfigJson({ model: { kind: "yang", dim: 256, layers: 6, tied: false, head: "flatten" }, train: { ...ENDLESS, evalEvery: 1, checkpointEvery: 1_000_000 } }));
    const run = startCommand(TRAIN_SCRIPT, ["--config", config, "--out", out], { timeoutMs: DEADLINE_MS, env: { CI: "true" } });
    await run.waitFor(/step 1: test accuracy/);
    const pid = run.child.pid!;
    run.child.kill("SIGINT");
    // Once the first is taken (the run says it is stopping), the save of about 10 MB is under way.
    await run.waitFor(/SIGINT: stopping after the current step/);
    const result = await stop(run, "SIGINT");
    expect(result.timedOut, result.stderr).toBe(false);
    // Ended by the signal itself (a shell reports 130), without finishing the stop: no summary, no checkpoint.
    expect(result.signal, result.stderr).toBe("SIGINT");
    expect(result.stdout).not.toContain("stopped (SIGINT)");
    expect(existsSync(join(out, "checkpoint", "checkpoint.json"))).toBe(false);
    console.log(`second SIGINT to exit ${result.latencyMs.toFixed(0)} ms`);

    const resumed = await startCommand(TRAIN_SCRIPT, ["--resume", "--out", out], { timeoutMs: DEADLINE_MS }).exited;
    expect(resumed.code).toBe(1);
    // Its lock outlived it: the next run takes it over, and says so.
    expect(resumed.stderr).toContain(`--out: took over the lock on '${out}' left by pid ${pid} on host`);
    expect(resumed.stderr).toMatch(new RegExp(`^error: --resume: (no checkpoint in '${out}'|the run in '${out}' never completed a checkpoint)`, "m"));
    // Whatever the cut-short save left is gone, and so is the lock.
    const checkpoint = join(out, "checkpoint");
    if (existsSync(checkpoint)) expect(readdirSync(checkpoint)).toEqual([]);
    expect(leftovers(out)).toEqual([]);
  });
});
