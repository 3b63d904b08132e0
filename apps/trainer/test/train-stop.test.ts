import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LOCK_FILE } from "@unfold/files";
import { type RunningCommand, startCommand } from "@unfold/testing";
import { describe, expect, it } from "vitest";
import type { BackendName } from "../src/index.js";
import { HOLD_SAVE_BEFORE_MANIFEST, HOLD_SAVE_MESSAGE } from "../src/train/test-hooks.js";
import { TRAIN_SCRIPT, checkpointStep, metricSteps, skipWebGpu, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

/**
 * Ctrl-C and SIGTERM on a real `pnpm train` process, on every backend: the first signal stops
 * after the current step, saves a checkpoint and exits 130 (SIGTERM: 143) without the final
 * evaluation, plots or export; --resume continues from that checkpoint; a second signal quits
 * at once. The time from signal to exit is printed, not asserted: the deadline only catches a
 * run that ignores the signal (before the fix, a CPU run went on to the end of its epoch and an
 * ONNX or TF.js run to the end of training, exiting 0).
 *
 * "Within a step" is checked against the step the run had reached when the signal came: the test
 * freezes the run (SIGSTOP), reads the last step its metrics record (written synchronously each
 * step), queues the signal and lets the run go on (SIGCONT). The saved step must be that step or
 * the next; an epoch is far longer than that, so a run that only noticed the signal at the end
 * of its epoch fails.
 */

/** 8,000 training digits in batches of 8: 1,000 steps an epoch, 100,000 in all, far more than a test waits for. */
const LONG_EPOCHS = { task: { kind: "mnist", train: 8000, test: 16 }, train: { epochs: 100, batchSize: 8 } };
const STEPS_PER_EPOCH = 1000;
const TOTAL_STEPS = 100_000;
const DEADLINE_MS = 300_000;

/**
 * Every backend. WebGPU on a software adapter compiles each kernel through LLVM (minutes in a
 * fresh process), so there the run compiles as few as it can: no energy profile and no evaluation
 * mid-run. The tests wait for steps in the run's metrics file, which every backend writes each step.
 */
const BACKENDS: { backend: BackendName; webgpu?: boolean }[] = [{ backend: "cpu" }, { backend: "reference" }, { backend: "onnx" }, { backend: "tfjs" }, { backend: "webgpu", webgpu: true }];
const skipGpu = await skipWebGpu("trainer WebGPU stop test");

/** The state letter /proc gives a process (R running, S sleeping, T stopped, ...). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // "pid (command) state ...": the command may itself hold spaces or parentheses.
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
}

/** The last training step a run's metrics record so far (0 before the first); a line being written as this reads is left out. */
function lastRecordedStep(out: string): number {
  const path = join(out, "metrics.jsonl");
  if (!existsSync(path)) return 0;
  let last = 0;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    try {
      const record = JSON.parse(line) as { step: number; loss?: number };
      if (record.loss !== undefined) last = Math.max(last, record.step);
    } catch {
      // The empty tail, or the line the run is writing now.
    }
  }
  return last;
}

/** Waits until the run has recorded `step`; fails if it exits first. */
async function waitForStep(run: RunningCommand, out: string, step: number): Promise<void> {
  while (lastRecordedStep(out) < step) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error(`the run exited before step ${step}:\n${run.output().stderr}`);
    await sleep(20);
  }
}

/** Stops the run where it is (SIGSTOP) and returns the last step it completed, as its metrics record it. */
async function freeze(run: RunningCommand, out: string): Promise<number> {
  const pid = run.child.pid!;
  run.child.kill("SIGSTOP");
  // kill() can return before the process has stopped: a step it finished meanwhile would not be counted.
  while (processState(pid) !== "T") await sleep(5);
  return lastRecordedStep(out);
}

/** Sends `signal` (to a frozen run: queued until SIGCONT lets it go on) and waits for the exit; returns the result and the signal-to-exit time. */
async function stop(run: RunningCommand, signal: NodeJS.Signals): Promise<Awaited<RunningCommand["exited"]> & { latencyMs: number }> {
  const sent = performance.now();
  run.child.kill(signal);
  run.child.kill("SIGCONT");
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
        const config = writeConfigFile(dir, tinyConfigJson({ backend, ...model, task: LONG_EPOCHS.task, train: { ...LONG_EPOCHS.train, evalEvery: webgpu ? 1_000_000 : 1, checkpointEvery: 1_000_000 } }));

        const first = startCommand(TRAIN_SCRIPT, ["--config", config, "--out", out], { timeoutMs: DEADLINE_MS, env: { CI: "true" } });
        await waitForStep(first, out, 3);
        const reached = await freeze(first, out);
        // Far from the epoch's end: a run that stopped only there would save step 1000.
        expect(reached + 1).toBeLessThan(STEPS_PER_EPOCH);
        const stopped = await stop(first, "SIGINT");
        expect(stopped.timedOut, stopped.stderr).toBe(false);
        expect(stopped.code, stopped.stderr).toBe(130);
        expect(stopped.stderr).toContain("SIGINT: stopping after the current step to save a checkpoint (Ctrl-C again quits at once, without saving)");
        const step = checkpointStep(out);
        // The step under way when the signal came, at most: the one the run had reached, or the next.
        expect(step).toBeGreaterThanOrEqual(reached);
        expect(step).toBeLessThanOrEqual(reached + 1);
        expect(stopped.stdout).toContain(`stopped (SIGINT) at step ${step}/${TOTAL_STEPS}`);
        expect(stopped.stdout).toContain(`continue with: unfold train --resume --out ${out}`);
        // Nothing of the finished-run path: no final evaluation line, no plots.
        expect(stopped.stderr).not.toContain("done at step");
        expect(existsSync(join(out, "loss.svg"))).toBe(false);
        // The lock went with the process; no temp file stayed.
        expect(leftovers(out)).toEqual([]);
        console.log(`${backend}: SIGINT to exit ${stopped.latencyMs.toFixed(0)} ms (signal at step ${reached}, stopped at step ${step})`);

        const resumed = startCommand(TRAIN_SCRIPT, ["--resume", "--out", out], { timeoutMs: DEADLINE_MS, env: { CI: "true" } });
        await waitForStep(resumed, out, step + 2);
        const resumedTo = await freeze(resumed, out);
        expect(resumedTo + 1).toBeLessThan(STEPS_PER_EPOCH);
        const terminated = await stop(resumed, "SIGTERM");
        expect(terminated.timedOut, terminated.stderr).toBe(false);
        expect(terminated.code, terminated.stderr).toBe(143);
        expect(terminated.stderr).toContain("(resumed)");
        expect(terminated.stderr).toContain("SIGTERM: stopping after the current step to save a checkpoint");
        const later = checkpointStep(out);
        expect(later).toBeGreaterThan(step);
        expect(later).toBeGreaterThanOrEqual(resumedTo);
        expect(later).toBeLessThanOrEqual(resumedTo + 1);
        // Continued from the checkpoint: every step once, none repeated or skipped.
        expect(metricSteps(out)).toEqual(Array.from({ length: later }, (_, i) => i + 1));
        expect(leftovers(out)).toEqual([]);
        console.log(`${backend}: SIGTERM to exit ${terminated.latencyMs.toFixed(0)} ms (signal at step ${resumedTo}, stopped at step ${later})`);
      },
      webgpu ? 600_000 : DEADLINE_MS,
    );
  }

  it("a second SIGINT quits at once, even mid-save; --resume then takes over the lock and says the run never completed a checkpoint", async () => {
    const dir = tempDir("unfold-stop-twice-");
    const out = join(dir, "run");
    const checkpoint = join(out, "checkpoint");
    const config = writeConfigFile(dir, tinyConfigJson({ task: LONG_EPOCHS.task, train: { ...LONG_EPOCHS.train, evalEvery: 1, checkpointEvery: 1_000_000 } }));
    // The test hook holds every save after its tensor files, before its manifest, until a signal
    // ends the process: the second signal lands mid-save however fast the machine is.
    const run = startCommand(TRAIN_SCRIPT, ["--config", config, "--out", out], { timeoutMs: DEADLINE_MS, env: { CI: "true", [HOLD_SAVE_BEFORE_MANIFEST]: "1" } });
    await run.waitFor(/step 1: test accuracy/);
    const pid = run.child.pid!;
    run.child.kill("SIGINT");
    await run.waitFor(/SIGINT: stopping after the current step/);
    await run.waitFor(new RegExp(HOLD_SAVE_MESSAGE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    const result = await stop(run, "SIGINT");
    expect(result.timedOut, result.stderr).toBe(false);
    // Ended by the signal itself (a shell reports 130), without finishing the stop: no summary, no manifest.
    expect(result.signal, result.stderr).toBe("SIGINT");
    expect(result.stdout).not.toContain("stopped (SIGINT)");
    expect(existsSync(join(checkpoint, "checkpoint.json"))).toBe(false);
    // What the cut-short save wrote, and the lock, which nobody released.
    const unfinished = readdirSync(checkpoint).sort();
    expect(unfinished).toHaveLength(2);
    expect(unfinished[0]).toMatch(/^optimizer-\d+\.safetensors$/);
    expect(unfinished[1]).toMatch(/^weights-\d+\.safetensors$/);
    expect(leftovers(out)).toEqual([LOCK_FILE]);
    console.log(`second SIGINT to exit ${result.latencyMs.toFixed(0)} ms`);

    const resumed = await startCommand(TRAIN_SCRIPT, ["--resume", "--out", out], { timeoutMs: DEADLINE_MS }).exited;
    expect(resumed.code).toBe(1);
    // Its lock outlived it: the next run takes it over, and says so.
    expect(resumed.stderr).toContain(`--out: took over the lock on '${out}' left by pid ${pid} on host`);
    expect(resumed.stderr).toContain(
      `error: --resume: the run in '${out}' never completed a checkpoint (it was stopped during its first save), so there is nothing to continue; ` +
        `removed its unfinished files ${unfinished.join(", ")} from '${checkpoint}'; start the run again without --resume`,
    );
    // Whatever the cut-short save left is gone, and so is the lock.
    expect(readdirSync(checkpoint)).toEqual([]);
    expect(leftovers(out)).toEqual([]);
  });
});
